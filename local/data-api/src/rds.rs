//! rds-data (restJson1): ExecuteStatement, BatchExecuteStatement and real PostgreSQL transactions.
//!
//! Parameters are bound the way the service binds them (it runs on JDBC): a `longValue` is a bigint, a
//! `stringValue` a varchar unless its `typeHint` says DATE, TIME, TIMESTAMP, DECIMAL, UUID or JSON, a
//! null lets PostgreSQL infer the type. Values travel as text, parsed by PostgreSQL's input functions.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use deadpool_postgres::Pool;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tokio::task::JoinHandle;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, GenericClient};

use crate::controls::Fault;
use crate::db;
use crate::error::ApiError;
use crate::server::{App, collect_rows};
use crate::sql;
use crate::values::{self, Field, TextParam};

const POOL_SIZE: usize = 8;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecuteInput {
    resource_arn: Option<String>,
    secret_arn: Option<String>,
    sql: Option<String>,
    database: Option<String>,
    #[serde(default)]
    parameters: Vec<SqlParameter>,
    transaction_id: Option<String>,
    #[serde(default)]
    include_result_metadata: bool,
    format_records_as: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchInput {
    resource_arn: Option<String>,
    secret_arn: Option<String>,
    sql: Option<String>,
    database: Option<String>,
    #[serde(default)]
    parameter_sets: Vec<Vec<SqlParameter>>,
    transaction_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionInput {
    resource_arn: Option<String>,
    secret_arn: Option<String>,
    database: Option<String>,
    transaction_id: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
struct SqlParameter {
    name: Option<String>,
    value: Option<WireField>,
    type_hint: Option<String>,
}

/// The `Field` union as a client sends it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
enum WireField {
    IsNull(serde::de::IgnoredAny),
    BooleanValue(bool),
    LongValue(i64),
    DoubleValue(f64),
    StringValue(String),
    BlobValue(String),
    ArrayValue(serde::de::IgnoredAny),
}

/// A transaction: its own connection, in BEGIN, until commit, rollback or the idle timeout.
#[derive(Debug)]
pub struct Transaction {
    database: String,
    client: tokio::sync::Mutex<Client>,
    driver: JoinHandle<()>,
    last_used: Mutex<Instant>,
}

#[derive(Debug, Default)]
pub struct Transactions {
    open: Mutex<HashMap<String, Arc<Transaction>>>,
}

impl Transactions {
    fn get(&self, id: &str) -> Result<Arc<Transaction>, ApiError> {
        let transaction = lock(&self.open).get(id).cloned().ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "TransactionNotFoundException",
                format!("Transaction {id} is not found"),
            )
        })?;
        *lock(&transaction.last_used) = Instant::now();
        Ok(transaction)
    }

    fn take(&self, id: &str) -> Result<Arc<Transaction>, ApiError> {
        let transaction = self.get(id)?;
        lock(&self.open).remove(id);
        Ok(transaction)
    }

    /// Drops transactions idle longer than `timeout`; closing the connection rolls them back.
    pub fn expire(&self, timeout: Duration) {
        lock(&self.open).retain(|_, t| {
            let keep = lock(&t.last_used).elapsed() < timeout;
            if !keep {
                t.driver.abort();
            }
            keep
        });
    }

    pub fn clear(&self) {
        for (_, t) in lock(&self.open).drain() {
            t.driver.abort();
        }
    }
}

/// A connection pool per database name, made on first use.
#[derive(Debug, Default)]
pub struct Pools {
    by_database: Mutex<HashMap<String, Pool>>,
}

impl Pools {
    pub fn clear(&self) {
        lock(&self.by_database).clear();
    }

    async fn client(
        &self,
        app: &App,
        database: &str,
    ) -> Result<deadpool_postgres::Object, ApiError> {
        let pool = lock(&self.by_database)
            .entry(database.to_string())
            .or_insert_with(|| app.postgres.pool(database, POOL_SIZE))
            .clone();
        pool.get().await.map_err(|e| {
            let backend = match &e {
                deadpool_postgres::PoolError::Backend(pg) => Some(pg),
                _ => None,
            };
            if backend.is_some_and(is_missing_database) {
                lock(&self.by_database).remove(database);
            }
            connect_error(backend, database)
        })
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("BadRequestException", message)
}

fn is_missing_database(error: &tokio_postgres::Error) -> bool {
    db::sql_state(error) == Some("3D000")
}

/// Failing to connect: a database that does not exist is rds-data's 404, anything else its 504.
fn connect_error(error: Option<&tokio_postgres::Error>, database: &str) -> ApiError {
    if error.is_some_and(is_missing_database) {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "DatabaseNotFoundException",
            format!("Database {database} does not exist."),
        )
    } else {
        unavailable()
    }
}

fn unavailable() -> ApiError {
    ApiError::new(
        StatusCode::GATEWAY_TIMEOUT,
        "DatabaseUnavailableException",
        "The database is unavailable.",
    )
}

/// A SQL error as rds-data reports it: `ERROR: <message>; SQLState: <code>`.
fn database_error(e: &tokio_postgres::Error) -> ApiError {
    match e.as_db_error() {
        Some(dbe) => ApiError::bad_request(
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

fn required<'a>(value: &'a Option<String>, name: &str) -> Result<&'a str, ApiError> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| bad_request(format!("Missing required parameter: {name}")))
}

/// Answers an injected fault, if one is due for this operation.
fn injected(app: &App, operation: &str) -> Result<(), ApiError> {
    match app.controls.on_call("rds-data", operation) {
        Some(Fault::Error(code)) => Err(ApiError::injected(&code)),
        _ => Ok(()),
    }
}

/// The statement and its bound parameters, ready for PostgreSQL.
struct Bound {
    sql: String,
    types: Vec<Type>,
    params: Vec<TextParam>,
}

fn bind(sql_text: &str, parameters: &[SqlParameter]) -> Result<Bound, ApiError> {
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

fn typed_value(p: &SqlParameter) -> Result<(Type, Field), ApiError> {
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
struct Executed {
    columns: Vec<(String, Type)>,
    rows: Vec<Vec<Field>>,
    updated: u64,
}

async fn run(
    client: &impl GenericClient,
    bound: &Bound,
    original_sql: &str,
) -> Result<Executed, ApiError> {
    let prepared = client
        .prepare_typed(&bound.sql, &bound.types)
        .await
        .map_err(|e| database_error(&e))?;
    let stream = client
        .query_raw(&prepared, bound.params.iter())
        .await
        .map_err(|e| database_error(&e))?;
    let (rows, affected) = collect_rows(stream).await.map_err(|e| database_error(&e))?;
    let rows = rows
        .iter()
        .map(values::read_row)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|u| ApiError::bad_request("UnsupportedResultException", u.to_string()))?;
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

fn execute_output(executed: Executed, include_metadata: bool, format_json: bool) -> Value {
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

fn database_name(app: &App, requested: &Option<String>) -> String {
    requested
        .clone()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| app.config.aurora_database.clone())
}

pub async fn execute_statement(app: &Arc<App>, input: ExecuteInput) -> Result<Value, ApiError> {
    injected(app, "ExecuteStatement")?;
    required(&input.resource_arn, "resourceArn")?;
    required(&input.secret_arn, "secretArn")?;
    let sql_text = required(&input.sql, "sql")?;
    let format_json = match input.format_records_as.as_deref() {
        None | Some("NONE") => false,
        Some("JSON") => true,
        Some(other) => return Err(bad_request(format!("Invalid formatRecordsAs: {other}"))),
    };
    let bound = bind(sql_text, &input.parameters)?;
    let executed = match &input.transaction_id {
        Some(id) => {
            let transaction = app.transactions.get(id)?;
            let client = transaction.client.lock().await;
            run(&*client, &bound, sql_text).await?
        }
        None => {
            let database = database_name(app, &input.database);
            let client = app.pools.client(app, &database).await?;
            run(&**client, &bound, sql_text).await?
        }
    };
    Ok(execute_output(
        executed,
        input.include_result_metadata,
        format_json,
    ))
}

pub async fn batch_execute_statement(app: &Arc<App>, input: BatchInput) -> Result<Value, ApiError> {
    injected(app, "BatchExecuteStatement")?;
    required(&input.resource_arn, "resourceArn")?;
    required(&input.secret_arn, "secretArn")?;
    let sql_text = required(&input.sql, "sql")?;
    let sets = if input.parameter_sets.is_empty() {
        vec![Vec::new()]
    } else {
        input.parameter_sets.clone()
    };
    let bound: Vec<Bound> = sets
        .iter()
        .map(|set| bind(sql_text, set))
        .collect::<Result<_, _>>()?;
    let mut results = Vec::new();
    match &input.transaction_id {
        Some(id) => {
            let transaction = app.transactions.get(id)?;
            let client = transaction.client.lock().await;
            for b in &bound {
                run(&*client, b, sql_text).await?;
                results.push(json!({ "generatedFields": [] }));
            }
        }
        None => {
            // Without a transaction id the whole batch is one transaction, as on AWS.
            let database = database_name(app, &input.database);
            let mut client = app.pools.client(app, &database).await?;
            let tx = client.transaction().await.map_err(|e| database_error(&e))?;
            for b in &bound {
                run(&*tx, b, sql_text).await?;
                results.push(json!({ "generatedFields": [] }));
            }
            tx.commit().await.map_err(|e| database_error(&e))?;
        }
    }
    Ok(json!({ "updateResults": results }))
}

pub async fn begin_transaction(app: &Arc<App>, input: TransactionInput) -> Result<Value, ApiError> {
    injected(app, "BeginTransaction")?;
    required(&input.resource_arn, "resourceArn")?;
    required(&input.secret_arn, "secretArn")?;
    let database = database_name(app, &input.database);
    let (client, driver) = app
        .postgres
        .connect(&database)
        .await
        .map_err(|e| connect_error(Some(&e), &database))?;
    client
        .batch_execute("BEGIN")
        .await
        .map_err(|e| database_error(&e))?;
    let id = BASE64.encode(uuid::Uuid::new_v4().as_bytes());
    let transaction = Arc::new(Transaction {
        database,
        client: tokio::sync::Mutex::new(client),
        driver,
        last_used: Mutex::new(Instant::now()),
    });
    lock(&app.transactions.open).insert(id.clone(), transaction);
    Ok(json!({ "transactionId": id }))
}

pub async fn commit_transaction(
    app: &Arc<App>,
    input: TransactionInput,
) -> Result<Value, ApiError> {
    end_transaction(
        app,
        input,
        "CommitTransaction",
        "COMMIT",
        "Transaction Committed",
    )
    .await
}

pub async fn rollback_transaction(
    app: &Arc<App>,
    input: TransactionInput,
) -> Result<Value, ApiError> {
    end_transaction(
        app,
        input,
        "RollbackTransaction",
        "ROLLBACK",
        "Rollback Complete",
    )
    .await
}

async fn end_transaction(
    app: &Arc<App>,
    input: TransactionInput,
    operation: &str,
    command: &str,
    status: &str,
) -> Result<Value, ApiError> {
    injected(app, operation)?;
    required(&input.resource_arn, "resourceArn")?;
    required(&input.secret_arn, "secretArn")?;
    let id = required(&input.transaction_id, "transactionId")?;
    let transaction = app.transactions.take(id)?;
    let client = transaction.client.lock().await;
    let ended = client.batch_execute(command).await;
    drop(client);
    transaction.driver.abort();
    ended.map_err(|e| database_error(&e))?;
    tracing::debug!(database = %transaction.database, %status, "transaction ended");
    Ok(json!({ "transactionStatus": status }))
}
