//! Running rds-data SQL: `:name` placeholders bound by the types the service declares for them (it
//! runs on JDBC), executed on a pooled or transaction connection, result cells read by column type.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use std::future::Future;
use std::time::Duration;

use tokio_postgres::types::Type;
use tokio_postgres::{CancelToken, GenericClient, NoTls};

use super::wire::{
    SqlParameter, WireField, bad_request, collect_error, database_error, statement_timeout,
};
use crate::columns::{self, ColumnInfo};
use crate::db::{self, SizeLimits};
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
        (Field::Null | Field::Array(_), _) => values::inferred_type(),
    };
    Ok((ty, field))
}

/// The Data API's limits on what one call returns (AWS: 64 KB per row, 1 MiB per response).
const LIMITS: SizeLimits = SizeLimits {
    row_bytes: 64 * 1024,
    result_bytes: 1024 * 1024,
};

/// What one execution produced.
pub struct Executed {
    pub columns: Vec<ColumnInfo>,
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
    let columns = columns::describe(client, prepared.columns()).await;
    let stream = client
        .query_raw(&prepared, bound.params.iter())
        .await
        .map_err(|e| database_error(&e))?;
    let (rows, affected) = db::collect_rows(stream, LIMITS)
        .await
        .map_err(|e| collect_error(&e))?;
    // A query's row count is not "records updated" (INSERT ... RETURNING's is).
    let is_query = matches!(
        sql::leading_keyword(original_sql).as_str(),
        "select" | "with" | "values" | "table" | "show"
    );
    Ok(Executed {
        columns,
        rows,
        updated: if is_query { 0 } else { affected.unwrap_or(0) },
    })
}

/// Runs `work` within rds-data's call timeout. Past it the call answers StatementTimeoutException;
/// the statement is cancelled unless `continue_after_timeout`, in which case it runs on to its end
/// (AWS: "Your application still receives the timeout error. However, the operation continues").
pub async fn within_call_timeout<T: Send + 'static>(
    timeout: Duration,
    continue_after_timeout: bool,
    cancel: CancelToken,
    work: impl Future<Output = Result<T, ServiceError>> + Send + 'static,
) -> Result<T, ServiceError> {
    let mut task = tokio::spawn(work);
    if let Ok(joined) = tokio::time::timeout(timeout, &mut task).await {
        return joined.unwrap_or_else(|_| Err(super::wire::unavailable()));
    }
    if !continue_after_timeout {
        // A cancel that reaches PostgreSQL before the query starts is ignored: repeat until it ends.
        for _ in 0..25 {
            let _ = cancel.cancel_query(NoTls).await;
            if tokio::time::timeout(Duration::from_millis(200), &mut task)
                .await
                .is_ok()
            {
                break;
            }
        }
    }
    Err(statement_timeout())
}
