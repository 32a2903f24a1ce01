//! rds-data's wire shapes (restJson1): the inputs as the SDKs send them, the errors as the service
//! reports them, and the ExecuteStatement answer built from an execution.

use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio_postgres::types::Type;

use super::execution::Executed;
use crate::columns::ColumnInfo;
use crate::db;
use crate::error::ServiceError;
use crate::values::{self, Field};

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
    #[serde(default)]
    pub continue_after_timeout: bool,
    pub result_set_options: Option<ResultSetOptions>,
    pub format_records_as: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResultSetOptions {
    pub decimal_return_type: Option<String>,
    pub long_return_type: Option<String>,
}

/// How numbers come back (`resultSetOptions`): by default a DECIMAL is a `stringValue` and a LONG a
/// `longValue`; `decimalReturnType: DOUBLE_OR_LONG` makes a DECIMAL a `longValue` when its scale is 0
/// and a `doubleValue` otherwise; `longReturnType: STRING` makes a LONG a `stringValue`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NumberFormat {
    pub decimal_as_number: bool,
    pub long_as_string: bool,
}

impl ExecuteInput {
    /// The model's constraints, checked before anything runs; the number format asked for.
    pub fn validate(&self) -> Result<NumberFormat, ServiceError> {
        validate_target(&self.resource_arn, &self.secret_arn, &self.database)?;
        validate_sql(&self.sql)?;
        if let Some(id) = &self.transaction_id {
            check_length("transactionId", id, 0, 192)?;
        }
        if let Some(format) = self.format_records_as.as_deref() {
            check_enum("formatRecordsAs", format, &["NONE", "JSON"])?;
        }
        let options = self.result_set_options.clone().unwrap_or_default();
        let decimal = options.decimal_return_type.as_deref().unwrap_or("STRING");
        check_enum(
            "resultSetOptions.decimalReturnType",
            decimal,
            &["STRING", "DOUBLE_OR_LONG"],
        )?;
        let long = options.long_return_type.as_deref().unwrap_or("LONG");
        check_enum("resultSetOptions.longReturnType", long, &["STRING", "LONG"])?;
        Ok(NumberFormat {
            decimal_as_number: decimal == "DOUBLE_OR_LONG",
            long_as_string: long == "STRING",
        })
    }
}

impl BatchInput {
    pub fn validate(&self) -> Result<(), ServiceError> {
        validate_target(&self.resource_arn, &self.secret_arn, &self.database)?;
        validate_sql(&self.sql)?;
        if let Some(id) = &self.transaction_id {
            check_length("transactionId", id, 0, 192)?;
        }
        Ok(())
    }
}

impl TransactionInput {
    pub fn validate(&self) -> Result<(), ServiceError> {
        validate_target(&self.resource_arn, &self.secret_arn, &self.database)?;
        if let Some(id) = &self.transaction_id {
            check_length("transactionId", id, 0, 192)?;
        }
        Ok(())
    }
}

fn check_enum(member: &str, value: &str, allowed: &[&str]) -> Result<(), ServiceError> {
    ServiceError::check_enum("BadRequestException", member, value, allowed)
}

fn check_length(member: &str, value: &str, min: usize, max: usize) -> Result<(), ServiceError> {
    ServiceError::check_length("BadRequestException", member, value, min, max)
}

/// resourceArn and secretArn: required, 11-100 characters (the model), and ARNs
/// (`arn:partition:service:region:account:resource`; AWS's wording for a non-ARN is not documented:
/// **inferred**); database at most 64.
fn validate_target(
    resource_arn: &Option<String>,
    secret_arn: &Option<String>,
    database: &Option<String>,
) -> Result<(), ServiceError> {
    for (member, value) in [("resourceArn", resource_arn), ("secretArn", secret_arn)] {
        let value = required(value, member)?;
        check_length(member, value, 11, 100)?;
        let parts: Vec<&str> = value.splitn(6, ':').collect();
        if parts.len() < 6 || parts[0] != "arn" || parts[1].is_empty() || parts[2].is_empty() {
            return Err(bad_request(format!(
                "Invalid {member}: {value} is not an ARN"
            )));
        }
    }
    if let Some(database) = database {
        check_length("database", database, 0, 64)?;
    }
    Ok(())
}

/// sql: required, at most 65,536 characters (the model; the wording is as users report AWS's).
fn validate_sql(sql: &Option<String>) -> Result<(), ServiceError> {
    let sql = required(sql, "sql")?;
    if sql.chars().count() > 65_536 {
        return Err(bad_request(
            "Number of characters in SQLStatement is longer than 65536",
        ));
    }
    Ok(())
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

/// AWS's troubleshooting guide: "Transaction <transaction_ID> isn't found", with the cause appended
/// (how it is appended is **inferred**).
pub fn transaction_not_found(id: &str, cause: Option<&str>) -> ServiceError {
    let message = match cause {
        Some(cause) => format!("Transaction {id} isn't found. {cause}"),
        None => format!("Transaction {id} isn't found"),
    };
    ServiceError::new(
        StatusCode::NOT_FOUND,
        "TransactionNotFoundException",
        message,
    )
}

/// AWS ends a call after 45 s with this (the shape's documented text).
pub fn statement_timeout() -> ServiceError {
    ServiceError::bad_request(
        "StatementTimeoutException",
        "The execution of the SQL statement timed out.",
    )
}

/// The Data API's size limits, worded as AWS answers them: a row over 64 KB is "Packet for query
/// is too large" (troubleshooting guide; the error code is **inferred**), a response over 1 MiB
/// "Database returned more than the allowed response size limit" (BadRequestException, as botocore
/// users report it).
pub fn collect_error(error: &db::CollectError) -> ServiceError {
    match error {
        db::CollectError::Postgres(e) => database_error(e),
        db::CollectError::Unsupported(u) => {
            ServiceError::bad_request("UnsupportedResultException", u.to_string())
        }
        db::CollectError::RowTooLarge(_) => bad_request("Packet for query is too large"),
        db::CollectError::ResultTooLarge(_) => {
            bad_request("Database returned more than the allowed response size limit")
        }
    }
}

fn column_metadata(column: &ColumnInfo) -> Value {
    let ty = &column.ty;
    json!({
        "name": column.name,
        "label": column.name,
        "type": values::jdbc_type_code(ty),
        "typeName": ty.name(),
        "schemaName": column.schema,
        "tableName": column.table,
        "isAutoIncrement": false,
        "isSigned": values::is_signed(ty),
        "isCurrency": false,
        "isCaseSensitive": values::is_case_sensitive(ty),
        "nullable": column.nullable,
        "precision": column.precision,
        "scale": column.scale,
        "arrayBaseColumnType": 0,
    })
}

/// A cell as `resultSetOptions` asks for it.
fn formatted(field: &Field, ty: &Type, format: NumberFormat) -> Field {
    match field {
        Field::String(text) if *ty == Type::NUMERIC && format.decimal_as_number => {
            let integral = !text.contains(['.', 'e', 'E']);
            match (integral, text.parse::<i64>(), text.parse::<f64>()) {
                (true, Ok(n), _) => Field::Long(n),
                (_, _, Ok(d)) => Field::Double(d),
                _ => field.clone(),
            }
        }
        Field::Long(n) if format.long_as_string => Field::String(n.to_string()),
        other => other.clone(),
    }
}

pub fn execute_output(
    executed: Executed,
    include_metadata: bool,
    format_json: bool,
    numbers: NumberFormat,
) -> Value {
    let executed = Executed {
        rows: executed
            .rows
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&executed.columns)
                    .map(|(f, c)| formatted(f, &c.ty, numbers))
                    .collect()
            })
            .collect(),
        ..executed
    };
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
                    .map(|(column, f)| (column.name.clone(), f.to_json()))
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

/// The cluster and secret a call names (every rds-data input carries both).
pub trait Target {
    fn target(&self) -> (Option<&str>, Option<&str>);
}

macro_rules! target {
    ($($input:ty),*) => {$(
        impl Target for $input {
            fn target(&self) -> (Option<&str>, Option<&str>) {
                (self.resource_arn.as_deref(), self.secret_arn.as_deref())
            }
        }
    )*};
}
target!(ExecuteInput, BatchInput, TransactionInput);

/// Only the configured cluster and secret are served (when configured). For another cluster the
/// model's HttpEndpointNotEnabledException ("The HTTP endpoint for using RDS Data API isn't enabled
/// for the DB cluster", 400) and for another secret its SecretsErrorException ("The secret provided
/// wasn't found", 400) are the documented shapes; choosing them, and the message texts, is
/// **inferred**.
pub fn check_target(config: &crate::Config, input: &impl Target) -> Result<(), ServiceError> {
    let (resource, secret) = input.target();
    let other = |expected: &Option<String>, given: Option<&str>| {
        expected
            .as_deref()
            .is_some_and(|e| given.is_some_and(|g| g != e))
    };
    if other(&config.aurora_cluster_arn, resource) {
        return Err(ServiceError::bad_request(
            "HttpEndpointNotEnabledException",
            "HttpEndpoint is not enabled for this cluster.",
        ));
    }
    if other(&config.aurora_secret_arn, secret) {
        return Err(ServiceError::bad_request(
            "SecretsErrorException",
            "The secret provided wasn't found.",
        ));
    }
    Ok(())
}
