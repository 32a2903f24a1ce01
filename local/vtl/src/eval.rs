//! The renderer: walks the syntax tree with Velocity 1.7's evaluation rules.
//!
//! - One flat variable scope per render, as Velocity's context; `#foreach` restores its loop
//!   variable, `$foreach`, `$velocityCount` and `$velocityHasNext` afterwards.
//! - `#set` with a null right-hand side leaves the target unchanged (1.7 default
//!   `directive.set.null.allowed = false`). `#set($a.key = v)` and `#set($a[k] = v)` store into
//!   the map or list itself (`put` / `set`), seen by every reference to it.
//! - `#foreach` over a map iterates its values; over anything not a list or map does nothing.
//! - `==` compares numbers numerically, same types with `equals`, other types by `toString()`;
//!   `<`/`>` on non-numbers are false; arithmetic on non-numbers, and division by zero, is null;
//!   `+` concatenates when either side is a string (a null side contributes its source text).
//! - Integer arithmetic is 64-bit; where Java would widen to `BigInteger` this reports an error.

use std::collections::HashMap;
use std::rc::Rc;

use indexmap::IndexMap;

use crate::ast::{BinaryOp, Expr, ExprKind, Node, Reference, Segment};
use crate::error::{ErrorKind, Pos, VtlError};
use crate::limits::Limits;
use crate::methods;
use crate::value::{
    BoundedString, Budget, CallError, Exhausted, HostObject, TooLong, Value, WriteError,
};

type Result<T> = std::result::Result<T, VtlError>;

/// What a null reference renders as when it is not quiet (`$!a` always renders nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NullRendering {
    /// Velocity's default: the reference's source text, e.g. `$a.b`.
    #[default]
    SourceText,
    /// Nothing, as if every reference were quiet.
    Empty,
}

enum Flow {
    Continue,
    /// Stop loops up to the one whose scope id is given (`None`: the innermost).
    Break(Option<u64>),
}

pub(crate) struct Renderer<'l> {
    vars: HashMap<String, Value>,
    out: BoundedString,
    budget: Budget,
    limits: &'l Limits,
    nulls: NullRendering,
    /// Position of the construct being evaluated, for errors raised between positioned nodes.
    at: Pos,
    /// How many interpolated strings are being rendered (then `out` is the string's buffer).
    string_depth: usize,
    /// API Gateway's rule: a null reference `==` the empty string.
    null_equals_empty_string: bool,
    /// Identifies each `#foreach` pass's `$foreach`, for `#break($foreach.parent)`.
    next_scope_id: u64,
}

fn limit(pos: Pos, message: impl Into<String>) -> VtlError {
    VtlError::new(pos, ErrorKind::Limit, message)
}

impl<'l> Renderer<'l> {
    pub fn new(vars: HashMap<String, Value>, limits: &'l Limits, nulls: NullRendering) -> Self {
        Self {
            vars,
            out: BoundedString::new(limits.max_output_bytes),
            budget: Budget::new(limits.max_steps, limits.max_string_bytes),
            limits,
            nulls,
            at: Pos { line: 1, column: 1 },
            string_depth: 0,
            null_equals_empty_string: false,
            next_scope_id: 0,
        }
    }

    /// Makes a null reference compare equal to `""`, as API Gateway does (AWS-validated
    /// recording `test_input_path_template_formatting`: for a missing path, `$result == ""`
    /// and `$result == $null` are both true). Velocity 1.7 says false.
    pub fn null_equals_empty_string(mut self) -> Self {
        self.null_equals_empty_string = true;
        self
    }

    pub fn render(mut self, nodes: &[Node]) -> Result<String> {
        // A #break outside any #foreach stops the template, as in Velocity 1.7.
        self.nodes(nodes)?;
        Ok(self.out.into_string())
    }

    fn spend(&self, steps: u64, pos: Pos) -> Result<()> {
        self.budget
            .spend(steps)
            .map_err(|Exhausted| budget_exhausted(pos, self.limits.max_steps))
    }

    fn write(&mut self, text: &str) -> Result<()> {
        self.out
            .push_str(text)
            .map_err(|TooLong| self.output_too_long())
    }

    fn output_too_long(&self) -> VtlError {
        if self.string_depth > 0 {
            string_too_long(self.at, self.limits.max_string_bytes)
        } else {
            limit(
                self.at,
                format!("output exceeds {} bytes", self.limits.max_output_bytes),
            )
        }
    }

    fn nodes(&mut self, nodes: &[Node]) -> Result<Flow> {
        for node in nodes {
            if let Flow::Break(scope) = self.node(node)? {
                return Ok(Flow::Break(scope));
            }
        }
        Ok(Flow::Continue)
    }

    fn node(&mut self, node: &Node) -> Result<Flow> {
        self.spend(1, self.at)?;
        match node {
            Node::Text(text) => self.write(text)?,
            Node::Reference {
                reference,
                backslashes,
            } => self.render_reference(reference, *backslashes)?,
            Node::Set { target, value } => {
                self.at = target.pos;
                let value = self.eval(value)?;
                self.assign(target, value)?;
            }
            Node::If {
                branches,
                otherwise,
            } => {
                for (condition, body) in branches {
                    if self.eval(condition)?.is_truthy() {
                        return self.nodes(body);
                    }
                }
                if let Some(body) = otherwise {
                    return self.nodes(body);
                }
            }
            Node::Foreach {
                variable,
                iterable,
                body,
                pos,
            } => {
                self.at = *pos;
                if let Some(flow) = self.foreach(variable, iterable, body, *pos)? {
                    return Ok(flow);
                }
            }
            Node::Break(None) => return Ok(Flow::Break(None)),
            Node::Break(Some(scope)) => {
                // Velocity 1.7 throws unless the argument is a scope (BreakDirectiveTestCase).
                let id = match self.eval(scope)? {
                    Value::Object(object) => object.scope().map(|(id, _)| id),
                    _ => None,
                };
                let Some(id) = id else {
                    return Err(VtlError::new(
                        scope.pos,
                        ErrorKind::Runtime,
                        "#break takes a scope such as $foreach or $foreach.parent",
                    ));
                };
                return Ok(Flow::Break(Some(id)));
            }
        }
        Ok(Flow::Continue)
    }

    fn render_reference(&mut self, reference: &Reference, backslashes: usize) -> Result<()> {
        self.at = reference.pos;
        let value = self.eval_reference(reference)?;
        if value.is_null() {
            if backslashes > 0 {
                self.write(&"\\".repeat(backslashes))?;
                return self.write(&reference.source);
            }
            if reference.quiet || self.nulls == NullRendering::Empty {
                return Ok(());
            }
            return self.write(&reference.source);
        }
        self.write(&"\\".repeat(backslashes / 2))?;
        if backslashes % 2 == 1 {
            return self.write(&reference.source);
        }
        value
            .write_java(&mut self.out)
            .map_err(|e| self.write_error(e))
    }

    fn write_error(&self, error: WriteError) -> VtlError {
        match error {
            WriteError::TooLong => self.output_too_long(),
            WriteError::TooDeep => too_deep(self.at),
        }
    }

    /// `#set($a = v)`, `#set($a.b.key = v)`, `#set($a.b[k] = v)`: the last segment is stored
    /// into the value the others lead to. A null `v`, or a path through null, changes nothing.
    fn assign(&mut self, target: &Reference, value: Value) -> Result<()> {
        if value.is_null() {
            return Ok(());
        }
        let Some((last, path)) = target.segments.split_last() else {
            self.vars.insert(target.root.clone(), value);
            return Ok(());
        };
        let receiver = self.follow(target, path)?;
        if receiver.is_null() {
            return Ok(());
        }
        let key = match last {
            Segment::Property(name) => Value::str(name),
            Segment::Index(index) => self.eval(index)?,
            // `#set($a.b() = v)` does not parse in Velocity; nothing to store into.
            Segment::Method { .. } => return Ok(()),
        };
        methods::store(&receiver, &key, value, &self.budget).map_err(|e| call_error(target.pos, e))
    }

    /// Runs a loop; returns the break to pass on when `#break` named an outer loop.
    fn foreach(
        &mut self,
        variable: &str,
        iterable: &Expr,
        body: &[Node],
        pos: Pos,
    ) -> Result<Option<Flow>> {
        let items: Vec<Value> = match self.eval(iterable)? {
            Value::List(list) => list.items.borrow().clone(),
            Value::Map(map) => map.entries.borrow().values().cloned().collect(),
            _ => return Ok(None),
        };
        if items.len() > self.limits.max_loop_iterations {
            return Err(limit(
                pos,
                format!(
                    "#foreach over {} items exceeds the limit of {}",
                    items.len(),
                    self.limits.max_loop_iterations
                ),
            ));
        }
        let saved: Vec<(&str, Option<Value>)> =
            [variable, "foreach", "velocityCount", "velocityHasNext"]
                .into_iter()
                .map(|name| (name, self.vars.get(name).cloned()))
                .collect();
        // `$foreach.parent` is the enclosing loop's scope; `replaced` the value `$foreach` had
        // before the outermost loop (Velocity 1.7 ScopeTestCase.testForeachReplaced).
        let previous = saved[1].1.clone();
        let (parent, depth, replaced) = match &previous {
            Some(Value::Object(object)) => match object.scope() {
                Some((_, depth)) => {
                    let replaced = object.call("getReplaced", &[], &self.budget).ok().flatten();
                    (
                        previous.clone(),
                        depth + 1,
                        replaced.filter(|v| !v.is_null()),
                    )
                }
                None => (None, 1, previous.clone()),
            },
            _ => (None, 1, previous.clone()),
        };
        let count = items.len();
        let id = self.next_scope_id;
        self.next_scope_id += 1;
        let mut result = Ok(None);
        for (index, item) in items.into_iter().enumerate() {
            if let Err(e) = self.spend(1, pos) {
                result = Err(e);
                break;
            }
            let scope = ForeachScope {
                id,
                depth,
                index,
                count,
                parent: parent.clone(),
                replaced: replaced.clone(),
            };
            self.set_var(variable, item);
            self.set_var("foreach", Value::Object(Rc::new(scope)));
            self.set_var("velocityCount", Value::Int(index as i64 + 1));
            self.set_var("velocityHasNext", Value::Bool(index + 1 < count));
            match self.nodes(body) {
                Ok(Flow::Continue) => {}
                Ok(Flow::Break(None)) => break,
                Ok(Flow::Break(Some(target))) if target == id => break,
                Ok(Flow::Break(outer)) => {
                    result = Ok(Some(Flow::Break(outer)));
                    break;
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        for (name, value) in saved {
            match value {
                Some(value) => self.vars.insert(name.to_string(), value),
                None => self.vars.remove(name),
            };
        }
        result
    }

    /// Sets a variable, reusing the existing key (loops set the same names on every pass).
    fn set_var(&mut self, name: &str, value: Value) {
        match self.vars.get_mut(name) {
            Some(slot) => *slot = value,
            None => {
                self.vars.insert(name.to_string(), value);
            }
        }
    }

    fn eval_reference(&mut self, reference: &Reference) -> Result<Value> {
        self.follow(reference, &reference.segments)
    }

    /// The value of `reference`'s root followed through `segments`.
    fn follow(&mut self, reference: &Reference, segments: &[Segment]) -> Result<Value> {
        let mut value = self
            .vars
            .get(&reference.root)
            .cloned()
            .unwrap_or(Value::Null);
        for segment in segments {
            if value.is_null() {
                return Ok(Value::Null);
            }
            self.spend(1, reference.pos)?;
            value = match segment {
                Segment::Property(name) => methods::property(&value, name, &self.budget)
                    .map_err(|e| call_error(reference.pos, e))?
                    .unwrap_or(Value::Null),
                Segment::Method { name, args, pos } => {
                    let args = args
                        .iter()
                        .map(|arg| self.eval(arg))
                        .collect::<Result<Vec<_>>>()?;
                    methods::call(&value, name, &args, &self.budget)
                        .map_err(|e| call_error(*pos, e))?
                        .unwrap_or(Value::Null)
                }
                Segment::Index(index) => {
                    let index = self.eval(index)?;
                    methods::index(&value, &index, &self.budget).unwrap_or(Value::Null)
                }
            };
        }
        Ok(value)
    }

    pub fn eval(&mut self, expr: &Expr) -> Result<Value> {
        self.spend(1, expr.pos)?;
        let pos = expr.pos;
        Ok(match &expr.kind {
            ExprKind::Int(i) => Value::Int(*i),
            ExprKind::Float(f) => Value::Float(*f),
            ExprKind::Bool(b) => Value::Bool(*b),
            ExprKind::Str(s) => Value::str(s),
            ExprKind::Interpolated(nodes) => Value::str(&self.render_to_string(nodes, pos)?),
            ExprKind::Reference(reference) => self.eval_reference(reference)?,
            ExprKind::List(items) => {
                let items = items
                    .iter()
                    .map(|item| self.eval(item))
                    .collect::<Result<Vec<_>>>()?;
                Value::list(items)
            }
            ExprKind::Map(entries) => {
                let mut map = IndexMap::with_capacity(entries.len());
                for (key, value) in entries {
                    let key = self.eval(key)?;
                    let key = self.java_string(&key, pos)?;
                    let value = self.eval(value)?;
                    map.insert(key, value);
                }
                Value::map(map)
            }
            ExprKind::Range(first, last) => {
                let (first, last) = (self.eval(first)?, self.eval(last)?);
                self.range(&first, &last, pos)?
            }
            ExprKind::Not(operand) => Value::Bool(!self.eval(operand)?.is_truthy()),
            ExprKind::Chain(first, rest) => self.chain(first, rest)?,
        })
    }

    /// Renders an interpolated string literal into its own bounded buffer.
    fn render_to_string(&mut self, nodes: &[Node], pos: Pos) -> Result<String> {
        let outer = std::mem::replace(
            &mut self.out,
            BoundedString::new(self.limits.max_string_bytes),
        );
        self.string_depth += 1;
        let result = self.nodes(nodes);
        self.string_depth -= 1;
        let inner = std::mem::replace(&mut self.out, outer);
        result?;
        let text = inner.into_string();
        self.spend(text.len() as u64 / 64, pos)?;
        Ok(text)
    }

    fn java_string(&self, value: &Value, pos: Pos) -> Result<String> {
        value
            .to_java_string(self.limits.max_string_bytes)
            .map_err(|e| match e {
                WriteError::TooLong => string_too_long(pos, self.limits.max_string_bytes),
                WriteError::TooDeep => too_deep(pos),
            })
    }

    fn range(&self, first: &Value, last: &Value, pos: Pos) -> Result<Value> {
        let (Value::Int(first), Value::Int(last)) = (first, last) else {
            return Ok(Value::Null);
        };
        let (first, last) = (*first, *last);
        let len = first.abs_diff(last).saturating_add(1);
        if len > self.limits.max_range_items as u64 {
            return Err(limit(
                pos,
                format!(
                    "range of {len} items exceeds the limit of {}",
                    self.limits.max_range_items
                ),
            ));
        }
        self.spend(len, pos)?;
        let items: Vec<Value> = if first <= last {
            (first..=last).map(Value::Int).collect()
        } else {
            (last..=first).rev().map(Value::Int).collect()
        };
        Ok(Value::list(items))
    }

    /// A flat operator chain, folded left to right (Velocity's operators are left-associative).
    fn chain(&mut self, first: &Expr, rest: &[(BinaryOp, Pos, Expr)]) -> Result<Value> {
        let mut value = self.eval(first)?;
        let mut left = Some(first);
        for (op, pos, right) in rest {
            value = self.binary(*op, *pos, value, left, right)?;
            left = None;
        }
        Ok(value)
    }

    /// `a op right`; `left` is `a`'s expression when it is the chain's first term (a null
    /// reference concatenates as its source text).
    fn binary(
        &mut self,
        op: BinaryOp,
        pos: Pos,
        a: Value,
        left: Option<&Expr>,
        right: &Expr,
    ) -> Result<Value> {
        match op {
            BinaryOp::Or => {
                return Ok(Value::Bool(a.is_truthy() || self.eval(right)?.is_truthy()));
            }
            BinaryOp::And => {
                return Ok(Value::Bool(a.is_truthy() && self.eval(right)?.is_truthy()));
            }
            _ => {}
        }
        let b = self.eval(right)?;
        Ok(match op {
            BinaryOp::Eq => Value::Bool(self.velocity_equals(&a, &b, pos)?),
            BinaryOp::Ne => Value::Bool(!self.velocity_equals(&a, &b, pos)?),
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                let Some(ordering) = numeric_compare(&a, &b) else {
                    return Ok(Value::Bool(false));
                };
                Value::Bool(match op {
                    BinaryOp::Lt => ordering.is_lt(),
                    BinaryOp::Le => ordering.is_le(),
                    BinaryOp::Gt => ordering.is_gt(),
                    _ => ordering.is_ge(),
                })
            }
            BinaryOp::Add if matches!(a, Value::Str(_)) || matches!(b, Value::Str(_)) => {
                let left_text = self.operand_text(&a, left, pos)?;
                let right_text = self.operand_text(&b, Some(right), pos)?;
                if left_text.len() + right_text.len() > self.limits.max_string_bytes {
                    return Err(string_too_long(pos, self.limits.max_string_bytes));
                }
                self.spend((left_text.len() + right_text.len()) as u64 / 64, pos)?;
                Value::Str(Rc::from(left_text + &right_text))
            }
            _ => arithmetic(op, &a, &b)
                .map_err(|message| VtlError::new(pos, ErrorKind::Runtime, message))?,
        })
    }

    /// A concatenation operand: its `toString()`, or its source text when null.
    fn operand_text(&self, value: &Value, expr: Option<&Expr>, pos: Pos) -> Result<String> {
        match (value, expr.map(|e| &e.kind)) {
            (Value::Null, Some(ExprKind::Reference(reference))) => Ok(reference.source.clone()),
            _ => self.java_string(value, pos),
        }
    }

    fn velocity_equals(&self, a: &Value, b: &Value, pos: Pos) -> Result<bool> {
        if let Some(ordering) = numeric_compare(a, b) {
            return Ok(ordering.is_eq());
        }
        match (a, b) {
            (Value::Null, Value::Null) => Ok(true),
            (Value::Null, Value::Str(s)) | (Value::Str(s), Value::Null) => {
                Ok(self.null_equals_empty_string && s.is_empty())
            }
            (Value::Null, _) | (_, Value::Null) => Ok(false),
            _ if std::mem::discriminant(a) == std::mem::discriminant(b) => {
                methods::java_equals(a, b, &self.budget).map_err(|e| call_error(pos, e))
            }
            _ => Ok(self.java_string(a, pos)? == self.java_string(b, pos)?),
        }
    }
}

/// `$foreach`: Velocity 1.7's `ForeachScope` (index, count, hasNext, first, last, parent,
/// topmost, replaced, info.depth / info.name).
#[derive(Clone)]
struct ForeachScope {
    id: u64,
    /// 1 for an outermost loop.
    depth: usize,
    index: usize,
    count: usize,
    parent: Option<Value>,
    replaced: Option<Value>,
}

impl HostObject for ForeachScope {
    fn name(&self) -> &'static str {
        "$foreach"
    }

    fn scope(&self) -> Option<(u64, usize)> {
        Some((self.id, self.depth))
    }

    fn call(
        &self,
        name: &str,
        args: &[Value],
        budget: &Budget,
    ) -> std::result::Result<Option<Value>, CallError> {
        if !args.is_empty() {
            return Ok(None);
        }
        Ok(match name {
            "getTopmost" => match &self.parent {
                Some(parent) => methods::call(parent, "getTopmost", &[], budget)?,
                None => Some(Value::Object(Rc::new(self.clone()))),
            },
            "getReplaced" => Some(self.replaced.clone().unwrap_or(Value::Null)),
            "getInfo" => {
                let mut info = IndexMap::new();
                info.insert("name".to_string(), Value::str("foreach"));
                info.insert("depth".to_string(), Value::Int(self.depth as i64));
                Some(Value::map(info))
            }
            "getIndex" => Some(Value::Int(self.index as i64)),
            "getCount" => Some(Value::Int(self.index as i64 + 1)),
            "hasNext" | "getHasNext" => Some(Value::Bool(self.index + 1 < self.count)),
            "isFirst" | "getFirst" => Some(Value::Bool(self.index == 0)),
            "isLast" | "getLast" => Some(Value::Bool(self.index + 1 == self.count)),
            "getParent" => Some(self.parent.clone().unwrap_or(Value::Null)),
            _ => None,
        })
    }
}

fn numeric_compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Int(x), Value::Float(y)) => (*x as f64).partial_cmp(y),
        (Value::Float(x), Value::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        _ => None,
    }
}

/// `- * / %` and numeric `+`; null when an operand is not a number or a divisor is zero.
fn arithmetic(op: BinaryOp, a: &Value, b: &Value) -> std::result::Result<Value, String> {
    let overflow = || "integer overflow".to_string();
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => {
            let (x, y) = (*x, *y);
            let result = match op {
                BinaryOp::Add => x.checked_add(y),
                BinaryOp::Sub => x.checked_sub(y),
                BinaryOp::Mul => x.checked_mul(y),
                BinaryOp::Div if y == 0 => return Ok(Value::Null),
                BinaryOp::Div => x.checked_div(y),
                BinaryOp::Mod if y == 0 => return Ok(Value::Null),
                BinaryOp::Mod => x.checked_rem(y),
                _ => return Ok(Value::Null),
            };
            result.map(Value::Int).ok_or_else(overflow)
        }
        (Value::Int(_) | Value::Float(_), Value::Int(_) | Value::Float(_)) => {
            let as_float = |v: &Value| match v {
                Value::Int(i) => *i as f64,
                Value::Float(f) => *f,
                _ => f64::NAN,
            };
            let (x, y) = (as_float(a), as_float(b));
            Ok(match op {
                BinaryOp::Add => Value::Float(x + y),
                BinaryOp::Sub => Value::Float(x - y),
                BinaryOp::Mul => Value::Float(x * y),
                BinaryOp::Div | BinaryOp::Mod if y == 0.0 => Value::Null,
                BinaryOp::Div => Value::Float(x / y),
                BinaryOp::Mod => Value::Float(x % y),
                _ => Value::Null,
            })
        }
        _ => Ok(Value::Null),
    }
}

fn call_error(pos: Pos, error: CallError) -> VtlError {
    VtlError::new(pos, error.kind, error.message)
}

fn too_deep(pos: Pos) -> VtlError {
    limit(pos, "value nests too deep")
}

fn string_too_long(pos: Pos, max: usize) -> VtlError {
    limit(pos, format!("string exceeds {max} bytes"))
}

fn budget_exhausted(pos: Pos, steps: u64) -> VtlError {
    limit(
        pos,
        format!("template exceeded its evaluation budget of {steps} steps"),
    )
}
