use super::*;
use api_core::testing::invoke;
use api_core::testing::redshift::{executed, mock_runner, result_page};
use aws_sdk_redshiftdata::types::StatementStatusString;
use aws_smithy_mocks::{Rule, RuleMode};
use serde_json::{Value, json};

fn mock_counter(mode: RuleMode, rules: &[&Rule], allowed: &str) -> Counter {
    Counter {
        runner: mock_runner(mode, rules),
        allowed_tables: TableAllowList::parse(Some(allowed).filter(|list| !list.is_empty()))
            .unwrap(),
    }
}

fn execute_expecting(sql: &'static str, status: StatementStatusString) -> Rule {
    executed(Some(sql), status)
}

fn result_rule(field: Field) -> Rule {
    result_page(field, None, None)
}

/// The event through the runtime's parsing, then the handler.
async fn count(counter: &Counter, event: Value) -> Result<CountResponse, ApiError> {
    invoke(
        |request, deadline| handle(counter, request, deadline),
        event,
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn counts_the_rows_of_a_table_in_the_public_schema() {
    let execute = execute_expecting(
        r#"SELECT count(*) FROM "public"."flightdata""#,
        StatementStatusString::Finished,
    );
    let result = result_rule(Field::LongValue(118));
    let counter = mock_counter(RuleMode::Sequential, &[&execute, &result], "");

    let response = count(
        &counter,
        json!({"target_table": "flightdata", "schema": ""}),
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
    let counter = mock_counter(RuleMode::Sequential, &[&execute, &result], "");
    let response = count(
        &counter,
        json!({"target_table": "events", "schema": "audit"}),
    )
    .await
    .unwrap();
    assert_eq!(response.result_value, 3);

    let execute = execute_expecting(
        r#"SELECT count(*) FROM "public"."flightdata""#,
        StatementStatusString::Finished,
    );
    let result = result_rule(Field::LongValue(118));
    let counter = mock_counter(RuleMode::Sequential, &[&execute, &result], "");
    let response = count(&counter, json!({"target_table": "flightdata"}))
        .await
        .unwrap();
    assert_eq!(response.result_value, 118);
}

#[tokio::test(start_paused = true)]
async fn injection_attempts_are_rejected_before_any_sql_is_sent() {
    let execute = execute_expecting("never", StatementStatusString::Finished);
    let counter = mock_counter(RuleMode::MatchAny, &[&execute], "");
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
        let error = count(&counter, attempt.clone()).await.unwrap_err();
        assert_eq!(error.status(), 400, "{attempt}");
        assert!(!error.to_string().contains("drop"), "{error}");
    }
    assert_eq!(execute.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_table_outside_the_allow_list_is_404_without_a_query() {
    let execute = execute_expecting("never", StatementStatusString::Finished);
    let counter = mock_counter(RuleMode::MatchAny, &[&execute], "flightdata");

    let error = count(&counter, json!({"target_table": "staff"}))
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        r#"{"Status":404,"ErrorReason":"table does not exist"}"#
    );
    assert_eq!(execute.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_result_that_is_not_one_integer_is_500() {
    let execute = execute_expecting(
        r#"SELECT count(*) FROM "public"."flightdata""#,
        StatementStatusString::Finished,
    );
    let result = result_rule(Field::StringValue("118".into()));
    let counter = mock_counter(RuleMode::Sequential, &[&execute, &result], "");

    let error = count(&counter, json!({"target_table": "flightdata"}))
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        r#"{"Status":500,"ErrorReason":"internal error"}"#
    );
}
