//! SQL identifiers that come from requests (`target_table`, `schema`).
//!
//! Identifiers cannot be bound as parameters, so they are validated to plain names and always
//! double-quoted when placed in SQL.

use crate::error::InvalidInput;

/// Redshift's limit on identifier length.
pub const MAX_IDENTIFIER_BYTES: usize = 127;

/// A plain identifier: ASCII letters, digits and underscores, not starting with a digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identifier(String);

impl Identifier {
    /// Validates `value`; `field` names the request field in the 400 reason.
    pub fn parse(field: &str, value: &str) -> Result<Self, InvalidInput> {
        let mut chars = value.chars();
        let starts_well = chars
            .next()
            .is_some_and(|first| first.is_ascii_alphabetic() || first == '_');
        let rest_is_plain = chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
        if starts_well && rest_is_plain && value.len() <= MAX_IDENTIFIER_BYTES {
            Ok(Self(value.to_owned()))
        } else {
            Err(InvalidInput(format!(
                "{field} must be a plain identifier: letters, digits and underscores, \
                 not starting with a digit, at most {MAX_IDENTIFIER_BYTES} characters"
            )))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The identifier as a quoted SQL name. Validation already excludes `"`, the doubling keeps
    /// quoting correct even so.
    pub fn quoted(&self) -> String {
        format!("\"{}\"", self.0.replace('"', "\"\""))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_names() {
        for name in ["flightdata", "_staging", "Flight_Data_2023", "a"] {
            assert_eq!(Identifier::parse("t", name).unwrap().as_str(), name);
        }
        let longest = "a".repeat(MAX_IDENTIFIER_BYTES);
        assert!(Identifier::parse("t", &longest).is_ok());
    }

    #[test]
    fn rejects_everything_else_naming_the_field_without_echoing_it() {
        let too_long = "a".repeat(MAX_IDENTIFIER_BYTES + 1);
        let attempts = [
            "",
            "1flights",
            "x\"; drop table staff; --",
            "public.flightdata",
            "flight data",
            "flïghts",
            "a-b",
            "' OR '1'='1",
            too_long.as_str(),
        ];
        for attempt in attempts {
            let InvalidInput(reason) = Identifier::parse("target_table", attempt).unwrap_err();
            assert!(reason.starts_with("target_table must be"), "{attempt:?}");
            assert!(!reason.contains(attempt) || attempt.is_empty());
        }
    }

    #[test]
    fn quotes_for_sql() {
        let table = Identifier::parse("t", "flightdata").unwrap();
        assert_eq!(table.quoted(), "\"flightdata\"");
    }
}
