//! JSONPath for `$input.path` and `$input.json`, evaluated by the `serde_json_path` crate
//! (RFC 9535), with the Jayway JsonPath conventions API Gateway's templates use on top:
//! - a path without a leading `$` means `$.path` (Jayway; the seed's `$input.json('name')`);
//! - a dotted name with characters RFC 9535 does not allow there (`$.first-name`) is read as
//!   `$['first-name']`, as Jayway reads it;
//! - a trailing `.length()` (Jayway's function) is the size of what the path selects;
//! - a definite path (names and indexes only) gives the value or nothing; any other (`..`, `*`,
//!   filters `[?(@.p > 10)]`, slices `[0:1]`, unions `[0,1]`) gives the list of matches, as
//!   Jayway's definite/indefinite rule. Inferred, not documented by AWS: AWS names "JSONPath"
//!   without a dialect; these are the Jayway rules.
//!
//! Matches are looked up in the caller's own document by their location, so objects keep their
//! key order. Order of matches across an object's members follows `serde_json`'s map (sorted
//! keys), not the document (a known difference from Jayway; inferred to matter rarely).

use serde_json_path::{JsonPath, PathElement};

use crate::value::Value;

/// A parsed request body, in both forms: ours (ordered, for results) and `serde_json`'s (queried).
pub(crate) struct Document {
    pub value: Value,
    json: serde_json::Value,
}

impl Document {
    pub fn parse(text: &str) -> Result<Self, serde_json::Error> {
        Ok(Self {
            value: Value::parse_json(text)?,
            json: serde_json::from_str(text)?,
        })
    }
}

/// The result of applying `path`: nothing, one value, or (indefinite paths) a list of values.
pub(crate) fn select(document: &Document, path: &str) -> Result<Option<Value>, String> {
    let parsed = Path::parse(path)?;
    let matches: Vec<Value> = parsed
        .query
        .query_located(&document.json)
        .locations()
        .filter_map(|location| lookup(&document.value, location.iter()))
        .collect();
    let result = if parsed.definite {
        matches.into_iter().next()
    } else {
        Some(Value::json_list(matches))
    };
    if !parsed.length {
        return Ok(result);
    }
    Ok(result.and_then(|value| {
        let size = match &value {
            Value::List(list) => list.items.borrow().len(),
            Value::Map(map) => map.entries.borrow().len(),
            Value::Str(s) => crate::java::utf16_len(s),
            _ => return None,
        };
        Some(Value::Int(size as i64))
    }))
}

fn lookup<'a>(root: &Value, location: impl Iterator<Item = &'a PathElement<'a>>) -> Option<Value> {
    let mut value = root.clone();
    for element in location {
        value = match (&value, element) {
            (Value::Map(map), PathElement::Name(name)) => map.entries.borrow().get(*name)?.clone(),
            (Value::List(list), PathElement::Index(i)) => list.items.borrow().get(*i)?.clone(),
            _ => return None,
        };
    }
    Some(value)
}

struct Path {
    query: JsonPath,
    definite: bool,
    length: bool,
}

impl Path {
    fn parse(path: &str) -> Result<Self, String> {
        let trimmed = path.trim();
        let (body, length) = match trimmed.strip_suffix(".length()") {
            Some(body) => (body, true),
            None => (trimmed, false),
        };
        let normalized = normalize(body);
        let query = JsonPath::parse(&normalized)
            .map_err(|e| format!("invalid JSONPath expression {path}: {}", e.message()))?;
        Ok(Self {
            definite: is_definite(&normalized),
            query,
            length,
        })
    }
}

/// Jayway's spelling to RFC 9535's: a leading `$` added, odd dotted names bracketed.
fn normalize(path: &str) -> String {
    let path = if path.starts_with('$') {
        path.to_string()
    } else {
        format!("$.{path}")
    };
    let mut out = String::with_capacity(path.len() + 8);
    let mut rest = path.as_str();
    while let Some(c) = rest.chars().next() {
        match c {
            '[' => {
                let end = bracket_end(rest).unwrap_or(rest.len());
                out.push_str(&rest[..end]);
                rest = &rest[end..];
            }
            '.' => {
                let dots = if rest.starts_with("..") { 2 } else { 1 };
                let after = &rest[dots..];
                let end = after.find(['.', '[']).unwrap_or(after.len());
                let name = &after[..end];
                out.push_str(&rest[..dots]);
                if name.is_empty() || name == "*" || is_shorthand(name) {
                    out.push_str(name);
                } else {
                    if dots == 1 {
                        out.pop();
                    }
                    out.push_str("['");
                    out.push_str(&name.replace('\\', "\\\\").replace('\'', "\\'"));
                    out.push_str("']");
                }
                rest = &after[end..];
            }
            _ => {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    out
}

/// RFC 9535 member-name shorthand: `[A-Za-z_\u0080-]` then also digits.
fn is_shorthand(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || !c.is_ascii())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii())
}

/// Length of the bracket at the start of `s`, up to and including its `]`, skipping quoted text
/// and nested brackets (filters).
fn bracket_end(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in unquoted(s) {
        match c {
            '[' => depth += 1,
            ']' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Jayway's rule: a path is definite when it has no deep scan, wildcard, filter, slice or union.
fn is_definite(path: &str) -> bool {
    if path.contains("..") {
        return false;
    }
    let mut rest = path;
    while let Some(c) = rest.chars().next() {
        let len = if c == '[' {
            bracket_end(rest).unwrap_or(rest.len())
        } else {
            c.len_utf8()
        };
        if unquoted(&rest[..len]).any(|(_, c)| matches!(c, '*' | ',' | ':' | '?')) {
            return false;
        }
        rest = &rest[len..];
    }
    true
}

/// The characters of `s` (with their byte offsets) outside quoted names; quotes themselves and
/// `\`-escapes inside quotes are skipped.
fn unquoted(s: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    s.char_indices().filter(move |&(_, c)| match quote {
        Some(q) => {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            false
        }
        None if c == '\'' || c == '"' => {
            quote = Some(c);
            false
        }
        None => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc() -> Document {
        Document::parse(
            r#"{"a":{"b":[10,20,{"c":"x"}]},"k y":true,"first-name":"Ann",
                "items":[{"p":5,"id":"a"},{"p":15,"id":"b"},{"p":25,"id":"c"}]}"#,
        )
        .unwrap()
    }

    fn json(path: &str) -> Option<String> {
        select(&doc(), path).unwrap().map(|v| {
            let mut out = crate::value::BoundedString::new(10_000);
            v.write_json(&mut out).unwrap();
            out.into_string()
        })
    }

    #[test]
    fn selects_keys_indexes_and_wildcards() {
        assert_eq!(json("$.a.b[1]").unwrap(), "20");
        assert_eq!(json("$.a.b[-1].c").unwrap(), r#""x""#);
        assert_eq!(json("$['k y']").unwrap(), "true");
        assert_eq!(json("$[\"a\"]['b'][0]").unwrap(), "10");
        assert_eq!(json("$.a.b[*]").unwrap(), r#"[10,20,{"c":"x"}]"#);
        assert_eq!(json("a.b[0]").unwrap(), "10");
        assert_eq!(json("$.first-name").unwrap(), r#""Ann""#);
    }

    #[test]
    fn the_whole_document_keeps_its_key_order() {
        assert!(
            json("$")
                .unwrap()
                .starts_with(r#"{"a":{"b":[10,20,{"c":"x"}]},"k y":true"#)
        );
    }

    #[test]
    fn deep_scan_filters_slices_and_unions_as_jayway() {
        assert_eq!(json("$..c").unwrap(), r#"["x"]"#);
        assert_eq!(json("$.items[?(@.p > 10)].id").unwrap(), r#"["b","c"]"#);
        assert_eq!(json("$.items[0:1].id").unwrap(), r#"["a"]"#);
        assert_eq!(json("$.items[0,2].id").unwrap(), r#"["a","c"]"#);
        assert_eq!(
            json("$.items[?(@.id == 'b')]").unwrap(),
            r#"[{"p":15,"id":"b"}]"#
        );
    }

    #[test]
    fn length_is_the_size_of_the_selection() {
        assert_eq!(json("$.items.length()").unwrap(), "3");
        assert_eq!(json("$.items[?(@.p > 10)].length()").unwrap(), "2");
        assert_eq!(json("$.nope.length()"), None);
    }

    #[test]
    fn missing_paths_select_nothing() {
        assert_eq!(json("$.nope"), None);
        assert_eq!(json("$.a.b[7]"), None);
        assert_eq!(json("$.a.b[*].c").unwrap(), r#"["x"]"#);
        assert_eq!(json("$.nope[*]").unwrap(), "[]");
    }

    #[test]
    fn malformed_paths_are_errors() {
        assert!(select(&doc(), "$[").is_err());
        assert!(select(&doc(), "$.a[?(@.b >)]").is_err());
    }
}
