use std::time::Duration;

use super::*;
use aws_sdk_redshiftdata::Client;
use aws_sdk_redshiftdata::operation::cancel_statement::CancelStatementOutput;
use aws_sdk_redshiftdata::operation::describe_statement::DescribeStatementOutput;
use aws_sdk_redshiftdata::operation::execute_statement::ExecuteStatementOutput;
use aws_sdk_redshiftdata::operation::get_statement_result::GetStatementResultOutput;
use aws_sdk_redshiftdata::types::{StatementStatusString, StatusString};
use aws_smithy_mocks::{Rule, RuleMode, mock, mock_client};
use serde_json::json;

const ID: &str = "statement-1";

fn count_service(mode: RuleMode, rules: &[&Rule], allowed: &str) -> CountService {
    let client = mock_client!(aws_sdk_redshiftdata, mode, rules);
    let allowed = TableAllowList::parse(Some(allowed).filter(|list| !list.is_empty())).unwrap();
    CountService::new(RedshiftRunner::new(client, "flights-dev", "dev"), allowed)
}

fn deadline() -> Instant {
    Instant::now() + Duration::from_secs(8)
}

fn execute_expecting(sql: &'static str, status: StatementStatusString) -> Rule {
    mock!(Client::execute_statement)
        .match_requests(move |req| req.sql() == Some(sql))
        .then_output(move || {
            ExecuteStatementOutput::builder()
                .id(ID)
                .status(status.clone())
                .has_result_set(true)
                .build()
        })
}

fn result_rule(field: Field) -> Rule {
    mock!(Client::get_statement_result).then_output(move || {
        GetStatementResultOutput::builder()
            .records(vec![field.clone()])
            .build()
            .unwrap()
    })
}

fn describe(status: StatusString, error: Option<&'static str>) -> Rule {
    mock!(Client::describe_statement).then_output(move || {
        DescribeStatementOutput::builder()
            .id(ID)
            .status(status.clone())
            .set_error(error.map(str::to_owned))
            .build()
            .unwrap()
    })
}

#[tokio::test(start_paused = true)]
async fn counts_the_rows_of_a_table_in_the_public_schema() {
    let execute = execute_expecting(
        r#"SELECT count(*) FROM "public"."flightdata""#,
        StatementStatusString::Finished,
    );
    let result = result_rule(Field::LongValue(118));
    let service = count_service(RuleMode::Sequential, &[&execute, &result], "");

    let response = service
        .handle(
            json!({"target_table": "flightdata", "schema": ""}),
            deadline(),
        )
        .await
        .unwrap();

    assert_eq!(
        serde_json::to_value(&response).unwrap(),
        json!({"Status": "success", "result_value": 118})
    );
    assert_eq!(execute.num_calls() + result.num_calls(), 2);
}

#[tokio::test(start_paused = true)]
async fn uses_the_given_schema_and_defaults_when_absent() {
    let execute = execute_expecting(
        r#"SELECT count(*) FROM "audit"."events""#,
        StatementStatusString::Finished,
    );
    let result = result_rule(Field::LongValue(3));
    let service = count_service(RuleMode::Sequential, &[&execute, &result], "");
    let response = service
        .handle(
            json!({"target_table": "events", "schema": "audit"}),
            deadline(),
        )
        .await
        .unwrap();
    assert_eq!(response.result_value, 3);

    let execute = execute_expecting(
        r#"SELECT count(*) FROM "public"."flightdata""#,
        StatementStatusString::Finished,
    );
    let result = result_rule(Field::LongValue(118));
    let service = count_service(RuleMode::Sequential, &[&execute, &result], "");
    let response = service
        .handle(json!({"target_table": "flightdata"}), deadline())
        .await
        .unwrap();
    assert_eq!(response.result_value, 118);
}

#[tokio::test(start_paused = true)]
async fn injection_attempts_are_rejected_before_any_sql_is_sent() {
    let execute = execute_expecting("never", StatementStatusString::Finished);
    let service = count_service(RuleMode::MatchAny, &[&execute], "");
    let attempts = [
        json!({"target_table": "x\"; drop table staff; --"}),
        json!({"target_table": "' OR '1'='1"}),
        json!({"target_table": "flightdata", "schema": "public\"; drop table staff; --"}),
        json!({"target_table": "public.flightdata"}),
        json!({"target_table": ""}),
        json!({"target_table": 5}),
        json!({"schema": "public"}),
        json!("flightdata"),
    ];
    for attempt in attempts {
        let error = service
            .handle(attempt.clone(), deadline())
            .await
            .unwrap_err();
        assert_eq!(error.status(), 400, "{attempt}");
        assert!(!error.to_string().contains("drop"), "{error}");
    }
    assert_eq!(execute.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_table_outside_the_allow_list_is_404_without_a_query() {
    let execute = execute_expecting("never", StatementStatusString::Finished);
    let service = count_service(RuleMode::MatchAny, &[&execute], "flightdata");

    let error = service
        .handle(json!({"target_table": "staff"}), deadline())
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        r#"{"Status":404,"ErrorReason":"table does not exist"}"#
    );
    assert_eq!(execute.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_missing_table_is_404() {
    let execute = execute_expecting(
        r#"SELECT count(*) FROM "public"."nope""#,
        StatementStatusString::Started,
    );
    let failed = describe(
        StatusString::Failed,
        Some(r#"ERROR: relation "public.nope" does not exist"#),
    );
    let service = count_service(RuleMode::Sequential, &[&execute, &failed], "");

    let error = service
        .handle(json!({"target_table": "nope"}), deadline())
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        r#"{"Status":404,"ErrorReason":"table does not exist"}"#
    );
}

#[tokio::test(start_paused = true)]
async fn a_count_still_running_at_the_deadline_is_cancelled_and_504() {
    let execute = execute_expecting(
        r#"SELECT count(*) FROM "public"."flightdata""#,
        StatementStatusString::Started,
    );
    let running = describe(StatusString::Started, None);
    let cancel = mock!(Client::cancel_statement)
        .match_requests(|req| req.id() == Some(ID))
        .then_output(|| CancelStatementOutput::builder().status(true).build());
    let service = count_service(RuleMode::MatchAny, &[&execute, &running, &cancel], "");

    let error = service
        .handle(json!({"target_table": "flightdata"}), deadline())
        .await
        .unwrap_err();

    assert_eq!(error.status(), 504);
    assert_eq!(cancel.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_result_that_is_not_one_integer_is_500() {
    let execute = execute_expecting(
        r#"SELECT count(*) FROM "public"."flightdata""#,
        StatementStatusString::Finished,
    );
    let result = result_rule(Field::StringValue("118".into()));
    let service = count_service(RuleMode::Sequential, &[&execute, &result], "");

    let error = service
        .handle(json!({"target_table": "flightdata"}), deadline())
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        r#"{"Status":500,"ErrorReason":"internal error"}"#
    );
}

#[tokio::test(start_paused = true)]
async fn a_count_aborted_by_the_service_is_503() {
    let execute = execute_expecting(
        r#"SELECT count(*) FROM "public"."flightdata""#,
        StatementStatusString::Started,
    );
    let aborted = describe(StatusString::Aborted, None);
    let service = count_service(RuleMode::Sequential, &[&execute, &aborted], "");

    let error = service
        .handle(json!({"target_table": "flightdata"}), deadline())
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        r#"{"Status":503,"ErrorReason":"the query was cancelled by the database; try again"}"#
    );
}
