//! Integration-response selection: API Gateway matches each `selectionPattern`, a Java regex, against
//! the whole Lambda `errorMessage` (`Pattern.matches` semantics); a success, or an error no pattern
//! matches, gets the default response.
//!
//! Patterns run on fancy-regex (lookaround, backreferences, atomic groups, possessive quantifiers,
//! inline flags such as `(?s)`), anchored as `\A(?:pattern)\z` for the full match. Java features it
//! lacks or reads differently, and which the gateway therefore does not support: `\Q...\E` quoting,
//! `\p{javaLowerCase}`-style classes, class intersection `[a-z&&[^e]]`, the `\Z`/`\R`/`\h` escapes in
//! their Java meaning, and `.` excluding `\r`, `\u0085`, `\u2028`, `\u2029` (here `.` only excludes
//! `\n`; use `(?s)` to match every character, as the contract's patterns do).

use fancy_regex::Regex;

#[derive(Debug, thiserror::Error)]
#[error("selection pattern {pattern:?} is not a supported regex: {source}")]
pub struct PatternError {
    pattern: String,
    source: Box<fancy_regex::Error>,
}

/// A Java-style selection pattern, matched against the whole text.
#[derive(Debug, Clone)]
pub struct SelectionPattern {
    source: String,
    full_match: Regex,
}

impl SelectionPattern {
    pub fn new(pattern: &str) -> Result<Self, PatternError> {
        let full_match =
            Regex::new(&format!(r"\A(?:{pattern})\z")).map_err(|source| PatternError {
                pattern: pattern.to_owned(),
                source: Box::new(source),
            })?;
        Ok(Self {
            source: pattern.to_owned(),
            full_match,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the whole `text` matches. A match that exceeds fancy-regex's backtracking limit
    /// counts as no match (Java would throw StackOverflowError, failing the request the same way).
    pub fn matches_fully(&self, text: &str) -> bool {
        self.full_match.is_match(text).unwrap_or(false)
    }
}

/// What the Lambda invocation produced, as selection sees it.
#[derive(Debug, Clone, Copy)]
pub enum LambdaResult<'a> {
    Success,
    /// A function error and its `errorMessage` (absent counts as empty, as `.*` matches it).
    Error {
        error_message: Option<&'a str>,
    },
}

/// An ordered set of integration responses: the default one and those with a selection pattern.
#[derive(Debug, Clone)]
pub struct Selector<T> {
    default: Option<T>,
    patterned: Vec<(SelectionPattern, T)>,
}

impl<T> Selector<T> {
    pub fn new(default: Option<T>, patterned: Vec<(SelectionPattern, T)>) -> Self {
        Self { default, patterned }
    }

    /// The response for `result`: the first pattern (in document order) matching an error message,
    /// else the default. `None` means API Gateway's own 500 (no default response configured).
    pub fn select(&self, result: LambdaResult<'_>) -> Option<&T> {
        match result {
            LambdaResult::Success => self.default.as_ref(),
            LambdaResult::Error { error_message } => {
                let message = error_message.unwrap_or_default();
                self.patterned
                    .iter()
                    .find(|(pattern, _)| pattern.matches_fully(message))
                    .map(|(_, response)| response)
                    .or(self.default.as_ref())
            }
        }
    }

    /// Every pattern matching `error_message`; more than one means the patterns are not exclusive.
    pub fn matching_patterns(&self, error_message: &str) -> Vec<&str> {
        self.patterned
            .iter()
            .filter(|(pattern, _)| pattern.matches_fully(error_message))
            .map(|(pattern, _)| pattern.as_str())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_the_whole_text_only() {
        let pattern = SelectionPattern::new(r#"\{"Status":404,.*"#).unwrap();
        assert!(pattern.matches_fully(r#"{"Status":404,"ErrorReason":"no such staff"}"#));
        assert!(!pattern.matches_fully(r#"x{"Status":404,"ErrorReason":"no such staff"}"#));

        let seed_style = SelectionPattern::new(r#".*"Status": 400,.*"#).unwrap();
        assert!(seed_style.matches_fully(r#"{"Status": 400, "ErrorReason": "bad"}"#));
        assert!(!seed_style.matches_fully("{\"Status\": 400,\n\"ErrorReason\": \"bad\"}"));
    }

    #[test]
    fn an_alternation_is_anchored_as_a_whole() {
        let pattern = SelectionPattern::new("a|b").unwrap();
        assert!(pattern.matches_fully("a"));
        assert!(pattern.matches_fully("b"));
        assert!(!pattern.matches_fully("ab"));
    }

    #[test]
    fn dot_star_matches_empty_and_absent_messages() {
        let selector = Selector::new(
            Some("default"),
            vec![(SelectionPattern::new(".*").unwrap(), "any")],
        );
        assert_eq!(
            selector.select(LambdaResult::Error {
                error_message: None
            }),
            Some(&"any")
        );
        assert_eq!(
            selector.select(LambdaResult::Error {
                error_message: Some("")
            }),
            Some(&"any")
        );
        assert_eq!(selector.select(LambdaResult::Success), Some(&"default"));
    }

    #[test]
    fn an_unmatched_error_falls_back_to_the_default_like_aws() {
        let selector = Selector::new(
            Some(200),
            vec![(SelectionPattern::new(r"\{.*").unwrap(), 400)],
        );
        assert_eq!(
            selector.select(LambdaResult::Error {
                error_message: Some("Runtime exited")
            }),
            Some(&200)
        );
        let without_default: Selector<u16> = Selector::new(None, vec![]);
        assert_eq!(without_default.select(LambdaResult::Success), None);
    }

    #[test]
    fn java_lookahead_and_inline_flags_are_supported() {
        let pattern = SelectionPattern::new(r#"(?s)(?!\{"Status":(?:400|404),).*"#).unwrap();
        assert!(pattern.matches_fully("Task timed out\nafter 3.00 seconds"));
        assert!(pattern.matches_fully(r#"{"Status":500,"ErrorReason":"x"}"#));
        assert!(!pattern.matches_fully(r#"{"Status":404,"ErrorReason":"x"}"#));
    }

    #[test]
    fn an_invalid_pattern_is_reported_with_its_text() {
        let error = SelectionPattern::new("(unclosed").unwrap_err();
        assert!(error.to_string().contains("(unclosed"), "{error}");
    }
}
