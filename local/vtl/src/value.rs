//! Runtime values: what Java objects look like to a template, with Java's `toString` rendering.
//!
//! Lists and maps are immutable and shared (`Rc`), so copies are cheap; each caches its nesting
//! depth so that no value can nest deeper than [`MAX_VALUE_DEPTH`] (rendering, comparing and
//! dropping values recurse).

use std::cell::Cell;
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
    pub items: Vec<Value>,
    depth: usize,
    /// Parsed from JSON: API Gateway's JSON arrays render as compact JSON, not as `[a, b]`.
    from_json: bool,
}

pub(crate) struct Map {
    pub entries: IndexMap<String, Value>,
    depth: usize,
}

/// A value nested deeper than [`MAX_VALUE_DEPTH`] was about to be built.
#[derive(Debug)]
pub(crate) struct TooDeep;

/// The rendered text would exceed its size limit.
#[derive(Debug)]
pub(crate) struct TooLong;

/// An object provided by the host (API Gateway's `$input`, `$util`).
pub(crate) trait HostObject {
    /// Name used when the object itself is rendered.
    fn name(&self) -> &'static str;
    /// Calls `name(args)`; `Ok(None)` when there is no such method (Velocity then yields null).
    fn call(&self, name: &str, args: &[Value], budget: &Budget)
    -> Result<Option<Value>, CallError>;
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

impl Value {
    pub fn str(s: &str) -> Self {
        Value::Str(Rc::from(s))
    }

    pub fn list(items: Vec<Value>) -> Result<Self, TooDeep> {
        Self::new_list(items, false)
    }

    fn new_list(items: Vec<Value>, from_json: bool) -> Result<Self, TooDeep> {
        let depth = 1 + items.iter().map(Value::depth).max().unwrap_or(0);
        if depth > MAX_VALUE_DEPTH {
            return Err(TooDeep);
        }
        Ok(Value::List(Rc::new(List {
            items,
            depth,
            from_json,
        })))
    }

    pub fn map(entries: IndexMap<String, Value>) -> Result<Self, TooDeep> {
        let depth = 1 + entries.values().map(Value::depth).max().unwrap_or(0);
        if depth > MAX_VALUE_DEPTH {
            return Err(TooDeep);
        }
        Ok(Value::Map(Rc::new(Map { entries, depth })))
    }

    pub fn entry(key: &str, value: Value) -> Result<Self, TooDeep> {
        if value.depth() + 1 > MAX_VALUE_DEPTH {
            return Err(TooDeep);
        }
        Ok(Value::Entry(Rc::new((Rc::from(key), value))))
    }

    pub fn depth(&self) -> usize {
        match self {
            Value::List(list) => list.depth,
            Value::Map(map) => map.depth,
            Value::Entry(entry) => entry.1.depth() + 1,
            _ => 0,
        }
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
    pub fn to_java_string(&self, limit: usize) -> Result<String, TooLong> {
        if let Value::Str(s) = self {
            return if s.len() > limit {
                Err(TooLong)
            } else {
                Ok(s.to_string())
            };
        }
        let mut out = BoundedString::new(limit);
        self.write_java(&mut out)?;
        Ok(out.into_string())
    }

    /// Writes Java's `toString()` of this value (`[a, b]`, `{k=v}`, `1.0E10`...).
    pub fn write_java(&self, out: &mut BoundedString) -> Result<(), TooLong> {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::Float(f) => out.push_str(&java::double_to_string(*f)),
            Value::Str(s) => out.push_str(s),
            Value::List(list) if list.from_json => self.write_json(out),
            Value::List(list) => {
                out.push_str("[")?;
                for (i, item) in list.items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ")?;
                    }
                    item.write_java(out)?;
                }
                out.push_str("]")
            }
            Value::Map(map) => {
                out.push_str("{")?;
                for (i, (key, value)) in map.entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ")?;
                    }
                    out.push_str(key)?;
                    out.push_str("=")?;
                    value.write_java(out)?;
                }
                out.push_str("}")
            }
            Value::Entry(entry) => {
                out.push_str(&entry.0)?;
                out.push_str("=")?;
                entry.1.write_java(out)
            }
            Value::Object(object) => out.push_str(object.name()),
        }
    }

    /// Writes the value as compact JSON text.
    pub fn write_json(&self, out: &mut BoundedString) -> Result<(), TooLong> {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Int(i) => out.push_str(&i.to_string()),
            Value::Float(f) => match serde_json::Number::from_f64(*f) {
                Some(n) => out.push_str(&n.to_string()),
                None => out.push_str("null"),
            },
            Value::Str(s) => write_json_string(s, out),
            Value::List(list) => {
                out.push_str("[")?;
                for (i, item) in list.items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(",")?;
                    }
                    item.write_json(out)?;
                }
                out.push_str("]")
            }
            Value::Map(map) => {
                out.push_str("{")?;
                for (i, (key, value)) in map.entries.iter().enumerate() {
                    if i > 0 {
                        out.push_str(",")?;
                    }
                    write_json_string(key, out)?;
                    out.push_str(":")?;
                    value.write_json(out)?;
                }
                out.push_str("}")
            }
            Value::Entry(entry) => {
                out.push_str("{")?;
                write_json_string(&entry.0, out)?;
                out.push_str(":")?;
                entry.1.write_json(out)?;
                out.push_str("}")
            }
            Value::Object(object) => write_json_string(object.name(), out),
        }
    }

    /// Converts a `serde_json` value (the host's `$context`, test variables).
    pub fn from_json(json: &serde_json::Value) -> Result<Self, TooDeep> {
        Self::from_json_at(json, 0)
    }

    fn from_json_at(json: &serde_json::Value, depth: usize) -> Result<Self, TooDeep> {
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
                    .map(|item| Self::from_json_at(item, depth + 1))
                    .collect::<Result<_, _>>()?,
                true,
            )?,
            serde_json::Value::Object(entries) => Value::map(
                entries
                    .iter()
                    .map(|(k, v)| Ok((k.clone(), Self::from_json_at(v, depth + 1)?)))
                    .collect::<Result<_, TooDeep>>()?,
            )?,
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
        Value::new_list(items, true).map_err(|_| serde::de::Error::custom("JSON nests too deep"))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = IndexMap::new();
        while let Some((key, JsonValue(value))) = map.next_entry::<String, JsonValue>()? {
            entries.insert(key, value);
        }
        Value::map(entries).map_err(|_| serde::de::Error::custom("JSON nests too deep"))
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
