//! redshift-data (awsJson1_1): statements run asynchronously on a dedicated PostgreSQL connection each,
//! with Redshift's status transitions, so CancelStatement can cancel the running query for real.
//!
//! `wire` holds the shapes and validation, `statements` the registry, `execution` the running of a
//! statement; this module dispatches the operations.

mod execution;
mod statements;
mod wire;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

pub use statements::Statements;
use statements::{Status, Submission};
use wire::{ExecuteInput, IdInput, ListInput, parse, validation};

use crate::error::ServiceError;
use crate::fault_injection::Fault;
use crate::server::App;
use crate::values::Field;

/// How long CancelStatement waits for the query to stop, so "cancelled" means no longer running.
const CANCEL_SETTLE: Duration = Duration::from_secs(5);

/// Dispatches `RedshiftData.<operation>`.
pub async fn handle(app: &Arc<App>, operation: &str, body: &[u8]) -> Result<Value, ServiceError> {
    let fault = app.faults.on_call("redshift-data", operation);
    if let Some(Fault::Error(code)) = &fault {
        return Err(ServiceError::injected(code));
    }
    match operation {
        "ExecuteStatement" => execute_statement(app, parse(body)?, fault).await,
        "DescribeStatement" => describe_statement(app, parse(body)?).await,
        "GetStatementResult" => get_statement_result(app, parse(body)?).await,
        "CancelStatement" => cancel_statement(app, parse(body)?).await,
        "ListStatements" => list_statements(app, parse(body)?),
        _ => Err(ServiceError::bad_request(
            "UnknownOperationException",
            format!("The local data API does not implement RedshiftData.{operation}"),
        )),
    }
}

async fn execute_statement(
    app: &Arc<App>,
    input: ExecuteInput,
    fault: Option<Fault>,
) -> Result<Value, ServiceError> {
    input.validate()?;
    wire::check_target(
        &app.config,
        input.workgroup_name.as_deref(),
        input.cluster_identifier.as_deref(),
    )?;
    if let Some(statement) = input
        .client_token
        .as_deref()
        .and_then(|token| app.statements.by_client_token(token))
    {
        return Ok(wire::execute_output(&statement, false));
    }
    if !crate::db::reachable(&app.maintenance).await {
        return Err(wire::database_connection_failed());
    }
    let submission = Submission {
        query: input.sql.unwrap_or_default(),
        database: input
            .database
            .unwrap_or_else(|| app.config.redshift_database.clone()),
        workgroup_name: input.workgroup_name,
        cluster_identifier: input.cluster_identifier,
        secret_arn: input.secret_arn,
        db_user: input.db_user,
        statement_name: input.statement_name,
        parameters: input.parameters,
    };
    let statement = app.statements.admit(submission, input.client_token)?;
    tokio::spawn(execution::run(app.clone(), statement.clone(), fault));

    let waited = input.wait_time_seconds.is_some_and(|s| s > 0);
    statement.wait(input.wait_time_seconds).await?;
    Ok(wire::execute_output(&statement, waited))
}

async fn describe_statement(app: &Arc<App>, input: IdInput) -> Result<Value, ServiceError> {
    let statement = app.statements.get(input.id.as_deref())?;
    statement.wait(input.wait_time_seconds).await?;
    Ok(wire::describe_output(&statement))
}

async fn get_statement_result(app: &Arc<App>, input: IdInput) -> Result<Value, ServiceError> {
    let statement = app.statements.get(input.id.as_deref())?;
    statement.wait(input.wait_time_seconds).await?;
    let status = statement.status();
    if status != Status::Finished {
        return Err(validation(format!(
            "Query has not finished. Current status is {}.",
            status.name()
        )));
    }
    let mut progress = statement.progress();
    let progress = &mut *progress;
    let result = progress.result.as_ref().ok_or_else(|| {
        validation("Query does not have result. Please check query status with DescribeStatement.")
    })?;
    let offset = match input.next_token.as_deref() {
        None => 0,
        Some(token) => *progress
            .page_tokens
            .get(token)
            .ok_or_else(|| validation("Invalid NextToken."))?,
    };
    let end = page_end(&result.rows, offset, app.config.result_page_bytes);
    let mut out = json!({
        "Records": &result.rows[offset..end],
        "ColumnMetadata": result.columns,
        "TotalNumRows": result.rows.len(),
    });
    if end < result.rows.len() {
        let token = wire::opaque_token();
        progress.page_tokens.insert(token.clone(), end);
        out["NextToken"] = token.into();
    }
    Ok(out)
}

/// Where the page starting at `offset` ends: rows until `page_bytes` of cell data, at least one.
fn page_end(rows: &[Vec<Field>], offset: usize, page_bytes: usize) -> usize {
    let mut bytes = 0;
    let mut end = offset;
    while end < rows.len() {
        bytes += rows[end].iter().map(Field::size).sum::<usize>();
        if bytes > page_bytes && end > offset {
            break;
        }
        end += 1;
    }
    end
}

async fn cancel_statement(app: &Arc<App>, input: IdInput) -> Result<Value, ServiceError> {
    let statement = app.statements.get(input.id.as_deref())?;
    let status = statement.status();
    if status.is_terminal() {
        return Err(validation(format!(
            "Could not cancel a query that is already in {} state with ID: {}",
            status.name(),
            statement.id
        )));
    }
    statement.request_cancel();
    statement.wait_for_end(CANCEL_SETTLE).await;
    Ok(json!({ "Status": true }))
}

fn list_statements(app: &Arc<App>, input: ListInput) -> Result<Value, ServiceError> {
    input.validate()?;
    let offset = match input.next_token.as_deref() {
        None => 0,
        Some(token) => wire::list_offset(token).ok_or_else(|| validation("Invalid NextToken."))?,
    };
    // 0 is within the model's range; taken as "the default page" (**inferred**).
    let max = match input.max_results {
        None | Some(0) => 100,
        Some(n) => n as usize,
    };
    let wanted = input.status.filter(|s| s != "ALL");
    let matching: Vec<_> = app
        .statements
        .all()
        .into_iter()
        .filter(|s| wanted.as_deref().is_none_or(|w| s.status().name() == w))
        .filter(|s| {
            input.statement_name.as_deref().is_none_or(|n| {
                s.submitted
                    .statement_name
                    .as_deref()
                    .is_some_and(|name| name.starts_with(n))
            })
        })
        .filter(|s| {
            input
                .database
                .as_deref()
                .is_none_or(|d| s.submitted.database == d)
        })
        .filter(|s| {
            input
                .workgroup_name
                .as_deref()
                .is_none_or(|w| s.submitted.workgroup_name.as_deref() == Some(w))
        })
        .filter(|s| {
            input
                .cluster_identifier
                .as_deref()
                .is_none_or(|c| s.submitted.cluster_identifier.as_deref() == Some(c))
        })
        .collect();
    let page: Vec<Value> = matching
        .iter()
        .skip(offset)
        .take(max)
        .map(|s| wire::list_item(s))
        .collect();
    let mut out = json!({ "Statements": page });
    if offset + max < matching.len() {
        out["NextToken"] = wire::list_token(offset + max).into();
    }
    Ok(out)
}
