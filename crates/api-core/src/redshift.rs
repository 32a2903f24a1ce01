//! Runs one SQL statement on Redshift Serverless through the Redshift Data API.
//!
//! ExecuteStatement and DescribeStatement long-poll with `WaitTimeSeconds`, so a statement that
//! finishes within the first wait costs two calls (execute + result). Only if the service answers
//! early without having waited does the runner back off (with jitter) between polls. The deadline
//! bounds everything: past it the statement is cancelled and the answer is 504.

use std::time::Duration;

use aws_sdk_redshiftdata::Client;
use aws_sdk_redshiftdata::config::retry::RetryConfig;
use aws_sdk_redshiftdata::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_redshiftdata::types::{Field, SqlParameter};
use tokio::time::{Instant, sleep_until, timeout_at};

use crate::aws_error::{BUSY_REASON, common_answer, describe};
use crate::backoff::Backoff;
use crate::error::ApiError;

/// The Data API's upper bound for `WaitTimeSeconds`.
const MAX_WAIT_SECONDS: u64 = 30;
/// Room between the end of a long-poll and the deadline for the answer's round trip, so that a
/// statement's id is known (and it can be cancelled) before the deadline passes.
const WAIT_SLACK: Duration = Duration::from_secs(1);
const POLL_BACKOFF: (Duration, Duration) = (Duration::from_millis(100), Duration::from_secs(2));
const BUSY_BACKOFF: (Duration, Duration) = (Duration::from_millis(200), Duration::from_secs(2));
/// CancelStatement runs after the deadline, inside the safety margin kept for it
/// (`lambda::DEADLINE_SAFETY_MARGIN`, 1.5 s), leaving room for the 504 answer itself.
const CANCEL_BUDGET: Duration = Duration::from_secs(1);
const CANCEL_BACKOFF: (Duration, Duration) =
    (Duration::from_millis(50), Duration::from_millis(400));
const DEADLINE_REASON: &str = "the query did not finish within the time limit";
/// Service answers meaning "too much is running now"; worth retrying after a pause.
const BUSY_CODES: &[&str] = &[
    "ActiveStatementsExceededException",
    "ActiveSessionsExceededException",
    "ActiveWaitingRequestsExceededException",
];

/// One result record (a row of fields), as the Data API returns it.
pub type Record = Vec<Field>;

/// Redshift Data API parameters, referenced in SQL as `:name`. Redshift takes every value as text.
pub mod param {
    use aws_sdk_redshiftdata::types::SqlParameter;

    pub fn text(name: &str, value: impl Into<String>) -> SqlParameter {
        SqlParameter::builder()
            .name(name)
            .value(value)
            .build()
            .expect("name and value are both set")
    }
}

#[derive(Debug, Clone)]
pub struct RedshiftRunner {
    client: Client,
    workgroup: String,
    database: String,
}

/// A statement that left SUBMITTED / PICKED / STARTED.
#[derive(Debug)]
enum Done {
    Finished { has_result_set: bool },
    Failed { error: Option<String> },
    Aborted,
}

impl Done {
    /// `None` while running; statuses this code does not know yet also count as running.
    fn from_status(
        status: &str,
        has_result_set: Option<bool>,
        error: Option<&str>,
    ) -> Option<Self> {
        match status {
            "FINISHED" => Some(Self::Finished {
                has_result_set: has_result_set.unwrap_or(false),
            }),
            "FAILED" => Some(Self::Failed {
                error: error.map(str::to_owned),
            }),
            "ABORTED" => Some(Self::Aborted),
            _ => None,
        }
    }
}

impl RedshiftRunner {
    pub fn new(client: Client, workgroup: impl Into<String>, database: impl Into<String>) -> Self {
        Self {
            client,
            workgroup: workgroup.into(),
            database: database.into(),
        }
    }

    /// Runs `sql` with bound `parameters` and returns every result row (empty without a result
    /// set). `deadline` already includes the caller's safety margin.
    pub async fn run(
        &self,
        sql: &str,
        parameters: Vec<SqlParameter>,
        deadline: Instant,
    ) -> Result<Vec<Record>, ApiError> {
        let (id, submitted) = self.execute(sql, parameters, deadline).await?;
        let done = match submitted {
            Some(done) => done,
            None => match self.wait_for_completion(&id, deadline).await {
                Ok(done) => done,
                Err(error) => {
                    self.cancel(&id).await;
                    return Err(error);
                }
            },
        };
        match done {
            Done::Finished {
                has_result_set: true,
            } => self.fetch_all(&id, deadline).await,
            Done::Finished { .. } => Ok(Vec::new()),
            Done::Failed { error: Some(error) } => Err(failure(&error)),
            Done::Failed { error: None } => {
                // ExecuteStatement reports FAILED without the reason; DescribeStatement has it.
                let error = match self.describe(&id, None, deadline).await? {
                    Some(Done::Failed { error }) => error,
                    _ => None,
                };
                Err(failure(error.as_deref().unwrap_or_default()))
            }
            Done::Aborted => Err(ApiError::unavailable(
                "the query was cancelled by the database; try again",
            )
            .caused_by(format_args!("statement {id} aborted by the service"))),
        }
    }

    /// ExecuteStatement, retried with backoff while the service has too many active statements.
    async fn execute(
        &self,
        sql: &str,
        parameters: Vec<SqlParameter>,
        deadline: Instant,
    ) -> Result<(String, Option<Done>), ApiError> {
        let parameters = (!parameters.is_empty()).then_some(parameters);
        let mut backoff = Backoff::new(BUSY_BACKOFF.0, BUSY_BACKOFF.1);
        loop {
            let request = self
                .client
                .execute_statement()
                .workgroup_name(&self.workgroup)
                .database(&self.database)
                .sql(sql)
                .set_parameters(parameters.clone())
                .set_wait_time_seconds(wait_seconds(deadline));
            let Ok(answer) = timeout_at(deadline, request.send()).await else {
                // Without an id there is nothing to cancel; the wait given never exceeds the budget,
                // so this means the service itself was late.
                return Err(ApiError::timeout(DEADLINE_REASON)
                    .caused_by("ExecuteStatement did not answer before the deadline"));
            };
            match answer {
                Ok(output) => {
                    let id = output.id().ok_or_else(|| {
                        ApiError::internal().caused_by("ExecuteStatement answered without an id")
                    })?;
                    let status = output.status().map_or("", |status| status.as_str());
                    tracing::debug!(statement = id, status, "statement submitted");
                    let done = Done::from_status(status, output.has_result_set(), None);
                    return Ok((id.to_owned(), done));
                }
                Err(error) if is_busy(&error) && backoff.sleep_before(deadline).await => continue,
                Err(error) => return Err(map_error("ExecuteStatement", &error)),
            }
        }
    }

    async fn wait_for_completion(&self, id: &str, deadline: Instant) -> Result<Done, ApiError> {
        let mut backoff = Backoff::new(POLL_BACKOFF.0, POLL_BACKOFF.1);
        loop {
            if Instant::now() >= deadline {
                return Err(ApiError::timeout(DEADLINE_REASON).caused_by(format_args!(
                    "statement {id} still running at the deadline; cancelled"
                )));
            }
            let wait = wait_seconds(deadline);
            let asked_at = Instant::now();
            match self.describe(id, wait, deadline).await {
                Ok(Some(done)) => return Ok(done),
                Ok(None) => {}
                Err(DescribeFailure::Busy) => {}
                Err(DescribeFailure::Fatal(error)) => return Err(error),
            }
            let waited_as_asked = wait
                .is_some_and(|seconds| asked_at.elapsed() >= Duration::from_secs(seconds as u64));
            if !waited_as_asked && !backoff.sleep_before(deadline).await {
                sleep_until(deadline).await;
            }
        }
    }

    async fn describe(
        &self,
        id: &str,
        wait: Option<i32>,
        deadline: Instant,
    ) -> Result<Option<Done>, DescribeFailure> {
        let request = self
            .client
            .describe_statement()
            .id(id)
            .set_wait_time_seconds(wait);
        let Ok(answer) = timeout_at(deadline, request.send()).await else {
            return Err(DescribeFailure::Fatal(ApiError::timeout(DEADLINE_REASON)));
        };
        match answer {
            Ok(output) => Ok(Done::from_status(
                output.status().map_or("", |status| status.as_str()),
                output.has_result_set(),
                output.error(),
            )),
            Err(error) if is_busy(&error) => Err(DescribeFailure::Busy),
            Err(error) => Err(DescribeFailure::Fatal(map_error(
                "DescribeStatement",
                &error,
            ))),
        }
    }

    /// GetStatementResult, following NextToken to the last page.
    async fn fetch_all(&self, id: &str, deadline: Instant) -> Result<Vec<Record>, ApiError> {
        let mut rows = Vec::new();
        let mut next_token = None;
        loop {
            let request = self
                .client
                .get_statement_result()
                .id(id)
                .set_next_token(next_token.take());
            let Ok(answer) = timeout_at(deadline, request.send()).await else {
                return Err(ApiError::timeout(DEADLINE_REASON));
            };
            let output = answer.map_err(|error| map_error("GetStatementResult", &error))?;
            next_token = output.next_token;
            rows.extend(output.records);
            if next_token.is_none() {
                return Ok(rows);
            }
        }
    }

    /// The statement must not keep running after we gave up on it: CancelStatement, retried while
    /// the service is busy or throttling, within [`CANCEL_BUDGET`] (inside the safety margin).
    async fn cancel(&self, id: &str) {
        let give_up = Instant::now() + CANCEL_BUDGET;
        let mut backoff = Backoff::new(CANCEL_BACKOFF.0, CANCEL_BACKOFF.1);
        loop {
            // Our loop retries with backoff short enough for the margin; the SDK's own retries
            // (a throttling backoff of up to seconds) would spend it on one attempt.
            let request = self
                .client
                .cancel_statement()
                .id(id)
                .customize()
                .config_override(
                    aws_sdk_redshiftdata::Config::builder().retry_config(RetryConfig::disabled()),
                )
                .send();
            let failure = match timeout_at(give_up, request).await {
                Ok(Ok(output)) => {
                    tracing::info!(
                        statement = id,
                        cancelled = output.status(),
                        "statement cancelled"
                    );
                    return;
                }
                Ok(Err(error)) if is_retryable_cancel(&error) => {
                    describe("CancelStatement", &error)
                }
                Ok(Err(error)) => {
                    let error = describe("CancelStatement", &error);
                    tracing::warn!(
                        statement = id,
                        error,
                        "the statement could not be cancelled"
                    );
                    return;
                }
                Err(_) => "CancelStatement did not answer in time".to_owned(),
            };
            if !backoff.sleep_before(give_up).await {
                tracing::error!(
                    statement = id,
                    error = failure,
                    "gave up cancelling the statement"
                );
                return;
            }
        }
    }
}

/// Worth another CancelStatement: the service was busy, throttled or unreachable.
fn is_retryable_cancel<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    matches!(
        error,
        SdkError::DispatchFailure(_) | SdkError::TimeoutError(_)
    ) || is_busy(error)
        || matches!(
            error.code(),
            Some("ThrottlingException" | "TooManyRequestsException" | "InternalServerException")
        )
}

#[derive(Debug)]
enum DescribeFailure {
    Busy,
    Fatal(ApiError),
}

impl From<DescribeFailure> for ApiError {
    fn from(failure: DescribeFailure) -> Self {
        match failure {
            DescribeFailure::Busy => ApiError::unavailable(BUSY_REASON),
            DescribeFailure::Fatal(error) => error,
        }
    }
}

/// The `WaitTimeSeconds` to ask for: whole seconds left before the deadline less [`WAIT_SLACK`],
/// at most 30; none when under a second would remain (the API's minimum is 1).
fn wait_seconds(deadline: Instant) -> Option<i32> {
    let left = deadline
        .saturating_duration_since(Instant::now())
        .saturating_sub(WAIT_SLACK)
        .as_secs();
    (left >= 1).then(|| left.min(MAX_WAIT_SECONDS) as i32)
}

fn is_busy<E: ProvideErrorMetadata, R>(error: &SdkError<E, R>) -> bool {
    error.code().is_some_and(|code| BUSY_CODES.contains(&code))
}

fn map_error<E, R>(operation: &'static str, error: &SdkError<E, R>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let answer = match error.code() {
        Some(code) if BUSY_CODES.contains(&code) || code == "DatabaseConnectionException" => {
            ApiError::unavailable(BUSY_REASON)
        }
        Some("QueryTimeoutException") => ApiError::timeout(DEADLINE_REASON),
        _ => return common_answer(operation, error),
    };
    answer.caused_by(describe(operation, error))
}

/// A FAILED statement: a missing table (or schema) is the client's 404, anything else is ours.
fn failure(error: &str) -> ApiError {
    let missing = (error.contains("relation \"") || error.contains("schema \""))
        && error.contains("does not exist");
    let answer = if missing {
        ApiError::not_found("table does not exist")
    } else {
        ApiError::internal()
    };
    answer.caused_by(format_args!("statement failed: {error}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn long_polls_end_a_second_before_the_deadline_and_at_most_after_30_seconds() {
        let now = Instant::now();
        assert_eq!(wait_seconds(now + Duration::from_millis(9500)), Some(8));
        assert_eq!(wait_seconds(now + Duration::from_secs(120)), Some(30));
        assert_eq!(wait_seconds(now + Duration::from_millis(1900)), None);
        assert_eq!(wait_seconds(now), None);
    }

    #[test]
    fn only_a_missing_relation_or_schema_is_404() {
        let missing_table = failure(r#"ERROR: relation "public.nope" does not exist"#);
        let missing_schema = failure(r#"ERROR: schema "nope" does not exist"#);
        let other = failure(r#"ERROR: column "x" does not exist"#);
        assert_eq!(missing_table.status(), 404);
        assert_eq!(missing_schema.status(), 404);
        assert_eq!(other.status(), 500);
    }
}
