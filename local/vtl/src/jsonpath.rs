//! The JSONPath subset API Gateway templates use: `$`, `.key`, `['key']`, `[n]`, `[*]`, `.*`.
//! A path without a leading `$` is read as `$.path` (Jayway JsonPath does this; the seed's
//! `$input.json('name')` relies on it). Deep scan (`..`), filters and slices are not supported.

use crate::value::{TooDeep, Value};

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Index(i64),
    Wildcard,
}

/// The result of applying a path: nothing, one value, or (with wildcards) a list of values.
pub(crate) fn select(root: &Value, path: &str) -> Result<Option<Value>, String> {
    let steps = parse(path)?;
    let definite = !steps.contains(&Step::Wildcard);
    let mut current = vec![root.clone()];
    for step in &steps {
        let mut next = Vec::new();
        for value in &current {
            apply(value, step, &mut next);
        }
        current = next;
    }
    if definite {
        Ok(current.pop())
    } else {
        Value::list(current)
            .map(Some)
            .map_err(|TooDeep| "JSONPath result nests too deep".to_string())
    }
}

fn apply(value: &Value, step: &Step, out: &mut Vec<Value>) {
    match (value, step) {
        (Value::Map(map), Step::Key(key)) => out.extend(map.entries.get(key).cloned()),
        (Value::Map(map), Step::Wildcard) => out.extend(map.entries.values().cloned()),
        (Value::List(list), Step::Index(i)) => {
            let len = list.items.len() as i64;
            let position = if *i < 0 { len + i } else { *i };
            out.extend(
                usize::try_from(position)
                    .ok()
                    .and_then(|p| list.items.get(p))
                    .cloned(),
            );
        }
        (Value::List(list), Step::Wildcard) => out.extend(list.items.iter().cloned()),
        _ => {}
    }
}

fn parse(path: &str) -> Result<Vec<Step>, String> {
    let path = path.trim();
    let owned;
    let path = if path.starts_with('$') {
        path
    } else {
        owned = format!("$.{path}");
        &owned
    };
    let invalid = || format!("unsupported JSONPath expression: {path}");
    let mut steps = Vec::new();
    let mut rest = &path[1..];
    while !rest.is_empty() {
        if rest.starts_with("..") {
            return Err(invalid());
        }
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let key = &after[..end];
            match key {
                "" => return Err(invalid()),
                "*" => steps.push(Step::Wildcard),
                _ => steps.push(Step::Key(key.to_string())),
            }
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = bracket_end(after).ok_or_else(invalid)?;
            let inner = after[..end].trim();
            steps.push(bracket_step(inner).ok_or_else(invalid)?);
            rest = &after[end + 1..];
        } else {
            return Err(invalid());
        }
    }
    Ok(steps)
}

/// Index of the `]` closing a bracket whose content may be a quoted key.
fn bracket_end(s: &str) -> Option<usize> {
    let trimmed = s.trim_start();
    let offset = s.len() - trimmed.len();
    match trimmed.chars().next()? {
        quote @ ('\'' | '"') => {
            let close = trimmed[1..].find(quote)? + 1;
            let after = &trimmed[close + 1..];
            Some(offset + close + 1 + after.find(']')?)
        }
        _ => s.find(']'),
    }
}

fn bracket_step(inner: &str) -> Option<Step> {
    if inner == "*" {
        return Some(Step::Wildcard);
    }
    for quote in ['\'', '"'] {
        if let Some(key) = inner
            .strip_prefix(quote)
            .and_then(|s| s.strip_suffix(quote))
        {
            return Some(Step::Key(key.to_string()));
        }
    }
    inner.parse().ok().map(Step::Index)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Value {
        Value::parse_json(r#"{"a":{"b":[10,20,{"c":"x"}]},"k y":true}"#).unwrap()
    }

    fn json(path: &str) -> Option<String> {
        select(&doc(), path).unwrap().map(|v| {
            let mut out = crate::value::BoundedString::new(1000);
            v.write_json(&mut out).unwrap();
            out.into_string()
        })
    }

    #[test]
    fn selects_keys_indexes_and_wildcards() {
        assert_eq!(
            json("$").unwrap(),
            r#"{"a":{"b":[10,20,{"c":"x"}]},"k y":true}"#
        );
        assert_eq!(json("$.a.b[1]").unwrap(), "20");
        assert_eq!(json("$.a.b[-1].c").unwrap(), r#""x""#);
        assert_eq!(json("$['k y']").unwrap(), "true");
        assert_eq!(json("$[\"a\"]['b'][0]").unwrap(), "10");
        assert_eq!(json("$.a.b[*]").unwrap(), r#"[10,20,{"c":"x"}]"#);
        assert_eq!(json("$.*").unwrap(), r#"[{"b":[10,20,{"c":"x"}]},true]"#);
        assert_eq!(json("a.b[0]").unwrap(), "10");
    }

    #[test]
    fn missing_paths_select_nothing() {
        assert_eq!(json("$.nope"), None);
        assert_eq!(json("$.a.b[7]"), None);
        assert_eq!(json("$.a.b[*].c").unwrap(), r#"["x"]"#);
    }

    #[test]
    fn unsupported_syntax_is_an_error() {
        assert!(select(&doc(), "$..c").is_err());
        assert!(select(&doc(), "$.a[?(@.b)]").is_err());
        assert!(select(&doc(), "$[").is_err());
        assert!(select(&doc(), "$.").is_err());
    }
}
