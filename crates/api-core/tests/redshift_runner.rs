//! The Redshift statement runner against the real SDK client with mocked responses
//! (aws-smithy-mocks). Tokio's clock is paused, so waits and backoffs take no wall time.

use std::time::Duration;

use api_core::redshift::param;
use api_core::testing::redshift::{
    STATEMENT_ID as ID, cancelled as cancel, described, mock_runner as runner,
};
use aws_sdk_redshiftdata::Client;
use aws_sdk_redshiftdata::operation::describe_statement::DescribeStatementOutput;
use aws_sdk_redshiftdata::operation::execute_statement::ExecuteStatementOutput;
use aws_sdk_redshiftdata::types::{Field, StatementStatusString, StatusString};
use aws_smithy_mocks::{Rule, RuleMode, mock};
use tokio::time::Instant;

const COUNT_SQL: &str = r#"SELECT count(*) FROM "public"."flightdata""#;

fn in_seconds(seconds: u64) -> Instant {
    Instant::now() + Duration::from_secs(seconds)
}

fn executed(status: StatementStatusString) -> Rule {
    api_core::testing::redshift::executed(None, status)
}

fn result_page(value: i64, token: Option<&'static str>, next: Option<&'static str>) -> Rule {
    api_core::testing::redshift::result_page(Field::LongValue(value), token, next)
}

fn service_error(type_name: &str) -> String {
    format!(r#"{{"__type":"{type_name}","Message":"detail only for the logs"}}"#)
}

#[tokio::test(start_paused = true)]
async fn a_statement_finished_within_the_first_wait_costs_two_calls() {
    let execute = mock!(Client::execute_statement)
        .match_requests(|req| {
            req.sql() == Some(COUNT_SQL)
                && req.workgroup_name() == Some("flights-dev")
                && req.database() == Some("dev")
                && req.wait_time_seconds() == Some(8)
                && req.parameters.is_none()
        })
        .then_output(|| {
            ExecuteStatementOutput::builder()
                .id(ID)
                .status(StatementStatusString::Finished)
                .has_result_set(true)
                .build()
        });
    let result = result_page(118, None, None);
    let runner = runner(RuleMode::Sequential, &[&execute, &result]);

    let rows = runner
        .run(COUNT_SQL, Vec::new(), in_seconds(9))
        .await
        .unwrap();

    assert_eq!(rows, vec![vec![Field::LongValue(118)]]);
    assert_eq!(execute.num_calls() + result.num_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_longer_statement_is_long_polled_with_describe() {
    let execute = executed(StatementStatusString::Started);
    let describe = mock!(Client::describe_statement)
        .match_requests(|req| req.id() == Some(ID) && req.wait_time_seconds() == Some(30))
        .then_output(|| {
            DescribeStatementOutput::builder()
                .id(ID)
                .status(StatusString::Finished)
                .has_result_set(true)
                .build()
                .unwrap()
        });
    let result = result_page(7, None, None);
    let runner = runner(RuleMode::Sequential, &[&execute, &describe, &result]);

    let rows = runner
        .run(COUNT_SQL, Vec::new(), in_seconds(120))
        .await
        .unwrap();

    assert_eq!(rows, vec![vec![Field::LongValue(7)]]);
    assert_eq!(describe.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn early_answers_without_waiting_fall_back_to_backoff() {
    let execute = executed(StatementStatusString::Submitted);
    let still_running = mock!(Client::describe_statement)
        .sequence()
        .output(|| {
            DescribeStatementOutput::builder()
                .id(ID)
                .status(StatusString::Started)
                .build()
                .unwrap()
        })
        .times(3)
        .build();
    let finished = described(StatusString::Finished, None);
    let result = result_page(1, None, None);
    let runner = runner(
        RuleMode::Sequential,
        &[&execute, &still_running, &finished, &result],
    );
    let start = Instant::now();

    let rows = runner
        .run(COUNT_SQL, Vec::new(), in_seconds(60))
        .await
        .unwrap();

    assert_eq!(rows, vec![vec![Field::LongValue(1)]]);
    assert_eq!(still_running.num_calls(), 3);
    assert!(Instant::now() > start, "backed off between early answers");
}

#[tokio::test(start_paused = true)]
async fn a_statement_still_running_at_the_deadline_is_cancelled_and_answers_504() {
    let execute = executed(StatementStatusString::Started);
    let running = described(StatusString::Started, None);
    let cancel = cancel();
    let runner = runner(RuleMode::MatchAny, &[&execute, &running, &cancel]);
    let deadline = in_seconds(3);

    let error = runner
        .run(COUNT_SQL, Vec::new(), deadline)
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        r#"{"Status":504,"ErrorReason":"the query did not finish within the time limit"}"#
    );
    assert_eq!(cancel.num_calls(), 1);
    assert!(running.num_calls() >= 1);
    assert!(Instant::now() >= deadline);
}

#[tokio::test(start_paused = true)]
async fn results_are_paged_through_next_token() {
    let execute = executed(StatementStatusString::Finished);
    let first = result_page(1, None, Some("page-2"));
    let second = result_page(2, Some("page-2"), Some("page-3"));
    let third = result_page(3, Some("page-3"), None);
    let runner = runner(RuleMode::Sequential, &[&execute, &first, &second, &third]);

    let rows = runner
        .run("SELECT n FROM t", Vec::new(), in_seconds(10))
        .await
        .unwrap();

    let values: Vec<_> = rows.into_iter().flatten().collect();
    assert_eq!(
        values,
        [1, 2, 3].map(Field::LongValue).to_vec(),
        "all three pages, in order"
    );
}

#[tokio::test(start_paused = true)]
async fn values_travel_as_bound_parameters_never_in_the_sql() {
    const SQL: &str = "SELECT count(*) FROM staff WHERE name = :name";
    let hostile = "' OR '1'='1\"; drop table staff; --";
    let execute = mock!(Client::execute_statement)
        .match_requests(move |req| {
            let parameters = req.parameters();
            req.sql() == Some(SQL)
                && parameters.len() == 1
                && parameters[0].name() == "name"
                && parameters[0].value() == hostile
        })
        .then_output(|| {
            ExecuteStatementOutput::builder()
                .id(ID)
                .status(StatementStatusString::Finished)
                .has_result_set(true)
                .build()
        });
    let result = result_page(0, None, None);
    let runner = runner(RuleMode::Sequential, &[&execute, &result]);

    let rows = runner
        .run(SQL, vec![param::text("name", hostile)], in_seconds(10))
        .await
        .unwrap();

    assert_eq!(rows, vec![vec![Field::LongValue(0)]]);
}

#[tokio::test(start_paused = true)]
async fn a_missing_relation_is_404_without_sql_in_the_reason() {
    let execute = executed(StatementStatusString::Failed);
    let describe = described(
        StatusString::Failed,
        Some(r#"ERROR: relation "public.nope" does not exist"#),
    );
    let runner = runner(RuleMode::Sequential, &[&execute, &describe]);

    let error = runner
        .run(COUNT_SQL, Vec::new(), in_seconds(10))
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        r#"{"Status":404,"ErrorReason":"table does not exist"}"#
    );
}

#[tokio::test(start_paused = true)]
async fn other_failures_are_500_with_the_detail_kept_out_of_the_answer() {
    let execute = executed(StatementStatusString::Started);
    let describe = described(
        StatusString::Failed,
        Some("ERROR: permission denied for relation flightdata"),
    );
    let runner = runner(RuleMode::Sequential, &[&execute, &describe]);

    let error = runner
        .run(COUNT_SQL, Vec::new(), in_seconds(10))
        .await
        .unwrap_err();

    assert_eq!(error.status(), 500);
    assert!(!error.to_string().contains("flightdata"));
}

#[tokio::test(start_paused = true)]
async fn a_statement_aborted_by_the_service_is_503() {
    let execute = executed(StatementStatusString::Started);
    let describe = described(StatusString::Aborted, None);
    let runner = runner(RuleMode::Sequential, &[&execute, &describe]);

    let error = runner
        .run(COUNT_SQL, Vec::new(), in_seconds(10))
        .await
        .unwrap_err();

    assert_eq!(error.status(), 503);
}

#[tokio::test(start_paused = true)]
async fn too_many_active_statements_is_retried_then_succeeds() {
    let busy_then_ok = mock!(Client::execute_statement)
        .sequence()
        .http_status(
            400,
            Some(service_error("ActiveStatementsExceededException")),
        )
        .times(2)
        .output(|| {
            ExecuteStatementOutput::builder()
                .id(ID)
                .status(StatementStatusString::Finished)
                .has_result_set(true)
                .build()
        })
        .build();
    let result = result_page(118, None, None);
    let runner = runner(RuleMode::Sequential, &[&busy_then_ok, &result]);

    let rows = runner
        .run(COUNT_SQL, Vec::new(), in_seconds(10))
        .await
        .unwrap();

    assert_eq!(rows, vec![vec![Field::LongValue(118)]]);
    assert_eq!(busy_then_ok.num_calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn staying_busy_until_the_deadline_is_503() {
    let busy = mock!(Client::execute_statement)
        .sequence()
        .http_status(
            400,
            Some(service_error("ActiveStatementsExceededException")),
        )
        .repeatedly()
        .build();
    let runner = runner(RuleMode::MatchAny, &[&busy]);

    let error = runner
        .run(COUNT_SQL, Vec::new(), in_seconds(5))
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        r#"{"Status":503,"ErrorReason":"the database is busy; try again"}"#
    );
    assert!(busy.num_calls() > 1);
}

#[tokio::test(start_paused = true)]
async fn a_validation_error_is_500() {
    let invalid = mock!(Client::execute_statement)
        .sequence()
        .http_status(400, Some(service_error("ValidationException")))
        .build();
    let runner = runner(RuleMode::Sequential, &[&invalid]);

    let error = runner
        .run(COUNT_SQL, Vec::new(), in_seconds(5))
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        r#"{"Status":500,"ErrorReason":"internal error"}"#
    );
}

#[tokio::test(start_paused = true)]
async fn a_describe_failure_still_cancels_the_statement() {
    let execute = executed(StatementStatusString::Started);
    let describe = mock!(Client::describe_statement)
        .sequence()
        .http_status(400, Some(service_error("QueryTimeoutException")))
        .build();
    let cancel = cancel();
    let runner = runner(RuleMode::Sequential, &[&execute, &describe, &cancel]);

    let error = runner
        .run(COUNT_SQL, Vec::new(), in_seconds(10))
        .await
        .unwrap_err();

    assert_eq!(error.status(), 504);
    assert_eq!(cancel.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_throttled_cancel_is_retried_within_the_safety_margin() {
    let execute = executed(StatementStatusString::Started);
    let running = described(StatusString::Started, None);
    let throttled = mock!(Client::cancel_statement)
        .sequence()
        .http_status(400, Some(service_error("ThrottlingException")))
        .times(2)
        .build();
    let cancel = cancel();
    let runner = runner(
        RuleMode::MatchAny,
        &[&execute, &running, &throttled, &cancel],
    );
    let deadline = in_seconds(3);

    let error = runner
        .run(COUNT_SQL, Vec::new(), deadline)
        .await
        .unwrap_err();

    assert_eq!(error.status(), 504);
    assert_eq!(throttled.num_calls(), 2);
    assert_eq!(
        cancel.num_calls(),
        1,
        "the third CancelStatement went through"
    );
    let spent = Instant::now() - deadline;
    assert!(
        spent <= Duration::from_secs(1),
        "cancelling stays inside the safety margin: {spent:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn an_unreachable_database_is_503() {
    let unreachable = mock!(Client::execute_statement)
        .sequence()
        .http_status(400, Some(service_error("DatabaseConnectionException")))
        .build();
    let runner = runner(RuleMode::Sequential, &[&unreachable]);

    let error = runner
        .run(COUNT_SQL, Vec::new(), in_seconds(5))
        .await
        .unwrap_err();

    assert_eq!(error.status(), 503);
    assert!(
        error
            .cause()
            .unwrap()
            .contains("DatabaseConnectionException")
    );
}
