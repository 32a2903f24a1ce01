//! Values between the Data APIs and PostgreSQL: result cells become `Field`s by column type (the mapping
//! in AWS-SEMANTICS.md), and parameters are bound as text so PostgreSQL parses them with the type it
//! declares or infers for the placeholder, exactly as it parses a literal.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::BytesMut;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::{Serialize, Serializer};
use tokio_postgres::Row;
use tokio_postgres::types::{Format, IsNull, Kind, ToSql, Type, to_sql_checked};

/// One result cell or parameter value, as both Data APIs spell it on the wire.
#[derive(Debug, Clone, PartialEq)]
pub enum Field {
    Null,
    Boolean(bool),
    Long(i64),
    Double(f64),
    String(String),
    Blob(Vec<u8>),
    /// rds-data's `arrayValue` (redshift-data has none: Redshift has no array columns).
    Array(ArrayValue),
}

/// rds-data's `ArrayValue` union: one list per element type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ArrayValue {
    #[serde(rename = "booleanValues")]
    Booleans(Vec<bool>),
    #[serde(rename = "longValues")]
    Longs(Vec<i64>),
    #[serde(rename = "doubleValues")]
    Doubles(Vec<f64>),
    #[serde(rename = "stringValues")]
    Strings(Vec<String>),
}

impl Serialize for Field {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(1))?;
        match self {
            Field::Null => map.serialize_entry("isNull", &true)?,
            Field::Boolean(b) => map.serialize_entry("booleanValue", b)?,
            Field::Long(n) => map.serialize_entry("longValue", n)?,
            Field::Double(d) => map.serialize_entry("doubleValue", d)?,
            Field::String(s) => map.serialize_entry("stringValue", s)?,
            Field::Blob(b) => map.serialize_entry("blobValue", &BASE64.encode(b))?,
            Field::Array(a) => map.serialize_entry("arrayValue", a)?,
        }
        map.end()
    }
}

impl Field {
    /// The value in rds-data's `formatRecordsAs: JSON` output.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Field::Null => serde_json::Value::Null,
            Field::Boolean(b) => (*b).into(),
            Field::Long(n) => (*n).into(),
            Field::Double(d) => (*d).into(),
            Field::String(s) => s.clone().into(),
            Field::Blob(b) => BASE64.encode(b).into(),
            Field::Array(a) => match a {
                ArrayValue::Booleans(v) => v.clone().into(),
                ArrayValue::Longs(v) => v.clone().into(),
                ArrayValue::Doubles(v) => v.clone().into(),
                ArrayValue::Strings(v) => v.clone().into(),
            },
        }
    }

    /// Bytes the value takes in a result, for Redshift's `ResultSize`.
    pub fn size(&self) -> usize {
        match self {
            Field::Null => 0,
            Field::Boolean(_) => 1,
            Field::Long(_) | Field::Double(_) => 8,
            Field::String(s) => s.len(),
            Field::Blob(b) => b.len(),
            Field::Array(a) => match a {
                ArrayValue::Booleans(v) => v.len(),
                ArrayValue::Longs(v) => v.len() * 8,
                ArrayValue::Doubles(v) => v.len() * 8,
                ArrayValue::Strings(v) => v.iter().map(String::len).sum(),
            },
        }
    }
}

/// A column type the APIs have no `Field` for (AWS answers UnsupportedResultException).
#[derive(Debug, thiserror::Error)]
#[error("The result contains the unsupported data type {0}.")]
pub struct UnsupportedType(pub String);

/// Reads every cell of `row` by its column's PostgreSQL type.
pub fn read_row(row: &Row) -> Result<Vec<Field>, UnsupportedType> {
    (0..row.len()).map(|i| read_cell(row, i)).collect()
}

fn read_cell(row: &Row, i: usize) -> Result<Field, UnsupportedType> {
    let ty = row.columns()[i].type_();
    let unsupported = || UnsupportedType(ty.name().to_string());
    macro_rules! get {
        ($t:ty, $f:expr) => {
            row.try_get::<_, Option<$t>>(i)
                .map_err(|_| unsupported())?
                .map($f)
                .unwrap_or(Field::Null)
        };
    }
    let field = match *ty {
        Type::BOOL => get!(bool, Field::Boolean),
        Type::INT2 => get!(i16, |n| Field::Long(n.into())),
        Type::INT4 => get!(i32, |n| Field::Long(n.into())),
        Type::INT8 => get!(i64, Field::Long),
        Type::OID => get!(u32, |n| Field::Long(n.into())),
        Type::FLOAT4 => get!(f32, |n| Field::Double(n.into())),
        Type::FLOAT8 => get!(f64, Field::Double),
        Type::NUMERIC => get!(rust_decimal::Decimal, |d| Field::String(d.to_string())),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
            get!(String, Field::String)
        }
        Type::DATE => get!(NaiveDate, |d| Field::String(
            d.format("%Y-%m-%d").to_string()
        )),
        Type::TIME => get!(NaiveTime, |t| Field::String(
            t.format("%H:%M:%S%.f").to_string()
        )),
        Type::TIMESTAMP => get!(NaiveDateTime, |t| Field::String(
            t.format("%Y-%m-%d %H:%M:%S%.f").to_string()
        )),
        Type::TIMESTAMPTZ => get!(DateTime<Utc>, |t| Field::String(
            t.format("%Y-%m-%d %H:%M:%S%.f").to_string()
        )),
        Type::UUID => get!(uuid::Uuid, |u| Field::String(u.to_string())),
        Type::JSON | Type::JSONB => get!(serde_json::Value, |v| Field::String(v.to_string())),
        Type::BYTEA => get!(Vec<u8>, Field::Blob),
        // A function returning nothing (`SELECT pg_sleep(1)`): no value. **inferred**
        Type::VOID => Field::Null,
        Type::BOOL_ARRAY => get!(Vec<bool>, |v| Field::Array(ArrayValue::Booleans(v))),
        Type::INT2_ARRAY => get!(Vec<i16>, |v| Field::Array(ArrayValue::Longs(
            v.into_iter().map(i64::from).collect()
        ))),
        Type::INT4_ARRAY => get!(Vec<i32>, |v| Field::Array(ArrayValue::Longs(
            v.into_iter().map(i64::from).collect()
        ))),
        Type::INT8_ARRAY => get!(Vec<i64>, |v| Field::Array(ArrayValue::Longs(v))),
        Type::FLOAT4_ARRAY => get!(Vec<f32>, |v| Field::Array(ArrayValue::Doubles(
            v.into_iter().map(f64::from).collect()
        ))),
        Type::FLOAT8_ARRAY => get!(Vec<f64>, |v| Field::Array(ArrayValue::Doubles(v))),
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY | Type::BPCHAR_ARRAY => {
            get!(Vec<String>, |v| Field::Array(ArrayValue::Strings(v)))
        }
        _ if matches!(ty.kind(), Kind::Enum(_)) => get!(String, Field::String),
        _ => return Err(unsupported()),
    };
    Ok(field)
}

/// A parameter sent in PostgreSQL's text format: the server parses it with the input function of the
/// placeholder's type, so `'2024-01-31'` bound to a DATE placeholder is a date, as in a literal.
#[derive(Debug)]
pub struct TextParam(pub Option<String>);

impl ToSql for TextParam {
    fn to_sql(
        &self,
        _ty: &Type,
        out: &mut BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        match &self.0 {
            Some(text) => {
                out.extend_from_slice(text.as_bytes());
                Ok(IsNull::No)
            }
            None => Ok(IsNull::Yes),
        }
    }

    fn accepts(_ty: &Type) -> bool {
        true
    }

    fn encode_format(&self, _ty: &Type) -> Format {
        Format::Text
    }

    to_sql_checked!();
}

/// "No declared type": PostgreSQL infers the placeholder's type from where it is used.
pub fn inferred_type() -> Type {
    Type::new("unspecified".into(), 0, Kind::Pseudo, "pg_catalog".into())
}

/// The text PostgreSQL parses for a `Field` parameter.
pub fn field_as_text(field: &Field) -> Option<String> {
    match field {
        Field::Null => None,
        Field::Boolean(b) => Some(b.to_string()),
        Field::Long(n) => Some(n.to_string()),
        Field::Double(d) => Some(d.to_string()),
        Field::String(s) => Some(s.clone()),
        Field::Blob(b) => Some(format!("\\x{}", hex(b))),
        // Array parameters are refused before binding (AWS: "Array parameters are not supported").
        Field::Array(_) => None,
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// JDBC's `java.sql.Types` code that rds-data reports as a column's `type`.
pub fn jdbc_type_code(ty: &Type) -> i32 {
    match *ty {
        Type::BOOL => -7,
        Type::INT2 => 5,
        Type::INT4 | Type::OID => 4,
        Type::INT8 => -5,
        Type::FLOAT4 => 7,
        Type::FLOAT8 => 8,
        Type::NUMERIC => 2,
        Type::BPCHAR => 1,
        Type::TEXT | Type::VARCHAR | Type::NAME => 12,
        Type::DATE => 91,
        Type::TIME => 92,
        Type::TIMESTAMP | Type::TIMESTAMPTZ => 93,
        Type::BYTEA => -2,
        _ => 1111,
    }
}

pub fn is_signed(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::INT2 | Type::INT4 | Type::INT8 | Type::FLOAT4 | Type::FLOAT8 | Type::NUMERIC
    )
}

pub fn is_case_sensitive(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::JSON | Type::JSONB
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_serialize_as_the_aws_union() {
        let json = serde_json::to_string(&vec![
            Field::Null,
            Field::Boolean(true),
            Field::Long(118),
            Field::Double(1.5),
            Field::String("x".into()),
            Field::Blob(vec![1, 2]),
        ])
        .unwrap();
        assert_eq!(
            json,
            r#"[{"isNull":true},{"booleanValue":true},{"longValue":118},{"doubleValue":1.5},{"stringValue":"x"},{"blobValue":"AQI="}]"#
        );
    }

    #[test]
    fn parameters_become_postgres_text() {
        assert_eq!(field_as_text(&Field::Null), None);
        assert_eq!(
            field_as_text(&Field::Blob(vec![0xde, 0xad])).as_deref(),
            Some("\\xdead")
        );
        assert_eq!(field_as_text(&Field::Double(0.1)).as_deref(), Some("0.1"));
    }
}
