//! redshift-data (awsJson1_1): statements run asynchronously on a dedicated PostgreSQL connection each,
//! with Redshift's status transitions, so CancelStatement can cancel the running query for real.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_postgres::{CancelToken, NoTls};
use uuid::Uuid;

use crate::controls::Fault;
use crate::error::ApiError;
use crate::server::App;
use crate::sql;
use crate::values::{self, Field, TextParam};

const MAX_SQL_BYTES: usize = 100 * 1024;
const MAX_ACTIVE_STATEMENTS: usize = 200;
const MAX_WAIT_SECONDS: i64 = 30;
/// How long CancelStatement waits for the query to stop, so "cancelled" means no longer running.
const CANCEL_SETTLE: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    Submitted,
    Picked,
    Started,
    Finished,
    Aborted,
    Failed,
}

impl Status {
    pub fn is_terminal(self) -> bool {
        matches!(self, Status::Finished | Status::Aborted | Status::Failed)
    }

    fn name(self) -> &'static str {
        match self {
            Status::Submitted => "SUBMITTED",
            Status::Picked => "PICKED",
            Status::Started => "STARTED",
            Status::Finished => "FINISHED",
            Status::Aborted => "ABORTED",
            Status::Failed => "FAILED",
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SqlParameter {
    name: String,
    value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ExecuteInput {
    sql: Option<String>,
    database: Option<String>,
    workgroup_name: Option<String>,
    cluster_identifier: Option<String>,
    secret_arn: Option<String>,
    db_user: Option<String>,
    #[serde(default)]
    parameters: Vec<SqlParameter>,
    statement_name: Option<String>,
    client_token: Option<String>,
    result_format: Option<String>,
    wait_time_seconds: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct IdInput {
    id: Option<String>,
    next_token: Option<String>,
    wait_time_seconds: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ListInput {
    max_results: Option<usize>,
    next_token: Option<String>,
    status: Option<String>,
    statement_name: Option<String>,
}

/// Rows and column metadata of a finished statement.
#[derive(Debug)]
struct ResultSet {
    columns: Vec<Value>,
    rows: Vec<Vec<Field>>,
}

#[derive(Debug)]
struct Progress {
    updated_at: DateTime<Utc>,
    error: Option<String>,
    duration_ns: i64,
    result: Option<ResultSet>,
    result_rows: i64,
    result_size: i64,
    backend_pid: Option<i32>,
}

#[derive(Debug)]
pub struct Statement {
    id: Uuid,
    query: String,
    database: String,
    workgroup_name: Option<String>,
    cluster_identifier: Option<String>,
    secret_arn: Option<String>,
    db_user: Option<String>,
    statement_name: Option<String>,
    parameters: Vec<SqlParameter>,
    created_at: DateTime<Utc>,
    progress: Mutex<Progress>,
    status: watch::Sender<Status>,
    cancel: watch::Sender<bool>,
}

/// What the admin endpoint shows of a statement.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatementView {
    pub id: String,
    pub status: Status,
    pub database: String,
    pub query_string: String,
    pub backend_pid: Option<i32>,
}

impl Statement {
    fn status(&self) -> Status {
        *self.status.borrow()
    }

    fn progress(&self) -> std::sync::MutexGuard<'_, Progress> {
        self.progress.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn set_status(&self, status: Status) {
        self.progress().updated_at = Utc::now();
        self.status.send_replace(status);
    }

    fn cancel_requested(&self) -> bool {
        *self.cancel.borrow()
    }

    /// Waits up to `seconds` (capped at 30) for the statement to end.
    async fn wait(&self, seconds: Option<i64>) -> Result<(), ApiError> {
        let seconds = validate_wait(seconds)?;
        if seconds == 0 {
            return Ok(());
        }
        let mut status = self.status.subscribe();
        let _ = tokio::time::timeout(
            Duration::from_secs(seconds as u64),
            status.wait_for(|s| s.is_terminal()),
        )
        .await;
        Ok(())
    }

    pub fn view(&self) -> StatementView {
        StatementView {
            id: self.id.to_string(),
            status: self.status(),
            database: self.database.clone(),
            query_string: self.query.clone(),
            backend_pid: self.progress().backend_pid,
        }
    }
}

/// All statements of this server (AWS keeps them 24 h; here until reset).
#[derive(Debug, Default)]
pub struct Statements {
    by_id: Mutex<HashMap<Uuid, Arc<Statement>>>,
    by_client_token: Mutex<HashMap<String, Uuid>>,
}

impl Statements {
    pub fn all(&self) -> Vec<Arc<Statement>> {
        let mut all: Vec<_> = lock(&self.by_id).values().cloned().collect();
        all.sort_by_key(|s| std::cmp::Reverse(s.created_at));
        all
    }

    /// Cancels what runs and forgets everything.
    pub fn clear(&self) {
        for statement in lock(&self.by_id).drain().map(|(_, s)| s) {
            statement.cancel.send_replace(true);
        }
        lock(&self.by_client_token).clear();
    }

    fn get(&self, id: Option<&str>) -> Result<Arc<Statement>, ApiError> {
        let id = id.ok_or_else(|| validation("Id is required"))?;
        let not_found = || {
            ApiError::bad_request("ResourceNotFoundException", "Query does not exist.")
                .with("ResourceId", id)
        };
        // Ids of BatchExecuteStatement sub-statements look like `<uuid>:1`.
        let uuid = Uuid::parse_str(id.split(':').next().unwrap_or(id)).map_err(|_| not_found())?;
        lock(&self.by_id).get(&uuid).cloned().ok_or_else(not_found)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn validation(message: impl Into<String>) -> ApiError {
    ApiError::bad_request("ValidationException", message)
}

fn validate_wait(seconds: Option<i64>) -> Result<i64, ApiError> {
    match seconds.unwrap_or(0) {
        s @ 0..=MAX_WAIT_SECONDS => Ok(s),
        _ => Err(validation(
            "WaitTimeSeconds must be between 0 and 30 seconds.",
        )),
    }
}

fn epoch_seconds(t: DateTime<Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body)
        .map_err(|e| ApiError::bad_request("SerializationException", e.to_string()))
}

/// Dispatches `RedshiftData.<operation>`.
pub async fn handle(app: &Arc<App>, operation: &str, body: &[u8]) -> Result<Value, ApiError> {
    let fault = app.controls.on_call("redshift-data", operation);
    if let Some(Fault::Error(code)) = &fault {
        return Err(ApiError::injected(code));
    }
    match operation {
        "ExecuteStatement" => execute_statement(app, parse(body)?, fault).await,
        "DescribeStatement" => describe_statement(app, parse(body)?).await,
        "GetStatementResult" => get_statement_result(app, parse(body)?).await,
        "CancelStatement" => cancel_statement(app, parse(body)?).await,
        "ListStatements" => list_statements(app, parse(body)?),
        _ => Err(ApiError::bad_request(
            "UnknownOperationException",
            format!("The local data API does not implement RedshiftData.{operation}"),
        )),
    }
}

async fn execute_statement(
    app: &Arc<App>,
    input: ExecuteInput,
    fault: Option<Fault>,
) -> Result<Value, ApiError> {
    let sql = input
        .sql
        .clone()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| validation("Sql is required"))?;
    if sql.len() > MAX_SQL_BYTES {
        return Err(validation("Sql must be at most 100 KB"));
    }
    if input.workgroup_name.is_none() && input.cluster_identifier.is_none() {
        return Err(validation(
            "Either WorkgroupName or ClusterIdentifier must be specified.",
        ));
    }
    if input.workgroup_name.is_some() && input.cluster_identifier.is_some() {
        return Err(validation(
            "WorkgroupName and ClusterIdentifier cannot both be specified.",
        ));
    }
    if input.result_format.as_deref().is_some_and(|f| f != "JSON") {
        return Err(validation(
            "The local data API supports ResultFormat JSON only.",
        ));
    }
    for p in &input.parameters {
        let valid_name = !p.name.is_empty()
            && p.name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name || p.value.is_empty() {
            return Err(validation(
                "Parameter names must match [0-9a-zA-Z_]+ and values must not be empty.",
            ));
        }
    }
    validate_wait(input.wait_time_seconds)?;

    if let Some(token) = &input.client_token {
        let existing = lock(&app.statements.by_client_token).get(token).copied();
        if let Some(id) = existing {
            let statement = app.statements.get(Some(&id.to_string()))?;
            return Ok(execute_output(&statement, false));
        }
    }
    let active = lock(&app.statements.by_id)
        .values()
        .filter(|s| !s.status().is_terminal())
        .count();
    if active >= MAX_ACTIVE_STATEMENTS {
        return Err(ApiError::injected("ActiveStatementsExceededException"));
    }

    let statement = Arc::new(Statement {
        id: Uuid::new_v4(),
        query: sql,
        database: input
            .database
            .unwrap_or_else(|| app.config.redshift_database.clone()),
        workgroup_name: input.workgroup_name,
        cluster_identifier: input.cluster_identifier,
        secret_arn: input.secret_arn,
        db_user: input.db_user,
        statement_name: input.statement_name,
        parameters: input.parameters,
        created_at: Utc::now(),
        progress: Mutex::new(Progress {
            updated_at: Utc::now(),
            error: None,
            duration_ns: -1,
            result: None,
            result_rows: -1,
            result_size: -1,
            backend_pid: None,
        }),
        status: watch::Sender::new(Status::Submitted),
        cancel: watch::Sender::new(false),
    });
    lock(&app.statements.by_id).insert(statement.id, statement.clone());
    if let Some(token) = input.client_token {
        lock(&app.statements.by_client_token).insert(token, statement.id);
    }
    tokio::spawn(run(app.clone(), statement.clone(), fault));

    let waited = input.wait_time_seconds.is_some_and(|s| s > 0);
    statement.wait(input.wait_time_seconds).await?;
    Ok(execute_output(&statement, waited))
}

fn execute_output(statement: &Statement, with_status: bool) -> Value {
    let mut out = json!({
        "Id": statement.id.to_string(),
        "CreatedAt": epoch_seconds(statement.created_at),
        "Database": statement.database,
    });
    let extra = [
        ("WorkgroupName", &statement.workgroup_name),
        ("ClusterIdentifier", &statement.cluster_identifier),
        ("SecretArn", &statement.secret_arn),
        ("DbUser", &statement.db_user),
    ];
    for (key, value) in extra {
        if let Some(value) = value {
            out[key] = value.clone().into();
        }
    }
    if with_status {
        let status = statement.status();
        out["Status"] = status.name().into();
        if status == Status::Finished {
            out["HasResultSet"] = statement.progress().result.is_some().into();
        }
    }
    out
}

/// How a statement ended, before the artificial duration is applied.
enum Outcome {
    Finished(Option<ResultSet>, i64),
    Failed(String),
    Aborted,
}

async fn run(app: Arc<App>, statement: Arc<Statement>, fault: Option<Fault>) {
    let started = Instant::now();
    statement.set_status(Status::Picked);
    let outcome = match fault {
        Some(Fault::StatementFailed) => {
            statement.set_status(Status::Started);
            Outcome::Failed("ERROR: Query failed (fault injected by the local data API)".into())
        }
        Some(Fault::StatementAborted) => Outcome::Aborted,
        _ => execute(&app, &statement).await,
    };
    let outcome = match outcome {
        Outcome::Aborted => Outcome::Aborted,
        other => {
            let remaining = app
                .controls
                .statement_duration()
                .saturating_sub(started.elapsed());
            let mut cancel = statement.cancel.subscribe();
            tokio::select! {
                _ = tokio::time::sleep(remaining) => other,
                _ = cancel.wait_for(|c| *c) => Outcome::Aborted,
            }
        }
    };
    finish(&statement, outcome, started.elapsed());
}

fn finish(statement: &Statement, outcome: Outcome, elapsed: Duration) {
    let status = {
        let mut progress = statement.progress();
        progress.duration_ns = i64::try_from(elapsed.as_nanos()).unwrap_or(i64::MAX);
        match outcome {
            Outcome::Finished(result, affected) => {
                match &result {
                    Some(set) => {
                        progress.result_rows = set.rows.len() as i64;
                        progress.result_size =
                            set.rows.iter().flatten().map(|f| f.size() as i64).sum();
                    }
                    None => progress.result_rows = affected,
                }
                progress.result = result;
                Status::Finished
            }
            Outcome::Failed(error) => {
                progress.error = Some(error);
                Status::Failed
            }
            Outcome::Aborted => Status::Aborted,
        }
    };
    statement.set_status(status);
}

/// Runs the SQL on a connection of its own and reads the whole result.
async fn execute(app: &App, statement: &Statement) -> Outcome {
    if statement.cancel_requested() {
        return Outcome::Aborted;
    }
    let (client, driver) = match app.postgres.connect(&statement.database).await {
        Ok(connected) => connected,
        Err(e) => return Outcome::Failed(crate::db::error_text(&e)),
    };
    let outcome = run_on(&client, statement).await;
    drop(client);
    // The backend is gone once the connection task ends: nothing keeps running after ABORTED.
    let _ = driver.await;
    outcome
}

async fn run_on(client: &tokio_postgres::Client, statement: &Statement) -> Outcome {
    let failed = |e: tokio_postgres::Error| Outcome::Failed(crate::db::error_text(&e));
    let pid: i32 = match client.query_one("SELECT pg_backend_pid()", &[]).await {
        Ok(row) => row.get(0),
        Err(e) => return failed(e),
    };
    statement.progress().backend_pid = Some(pid);
    statement.set_status(Status::Started);

    let values: HashMap<&str, &str> = statement
        .parameters
        .iter()
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .collect();
    let translated = sql::translate(&statement.query, &|name| values.contains_key(name));
    // Redshift converts parameter text to whatever type the context needs: let PostgreSQL infer it.
    let types = vec![values::inferred_type(); translated.names.len()];
    let params: Vec<TextParam> = translated
        .names
        .iter()
        .map(|n| TextParam(values.get(n.as_str()).map(|v| v.to_string())))
        .collect();

    let query = async {
        let prepared = client.prepare_typed(&translated.sql, &types).await?;
        let has_result_set = !prepared.columns().is_empty();
        let columns = prepared.columns().iter().map(column_metadata).collect();
        let stream = client.query_raw(&prepared, params.iter()).await?;
        let (rows, affected) = crate::server::collect_rows(stream).await?;
        Ok::<_, tokio_postgres::Error>((has_result_set, columns, rows, affected))
    };
    let outcome = cancellable(query, client.cancel_token(), statement).await;
    match outcome {
        None => Outcome::Aborted,
        Some(Err(e)) => failed(e),
        Some(Ok((has_result_set, columns, rows, affected))) => {
            let rows: Result<Vec<_>, _> = rows.iter().map(values::read_row).collect();
            match rows {
                Err(unsupported) => Outcome::Failed(format!("ERROR: {unsupported}")),
                Ok(rows) => Outcome::Finished(
                    has_result_set.then_some(ResultSet { columns, rows }),
                    affected.map_or(-1, |n| n as i64),
                ),
            }
        }
    }
}

/// Runs `query` until it ends or a cancel is requested; then sends PostgreSQL's cancel request until
/// the query stops (a cancel that arrives before the query is ignored by the server). `None` = aborted.
async fn cancellable<T>(
    query: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
    token: CancelToken,
    statement: &Statement,
) -> Option<Result<T, tokio_postgres::Error>> {
    tokio::pin!(query);
    let mut cancel = statement.cancel.subscribe();
    tokio::select! {
        biased;
        result = &mut query => {
            return if statement.cancel_requested() { None } else { Some(result) };
        }
        _ = cancel.wait_for(|c| *c) => {}
    }
    loop {
        let _ = token.cancel_query(NoTls).await;
        if tokio::time::timeout(Duration::from_millis(200), &mut query)
            .await
            .is_ok()
        {
            return None;
        }
    }
}

fn column_metadata(column: &tokio_postgres::Column) -> Value {
    let ty = column.type_();
    json!({
        "name": column.name(),
        "label": column.name(),
        "typeName": ty.name(),
        "isCaseSensitive": values::is_case_sensitive(ty),
        "isCurrency": false,
        "isSigned": values::is_signed(ty),
        "nullable": 1,
        "precision": 0,
        "scale": 0,
        "length": 0,
        "schemaName": "",
        "tableName": "",
    })
}

async fn describe_statement(app: &Arc<App>, input: IdInput) -> Result<Value, ApiError> {
    let statement = app.statements.get(input.id.as_deref())?;
    statement.wait(input.wait_time_seconds).await?;
    let status = statement.status();
    let progress = statement.progress();
    let mut out = json!({
        "Id": statement.id.to_string(),
        "QueryString": statement.query,
        "Status": status.name(),
        "Database": statement.database,
        "CreatedAt": epoch_seconds(statement.created_at),
        "UpdatedAt": epoch_seconds(progress.updated_at),
        "Duration": progress.duration_ns,
        "HasResultSet": progress.result.is_some(),
        "ResultRows": progress.result_rows,
        "ResultSize": progress.result_size,
        "RedshiftPid": progress.backend_pid.unwrap_or(0),
        "RedshiftQueryId": 0,
        "ResultFormat": "JSON",
    });
    if let Some(error) = &progress.error {
        out["Error"] = error.clone().into();
    }
    if !statement.parameters.is_empty() {
        out["QueryParameters"] = serde_json::to_value(&statement.parameters).unwrap_or_default();
    }
    let names = [
        ("WorkgroupName", &statement.workgroup_name),
        ("ClusterIdentifier", &statement.cluster_identifier),
        ("SecretArn", &statement.secret_arn),
        ("DbUser", &statement.db_user),
    ];
    for (key, value) in names {
        if let Some(value) = value {
            out[key] = value.clone().into();
        }
    }
    Ok(out)
}

async fn get_statement_result(app: &Arc<App>, input: IdInput) -> Result<Value, ApiError> {
    let statement = app.statements.get(input.id.as_deref())?;
    statement.wait(input.wait_time_seconds).await?;
    let status = statement.status();
    if status != Status::Finished {
        return Err(validation(format!(
            "Query has not finished. Current status is {}.",
            status.name()
        )));
    }
    let progress = statement.progress();
    let result = progress.result.as_ref().ok_or_else(|| {
        validation("Query does not have result. Please check query status with DescribeStatement.")
    })?;
    let offset = match input.next_token.as_deref() {
        None => 0,
        Some(token) => token
            .strip_prefix("page:")
            .and_then(|n| n.parse::<usize>().ok())
            .filter(|n| *n <= result.rows.len())
            .ok_or_else(|| validation("Invalid NextToken."))?,
    };
    let end = (offset + app.config.result_page_rows.max(1)).min(result.rows.len());
    let mut out = json!({
        "Records": &result.rows[offset..end],
        "ColumnMetadata": result.columns,
        "TotalNumRows": result.rows.len(),
    });
    if end < result.rows.len() {
        out["NextToken"] = format!("page:{end}").into();
    }
    Ok(out)
}

async fn cancel_statement(app: &Arc<App>, input: IdInput) -> Result<Value, ApiError> {
    let statement = app.statements.get(input.id.as_deref())?;
    let status = statement.status();
    if status.is_terminal() {
        return Err(validation(format!(
            "Could not cancel a query that is already in {} state with ID: {}",
            status.name(),
            statement.id
        )));
    }
    statement.cancel.send_replace(true);
    let mut status = statement.status.subscribe();
    let _ = tokio::time::timeout(CANCEL_SETTLE, status.wait_for(|s| s.is_terminal())).await;
    Ok(json!({ "Status": true }))
}

fn list_statements(app: &Arc<App>, input: ListInput) -> Result<Value, ApiError> {
    let offset = match input.next_token.as_deref() {
        None => 0,
        Some(token) => token
            .strip_prefix("list:")
            .and_then(|n| n.parse::<usize>().ok())
            .ok_or_else(|| validation("Invalid NextToken."))?,
    };
    let max = input.max_results.unwrap_or(100).clamp(1, 100);
    let wanted = input.status.filter(|s| s != "ALL");
    let matching: Vec<_> = app
        .statements
        .all()
        .into_iter()
        .filter(|s| wanted.as_deref().is_none_or(|w| s.status().name() == w))
        .filter(|s| {
            input.statement_name.as_deref().is_none_or(|n| {
                s.statement_name
                    .as_deref()
                    .is_some_and(|name| name.starts_with(n))
            })
        })
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(max)
        .map(|s| {
            let mut item = json!({
                "Id": s.id.to_string(),
                "QueryString": s.query,
                "Status": s.status().name(),
                "CreatedAt": epoch_seconds(s.created_at),
                "UpdatedAt": epoch_seconds(s.progress().updated_at),
                "IsBatchStatement": false,
                "ResultFormat": "JSON",
            });
            if let Some(name) = &s.statement_name {
                item["StatementName"] = name.clone().into();
            }
            item
        })
        .collect();
    let mut out = json!({ "Statements": page });
    if offset + max < matching.len() {
        out["NextToken"] = format!("list:{}", offset + max).into();
    }
    Ok(out)
}
