//! The statement registry: every statement this server accepted, its status as a watch channel (so
//! waiters wake on change), its progress and result, and the client tokens that make ExecuteStatement
//! idempotent.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use tokio::sync::watch;
use uuid::Uuid;

use super::wire::{self, SqlParameter};
use crate::error::ServiceError;
use crate::lock::lock;
use crate::values::Field;

const MAX_ACTIVE_STATEMENTS: usize = 200;

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

    pub fn name(self) -> &'static str {
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

/// Rows and column metadata of a finished statement.
#[derive(Debug)]
pub struct ResultSet {
    pub columns: Vec<Value>,
    pub rows: Vec<Vec<Field>>,
}

#[derive(Debug)]
pub struct Progress {
    pub updated_at: DateTime<Utc>,
    pub error: Option<String>,
    pub duration_ns: i64,
    pub result: Option<ResultSet>,
    pub result_rows: i64,
    pub result_size: i64,
    pub backend_pid: Option<i32>,
    /// GetStatementResult's NextTokens: random strings standing for a row offset, so that no client
    /// can build or read one (AWS's are opaque too).
    pub page_tokens: HashMap<String, usize>,
}

/// What a statement is asked to run, as ExecuteStatement gave it.
#[derive(Debug)]
pub struct Submission {
    pub query: String,
    pub database: String,
    pub workgroup_name: Option<String>,
    pub cluster_identifier: Option<String>,
    pub secret_arn: Option<String>,
    pub db_user: Option<String>,
    pub statement_name: Option<String>,
    pub parameters: Vec<SqlParameter>,
}

#[derive(Debug)]
pub struct Statement {
    pub id: Uuid,
    pub submitted: Submission,
    pub created_at: DateTime<Utc>,
    /// Stands for Redshift's query id (`RedshiftQueryId`): a number per statement of this server.
    pub query_id: i64,
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
    fn new(submission: Submission, query_id: i64) -> Self {
        Self {
            id: Uuid::new_v4(),
            submitted: submission,
            created_at: Utc::now(),
            query_id,
            progress: Mutex::new(Progress {
                updated_at: Utc::now(),
                error: None,
                duration_ns: -1,
                result: None,
                result_rows: -1,
                result_size: -1,
                backend_pid: None,
                page_tokens: HashMap::new(),
            }),
            status: watch::Sender::new(Status::Submitted),
            cancel: watch::Sender::new(false),
        }
    }

    pub fn status(&self) -> Status {
        *self.status.borrow()
    }

    pub fn progress(&self) -> MutexGuard<'_, Progress> {
        lock(&self.progress)
    }

    pub fn set_status(&self, status: Status) {
        self.progress().updated_at = Utc::now();
        self.status.send_replace(status);
    }

    pub fn request_cancel(&self) {
        self.cancel.send_replace(true);
    }

    pub fn cancel_requested(&self) -> bool {
        *self.cancel.borrow()
    }

    /// Resolves once a cancel is requested.
    pub async fn cancelled(&self) {
        let mut cancel = self.cancel.subscribe();
        let _ = cancel.wait_for(|c| *c).await;
    }

    /// Waits at most `limit` for the statement to end.
    pub async fn wait_for_end(&self, limit: Duration) {
        let mut status = self.status.subscribe();
        let _ = tokio::time::timeout(limit, status.wait_for(|s| s.is_terminal())).await;
    }

    /// Waits up to `seconds` (capped at 30) for the statement to end.
    pub async fn wait(&self, seconds: Option<i64>) -> Result<(), ServiceError> {
        let seconds = wire::validate_wait(seconds)?;
        if seconds > 0 {
            self.wait_for_end(Duration::from_secs(seconds as u64)).await;
        }
        Ok(())
    }

    pub fn view(&self) -> StatementView {
        StatementView {
            id: self.id.to_string(),
            status: self.status(),
            database: self.submitted.database.clone(),
            query_string: self.submitted.query.clone(),
            backend_pid: self.progress().backend_pid,
        }
    }
}

/// All statements of this server (AWS keeps them 24 h; here until reset).
#[derive(Debug, Default)]
pub struct Statements {
    by_id: Mutex<HashMap<Uuid, Arc<Statement>>>,
    by_client_token: Mutex<HashMap<String, Uuid>>,
    last_query_id: AtomicI64,
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
            statement.request_cancel();
        }
        lock(&self.by_client_token).clear();
    }

    pub fn get(&self, id: Option<&str>) -> Result<Arc<Statement>, ServiceError> {
        let id = id.ok_or_else(|| wire::validation("Id is required"))?;
        let not_found = || {
            ServiceError::bad_request("ResourceNotFoundException", "Query does not exist.")
                .with("ResourceId", id)
        };
        // Ids of BatchExecuteStatement sub-statements look like `<uuid>:1`.
        let uuid = Uuid::parse_str(id.split(':').next().unwrap_or(id)).map_err(|_| not_found())?;
        lock(&self.by_id).get(&uuid).cloned().ok_or_else(not_found)
    }

    /// The statement an earlier call with this client token created, if any.
    pub fn by_client_token(&self, token: &str) -> Option<Arc<Statement>> {
        let id = lock(&self.by_client_token).get(token).copied()?;
        lock(&self.by_id).get(&id).cloned()
    }

    /// Registers a new statement, unless 200 are already active (AWS's quota).
    pub fn admit(
        &self,
        submission: Submission,
        client_token: Option<String>,
    ) -> Result<Arc<Statement>, ServiceError> {
        // Counted and inserted under one lock, so concurrent calls cannot pass the quota together.
        let mut by_id = lock(&self.by_id);
        let active = by_id.values().filter(|s| !s.status().is_terminal()).count();
        if active >= MAX_ACTIVE_STATEMENTS {
            return Err(ServiceError::injected("ActiveStatementsExceededException"));
        }
        let query_id = self.last_query_id.fetch_add(1, Ordering::Relaxed) + 1;
        let statement = Arc::new(Statement::new(submission, query_id));
        by_id.insert(statement.id, statement.clone());
        drop(by_id);
        if let Some(token) = client_token {
            lock(&self.by_client_token).insert(token, statement.id);
        }
        Ok(statement)
    }
}
