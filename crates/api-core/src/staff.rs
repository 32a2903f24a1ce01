//! The staff record shared by the three staff endpoints, and the validation of its fields.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::InvalidInput;
use crate::rds::{DecodeError, FromRow, Row};

pub const STAFF_ID_LENGTH: usize = 4;
pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_AGE: i64 = 150;

/// A staff id: exactly four ASCII letters or digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffId(String);

impl StaffId {
    /// `field` names the request field in the 400 reason.
    pub fn parse(field: &str, value: &str) -> Result<Self, InvalidInput> {
        if value.len() == STAFF_ID_LENGTH && value.bytes().all(|b| b.is_ascii_alphanumeric()) {
            Ok(Self(value.to_owned()))
        } else {
            Err(InvalidInput(format!(
                "{field} must be exactly {STAFF_ID_LENGTH} ASCII letters or digits"
            )))
        }
    }

    pub fn from_json(field: &str, value: &Value) -> Result<Self, InvalidInput> {
        Self::parse(field, value.as_str().unwrap_or_default())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A name: a string of 1 to 100 characters that is not only whitespace. NUL is refused because
/// PostgreSQL text cannot store it (the insert would fail as a 500 instead of a clear 400).
pub fn parse_name(value: &Value) -> Result<String, InvalidInput> {
    match value.as_str() {
        Some(name) if name.contains('\0') => Err(InvalidInput(
            "name must not contain the NUL character".into(),
        )),
        Some(name) if !name.trim().is_empty() && name.chars().count() <= MAX_NAME_CHARS => {
            Ok(name.to_owned())
        }
        _ => Err(InvalidInput(format!(
            "name must be a string of 1 to {MAX_NAME_CHARS} characters, not blank"
        ))),
    }
}

/// An age: an integer from 0 to 150, or null.
pub fn parse_age(value: &Value) -> Result<Option<i64>, InvalidInput> {
    match value {
        Value::Null => Ok(None),
        Value::Number(number) => match number.as_i64() {
            Some(age) if (0..=MAX_AGE).contains(&age) => Ok(Some(age)),
            _ => Err(age_error()),
        },
        _ => Err(age_error()),
    }
}

fn age_error() -> InvalidInput {
    InvalidInput(format!(
        "age must be an integer from 0 to {MAX_AGE}, or null"
    ))
}

/// A stored staff record, as the endpoints return it (and as an idempotent write records it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub id: String,
    pub name: String,
    pub age: Option<i64>,
}

impl FromRow for Staff {
    fn from_row(row: Row<'_>) -> Result<Self, DecodeError> {
        Ok(Self {
            // CHAR(4) comes back padded if an id were ever shorter; the padding is not data.
            id: row.text(0, "id")?.trim_end().to_owned(),
            name: row.text(1, "name")?.to_owned(),
            age: row.optional_long(2, "age")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_rdsdata::types::Field;
    use serde_json::json;

    #[test]
    fn ids_are_exactly_four_ascii_letters_or_digits() {
        for id in ["0001", "abcd", "A1b2"] {
            assert_eq!(StaffId::parse("id", id).unwrap().as_str(), id);
        }
        for id in [
            "",
            "001",
            "00001",
            "' OR '1'='1",
            "00 1",
            "０００１",
            "ab-c",
            "é001",
        ] {
            let error = StaffId::parse("id", id).unwrap_err();
            assert_eq!(
                crate::ApiError::from(error).to_string(),
                r#"{"Status":400,"ErrorReason":"id must be exactly 4 ASCII letters or digits"}"#
            );
        }
        assert!(StaffId::from_json("id", &json!(1)).is_err());
        assert!(StaffId::from_json("id", &json!("0004")).is_ok());
    }

    #[test]
    fn names_are_one_to_a_hundred_characters_and_not_blank() {
        assert_eq!(
            parse_name(&json!("O'Brien \"Bob\" \\")).unwrap(),
            "O'Brien \"Bob\" \\"
        );
        assert!(parse_name(&json!("é".repeat(100))).is_ok());
        for bad in [
            json!(""),
            json!("   "),
            json!("x".repeat(101)),
            json!(null),
            json!(5),
            json!("Nul\u{0}Byte"),
        ] {
            assert!(parse_name(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ages_are_integers_from_0_to_150_or_null() {
        assert_eq!(parse_age(&json!(0)).unwrap(), Some(0));
        assert_eq!(parse_age(&json!(150)).unwrap(), Some(150));
        assert_eq!(parse_age(&json!(null)).unwrap(), None);
        for bad in [json!(-1), json!(151), json!(12.5), json!("12"), json!(true)] {
            assert!(parse_age(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decodes_a_row_trimming_char_padding() {
        let fields = vec![
            Field::StringValue("01  ".into()),
            Field::StringValue("Aurora".into()),
            Field::IsNull(true),
        ];
        let staff = Staff::from_row(Row::new(&fields)).unwrap();
        assert_eq!(
            staff,
            Staff {
                id: "01".into(),
                name: "Aurora".into(),
                age: None
            }
        );
    }

    #[test]
    fn a_row_of_the_wrong_shape_is_a_clear_decode_error() {
        let fields = vec![Field::StringValue("0001".into()), Field::LongValue(3)];
        let error = Staff::from_row(Row::new(&fields)).unwrap_err();
        assert_eq!(
            error.to_string(),
            "column name: expected a string, found an integer"
        );
        let fields = vec![
            Field::StringValue("0001".into()),
            Field::StringValue("A".into()),
        ];
        let error = Staff::from_row(Row::new(&fields)).unwrap_err();
        assert_eq!(
            error,
            DecodeError::MissingColumn {
                index: 2,
                column: "age"
            }
        );
    }
}
