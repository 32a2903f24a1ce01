//! Running a statement: a PostgreSQL connection of its own, Redshift's status transitions, the whole
//! result read into memory, and CancelStatement turned into PostgreSQL's cancel request.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio_postgres::{CancelToken, NoTls};

use super::statements::{ResultSet, Statement, Status};
use crate::columns::{self, ColumnInfo};
use crate::db::{self, CollectError, SizeLimits};
use crate::fault_injection::Fault;
use crate::server::App;
use crate::sql;
use crate::values::{self, Field, TextParam};

/// The Data API's limit on one row of a result (AWS: 64 KB, "Packet for query is too large").
const MAX_ROW_BYTES: usize = 64 * 1024;

/// How a statement ended, before the artificial duration is applied.
enum Outcome {
    Finished(Option<ResultSet>, i64),
    Failed(String),
    Aborted,
}

/// Runs `statement` to its end (spawned by ExecuteStatement).
pub async fn run(app: Arc<App>, statement: Arc<Statement>, fault: Option<Fault>) {
    let started = Instant::now();
    // SUBMITTED until a connection slot is free: up to 200 statements are admitted (AWS's quota),
    // but only `redshift_connections` hold a PostgreSQL connection at once.
    let slot = tokio::select! {
        slot = app.redshift_slots.clone().acquire_owned() => slot.ok(),
        _ = statement.cancelled() => None,
    };
    if slot.is_none() {
        finish(&statement, Outcome::Aborted, started.elapsed());
        return;
    }
    statement.set_status(Status::Picked);
    let outcome = match fault {
        Some(Fault::StatementFailed) => {
            statement.set_status(Status::Started);
            Outcome::Failed("ERROR: Query failed (fault injected by the local data API)".into())
        }
        Some(Fault::StatementAborted) => Outcome::Aborted,
        _ => execute(&app, &statement).await,
    };
    drop(slot);
    let outcome = match outcome {
        Outcome::Aborted => Outcome::Aborted,
        other => {
            let remaining = app
                .faults
                .statement_duration()
                .saturating_sub(started.elapsed());
            tokio::select! {
                _ = tokio::time::sleep(remaining) => other,
                _ = statement.cancelled() => Outcome::Aborted,
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
    let (client, driver) = match app.postgres.connect(&statement.submitted.database).await {
        Ok(connected) => connected,
        Err(e) => return Outcome::Failed(db::error_text(&e)),
    };
    let outcome = run_on(&client, statement, app.config.redshift_result_bytes).await;
    drop(client);
    // The backend is gone once the connection task ends: nothing keeps running after ABORTED.
    let _ = driver.await;
    outcome
}

/// The statement's error text: PostgreSQL's, or the Data API's own for its size limits (AWS's
/// troubleshooting guide names them by these texts; that they are the whole Error is **inferred**).
fn failure_text(error: &CollectError) -> String {
    match error {
        CollectError::Postgres(e) => db::error_text(e),
        CollectError::Unsupported(u) => format!("ERROR: {u}"),
        CollectError::RowTooLarge(_) => "Packet for query is too large".into(),
        CollectError::ResultTooLarge(_) => "Database response exceeded size limit".into(),
    }
}

/// Redshift has no array columns, so its Field has no arrayValue: an array column is unsupported.
fn first_array_column<'a>(rows: &[Vec<Field>], columns: &'a [Value]) -> Option<&'a str> {
    let index = rows
        .first()?
        .iter()
        .position(|f| matches!(f, Field::Array(_)))?;
    columns[index]["typeName"].as_str()
}

async fn run_on(
    client: &tokio_postgres::Client,
    statement: &Statement,
    result_limit: usize,
) -> Outcome {
    let failed = |e: tokio_postgres::Error| Outcome::Failed(db::error_text(&e));
    let pid: i32 = match client.query_one("SELECT pg_backend_pid()", &[]).await {
        Ok(row) => row.get(0),
        Err(e) => return failed(e),
    };
    statement.progress().backend_pid = Some(pid);
    statement.set_status(Status::Started);

    let values: HashMap<&str, &str> = statement
        .submitted
        .parameters
        .iter()
        .map(|p| (p.name.as_str(), p.value.as_str()))
        .collect();
    let translated = sql::translate(&statement.submitted.query, &|name| {
        values.contains_key(name)
    });
    // Redshift converts parameter text to whatever type the context needs: let PostgreSQL infer it.
    let types = vec![values::inferred_type(); translated.names.len()];
    let params: Vec<TextParam> = translated
        .names
        .iter()
        .map(|n| TextParam(values.get(n.as_str()).map(|v| v.to_string())))
        .collect();

    let limits = SizeLimits {
        row_bytes: MAX_ROW_BYTES,
        result_bytes: result_limit,
    };
    let query = async {
        let prepared = client.prepare_typed(&translated.sql, &types).await?;
        let has_result_set = !prepared.columns().is_empty();
        let columns: Vec<Value> = columns::describe(client, prepared.columns())
            .await
            .iter()
            .map(column_metadata)
            .collect();
        let stream = client.query_raw(&prepared, params.iter()).await?;
        let (rows, affected) = db::collect_rows(stream, limits).await?;
        Ok::<_, CollectError>((has_result_set, columns, rows, affected))
    };
    let outcome = cancellable(query, client.cancel_token(), statement).await;
    match outcome {
        None => Outcome::Aborted,
        Some(Err(e)) => Outcome::Failed(failure_text(&e)),
        Some(Ok((has_result_set, columns, rows, affected))) => {
            if let Some(array) = first_array_column(&rows, &columns) {
                return Outcome::Failed(format!(
                    "ERROR: {}",
                    values::UnsupportedType(array.to_string())
                ));
            }
            Outcome::Finished(
                has_result_set.then_some(ResultSet { columns, rows }),
                affected.map_or(-1, |n| n as i64),
            )
        }
    }
}

/// Runs `query` until it ends or a cancel is requested; then sends PostgreSQL's cancel request until
/// the query stops (a cancel that arrives before the query is ignored by the server). `None` = aborted.
async fn cancellable<T, E>(
    query: impl std::future::Future<Output = Result<T, E>>,
    token: CancelToken,
    statement: &Statement,
) -> Option<Result<T, E>> {
    tokio::pin!(query);
    tokio::select! {
        biased;
        result = &mut query => {
            return if statement.cancel_requested() { None } else { Some(result) };
        }
        _ = statement.cancelled() => {}
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

fn column_metadata(column: &ColumnInfo) -> Value {
    let ty = &column.ty;
    json!({
        "name": column.name,
        "label": column.name,
        "typeName": ty.name(),
        "isCaseSensitive": values::is_case_sensitive(ty),
        "isCurrency": false,
        "isSigned": values::is_signed(ty),
        "nullable": column.nullable,
        "precision": column.precision,
        "scale": column.scale,
        "length": column.length,
        "schemaName": column.schema,
        "tableName": column.table,
    })
}
