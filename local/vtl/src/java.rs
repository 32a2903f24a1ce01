//! Java library behaviour templates observe: `Double.toString`, UTF-16 string indices,
//! `java.util.regex` replacement strings, and commons-lang's `escapeJavaScript`.

use regex::Regex;

/// Java's `Double.toString`: decimal for 1e-3 <= |x| < 1e7, else `d.dddE±n`; always a fraction.
/// Digits are Rust's shortest round-trip digits (Java's pre-19 algorithm sometimes prints more).
pub(crate) fn double_to_string(x: f64) -> String {
    if x.is_nan() {
        return "NaN".to_string();
    }
    if x.is_infinite() {
        return if x > 0.0 { "Infinity" } else { "-Infinity" }.to_string();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    let magnitude = x.abs();
    if (1e-3..1e7).contains(&magnitude) {
        let plain = format!("{x}");
        return if plain.contains('.') {
            plain
        } else {
            format!("{plain}.0")
        };
    }
    let scientific = format!("{x:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let mantissa = if mantissa.contains('.') {
        mantissa.to_string()
    } else {
        format!("{mantissa}.0")
    };
    format!("{mantissa}E{exponent}")
}

/// Length in UTF-16 code units, as Java's `String.length()`.
pub(crate) fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// Byte offset of a UTF-16 index; `None` when out of range or inside a surrogate pair.
pub(crate) fn byte_offset(s: &str, utf16_index: usize) -> Option<usize> {
    let mut units = 0;
    for (offset, c) in s.char_indices() {
        if units == utf16_index {
            return Some(offset);
        }
        units += c.len_utf16();
        if units > utf16_index {
            return None;
        }
    }
    (units == utf16_index).then_some(s.len())
}

/// UTF-16 index of a byte offset (which must be a char boundary).
pub(crate) fn utf16_index(s: &str, byte_offset: usize) -> usize {
    s.get(..byte_offset).map_or(0, utf16_len)
}

/// Compiles a Java regex with the `regex` crate. Java features the crate lacks (look-around,
/// back-references, possessive quantifiers) fail to compile and are reported as errors.
pub(crate) fn compile_regex(pattern: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| match e {
            regex::Error::Syntax(_) => {
                "invalid or unsupported regular expression (Java look-around and back-references \
                 are not supported)"
                    .to_string()
            }
            _ => "regular expression too large".to_string(),
        })
}

/// `Pattern.matches`: the whole input must match.
pub(crate) fn full_match(pattern: &str, input: &str) -> Result<bool, String> {
    let anchored = compile_regex(&format!("^(?:{pattern})$"))?;
    Ok(anchored.is_match(input))
}

/// Translates a Java replacement string (`$1`, `${name}`, `\$`) into the `regex` crate's syntax.
pub(crate) fn replacement(java: &str, regex: &Regex) -> Result<String, String> {
    let mut out = String::with_capacity(java.len());
    let mut chars = java.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some('$') => out.push_str("$$"),
                Some(other) => out.push(other),
                None => return Err("character to be escaped is missing".to_string()),
            },
            '$' => match chars.peek().copied() {
                Some('{') => {
                    chars.next();
                    let name: String = chars.by_ref().take_while(|&c| c != '}').collect();
                    if regex.capture_names().flatten().all(|n| n != name) {
                        return Err(format!("no group with name {{{name}}}"));
                    }
                    out.push_str(&format!("${{{name}}}"));
                }
                Some(d) if d.is_ascii_digit() => {
                    // Java takes more digits while the group number stays valid.
                    let groups = regex.captures_len() - 1;
                    let mut number = 0usize;
                    let mut first = true;
                    while let Some(&d) = chars.peek() {
                        let Some(digit) = d.to_digit(10) else { break };
                        let candidate = number * 10 + digit as usize;
                        if !first && candidate > groups {
                            break;
                        }
                        number = candidate;
                        first = false;
                        chars.next();
                    }
                    if number > groups {
                        return Err(format!("no group {number}"));
                    }
                    out.push_str(&format!("${{{number}}}"));
                }
                _ => return Err("illegal group reference".to_string()),
            },
            other => out.push(other),
        }
    }
    Ok(out)
}

/// `String.split(regex)` with Java's rules: trailing empty strings are removed, and a zero-width
/// match at the start does not produce a leading empty string. `limit` as in `split(regex, n)`.
pub(crate) fn split(input: &str, regex: &Regex, limit: i32) -> Vec<String> {
    if input.is_empty() {
        return vec![String::new()];
    }
    let mut parts = Vec::new();
    let mut start = 0;
    for m in regex.find_iter(input) {
        if limit > 0 && parts.len() as i32 == limit - 1 {
            break;
        }
        if m.end() == 0 {
            continue;
        }
        parts.push(input[start..m.start()].to_string());
        start = m.end();
    }
    parts.push(input[start..].to_string());
    if limit == 0 {
        while parts.len() > 1 && parts.last().is_some_and(String::is_empty) {
            parts.pop();
        }
        if parts.len() == 1 && parts[0].is_empty() {
            parts.clear();
        }
    }
    parts
}

/// commons-lang `StringEscapeUtils.escapeJavaScript`, which API Gateway's `$util.escapeJavaScript`
/// uses: `"`, `\`, `/` and `'` are backslash-escaped (AWS documents the `\'`, which is not valid
/// JSON); `\b \t \n \f \r` use their short forms; other characters below 0x20 or above 0x7f
/// are `\uXXXX` (upper-case hex, per UTF-16 code unit).
pub(crate) fn escape_javascript(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '/' => out.push_str("\\/"),
            '\'' => out.push_str("\\'"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7f => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04X}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_render_as_java() {
        assert_eq!(double_to_string(1.0), "1.0");
        assert_eq!(double_to_string(-2.5), "-2.5");
        assert_eq!(double_to_string(1e7), "1.0E7");
        assert_eq!(double_to_string(1.5e-5), "1.5E-5");
        assert_eq!(double_to_string(0.001), "0.001");
        assert_eq!(double_to_string(123456.789), "123456.789");
        assert_eq!(double_to_string(f64::NAN), "NaN");
        assert_eq!(double_to_string(-0.0), "-0.0");
    }

    #[test]
    fn utf16_indices_count_surrogate_pairs_twice() {
        assert_eq!(utf16_len("a😀é"), 4);
        assert_eq!(byte_offset("a😀é", 3), Some(5));
        assert_eq!(byte_offset("a😀é", 2), None);
        assert_eq!(byte_offset("ab", 2), Some(2));
        assert_eq!(byte_offset("ab", 3), None);
        assert_eq!(utf16_index("a😀é", 5), 3);
    }

    #[test]
    fn java_replacements_translate() {
        let re = compile_regex("(a)(b)").unwrap();
        assert_eq!(replacement("$2$1\\$", &re).unwrap(), "${2}${1}$$");
        assert_eq!(replacement("$21", &re).unwrap(), "${2}1");
        assert!(replacement("$3", &re).is_err());
        assert!(replacement("$", &re).is_err());
    }

    #[test]
    fn split_follows_java() {
        let comma = compile_regex(",").unwrap();
        assert_eq!(split("a,b,,", &comma, 0), vec!["a", "b"]);
        assert_eq!(split(",a", &comma, 0), vec!["", "a"]);
        assert_eq!(split("a,b,c", &comma, 2), vec!["a", "b,c"]);
        assert_eq!(split("a,b,,", &comma, -1), vec!["a", "b", "", ""]);
        assert_eq!(split("", &comma, 0), vec![""]);
        assert!(split(",,", &comma, 0).is_empty());
        let empty = compile_regex("").unwrap();
        assert_eq!(split("abc", &empty, 0), vec!["a", "b", "c"]);
    }

    #[test]
    fn escape_javascript_matches_commons_lang() {
        assert_eq!(
            escape_javascript("He said \"it's\" a/b\\c\n\u{1}é😀\u{7f}"),
            "He said \\\"it\\'s\\\" a\\/b\\\\c\\n\\u0001\\u00E9\\uD83D\\uDE00\u{7f}"
        );
    }
}
