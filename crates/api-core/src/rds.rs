//! RDS Data API helpers: bound parameters, running one statement against Aurora within a
//! deadline, and decoding rows of `Field` into typed records.

use std::time::Duration;

use aws_sdk_rdsdata::Client;
use aws_sdk_rdsdata::error::SdkError;
use aws_sdk_rdsdata::operation::execute_statement::ExecuteStatementError;
use aws_sdk_rdsdata::types::{Field, SqlParameter};
use tokio::time::{Instant, timeout_at};

use crate::aws_error::{BUSY_REASON, LATE_REASON, common_answer, describe};
use crate::backoff::Backoff;
use crate::config::AuroraConfig;
use crate::error::ApiError;

/// Aurora Serverless v2 takes up to ~15 s to resume from a pause.
const RESUME_BACKOFF: (Duration, Duration) = (Duration::from_millis(500), Duration::from_secs(4));
const UNIQUE_VIOLATION: &str = "SQLState: 23505";

/// Typed `SqlParameter` builders; SQL references them as `:name`.
pub mod param {
    use aws_sdk_rdsdata::types::{Field, SqlParameter};

    pub fn text(name: &str, value: impl Into<String>) -> SqlParameter {
        with_value(name, Field::StringValue(value.into()))
    }

    pub fn long(name: &str, value: i64) -> SqlParameter {
        with_value(name, Field::LongValue(value))
    }

    pub fn null(name: &str) -> SqlParameter {
        with_value(name, Field::IsNull(true))
    }

    pub fn optional_long(name: &str, value: Option<i64>) -> SqlParameter {
        value.map_or_else(|| null(name), |value| long(name, value))
    }

    fn with_value(name: &str, value: Field) -> SqlParameter {
        SqlParameter::builder().name(name).value(value).build()
    }
}

/// The Aurora database behind the staff endpoints.
#[derive(Debug, Clone)]
pub struct AuroraDatabase {
    client: Client,
    config: AuroraConfig,
}

impl AuroraDatabase {
    pub fn new(client: Client, config: AuroraConfig) -> Self {
        Self { client, config }
    }

    /// Runs one statement. `sql` is `'static` on purpose: statements are fixed in code and every
    /// request value travels as a bound parameter.
    ///
    /// DatabaseResumingException (the cluster waking from auto-pause) is retried with backoff
    /// while the deadline allows; a unique violation (SQLState 23505) becomes 409.
    pub async fn execute(
        &self,
        sql: &'static str,
        parameters: Vec<SqlParameter>,
        deadline: Instant,
    ) -> Result<Vec<Vec<Field>>, ApiError> {
        let mut backoff = Backoff::new(RESUME_BACKOFF.0, RESUME_BACKOFF.1);
        loop {
            let request = self
                .client
                .execute_statement()
                .resource_arn(&self.config.cluster_arn)
                .secret_arn(&self.config.secret_arn)
                .database(&self.config.database)
                .sql(sql)
                .set_parameters(Some(parameters.clone()));
            let Ok(answer) = timeout_at(deadline, request.send()).await else {
                return Err(ApiError::timeout(LATE_REASON));
            };
            match answer {
                Ok(output) => return Ok(output.records.unwrap_or_default()),
                Err(error) if is_resuming(&error) => {
                    tracing::info!("Aurora is resuming; retrying");
                    if !backoff.sleep_before(deadline).await {
                        return Err(ApiError::unavailable(
                            "the database is starting up; try again in a few seconds",
                        ));
                    }
                }
                Err(error) => return Err(map_error(&error)),
            }
        }
    }
}

fn is_resuming<R>(error: &SdkError<ExecuteStatementError, R>) -> bool {
    matches!(
        error.as_service_error(),
        Some(ExecuteStatementError::DatabaseResumingException(_))
    )
}

fn map_error<R: std::fmt::Debug>(error: &SdkError<ExecuteStatementError, R>) -> ApiError {
    let answer = match error.as_service_error() {
        Some(ExecuteStatementError::DatabaseErrorException(database_error))
            if database_error
                .message()
                .is_some_and(|message| message.contains(UNIQUE_VIOLATION)) =>
        {
            ApiError::conflict("a record with this key already exists")
        }
        Some(ExecuteStatementError::StatementTimeoutException(_)) => ApiError::timeout(LATE_REASON),
        Some(
            ExecuteStatementError::ServiceUnavailableError(_)
            | ExecuteStatementError::DatabaseUnavailableException(_),
        ) => ApiError::unavailable(BUSY_REASON),
        _ => return common_answer("ExecuteStatement", error),
    };
    answer.caused_by(describe("ExecuteStatement", error))
}

/// Why a row could not be decoded; logged, never shown to clients.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("column {index} ({column}) is missing from the row")]
    MissingColumn { index: usize, column: &'static str },
    #[error("column {column} is null")]
    UnexpectedNull { column: &'static str },
    #[error("column {column}: expected {expected}, found {found}")]
    UnexpectedType {
        column: &'static str,
        expected: &'static str,
        found: &'static str,
    },
}

/// Read access to one result row by position; `column` names it in errors.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a>(&'a [Field]);

impl<'a> Row<'a> {
    pub fn new(fields: &'a [Field]) -> Self {
        Self(fields)
    }

    /// A string column (text, char, varchar...). CHAR(n) padding is kept; callers trim if needed.
    pub fn text(&self, index: usize, column: &'static str) -> Result<&'a str, DecodeError> {
        match self.field(index, column)? {
            Field::StringValue(value) => Ok(value),
            Field::IsNull(true) => Err(DecodeError::UnexpectedNull { column }),
            other => Err(unexpected(column, "a string", other)),
        }
    }

    pub fn long(&self, index: usize, column: &'static str) -> Result<i64, DecodeError> {
        self.optional_long(index, column)?
            .ok_or(DecodeError::UnexpectedNull { column })
    }

    pub fn optional_long(
        &self,
        index: usize,
        column: &'static str,
    ) -> Result<Option<i64>, DecodeError> {
        match self.field(index, column)? {
            Field::LongValue(value) => Ok(Some(*value)),
            Field::IsNull(true) => Ok(None),
            other => Err(unexpected(column, "an integer", other)),
        }
    }

    fn field(&self, index: usize, column: &'static str) -> Result<&'a Field, DecodeError> {
        self.0
            .get(index)
            .ok_or(DecodeError::MissingColumn { index, column })
    }
}

/// A record that can be read from a result row.
pub trait FromRow: Sized {
    fn from_row(row: Row<'_>) -> Result<Self, DecodeError>;
}

/// Decodes every row; a row that does not fit is logged and answered as 500.
pub fn decode_rows<T: FromRow>(rows: &[Vec<Field>]) -> Result<Vec<T>, ApiError> {
    rows.iter()
        .map(|fields| T::from_row(Row::new(fields)))
        .collect::<Result<_, _>>()
        .map_err(|error| ApiError::internal().caused_by(format_args!("unexpected row: {error}")))
}

fn unexpected(column: &'static str, expected: &'static str, found: &Field) -> DecodeError {
    let found = match found {
        Field::ArrayValue(_) => "an array",
        Field::BlobValue(_) => "a blob",
        Field::BooleanValue(_) => "a boolean",
        Field::DoubleValue(_) => "a double",
        Field::IsNull(_) => "null",
        Field::LongValue(_) => "an integer",
        Field::StringValue(_) => "a string",
        _ => "an unknown value",
    };
    DecodeError::UnexpectedType {
        column,
        expected,
        found,
    }
}
