//! The RDS Data API helpers against the real SDK client with mocked responses.

use std::time::Duration;

use api_core::config::AuroraConfig;
use api_core::rds::{AuroraDatabase, param};
use aws_sdk_rdsdata::Client;
use aws_sdk_rdsdata::operation::execute_statement::{
    ExecuteStatementError, ExecuteStatementOutput,
};
use aws_sdk_rdsdata::types::Field;
use aws_sdk_rdsdata::types::error::{
    DatabaseErrorException, DatabaseResumingException, ServiceUnavailableError,
    StatementTimeoutException,
};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use tokio::time::Instant;

const SQL: &str = "SELECT id FROM staff WHERE id = :id";

fn database(rules: &[&Rule]) -> AuroraDatabase {
    let client = mock_client!(aws_sdk_rdsdata, RuleMode::Sequential, rules);
    AuroraDatabase::new(
        client,
        AuroraConfig {
            cluster_arn: "arn:aws:rds:us-east-1:123456789012:cluster:staff-dev".into(),
            secret_arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:staff".into(),
            database: "staff".into(),
        },
    )
}

fn in_seconds(seconds: u64) -> Instant {
    Instant::now() + Duration::from_secs(seconds)
}

fn one_row() -> ExecuteStatementOutput {
    ExecuteStatementOutput::builder()
        .records(vec![Field::StringValue("0001".into())])
        .build()
}

fn resuming() -> ExecuteStatementError {
    ExecuteStatementError::DatabaseResumingException(
        DatabaseResumingException::builder()
            .message("The Aurora DB instance is resuming after being auto-paused.")
            .build(),
    )
}

#[tokio::test(start_paused = true)]
async fn sends_the_target_the_sql_and_bound_parameters() {
    let execute = mock!(Client::execute_statement)
        .match_requests(|req| {
            req.resource_arn() == Some("arn:aws:rds:us-east-1:123456789012:cluster:staff-dev")
                && req.secret_arn()
                    == Some("arn:aws:secretsmanager:us-east-1:123456789012:secret:staff")
                && req.database() == Some("staff")
                && req.sql() == Some(SQL)
                && req.parameters()
                    == [
                        param::text("id", "' OR '1'='1"),
                        param::long("age", 12),
                        param::null("gone"),
                    ]
        })
        .then_output(one_row);
    let database = database(&[&execute]);

    let parameters = vec![
        param::text("id", "' OR '1'='1"),
        param::optional_long("age", Some(12)),
        param::optional_long("gone", None),
    ];
    let rows = database
        .execute(SQL, parameters, in_seconds(5))
        .await
        .unwrap();

    assert_eq!(rows, vec![vec![Field::StringValue("0001".into())]]);
}

#[tokio::test(start_paused = true)]
async fn a_resuming_database_is_retried_with_backoff_until_it_answers() {
    let resuming_twice = mock!(Client::execute_statement)
        .sequence()
        .error(resuming)
        .times(2)
        .output(one_row)
        .build();
    let database = database(&[&resuming_twice]);
    let start = Instant::now();

    let rows = database
        .execute(SQL, Vec::new(), in_seconds(10))
        .await
        .unwrap();

    assert_eq!(rows.len(), 1);
    assert_eq!(resuming_twice.num_calls(), 3);
    assert!(Instant::now() > start, "waited between attempts");
}

#[tokio::test(start_paused = true)]
async fn a_database_still_resuming_at_the_deadline_is_503() {
    let always_resuming = mock!(Client::execute_statement)
        .sequence()
        .error(resuming)
        .repeatedly()
        .build();
    let database = database(&[&always_resuming]);

    let error = database
        .execute(SQL, Vec::new(), in_seconds(3))
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        r#"{"Status":503,"ErrorReason":"the database is starting up; try again in a few seconds"}"#
    );
}

#[tokio::test(start_paused = true)]
async fn a_unique_violation_is_409_and_other_database_errors_are_500() {
    let duplicate = mock!(Client::execute_statement).then_error(|| {
        ExecuteStatementError::DatabaseErrorException(
            DatabaseErrorException::builder()
                .message(
                    "ERROR: duplicate key value violates unique constraint \"staff_pkey\"\n  \
                     Detail: Key (id)=(0001) already exists.; SQLState: 23505",
                )
                .build(),
        )
    });
    let syntax = mock!(Client::execute_statement).then_error(|| {
        ExecuteStatementError::DatabaseErrorException(
            DatabaseErrorException::builder()
                .message("ERROR: syntax error at or near \"FORM\"; SQLState: 42601")
                .build(),
        )
    });
    let database = database(&[&duplicate, &syntax]);

    let conflict = database
        .execute(SQL, Vec::new(), in_seconds(5))
        .await
        .unwrap_err();
    let internal = database
        .execute(SQL, Vec::new(), in_seconds(5))
        .await
        .unwrap_err();

    assert_eq!(conflict.status(), 409);
    assert!(!conflict.to_string().contains("staff_pkey"));
    assert_eq!(
        internal.to_string(),
        r#"{"Status":500,"ErrorReason":"internal error"}"#
    );
}

#[tokio::test(start_paused = true)]
async fn a_statement_timeout_is_504() {
    let timeout = mock!(Client::execute_statement).then_error(|| {
        ExecuteStatementError::StatementTimeoutException(
            StatementTimeoutException::builder().build(),
        )
    });
    let database = database(&[&timeout]);

    let error = database
        .execute(SQL, Vec::new(), in_seconds(5))
        .await
        .unwrap_err();

    assert_eq!(error.status(), 504);
}

#[tokio::test(start_paused = true)]
async fn an_unavailable_service_is_503() {
    let unavailable = mock!(Client::execute_statement).then_error(|| {
        ExecuteStatementError::ServiceUnavailableError(ServiceUnavailableError::builder().build())
    });
    let database = database(&[&unavailable]);

    let error = database
        .execute(SQL, Vec::new(), in_seconds(5))
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        r#"{"Status":503,"ErrorReason":"the database is busy; try again"}"#
    );
}
