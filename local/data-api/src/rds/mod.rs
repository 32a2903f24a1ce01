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

use execution::{Bound, bind, run, within_call_timeout};
use state::Transaction;
pub use state::{Pools, Transactions};
use wire::{
    BatchInput, ExecuteInput, TransactionInput, connect_error, database_error, required,
    statement_timeout, unavailable,
};

use crate::error::{RestJsonError, ServiceError};
use crate::fault_injection::Fault;
use crate::server::{App, log_error};

macro_rules! route {
    ($name:ident, $operation:literal, $call:path) => {
        async fn $name(State(app): State<Arc<App>>, body: Bytes) -> Response {
            let result = match wire::parse(&body) {
                Ok(input) => match wire::check_target(&app.config, &input) {
                    Ok(()) => $call(&app, input).await,
                    Err(e) => Err(e),
                },
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

/// Where a call's SQL runs: a pooled connection (autocommit) or an open transaction's.
enum Connection {
    Pooled(deadpool_postgres::Object),
    Transaction(String, Arc<Transaction>),
}

impl Connection {
    async fn open(
        app: &App,
        database: &Option<String>,
        transaction_id: &Option<String>,
    ) -> Result<Self, ServiceError> {
        Ok(match transaction_id {
            Some(id) => Connection::Transaction(id.clone(), app.transactions.get(id)?),
            None => {
                let database = database_name(app, database);
                Connection::Pooled(app.pools.client(&app.postgres, &database).await?)
            }
        })
    }

    async fn cancel_token(&self) -> tokio_postgres::CancelToken {
        match self {
            Connection::Pooled(client) => client.cancel_token(),
            Connection::Transaction(_, t) => t.client.lock().await.cancel_token(),
        }
    }

    fn transaction_id(&self) -> Option<String> {
        match self {
            Connection::Pooled(_) => None,
            Connection::Transaction(id, _) => Some(id.clone()),
        }
    }
}

/// After an error inside a transaction AWS aborts it: later calls with its id are "not found".
fn abort_on_error<T>(
    app: &App,
    transaction_id: Option<String>,
    result: Result<T, ServiceError>,
) -> Result<T, ServiceError> {
    if let (Err(_), Some(id)) = (&result, transaction_id) {
        app.transactions.abort(&id);
    }
    result
}

async fn execute_statement(app: &Arc<App>, input: ExecuteInput) -> Result<Value, ServiceError> {
    injected(app, "ExecuteStatement")?;
    let numbers = input.validate()?;
    let sql_text = input.sql.clone().unwrap_or_default();
    let bound = bind(&sql_text, &input.parameters)?;
    let connection = Connection::open(app, &input.database, &input.transaction_id).await?;
    let cancel = connection.cancel_token().await;
    let transaction_id = connection.transaction_id();
    let work = async move {
        match &connection {
            Connection::Pooled(client) => run(&***client, &bound, &sql_text).await,
            Connection::Transaction(_, t) => run(&*t.client.lock().await, &bound, &sql_text).await,
        }
    };
    let continued = input.continue_after_timeout;
    let result = within_call_timeout(app.config.rds_call_timeout, continued, cancel, work).await;
    // A statement that goes on after the timeout has not failed (yet): its transaction stays open.
    let timed_out_but_running = continued
        && result
            .as_ref()
            .is_err_and(|e| e.code == "StatementTimeoutException");
    let executed = if timed_out_but_running {
        result?
    } else {
        abort_on_error(app, transaction_id, result)?
    };
    Ok(wire::execute_output(
        executed,
        input.include_result_metadata,
        input.format_records_as.as_deref() == Some("JSON"),
        numbers,
    ))
}

async fn batch_execute_statement(app: &Arc<App>, input: BatchInput) -> Result<Value, ServiceError> {
    injected(app, "BatchExecuteStatement")?;
    input.validate()?;
    let sql_text = input.sql.clone().unwrap_or_default();
    let sets = if input.parameter_sets.is_empty() {
        vec![Vec::new()]
    } else {
        input.parameter_sets.clone()
    };
    let bound: Vec<Bound> = sets
        .iter()
        .map(|set| bind(&sql_text, set))
        .collect::<Result<_, _>>()?;
    let connection = Connection::open(app, &input.database, &input.transaction_id).await?;
    let cancel = connection.cancel_token().await;
    let transaction_id = connection.transaction_id();
    let work = async move {
        let mut results = Vec::new();
        match connection {
            Connection::Transaction(_, t) => {
                let client = t.client.lock().await;
                for b in &bound {
                    run(&*client, b, &sql_text).await?;
                    results.push(json!({ "generatedFields": [] }));
                }
            }
            Connection::Pooled(mut client) => {
                // Without a transaction id the whole batch is one transaction, as on AWS.
                let tx = client.transaction().await.map_err(|e| database_error(&e))?;
                for b in &bound {
                    run(&*tx, b, &sql_text).await?;
                    results.push(json!({ "generatedFields": [] }));
                }
                tx.commit().await.map_err(|e| database_error(&e))?;
            }
        }
        Ok(results)
    };
    let result = within_call_timeout(app.config.rds_call_timeout, false, cancel, work).await;
    let results = abort_on_error(app, transaction_id, result)?;
    Ok(json!({ "updateResults": results }))
}

async fn begin_transaction(app: &Arc<App>, input: TransactionInput) -> Result<Value, ServiceError> {
    injected(app, "BeginTransaction")?;
    input.validate()?;
    let database = database_name(app, &input.database);
    // Past `rds_transactions` open transactions a Begin waits for one to end, within the call
    // timeout (AWS documents no limit of its own: **inferred**).
    let slot = tokio::time::timeout(
        app.config.rds_call_timeout,
        app.transaction_slots.clone().acquire_owned(),
    )
    .await
    .map_err(|_| statement_timeout())?
    .map_err(|_| unavailable())?;
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
        .insert(id.clone(), Transaction::new(database, client, driver, slot));
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
    input.validate()?;
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
