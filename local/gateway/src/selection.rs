//! Integration-response selection, as API Gateway does it for a Lambda custom (non-proxy)
//! integration: each `selectionPattern`, a Java regex, is matched against the whole Lambda
//! `errorMessage` (`Pattern.matches` semantics). On a **successful** invocation that text is the
//! empty string and the patterns are still tried, so a pattern matching `""` (`.*`, `(?s).*`, a
//! lookahead followed by `.*`) captures every success. Only when no pattern matches is the default
//! response used, for an unmatched error too. Evidence: docs/aws-fidelity.md ("Selection").
//!
//! AWS documents no order in which the patterns are tried. Here they are tried in document order,
//! and a message that more than one pattern matches is reported on stderr, because the same API
//! could select differently on AWS.
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
    /// A function error and its `errorMessage` (absent counts as empty).
    Error {
        error_message: Option<&'a str>,
    },
}

impl<'a> LambdaResult<'a> {
    /// The text every selection pattern is matched against: `""` for a success, as on AWS.
    pub fn selection_text(self) -> &'a str {
        match self {
            LambdaResult::Success => "",
            LambdaResult::Error { error_message } => error_message.unwrap_or_default(),
        }
    }
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

    /// The response for `result`: the first pattern (in document order) matching its selection
    /// text, else the default. `None` means API Gateway's own 500 (no default response configured).
    pub fn select(&self, result: LambdaResult<'_>) -> Option<&T> {
        self.select_text(result.selection_text())
    }

    /// The response for a selection text: a Lambda `errorMessage` (see [`Selector::select`]), or
    /// the status code of a MOCK integration's answer, which is what API Gateway matches for
    /// integrations other than Lambda (API reference, IntegrationResponse.selectionPattern).
    pub fn select_text(&self, text: &str) -> Option<&T> {
        let mut matching = self
            .patterned
            .iter()
            .filter(|(pattern, _)| pattern.matches_fully(text));
        let Some((first, response)) = matching.next() else {
            return self.default.as_ref();
        };
        let others: Vec<&str> = matching.map(|(pattern, _)| pattern.as_str()).collect();
        if !others.is_empty() {
            eprintln!(
                "warning: selection patterns {:?} and {others:?} all match {text:?}; AWS documents \
                 no order, so this API may select differently there",
                first.as_str()
            );
        }
        Some(response)
    }

    /// Every pattern matching `text`; more than one means the patterns are not exclusive.
    pub fn matching_patterns(&self, text: &str) -> Vec<&str> {
        self.patterned
            .iter()
            .filter(|(pattern, _)| pattern.matches_fully(text))
            .map(|(pattern, _)| pattern.as_str())
            .collect()
    }

    /// The patterns that match the empty string, i.e. capture every successful invocation.
    pub fn patterns_capturing_success(&self) -> Vec<&str> {
        self.matching_patterns("")
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
    fn dot_star_captures_successes_as_on_aws() {
        // AWS matches a success's errorMessage as "": a `.*` (or `(\n|.)*`) catch-all turns every
        // success into its response. docs/aws-fidelity.md, "Selection".
        for catch_all in [".*", "(?s).*", "(\\n|.)*", r#"(?s)(?!\{"Status":404,).*"#] {
            let selector = Selector::new(
                Some("default"),
                vec![(SelectionPattern::new(catch_all).unwrap(), "catch-all")],
            );
            assert_eq!(
                selector.select(LambdaResult::Success),
                Some(&"catch-all"),
                "{catch_all}"
            );
            assert_eq!(selector.patterns_capturing_success(), [catch_all]);
            assert_eq!(
                selector.select(LambdaResult::Error {
                    error_message: None
                }),
                Some(&"catch-all"),
                "{catch_all}: an absent errorMessage is empty too"
            );
        }
    }

    #[test]
    fn a_success_reaches_the_default_when_no_pattern_matches_the_empty_string() {
        // The AWS-validated recording test_lambda_selection_patterns: default 200, `.+` -> 502,
        // `200` -> 504; a success answered 200, so neither `.+` nor the status text matched it.
        let selector = Selector::new(
            Some(200),
            vec![
                (SelectionPattern::new(".*four hundred.*").unwrap(), 405),
                (SelectionPattern::new(".+").unwrap(), 502),
                (SelectionPattern::new("200").unwrap(), 504),
            ],
        );
        assert_eq!(selector.select(LambdaResult::Success), Some(&200));
        assert!(selector.patterns_capturing_success().is_empty());
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
    fn the_first_matching_pattern_in_document_order_wins() {
        let selector = Selector::new(
            None,
            vec![
                (SelectionPattern::new("a.*").unwrap(), 1),
                (SelectionPattern::new(".*b").unwrap(), 2),
            ],
        );
        assert_eq!(
            selector.select(LambdaResult::Error {
                error_message: Some("ab")
            }),
            Some(&1)
        );
        assert_eq!(selector.matching_patterns("ab"), ["a.*", ".*b"]);
    }

    #[test]
    fn java_lookahead_and_inline_flags_are_supported() {
        let pattern = SelectionPattern::new(r#"(?s)(?!\{"Status":(?:400|404),).+"#).unwrap();
        assert!(pattern.matches_fully("Task timed out\nafter 3.00 seconds"));
        assert!(!pattern.matches_fully(""), "a success must not be captured");
        assert!(pattern.matches_fully(r#"{"Status":500,"ErrorReason":"x"}"#));
        assert!(!pattern.matches_fully(r#"{"Status":404,"ErrorReason":"x"}"#));
    }

    #[test]
    fn an_invalid_pattern_is_reported_with_its_text() {
        let error = SelectionPattern::new("(unclosed").unwrap_err();
        assert!(error.to_string().contains("(unclosed"), "{error}");
    }
}
