//! rds-data's wire shapes (restJson1): the inputs as the SDKs send them, the errors as the service
//! reports them, and the ExecuteStatement answer built from an execution.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio_postgres::types::Type;

use super::execution::Executed;
use crate::db;
use crate::error::ServiceError;
use crate::values;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteInput {
    pub resource_arn: Option<String>,
    pub secret_arn: Option<String>,
    pub sql: Option<String>,
    pub database: Option<String>,
    #[serde(default)]
    pub parameters: Vec<SqlParameter>,
    pub transaction_id: Option<String>,
    #[serde(default)]
    pub include_result_metadata: bool,
    pub format_records_as: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchInput {
    pub resource_arn: Option<String>,
    pub secret_arn: Option<String>,
    pub sql: Option<String>,
    pub database: Option<String>,
    #[serde(default)]
    pub parameter_sets: Vec<Vec<SqlParameter>>,
    pub transaction_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionInput {
    pub resource_arn: Option<String>,
    pub secret_arn: Option<String>,
    pub database: Option<String>,
    pub transaction_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SqlParameter {
    pub name: Option<String>,
    pub value: Option<WireField>,
    pub type_hint: Option<String>,
}

/// The `Field` union as a client sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum WireField {
    IsNull(serde::de::IgnoredAny),
    BooleanValue(bool),
    LongValue(i64),
    DoubleValue(f64),
    StringValue(String),
    BlobValue(String),
    ArrayValue(serde::de::IgnoredAny),
}

pub fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ServiceError> {
    serde_json::from_slice(body).map_err(|e| bad_request(format!("Invalid request body: {e}")))
}

pub fn bad_request(message: impl Into<String>) -> ServiceError {
    ServiceError::bad_request("BadRequestException", message)
}

pub fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, ServiceError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| bad_request(format!("Missing required parameter: {name}")))
}

pub fn is_missing_database(error: &tokio_postgres::Error) -> bool {
    db::sql_state(error) == Some("3D000")
}

/// Failing to connect: a database that does not exist is rds-data's 404, anything else its 504.
pub fn connect_error(error: Option<&tokio_postgres::Error>, database: &str) -> ServiceError {
    if error.is_some_and(is_missing_database) {
        ServiceError::new(
            StatusCode::NOT_FOUND,
            "DatabaseNotFoundException",
            format!("Database {database} does not exist."),
        )
    } else {
        unavailable()
    }
}

pub fn unavailable() -> ServiceError {
    ServiceError::new(
        StatusCode::GATEWAY_TIMEOUT,
        "DatabaseUnavailableException",
        "The database is unavailable.",
    )
}

/// A SQL error as rds-data reports it: `ERROR: <message>; SQLState: <code>`.
pub fn database_error(e: &tokio_postgres::Error) -> ServiceError {
    match e.as_db_error() {
        Some(dbe) => ServiceError::bad_request(
            "DatabaseErrorException",
            format!(
                "{}: {}; SQLState: {}",
                dbe.severity(),
                dbe.message(),
                dbe.code().code()
            ),
        ),
        None => unavailable(),
    }
}

pub fn transaction_not_found(id: &str) -> ServiceError {
    ServiceError::new(
        StatusCode::NOT_FOUND,
        "TransactionNotFoundException",
        format!("Transaction {id} is not found"),
    )
}

fn column_metadata((name, ty): &(String, Type)) -> Value {
    json!({
        "name": name,
        "label": name,
        "type": values::jdbc_type_code(ty),
        "typeName": ty.name(),
        "schemaName": "",
        "tableName": "",
        "isAutoIncrement": false,
        "isSigned": values::is_signed(ty),
        "isCurrency": false,
        "isCaseSensitive": values::is_case_sensitive(ty),
        "nullable": 2,
        "precision": 0,
        "scale": 0,
        "arrayBaseColumnType": 0,
    })
}

pub fn execute_output(executed: Executed, include_metadata: bool, format_json: bool) -> Value {
    let mut out = json!({ "numberOfRecordsUpdated": executed.updated, "generatedFields": [] });
    if include_metadata {
        out["columnMetadata"] = executed.columns.iter().map(column_metadata).collect();
    }
    if format_json {
        let records: Vec<Value> = executed
            .rows
            .iter()
            .map(|row| {
                let object: Map<String, Value> = executed
                    .columns
                    .iter()
                    .zip(row)
                    .map(|((name, _), f)| (name.clone(), f.to_json()))
                    .collect();
                Value::Object(object)
            })
            .collect();
        out["formattedRecords"] = Value::String(Value::Array(records).to_string());
    } else if !executed.columns.is_empty() {
        out["records"] = serde_json::to_value(&executed.rows).unwrap_or_default();
    }
    out
}
