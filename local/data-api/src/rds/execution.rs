//! Running rds-data SQL: `:name` placeholders bound by the types the service declares for them (it
//! runs on JDBC), executed on a pooled or transaction connection, result cells read by column type.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use tokio_postgres::GenericClient;
use tokio_postgres::types::Type;

use super::wire::{SqlParameter, WireField, bad_request, database_error};
use crate::db;
use crate::error::ServiceError;
use crate::sql;
use crate::values::{self, Field, TextParam};

/// The statement and its bound parameters, ready for PostgreSQL.
pub struct Bound {
    sql: String,
    types: Vec<Type>,
    params: Vec<TextParam>,
}

pub fn bind(sql_text: &str, parameters: &[SqlParameter]) -> Result<Bound, ServiceError> {
    let mut by_name: HashMap<&str, &SqlParameter> = HashMap::new();
    for p in parameters {
        let name = p
            .name
            .as_deref()
            .filter(|n| !n.is_empty())
            .ok_or_else(|| bad_request("Parameter name is required"))?;
        by_name.insert(name, p);
    }
    let translated = sql::translate(sql_text, &|name| by_name.contains_key(name));
    let mut types = Vec::new();
    let mut params = Vec::new();
    for name in &translated.names {
        let (ty, field) = typed_value(by_name[name.as_str()])?;
        types.push(ty);
        params.push(TextParam(values::field_as_text(&field)));
    }
    Ok(Bound {
        sql: translated.sql,
        types,
        params,
    })
}

fn typed_value(p: &SqlParameter) -> Result<(Type, Field), ServiceError> {
    let value = p
        .value
        .clone()
        .unwrap_or(WireField::IsNull(serde::de::IgnoredAny));
    let field = match value {
        WireField::IsNull(_) => return Ok((values::inferred_type(), Field::Null)),
        WireField::BooleanValue(b) => Field::Boolean(b),
        WireField::LongValue(n) => Field::Long(n),
        WireField::DoubleValue(d) => Field::Double(d),
        WireField::StringValue(s) => Field::String(s),
        WireField::BlobValue(b) => Field::Blob(
            BASE64
                .decode(b)
                .map_err(|_| bad_request("blobValue must be base64"))?,
        ),
        WireField::ArrayValue(_) => {
            return Err(bad_request("Array parameters are not supported."));
        }
    };
    let ty = match (&field, p.type_hint.as_deref()) {
        (Field::String(_), Some("DATE")) => Type::DATE,
        (Field::String(_), Some("TIME")) => Type::TIME,
        (Field::String(_), Some("TIMESTAMP")) => Type::TIMESTAMP,
        (Field::String(_), Some("DECIMAL")) => Type::NUMERIC,
        (Field::String(_), Some("UUID")) => Type::UUID,
        (Field::String(_), Some("JSON")) => Type::JSON,
        (_, Some(hint))
            if !matches!(
                hint,
                "DATE" | "TIME" | "TIMESTAMP" | "DECIMAL" | "UUID" | "JSON"
            ) =>
        {
            return Err(bad_request(format!("Invalid typeHint: {hint}")));
        }
        (Field::String(_), _) => Type::VARCHAR,
        (Field::Boolean(_), _) => Type::BOOL,
        (Field::Long(_), _) => Type::INT8,
        (Field::Double(_), _) => Type::FLOAT8,
        (Field::Blob(_), _) => Type::BYTEA,
        (Field::Null, _) => values::inferred_type(),
    };
    Ok((ty, field))
}

/// What one execution produced.
pub struct Executed {
    pub columns: Vec<(String, Type)>,
    pub rows: Vec<Vec<Field>>,
    pub updated: u64,
}

pub async fn run(
    client: &impl GenericClient,
    bound: &Bound,
    original_sql: &str,
) -> Result<Executed, ServiceError> {
    let prepared = client
        .prepare_typed(&bound.sql, &bound.types)
        .await
        .map_err(|e| database_error(&e))?;
    let stream = client
        .query_raw(&prepared, bound.params.iter())
        .await
        .map_err(|e| database_error(&e))?;
    let (rows, affected) = db::collect_rows(stream)
        .await
        .map_err(|e| database_error(&e))?;
    let rows = rows
        .iter()
        .map(values::read_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|u| ServiceError::bad_request("UnsupportedResultException", u.to_string()))?;
    // A query's row count is not "records updated" (INSERT ... RETURNING's is).
    let is_query = matches!(
        sql::leading_keyword(original_sql).as_str(),
        "select" | "with" | "values" | "table" | "show"
    );
    Ok(Executed {
        columns: prepared
            .columns()
            .iter()
            .map(|c| (c.name().to_string(), c.type_().clone()))
            .collect(),
        rows,
        updated: if is_query { 0 } else { affected.unwrap_or(0) },
    })
}
