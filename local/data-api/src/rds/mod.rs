//! rds-data (restJson1): ExecuteStatement, BatchExecuteStatement and real PostgreSQL transactions.
//!
//! Parameters are bound the way the service binds them (it runs on JDBC): a `longValue` is a bigint, a
//! `stringValue` a varchar unless its `typeHint` says DATE, TIME, TIMESTAMP, DECIMAL, UUID or JSON, a
//! null lets PostgreSQL infer the type. Values travel as text, parsed by PostgreSQL's input functions.
//!
//! `wire` holds the shapes and errors, `state` the transactions and pools, `execution` the binding and
//! running of SQL; this module serves the routes.

mod execution;
mod state;
mod wire;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};

use execution::{Bound, bind, run};
use state::Transaction;
pub use state::{Pools, Transactions};
use wire::{
    BatchInput, ExecuteInput, TransactionInput, bad_request, connect_error, database_error,
    required,
};

use crate::error::{RestJsonError, ServiceError};
use crate::fault_injection::Fault;
use crate::server::{App, log_error};

macro_rules! route {
    ($name:ident, $operation:literal, $call:path) => {
        async fn $name(State(app): State<Arc<App>>, body: Bytes) -> Response {
            let result = match wire::parse(&body) {
                Ok(input) => $call(&app, input).await,
                Err(e) => Err(e),
            };
            respond($operation, result)
        }
    };
}

route!(execute_route, "ExecuteStatement", execute_statement);
route!(
    batch_route,
    "BatchExecuteStatement",
    batch_execute_statement
);
route!(begin_route, "BeginTransaction", begin_transaction);
route!(commit_route, "CommitTransaction", commit_transaction);
route!(rollback_route, "RollbackTransaction", rollback_transaction);

/// rds-data's operations, each on its own path.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/Execute", post(execute_route))
        .route("/BatchExecute", post(batch_route))
        .route("/BeginTransaction", post(begin_route))
        .route("/CommitTransaction", post(commit_route))
        .route("/RollbackTransaction", post(rollback_route))
}

fn respond(operation: &str, result: Result<Value, ServiceError>) -> Response {
    match result {
        Ok(value) => axum::Json(value).into_response(),
        Err(error) => {
            log_error(operation, &error);
            RestJsonError(error).into_response()
        }
    }
}

/// Answers an injected fault, if one is due for this operation.
fn injected(app: &App, operation: &str) -> Result<(), ServiceError> {
    match app.faults.on_call("rds-data", operation) {
        Some(Fault::Error(code)) => Err(ServiceError::injected(&code)),
        _ => Ok(()),
    }
}

fn database_name(app: &App, requested: &Option<String>) -> String {
    requested
        .clone()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| app.config.aurora_database.clone())
}

async fn execute_statement(app: &Arc<App>, input: ExecuteInput) -> Result<Value, ServiceError> {
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
            let client = app.pools.client(&app.postgres, &database).await?;
            run(&**client, &bound, sql_text).await?
        }
    };
    Ok(wire::execute_output(
        executed,
        input.include_result_metadata,
        format_json,
    ))
}

async fn batch_execute_statement(app: &Arc<App>, input: BatchInput) -> Result<Value, ServiceError> {
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
            let mut client = app.pools.client(&app.postgres, &database).await?;
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

async fn begin_transaction(app: &Arc<App>, input: TransactionInput) -> Result<Value, ServiceError> {
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
    app.transactions
        .insert(id.clone(), Transaction::new(database, client, driver));
    Ok(json!({ "transactionId": id }))
}

async fn commit_transaction(
    app: &Arc<App>,
    input: TransactionInput,
) -> Result<Value, ServiceError> {
    end_transaction(
        app,
        input,
        "CommitTransaction",
        "COMMIT",
        "Transaction Committed",
    )
    .await
}

async fn rollback_transaction(
    app: &Arc<App>,
    input: TransactionInput,
) -> Result<Value, ServiceError> {
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
) -> Result<Value, ServiceError> {
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
