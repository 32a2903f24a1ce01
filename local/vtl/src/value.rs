//! Runtime values: what Java objects look like to a template, with Java's `toString` rendering.
//!
//! Lists and maps are shared and mutable, as Java objects are: `#set($b = $a)` makes `$b` the same
//! map, and `$a.put(...)` is seen through both. Mutation could build cycles or deep nesting, so:
//! - inserting a container into itself (directly or through its elements) is refused (Java would
//!   accept it and then overflow its stack when rendering; inferred);
//! - every walk over a value (rendering, comparing, converting) stops at [`MAX_VALUE_DEPTH`] levels
//!   with an error, and dropping is iterative, so no value can overflow the stack.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::rc::Rc;

use indexmap::IndexMap;

use crate::java;
use crate::limits::MAX_VALUE_DEPTH;

#[derive(Clone)]
pub(crate) enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    List(Rc<List>),
    Map(Rc<Map>),
    /// A `Map.Entry` from `entrySet()`; renders `key=value`.
    Entry(Rc<(Rc<str>, Value)>),
    /// A host object such as `$input` or `$util`.
    Object(Rc<dyn HostObject>),
}

pub(crate) struct List {
    pub items: RefCell<Vec<Value>>,
    /// Parsed from JSON: API Gateway's JSON arrays render as compact JSON, not as `[a, b]`.
    from_json: bool,
}

pub(crate) struct Map {
    pub entries: RefCell<IndexMap<String, Value>>,
    /// Renders as the empty string: API Gateway's `$context` sub-maps (`identity`,
    /// `requestOverride`...) do (AWS-validated recording `test_sqs_amz_json_protocol`).
    opaque: bool,
}

/// A value nested deeper than [`MAX_VALUE_DEPTH`] was met.
#[derive(Debug)]
pub(crate) struct TooDeep;

/// The rendered text would exceed its size limit.
#[derive(Debug)]
pub(crate) struct TooLong;

/// Why a value could not be written out.
#[derive(Debug)]
pub(crate) enum WriteError {
    TooLong,
    TooDeep,
}

impl From<TooLong> for WriteError {
    fn from(_: TooLong) -> Self {
        WriteError::TooLong
    }
}

/// An object provided by the host (API Gateway's `$input`, `$util`).
pub(crate) trait HostObject {
    /// Name used when the object itself is rendered.
    fn name(&self) -> &'static str;
    /// Calls `name(args)`; `Ok(None)` when there is no such method (Velocity then yields null).
    fn call(&self, name: &str, args: &[Value], budget: &Budget)
    -> Result<Option<Value>, CallError>;
    /// For a `$foreach` object: its loop's id (so `#break($foreach.parent)` can name it) and
    /// nesting depth (1 = outermost).
    fn scope(&self) -> Option<(u64, usize)> {
        None
    }
}

/// The evaluation budget shared by the renderer and method calls: steps left, string size cap.
pub(crate) struct Budget {
    steps_left: Cell<u64>,
    pub max_string_bytes: usize,
}

/// The evaluation budget ran out.
#[derive(Debug)]
pub(crate) struct Exhausted;

impl Budget {
    pub fn new(steps: u64, max_string_bytes: usize) -> Self {
        Self {
            steps_left: Cell::new(steps),
            max_string_bytes,
        }
    }

    /// Charges `steps`; fails once the budget is spent.
    pub fn spend(&self, steps: u64) -> Result<(), Exhausted> {
        let left = self.steps_left.get();
        if steps > left {
            self.steps_left.set(0);
            return Err(Exhausted);
        }
        self.steps_left.set(left - steps);
        Ok(())
    }
}

/// A method "threw": the render fails with this message (API Gateway answers 500 then).
#[derive(Debug)]
pub(crate) struct CallError {
    pub kind: crate::ErrorKind,
    pub message: String,
}

impl CallError {
    pub fn runtime(message: impl Into<String>) -> Self {
        Self {
            kind: crate::ErrorKind::Runtime,
            message: message.into(),
        }
    }
}

impl From<TooDeep> for CallError {
    fn from(_: TooDeep) -> Self {
        Self {
            kind: crate::ErrorKind::Limit,
            message: format!("value nests deeper than {MAX_VALUE_DEPTH} levels"),
        }
    }
}

impl From<Exhausted> for CallError {
    fn from(_: Exhausted) -> Self {
        Self {
            kind: crate::ErrorKind::Limit,
            message: "template exceeded its evaluation budget".to_string(),
        }
    }
}

impl From<TooLong> for CallError {
    fn from(_: TooLong) -> Self {
        Self {
            kind: crate::ErrorKind::Limit,
            message: "string exceeds the size limit".to_string(),
        }
    }
}

impl From<WriteError> for CallError {
    fn from(error: WriteError) -> Self {
        match error {
            WriteError::TooLong => TooLong.into(),
            WriteError::TooDeep => TooDeep.into(),
        }
    }
}

impl Value {
    pub fn str(s: &str) -> Self {
        Value::Str(Rc::from(s))
    }

    pub fn list(items: Vec<Value>) -> Self {
        Self::new_list(items, false)
    }

    /// A list that renders as JSON, as the arrays of a parsed JSON document do.
    pub fn json_list(items: Vec<Value>) -> Self {
        Self::new_list(items, true)
    }

    fn new_list(items: Vec<Value>, from_json: bool) -> Self {
        Value::List(Rc::new(List {
            items: RefCell::new(items),
            from_json,
        }))
    }

    pub fn map(entries: IndexMap<String, Value>) -> Self {
        Self::new_map(entries, false)
    }

    fn new_map(entries: IndexMap<String, Value>, opaque: bool) -> Self {
        Value::Map(Rc::new(Map {
            entries: RefCell::new(entries),
            opaque,
        }))
    }

    pub fn entry(key: &str, value: Value) -> Self {
        Value::Entry(Rc::new((Rc::from(key), value)))
    }

    /// Whether `container` (a list or map) is `self` or reachable from it: storing `self` into
    /// `container` would then make a cycle. Each value visited costs a step.
    pub fn reaches(&self, container: &Value, budget: &Budget) -> Result<bool, CallError> {
        let target = match container {
            Value::List(list) => Rc::as_ptr(list).cast::<()>(),
            Value::Map(map) => Rc::as_ptr(map).cast::<()>(),
            _ => return Ok(false),
        };
        let mut stack = vec![(self.clone(), 0usize)];
        while let Some((value, depth)) = stack.pop() {
            budget.spend(1)?;
            if depth > MAX_VALUE_DEPTH {
                return Err(TooDeep.into());
            }
            match &value {
                Value::List(list) => {
                    if Rc::as_ptr(list).cast::<()>() == target {
                        return Ok(true);
                    }
                    stack.extend(list.items.borrow().iter().map(|v| (v.clone(), depth + 1)));
                }
                Value::Map(map) => {
                    if Rc::as_ptr(map).cast::<()>() == target {
                        return Ok(true);
                    }
                    stack.extend(
                        map.entries
                            .borrow()
                            .values()
                            .map(|v| (v.clone(), depth + 1)),
                    );
                }
                Value::Entry(entry) => stack.push((entry.1.clone(), depth + 1)),
                _ => {}
            }
        }
        Ok(false)
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Velocity 1.7's `#if` truth: only null and `false` are false (an empty string is true).
    pub fn is_truthy(&self) -> bool {
        !matches!(self, Value::Null | Value::Bool(false))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// A Java `int` argument (Velocity 1.7 does not convert other types to `int`).
    pub fn as_java_int(&self) -> Option<i32> {
        match self {
            Value::Int(i) => i32::try_from(*i).ok(),
            _ => None,
        }
    }

    /// Java's `toString()`, bounded by `limit` bytes.
    pub fn to_java_string(&self, limit: usize) -> Result<String, WriteError> {
        if let Value::Str(s) = self {
            return if s.len() > limit {
                Err(WriteError::TooLong)
            } else {
                Ok(s.to_string())
            };
        }
        let mut out = BoundedString::new(limit);
        self.write_java(&mut out)?;
        Ok(out.into_string())
    }

    /// Writes Java's `toString()` of this value (`[a, b]`, `{k=v}`, `1.0E10`...).
    pub fn write_java(&self, out: &mut BoundedString) -> Result<(), WriteError> {
        self.write_java_at(out, 0)
    }

    fn write_java_at(&self, out: &mut BoundedString, depth: usize) -> Result<(), WriteError> {
        if depth > MAX_VALUE_DEPTH {
            return Err(WriteError::TooDeep);
        }
        match self {
            Value::Null => out.push_str("null")?,
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" })?,
            Value::Int(i) => out.push_str(&i.to_string())?,
            Value::Float(f) => out.push_str(&java::double_to_string(*f))?,
            Value::Str(s) => out.push_str(s)?,
            Value::List(list) if list.from_json => self.write_json_at(out, depth)?,
            Value::List(list) => {
                out.push_str("[")?;
                for (i, item) in list.items.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ")?;
                    }
                    item.write_java_at(out, depth + 1)?;
                }
                out.push_str("]")?;
            }
            Value::Map(map) if map.opaque => {}
            Value::Map(map) => {
                out.push_str("{")?;
                for (i, (key, value)) in map.entries.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ")?;
                    }
                    out.push_str(key)?;
                    out.push_str("=")?;
                    value.write_java_at(out, depth + 1)?;
                }
                out.push_str("}")?;
            }
            Value::Entry(entry) => {
                out.push_str(&entry.0)?;
                out.push_str("=")?;
                entry.1.write_java_at(out, depth + 1)?;
            }
            Value::Object(object) => out.push_str(object.name())?,
        }
        Ok(())
    }

    /// Writes the value as compact JSON text.
    pub fn write_json(&self, out: &mut BoundedString) -> Result<(), WriteError> {
        self.write_json_at(out, 0)
    }

    fn write_json_at(&self, out: &mut BoundedString, depth: usize) -> Result<(), WriteError> {
        if depth > MAX_VALUE_DEPTH {
            return Err(WriteError::TooDeep);
        }
        match self {
            Value::Null => out.push_str("null")?,
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" })?,
            Value::Int(i) => out.push_str(&i.to_string())?,
            Value::Float(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => out.push_str(&n.to_string())?,
                None => out.push_str("null")?,
            },
            Value::Str(s) => write_json_string(s, out)?,
            Value::List(list) => {
                out.push_str("[")?;
                for (i, item) in list.items.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push_str(",")?;
                    }
                    item.write_json_at(out, depth + 1)?;
                }
                out.push_str("]")?;
            }
            Value::Map(map) => {
                out.push_str("{")?;
                for (i, (key, value)) in map.entries.borrow().iter().enumerate() {
                    if i > 0 {
                        out.push_str(",")?;
                    }
                    write_json_string(key, out)?;
                    out.push_str(":")?;
                    value.write_json_at(out, depth + 1)?;
                }
                out.push_str("}")?;
            }
            Value::Entry(entry) => {
                out.push_str("{")?;
                write_json_string(&entry.0, out)?;
                out.push_str(":")?;
                entry.1.write_json_at(out, depth + 1)?;
                out.push_str("}")?;
            }
            Value::Object(object) => write_json_string(object.name(), out)?,
        }
        Ok(())
    }

    /// The value as a `serde_json` value (the host reads `$context` back this way). At most
    /// `max_nodes` values are visited, so a shared structure cannot blow up exponentially.
    pub fn to_json(&self, max_nodes: usize) -> Result<serde_json::Value, WriteError> {
        let mut nodes = 0;
        self.to_json_at(0, &mut nodes, max_nodes)
    }

    fn to_json_at(
        &self,
        depth: usize,
        nodes: &mut usize,
        max_nodes: usize,
    ) -> Result<serde_json::Value, WriteError> {
        *nodes += 1;
        if *nodes > max_nodes {
            return Err(WriteError::TooLong);
        }
        if depth > MAX_VALUE_DEPTH {
            return Err(WriteError::TooDeep);
        }
        Ok(match self {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => serde_json::Value::Bool(*b),
            Value::Int(i) => serde_json::Value::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f)
                .map_or(serde_json::Value::Null, serde_json::Value::Number),
            Value::Str(s) => serde_json::Value::String(s.to_string()),
            Value::List(list) => serde_json::Value::Array(
                list.items
                    .borrow()
                    .iter()
                    .map(|item| item.to_json_at(depth + 1, nodes, max_nodes))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Map(map) => serde_json::Value::Object(
                map.entries
                    .borrow()
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), v.to_json_at(depth + 1, nodes, max_nodes)?)))
                    .collect::<Result<_, WriteError>>()?,
            ),
            Value::Entry(entry) => {
                let mut object = serde_json::Map::new();
                object.insert(
                    entry.0.to_string(),
                    entry.1.to_json_at(depth + 1, nodes, max_nodes)?,
                );
                serde_json::Value::Object(object)
            }
            Value::Object(object) => serde_json::Value::String(object.name().to_string()),
        })
    }

    /// Converts a `serde_json` value (the host's `$context`, test variables).
    pub fn from_json(json: &serde_json::Value) -> Result<Self, TooDeep> {
        Self::from_json_at(json, 0, false)
    }

    /// [`Value::from_json`] where every object renders as `""` (API Gateway's `$context`).
    pub fn from_json_opaque(json: &serde_json::Value) -> Result<Self, TooDeep> {
        Self::from_json_at(json, 0, true)
    }

    fn from_json_at(json: &serde_json::Value, depth: usize, opaque: bool) -> Result<Self, TooDeep> {
        if depth > MAX_VALUE_DEPTH {
            return Err(TooDeep);
        }
        Ok(match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => number_value(n),
            serde_json::Value::String(s) => Value::str(s),
            serde_json::Value::Array(items) => Value::new_list(
                items
                    .iter()
                    .map(|item| Self::from_json_at(item, depth + 1, opaque))
                    .collect::<Result<_, _>>()?,
                true,
            ),
            serde_json::Value::Object(entries) => Value::new_map(
                entries
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), Self::from_json_at(v, depth + 1, opaque)?)))
                    .collect::<Result<_, TooDeep>>()?,
                opaque,
            ),
        })
    }

    /// Parses JSON text, keeping object keys in document order.
    pub fn parse_json(text: &str) -> Result<Self, serde_json::Error> {
        let json: JsonValue = serde_json::from_str(text)?;
        Ok(json.0)
    }
}

fn number_value(n: &serde_json::Number) -> Value {
    match n.as_i64() {
        Some(i) => Value::Int(i),
        None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
    }
}

fn write_json_string(s: &str, out: &mut BoundedString) -> Result<(), TooLong> {
    match serde_json::to_string(s) {
        Ok(quoted) => out.push_str(&quoted),
        Err(_) => out.push_str("\"\""),
    }
}

/// Deserializes JSON into a [`Value`] directly (ordered keys; serde_json limits nesting to 128).
struct JsonValue(Value);

impl<'de> serde::Deserialize<'de> for JsonValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor).map(JsonValue)
    }
}

struct JsonVisitor;

impl<'de> serde::de::Visitor<'de> for JsonVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(i64::try_from(v).map_or(Value::Float(v as f64), Value::Int))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::str(v))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(JsonValue(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::new_list(items, true))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = IndexMap::new();
        while let Some((key, JsonValue(value))) = map.next_entry::<String, JsonValue>()? {
            entries.insert(key, value);
        }
        Ok(Value::map(entries))
    }
}

/// Dropping a deeply nested value must not recurse once per level: children of a container
/// about to be freed are moved onto a heap stack and freed from there.
fn drop_iteratively(mut stack: Vec<Value>) {
    while let Some(value) = stack.pop() {
        match value {
            Value::List(list) => {
                if let Ok(list) = Rc::try_unwrap(list) {
                    stack.extend(list.items.take());
                }
            }
            Value::Map(map) => {
                if let Ok(map) = Rc::try_unwrap(map) {
                    stack.extend(map.entries.take().into_values());
                }
            }
            Value::Entry(entry) => {
                if let Ok((_, value)) = Rc::try_unwrap(entry) {
                    stack.push(value);
                }
            }
            _ => {}
        }
    }
}

impl Drop for List {
    fn drop(&mut self) {
        drop_iteratively(self.items.take());
    }
}

impl Drop for Map {
    fn drop(&mut self) {
        drop_iteratively(self.entries.take().into_values().collect());
    }
}

/// A string that refuses to grow past a byte limit.
pub(crate) struct BoundedString {
    text: String,
    limit: usize,
}

impl BoundedString {
    pub fn new(limit: usize) -> Self {
        Self {
            text: String::new(),
            limit,
        }
    }

    pub fn push_str(&mut self, s: &str) -> Result<(), TooLong> {
        if self.text.len() + s.len() > self.limit {
            return Err(TooLong);
        }
        self.text.push_str(s);
        Ok(())
    }

    pub fn into_string(self) -> String {
        self.text
    }
}
