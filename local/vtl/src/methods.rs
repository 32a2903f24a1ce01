//! Java methods on built-in values (String, List, Map, Map.Entry, numbers), as Velocity's
//! introspection would find them. `Ok(None)` means "no such method": Velocity then yields null.
//! Lists and maps are shared and mutable as in Java, so the mutators templates use (`Map.put`,
//! `putAll`, `remove`, `List.add`, `set`, `remove`) change the value seen by every reference to it.

use std::rc::Rc;

use crate::java;
use crate::limits::MAX_VALUE_DEPTH;
use crate::value::{Budget, CallError, List, Map, Value};

type CallResult = Result<Option<Value>, CallError>;

pub(crate) fn call(receiver: &Value, name: &str, args: &[Value], budget: &Budget) -> CallResult {
    match (name, args) {
        ("toString", []) => {
            return Ok(Some(Value::str(
                &receiver.to_java_string(budget.max_string_bytes)?,
            )));
        }
        ("equals", [other]) => return Ok(Some(Value::Bool(java_equals(receiver, other, budget)?))),
        _ => {}
    }
    match receiver {
        Value::Str(s) => string_method(s, name, args, budget),
        Value::List(list) => list_method(receiver, list, name, args, budget),
        Value::Map(map) => map_method(receiver, map, name, args, budget),
        Value::Entry(entry) => Ok(match (name, args) {
            ("getKey", []) => Some(Value::Str(entry.0.clone())),
            ("getValue", []) => Some(entry.1.clone()),
            _ => None,
        }),
        Value::Int(i) => Ok(match (name, args) {
            ("intValue" | "longValue", []) => Some(Value::Int(*i)),
            ("doubleValue", []) => Some(Value::Float(*i as f64)),
            _ => None,
        }),
        Value::Float(f) => Ok(match (name, args) {
            ("intValue" | "longValue", []) => Some(Value::Int(*f as i64)),
            ("doubleValue", []) => Some(Value::Float(*f)),
            _ => None,
        }),
        Value::Bool(b) => Ok(match (name, args) {
            ("booleanValue", []) => Some(Value::Bool(*b)),
            _ => None,
        }),
        Value::Object(object) => object.call(name, args, budget),
        Value::Null => Ok(None),
    }
}

/// A property `$a.name`: a map key, else the getter `getName()` or `isName()`.
pub(crate) fn property(receiver: &Value, name: &str, budget: &Budget) -> CallResult {
    if let Value::Map(map) = receiver {
        return Ok(Some(
            map.entries
                .borrow()
                .get(name)
                .cloned()
                .unwrap_or(Value::Null),
        ));
    }
    let mut capitalized = String::with_capacity(name.len() + 3);
    let mut chars = name.chars();
    if let Some(first) = chars.next() {
        capitalized.extend(first.to_uppercase());
        capitalized.push_str(chars.as_str());
    }
    if let Some(value) = call(receiver, &format!("get{capitalized}"), &[], budget)? {
        return Ok(Some(value));
    }
    call(receiver, &format!("is{capitalized}"), &[], budget)
}

/// `$a[index]`: list position (negative counts from the end, as Velocity 1.7) or map key.
pub(crate) fn index(receiver: &Value, index: &Value, budget: &Budget) -> Option<Value> {
    match (receiver, index) {
        (Value::List(list), Value::Int(i)) => {
            let items = list.items.borrow();
            list_position(items.len(), *i).map(|p| items[p].clone())
        }
        (Value::Map(map), key) => {
            let key = key.to_java_string(budget.max_string_bytes).ok()?;
            Some(
                map.entries
                    .borrow()
                    .get(&key)
                    .cloned()
                    .unwrap_or(Value::Null),
            )
        }
        _ => None,
    }
}

/// A list index as Velocity 1.7 reads `$a[i]` (negative counts from the end), if in range.
pub(crate) fn list_position(len: usize, i: i64) -> Option<usize> {
    let position = if i < 0 { len as i64 + i } else { i };
    usize::try_from(position).ok().filter(|&p| p < len)
}

/// `#set($a[index] = value)` / `#set($a.key = value)`: `Map.put` or `List.set`, as Velocity.
/// A receiver that is neither (or a list index out of range, where Java throws) is an error.
pub(crate) fn store(
    receiver: &Value,
    key: &Value,
    value: Value,
    budget: &Budget,
) -> Result<(), CallError> {
    match receiver {
        Value::Map(_) => call(receiver, "put", &[key.clone(), value], budget).map(drop),
        // A negative index counts from the end, as when reading `$a[-1]` (inferred for writes).
        Value::List(list) => match key {
            Value::Int(i) => {
                let len = list.items.borrow().len() as i64;
                let i = if *i < 0 { len + i } else { *i };
                call(receiver, "set", &[Value::Int(i), value], budget).map(drop)
            }
            _ => Err(CallError::runtime("a list index must be an integer")),
        },
        _ => Ok(()),
    }
}

/// Refuses to store `value` inside `container` when that would make a cycle.
fn check_insert(container: &Value, value: &Value, budget: &Budget) -> Result<(), CallError> {
    if value.reaches(container, budget)? {
        return Err(CallError::runtime(
            "a list or map cannot be stored inside itself",
        ));
    }
    Ok(())
}

/// Java's `equals`: same type and same content (an `Integer` never equals a `Double`).
/// Each element visited costs a step, so comparing huge shared structures cannot hang.
pub(crate) fn java_equals(a: &Value, b: &Value, budget: &Budget) -> Result<bool, CallError> {
    equals_at(a, b, budget, 0)
}

fn equals_at(a: &Value, b: &Value, budget: &Budget, depth: usize) -> Result<bool, CallError> {
    budget.spend(1)?;
    if depth > MAX_VALUE_DEPTH {
        return Err(crate::value::TooDeep.into());
    }
    Ok(match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits(),
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            let (x, y) = (x.items.borrow(), y.items.borrow());
            if x.len() != y.len() {
                return Ok(false);
            }
            for (a, b) in x.iter().zip(y.iter()) {
                if !equals_at(a, b, budget, depth + 1)? {
                    return Ok(false);
                }
            }
            true
        }
        (Value::Map(x), Value::Map(y)) => {
            let (x, y) = (x.entries.borrow(), y.entries.borrow());
            if x.len() != y.len() {
                return Ok(false);
            }
            for (k, v) in x.iter() {
                match y.get(k) {
                    Some(w) if equals_at(v, w, budget, depth + 1)? => {}
                    _ => return Ok(false),
                }
            }
            true
        }
        (Value::Entry(x), Value::Entry(y)) => {
            x.0 == y.0 && equals_at(&x.1, &y.1, budget, depth + 1)?
        }
        (Value::Object(x), Value::Object(y)) => std::ptr::addr_eq(Rc::as_ptr(x), Rc::as_ptr(y)),
        _ => false,
    })
}

/// `Collection.contains` / `indexOf`: position of the first element equal to `x`.
fn position(items: &[Value], x: &Value, budget: &Budget) -> Result<Option<usize>, CallError> {
    for (i, item) in items.iter().enumerate() {
        if java_equals(item, x, budget)? {
            return Ok(Some(i));
        }
    }
    Ok(None)
}

fn string_arg(args: &[Value], i: usize) -> Option<&str> {
    args.get(i).and_then(Value::as_str)
}

fn bounded(s: String, budget: &Budget) -> Result<Option<Value>, CallError> {
    if s.len() > budget.max_string_bytes {
        return Err(crate::value::TooLong.into());
    }
    Ok(Some(Value::str(&s)))
}

fn out_of_range(index: i64, s: &str) -> CallError {
    CallError::runtime(format!(
        "String index out of range: {index} (length {})",
        java::utf16_len(s)
    ))
}

fn string_method(s: &str, name: &str, args: &[Value], budget: &Budget) -> CallResult {
    let int = |i: usize| args.get(i).and_then(Value::as_java_int);
    let text = |i: usize| string_arg(args, i);
    Ok(match (name, args.len()) {
        ("length", 0) => Some(Value::Int(java::utf16_len(s) as i64)),
        ("isEmpty", 0) => Some(Value::Bool(s.is_empty())),
        ("trim", 0) => Some(Value::str(s.trim_matches(|c: char| c <= ' '))),
        ("toLowerCase", 0) => return bounded(s.to_lowercase(), budget),
        ("toUpperCase", 0) => return bounded(s.to_uppercase(), budget),
        ("substring", 1) => {
            let Some(begin) = int(0) else { return Ok(None) };
            return substring(s, begin as i64, java::utf16_len(s) as i64);
        }
        ("substring", 2) => {
            let (Some(begin), Some(end)) = (int(0), int(1)) else {
                return Ok(None);
            };
            return substring(s, begin as i64, end as i64);
        }
        ("charAt", 1) => {
            let Some(i) = int(0) else { return Ok(None) };
            return substring(s, i as i64, i as i64 + 1);
        }
        ("indexOf", 1) => text(0).map(|t| Value::Int(index_of(s, t, 0))),
        ("indexOf", 2) => match (text(0), int(1)) {
            (Some(t), Some(from)) => Some(Value::Int(index_of(s, t, from.max(0) as usize))),
            _ => None,
        },
        ("lastIndexOf", 1) => text(0).map(|t| {
            Value::Int(
                s.rfind(t)
                    .map_or(-1, |offset| java::utf16_index(s, offset) as i64),
            )
        }),
        ("contains", 1) => text(0).map(|t| Value::Bool(s.contains(t))),
        ("startsWith", 1) => text(0).map(|t| Value::Bool(s.starts_with(t))),
        ("endsWith", 1) => text(0).map(|t| Value::Bool(s.ends_with(t))),
        ("equalsIgnoreCase", 1) => {
            text(0).map(|t| Value::Bool(s.to_lowercase() == t.to_lowercase()))
        }
        ("concat", 1) => match text(0) {
            Some(t) => return bounded(format!("{s}{t}"), budget),
            None => None,
        },
        ("replace", 2) => match (text(0), text(1)) {
            (Some(from), Some(to)) => return bounded(replace_literal(s, from, to), budget),
            _ => None,
        },
        ("replaceAll" | "replaceFirst", 2) => match (text(0), text(1)) {
            (Some(pattern), Some(to)) => {
                let regex = java::compile_regex(pattern).map_err(CallError::runtime)?;
                let to = java::replacement(to, &regex).map_err(CallError::runtime)?;
                let replaced = if name == "replaceAll" {
                    regex.replace_all(s, to.as_str())
                } else {
                    regex.replace(s, to.as_str())
                };
                return bounded(replaced.into_owned(), budget);
            }
            _ => None,
        },
        ("matches", 1) => match text(0) {
            Some(pattern) => Some(Value::Bool(
                java::full_match(pattern, s).map_err(CallError::runtime)?,
            )),
            None => None,
        },
        ("split", 1 | 2) => {
            let limit = if args.len() == 2 { int(1) } else { Some(0) };
            match (text(0), limit) {
                (Some(pattern), Some(limit)) => {
                    let regex = java::compile_regex(pattern).map_err(CallError::runtime)?;
                    let parts = java::split(s, &regex, limit);
                    Some(Value::list(parts.iter().map(|p| Value::str(p)).collect()))
                }
                _ => None,
            }
        }
        _ => None,
    })
}

/// Java's `String.replace(CharSequence, CharSequence)`: an empty target inserts between chars.
fn replace_literal(s: &str, from: &str, to: &str) -> String {
    if !from.is_empty() {
        return s.replace(from, to);
    }
    let mut out = String::with_capacity(s.len() + (s.len() + 1) * to.len());
    out.push_str(to);
    for c in s.chars() {
        out.push(c);
        out.push_str(to);
    }
    out
}

fn index_of(s: &str, needle: &str, from_utf16: usize) -> i64 {
    let from =
        java::byte_offset(s, from_utf16).unwrap_or(if from_utf16 == 0 { 0 } else { s.len() });
    match s.get(from..).and_then(|rest| rest.find(needle)) {
        Some(offset) => java::utf16_index(s, from + offset) as i64,
        None => -1,
    }
}

fn substring(s: &str, begin: i64, end: i64) -> CallResult {
    let len = java::utf16_len(s) as i64;
    if begin < 0 || end > len || begin > end {
        return Err(out_of_range(
            if begin < 0 || begin > end { begin } else { end },
            s,
        ));
    }
    let (Some(from), Some(to)) = (
        java::byte_offset(s, begin as usize),
        java::byte_offset(s, end as usize),
    ) else {
        return Err(CallError::runtime("substring splits a surrogate pair"));
    };
    Ok(Some(Value::str(&s[from..to])))
}

fn list_method(
    receiver: &Value,
    list: &List,
    name: &str,
    args: &[Value],
    budget: &Budget,
) -> CallResult {
    let out_of_bounds = |i: i64, len: usize| {
        CallError::runtime(format!("Index {i} out of bounds for length {len}"))
    };
    let len = list.items.borrow().len();
    // Java's List.get/set/remove(int)/add(int, x): 0 <= i < len (add: <= len), else it throws.
    let checked = |i: i64, max: usize| {
        usize::try_from(i)
            .ok()
            .filter(|&p| p < max)
            .ok_or_else(|| out_of_bounds(i, len))
    };
    Ok(match (name, args) {
        ("size", []) => Some(Value::Int(len as i64)),
        ("isEmpty", []) => Some(Value::Bool(len == 0)),
        ("contains", [x]) => Some(Value::Bool(
            position(&list.items.borrow(), x, budget)?.is_some(),
        )),
        ("indexOf", [x]) => Some(Value::Int(
            position(&list.items.borrow(), x, budget)?.map_or(-1, |p| p as i64),
        )),
        ("get", [Value::Int(i)]) => Some(list.items.borrow()[checked(*i, len)?].clone()),
        ("add", [x]) => {
            check_insert(receiver, x, budget)?;
            list.items.borrow_mut().push(x.clone());
            Some(Value::Bool(true))
        }
        ("add", [Value::Int(i), x]) => {
            let at = checked(*i, len + 1)?;
            check_insert(receiver, x, budget)?;
            list.items.borrow_mut().insert(at, x.clone());
            Some(Value::Null)
        }
        ("addAll", [Value::List(other)]) => {
            let items: Vec<Value> = other.items.borrow().clone();
            for item in &items {
                check_insert(receiver, item, budget)?;
            }
            list.items.borrow_mut().extend(items.iter().cloned());
            Some(Value::Bool(!items.is_empty()))
        }
        ("set", [Value::Int(i), x]) => {
            let at = checked(*i, len)?;
            check_insert(receiver, x, budget)?;
            Some(std::mem::replace(
                &mut list.items.borrow_mut()[at],
                x.clone(),
            ))
        }
        // Java picks remove(int) for an integer argument, remove(Object) otherwise.
        ("remove", [Value::Int(i)]) => Some(list.items.borrow_mut().remove(checked(*i, len)?)),
        ("remove", [x]) => {
            let found = position(&list.items.borrow(), x, budget)?;
            if let Some(at) = found {
                list.items.borrow_mut().remove(at);
            }
            Some(Value::Bool(found.is_some()))
        }
        ("clear", []) => {
            let removed = std::mem::take(&mut *list.items.borrow_mut());
            drop(removed);
            Some(Value::Null)
        }
        _ => None,
    })
}

fn map_method(
    receiver: &Value,
    map: &Map,
    name: &str,
    args: &[Value],
    budget: &Budget,
) -> CallResult {
    let key = |v: &Value| v.to_java_string(budget.max_string_bytes).ok();
    let len = map.entries.borrow().len();
    Ok(match (name, args) {
        ("get", [k]) => Some(
            key(k)
                .and_then(|k| map.entries.borrow().get(&k).cloned())
                .unwrap_or(Value::Null),
        ),
        ("containsKey", [k]) => Some(Value::Bool(
            key(k).is_some_and(|k| map.entries.borrow().contains_key(&k)),
        )),
        ("containsValue", [v]) => {
            let values: Vec<Value> = map.entries.borrow().values().cloned().collect();
            Some(Value::Bool(position(&values, v, budget)?.is_some()))
        }
        ("size", []) => Some(Value::Int(len as i64)),
        ("isEmpty", []) => Some(Value::Bool(len == 0)),
        ("keySet" | "values" | "entrySet", []) if budget.spend(len as u64).is_err() => {
            return Err(crate::value::Exhausted.into());
        }
        ("keySet", []) => Some(Value::list(
            map.entries.borrow().keys().map(|k| Value::str(k)).collect(),
        )),
        ("values", []) => Some(Value::list(
            map.entries.borrow().values().cloned().collect(),
        )),
        ("entrySet", []) => Some(Value::list(
            map.entries
                .borrow()
                .iter()
                .map(|(k, v)| Value::entry(k, v.clone()))
                .collect(),
        )),
        ("put", [k, v]) => {
            let Some(k) = key(k) else {
                return Err(crate::value::TooLong.into());
            };
            check_insert(receiver, v, budget)?;
            let previous = map.entries.borrow_mut().insert(k, v.clone());
            Some(previous.unwrap_or(Value::Null))
        }
        ("putAll", [Value::Map(other)]) => {
            let entries: Vec<(String, Value)> = other
                .entries
                .borrow()
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            for (_, v) in &entries {
                check_insert(receiver, v, budget)?;
            }
            map.entries.borrow_mut().extend(entries);
            Some(Value::Null)
        }
        // shift_remove keeps the order of the remaining entries (LinkedHashMap).
        ("remove", [k]) => Some(
            key(k)
                .and_then(|k| map.entries.borrow_mut().shift_remove(&k))
                .unwrap_or(Value::Null),
        ),
        ("clear", []) => {
            let removed = std::mem::take(&mut *map.entries.borrow_mut());
            drop(removed);
            Some(Value::Null)
        }
        _ => None,
    })
}
