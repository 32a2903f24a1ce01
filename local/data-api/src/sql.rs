//! The Data APIs' `:name` placeholders, rewritten to PostgreSQL's `$n` without touching anything else.
//!
//! A small tokenizer walks the SQL so that a `:word` inside a string literal, a quoted identifier, a
//! dollar-quoted body or a comment is left alone, and `::` casts are never taken for placeholders.

/// SQL with `$n` placeholders, and the parameter name bound to each `$n` (index 0 is `$1`).
#[derive(Debug, PartialEq, Eq)]
pub struct Translated {
    pub sql: String,
    pub names: Vec<String>,
}

/// Rewrites `:name` to `$n` for each name in `known` (a name used twice gets the same `$n`).
/// Unknown `:word`s stay as written, so PostgreSQL reports them as the syntax errors they are.
pub fn translate(sql: &str, known: &dyn Fn(&str) -> bool) -> Translated {
    let chars: Vec<char> = sql.chars().collect();
    let mut out = String::with_capacity(sql.len());
    let mut names: Vec<String> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let skipped_to = match (c, next) {
            ('\'', _) => Some(skip_quoted(&chars, i, '\'', backslash_escapes(&chars, i))),
            ('"', _) => Some(skip_quoted(&chars, i, '"', false)),
            ('-', Some('-')) => Some(skip_line_comment(&chars, i)),
            ('/', Some('*')) => Some(skip_block_comment(&chars, i)),
            ('$', _) => skip_dollar_quoted(&chars, i),
            (':', Some(':')) => Some(i + 2),
            _ => None,
        };
        if let Some(end) = skipped_to {
            out.extend(&chars[i..end]);
            i = end;
            continue;
        }
        if c == ':' {
            let name_len = chars[i + 1..]
                .iter()
                .take_while(|ch| ch.is_ascii_alphanumeric() || **ch == '_')
                .count();
            let name: String = chars[i + 1..i + 1 + name_len].iter().collect();
            if name_len > 0 && known(&name) {
                let index = match names.iter().position(|n| *n == name) {
                    Some(found) => found,
                    None => {
                        names.push(name);
                        names.len() - 1
                    }
                };
                out.push('$');
                out.push_str(&(index + 1).to_string());
                i += 1 + name_len;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    Translated { sql: out, names }
}

/// The first keyword of the statement, lowercased, after leading whitespace, comments and parentheses.
pub fn leading_keyword(sql: &str) -> String {
    let chars: Vec<char> = sql.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match (chars[i], chars.get(i + 1).copied()) {
            ('-', Some('-')) => i = skip_line_comment(&chars, i),
            ('/', Some('*')) => i = skip_block_comment(&chars, i),
            (c, _) if c.is_whitespace() || c == '(' => i += 1,
            _ => break,
        }
    }
    chars[i..]
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// `E'...'` strings treat a backslash as an escape character.
fn backslash_escapes(chars: &[char], quote: usize) -> bool {
    quote > 0
        && matches!(chars[quote - 1], 'e' | 'E')
        && (quote < 2 || !(chars[quote - 2].is_ascii_alphanumeric() || chars[quote - 2] == '_'))
}

/// Index just past the closing quote; a doubled quote is an escaped quote.
fn skip_quoted(chars: &[char], start: usize, quote: char, backslash: bool) -> usize {
    let mut i = start + 1;
    while i < chars.len() {
        if backslash && chars[i] == '\\' {
            i += 2;
            continue;
        }
        if chars[i] == quote {
            if chars.get(i + 1) == Some(&quote) {
                i += 2;
                continue;
            }
            return i + 1;
        }
        i += 1;
    }
    chars.len()
}

fn skip_line_comment(chars: &[char], start: usize) -> usize {
    chars[start..]
        .iter()
        .position(|c| *c == '\n')
        .map_or(chars.len(), |p| start + p + 1)
}

/// PostgreSQL block comments nest.
fn skip_block_comment(chars: &[char], start: usize) -> usize {
    let mut depth = 0;
    let mut i = start;
    while i + 1 < chars.len() {
        match (chars[i], chars[i + 1]) {
            ('/', '*') => {
                depth += 1;
                i += 2;
            }
            ('*', '/') => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    chars.len()
}

/// `$tag$ ... $tag$`; `None` when the `$` does not open one (e.g. `$1`).
fn skip_dollar_quoted(chars: &[char], start: usize) -> Option<usize> {
    let tag_len = chars[start + 1..]
        .iter()
        .take_while(|c| c.is_alphanumeric() || **c == '_')
        .count();
    let close = start + 1 + tag_len;
    let tag_starts_with_digit = chars.get(start + 1).is_some_and(|c| c.is_ascii_digit());
    if chars.get(close) != Some(&'$') || tag_starts_with_digit {
        return None;
    }
    let tag = &chars[start..=close];
    let body = close + 1;
    (body..chars.len())
        .find(|&i| chars[i..].starts_with(tag))
        .map(|end| end + tag.len())
        .or(Some(chars.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any(_: &str) -> bool {
        true
    }

    #[test]
    fn rewrites_placeholders_and_reuses_numbers() {
        let t = translate(
            "SELECT * FROM staff WHERE id = :id OR name = :name OR id = :id",
            &any,
        );
        assert_eq!(
            t.sql,
            "SELECT * FROM staff WHERE id = $1 OR name = $2 OR id = $1"
        );
        assert_eq!(t.names, vec!["id", "name"]);
    }

    #[test]
    fn leaves_literals_identifiers_comments_and_casts_alone() {
        let sql = "SELECT ':a', E'\\':b', \":c\", $$ :d $$, $x$ :e $x$ -- :f\n/* :g /* :h */ */ x::text, :i";
        let t = translate(sql, &any);
        assert_eq!(
            t.sql,
            "SELECT ':a', E'\\':b', \":c\", $$ :d $$, $x$ :e $x$ -- :f\n/* :g /* :h */ */ x::text, $1"
        );
        assert_eq!(t.names, vec!["i"]);
    }

    #[test]
    fn doubled_quotes_stay_inside_the_literal() {
        let t = translate("SELECT 'it''s :not', :yes", &any);
        assert_eq!(t.sql, "SELECT 'it''s :not', $1");
    }

    #[test]
    fn unknown_names_are_left_for_postgres_to_reject() {
        let t = translate("SELECT :known, :other", &|n| n == "known");
        assert_eq!(t.sql, "SELECT $1, :other");
        assert_eq!(t.names, vec!["known"]);
    }

    #[test]
    fn positional_dollar_parameters_are_not_dollar_quotes() {
        let t = translate("SELECT $1, :a", &any);
        assert_eq!(t.sql, "SELECT $1, $1");
    }

    #[test]
    fn leading_keyword_skips_comments_and_parentheses() {
        assert_eq!(leading_keyword("  -- hi\n /* x */ (SELECT 1)"), "select");
        assert_eq!(leading_keyword("insert into t values (1)"), "insert");
    }
}
