use super::*;
use api_core::testing::{mock_aurora as database, staff_rows};
use aws_sdk_rdsdata::Client;
use aws_sdk_rdsdata::operation::execute_statement::ExecuteStatementError;
use aws_sdk_rdsdata::operation::execute_statement::ExecuteStatementOutput;
use aws_sdk_rdsdata::types::Field;
use aws_sdk_rdsdata::types::error::DatabaseErrorException;
use aws_smithy_mocks::{Rule, mock};
use serde_json::json;

/// The event through the runtime's parsing, then the handler.
async fn call(database: &AuroraDatabase, event: serde_json::Value) -> Result<Staff, ApiError> {
    api_core::testing::invoke(
        |request, deadline| handle(database, request, deadline),
        event,
    )
    .await
}

/// An INSERT that expects exactly these bound values and returns them as the stored row.
fn insert(id: &'static str, name: &'static str, age: Option<i64>) -> Rule {
    mock!(Client::execute_statement)
        .match_requests(move |req| {
            req.sql() == Some(INSERT)
                && req.parameters()
                    == [
                        param::text("id", id),
                        param::text("name", name),
                        param::optional_long("age", age),
                        param::null("idempotency_key"),
                        param::null("fingerprint"),
                    ]
        })
        .then_output(move || staff_rows(&[(id, name, age)]))
}

#[tokio::test(start_paused = true)]
async fn creates_a_record_and_returns_it() {
    let insert = insert("0004", "Kinesis", Some(78));
    let database = database(&[&insert]);

    let staff = call(
        &database,
        json!({"id": "0004", "name": "Kinesis", "age": 78}),
    )
    .await
    .unwrap();

    assert_eq!(
        serde_json::to_value(staff).unwrap(),
        json!({"id": "0004", "name": "Kinesis", "age": 78})
    );
}

#[tokio::test(start_paused = true)]
async fn quotes_and_backslashes_in_names_are_bound_verbatim() {
    let name = r#"O'Brien "); drop table staff; -- \"#;
    let insert = insert("0005", name, None);
    let database = database(&[&insert]);

    let staff = call(&database, json!({"id": "0005", "name": name, "age": null}))
        .await
        .unwrap();

    assert_eq!(staff.name, name);
    assert_eq!(staff.age, None);
}

#[tokio::test(start_paused = true)]
async fn an_absent_age_is_stored_as_null() {
    let insert = insert("0006", "Athena", None);
    let database = database(&[&insert]);

    let staff = call(&database, json!({"id": "0006", "name": "Athena"}))
        .await
        .unwrap();

    assert_eq!(staff.age, None);
}

#[tokio::test(start_paused = true)]
async fn an_existing_id_is_409() {
    let duplicate = mock!(Client::execute_statement).then_error(|| {
        ExecuteStatementError::DatabaseErrorException(
            DatabaseErrorException::builder()
                .message(
                    "ERROR: duplicate key value violates unique constraint \"staff_pkey\"; \
                     SQLState: 23505",
                )
                .build(),
        )
    });
    let database = database(&[&duplicate]);

    let error = call(
        &database,
        json!({"id": "0001", "name": "Aurora", "age": 12}),
    )
    .await
    .unwrap_err();

    assert_eq!(
        error.to_string(),
        r#"{"Status":409,"ErrorReason":"staff 0001 already exists"}"#
    );
}

#[tokio::test(start_paused = true)]
async fn invalid_fields_are_400_without_a_query() {
    let insert = insert("never", "never", None);
    let database = database(&[&insert]);
    let attempts = [
        (json!({"id": "' OR '1'='1", "name": "x", "age": 1}), "id"),
        (json!({"id": 1, "name": "x", "age": 1}), "id"),
        (json!({"name": "x", "age": 1}), "id"),
        (json!({"id": "0007", "name": "", "age": 1}), "name"),
        (json!({"id": "0007", "name": "   ", "age": 1}), "name"),
        (
            json!({"id": "0007", "name": "x".repeat(101), "age": 1}),
            "name",
        ),
        (json!({"id": "0007", "age": 1}), "name"),
        (json!({"id": "0007", "name": "x", "age": 151}), "age"),
        (json!({"id": "0007", "name": "x", "age": -1}), "age"),
        (json!({"id": "0007", "name": "x", "age": "12"}), "age"),
        (json!({"id": "0007", "name": "x", "age": 1.5}), "age"),
    ];
    for (attempt, field) in attempts {
        let error = call(&database, attempt.clone()).await.unwrap_err();
        assert_eq!(error.status(), 400, "{attempt}");
        assert!(error.reason().starts_with(field), "{attempt}: {error}");
    }
    assert_eq!(insert.num_calls(), 0);
}

const KEY: &str = "9b2f6c1e-0d5a-4c8e-9f53-7c1a2b3d4e5f";
const FINGERPRINT: &str =
    r#"{"operation":"POST /staff","input":{"id":"0004","name":"Kinesis","age":78}}"#;
const RECORDED: &str = r#"{"id":"0004","name":"Kinesis","age":78}"#;

fn keyed_event() -> serde_json::Value {
    json!({"id": "0004", "name": "Kinesis", "age": 78, "idempotency_key": KEY})
}

/// The key lookup, answering the record stored under the key (or none).
fn lookup(recorded: Option<&'static str>) -> Rule {
    mock!(Client::execute_statement)
        .match_requests(|req| {
            req.sql()
                .is_some_and(|sql| sql.contains("FROM idempotency_keys"))
                && req.parameters() == [param::text("idempotency_key", KEY)]
        })
        .then_output(move || {
            let records = recorded
                .map(|fingerprint| {
                    vec![vec![
                        Field::StringValue(fingerprint.into()),
                        Field::StringValue(RECORDED.into()),
                    ]]
                })
                .unwrap_or_default();
            ExecuteStatementOutput::builder()
                .set_records(Some(records))
                .build()
        })
}

fn unique_violation() -> Rule {
    mock!(Client::execute_statement)
        .match_requests(|req| req.sql() == Some(INSERT))
        .then_error(|| {
            ExecuteStatementError::DatabaseErrorException(
                DatabaseErrorException::builder()
                    .message(
                        "ERROR: duplicate key value violates unique constraint \
                         \"idempotency_keys_pkey\"; SQLState: 23505",
                    )
                    .build(),
            )
        })
}

#[tokio::test(start_paused = true)]
async fn a_keyed_write_records_its_outcome_in_the_same_statement() {
    let lookup = lookup(None);
    let insert = mock!(Client::execute_statement)
        .match_requests(|req| {
            req.sql() == Some(INSERT)
                && req.parameters()[3..]
                    == [
                        param::text("idempotency_key", KEY),
                        param::text("fingerprint", FINGERPRINT),
                    ]
        })
        .then_output(|| staff_rows(&[("0004", "Kinesis", Some(78))]));
    let database = database(&[&lookup, &insert]);

    let staff = call(&database, keyed_event()).await.unwrap();

    assert_eq!(staff.id, "0004");
    assert_eq!((lookup.num_calls(), insert.num_calls()), (1, 1));
}

#[tokio::test(start_paused = true)]
async fn a_retry_with_the_same_key_answers_the_first_outcome_without_writing() {
    let lookup = lookup(Some(FINGERPRINT));
    let database = database(&[&lookup]);

    let staff = call(&database, keyed_event()).await.unwrap();

    assert_eq!(serde_json::to_string(&staff).unwrap(), RECORDED);
}

#[tokio::test(start_paused = true)]
async fn the_same_key_with_another_request_is_422() {
    let lookup = lookup(Some(r#"{"operation":"POST /staff","input":{"id":"0009"}}"#));
    let database = database(&[&lookup]);

    let error = call(&database, keyed_event()).await.unwrap_err();

    assert_eq!(error.status(), 422);
    assert_eq!(
        error.reason(),
        "this Idempotency-Key was used with a different request"
    );
}

#[tokio::test(start_paused = true)]
async fn a_key_taken_by_a_concurrent_attempt_answers_that_attempts_outcome() {
    // The first attempt was still running at the lookup, then committed: the retry's insert waits
    // on the key's unique index and fails, and the second lookup finds the outcome.
    let before = lookup(None);
    let conflict = unique_violation();
    let after = lookup(Some(FINGERPRINT));
    let database = database(&[&before, &conflict, &after]);

    let staff = call(&database, keyed_event()).await.unwrap();

    assert_eq!(serde_json::to_string(&staff).unwrap(), RECORDED);
}

#[tokio::test(start_paused = true)]
async fn a_write_without_a_key_that_times_out_says_its_outcome_is_unknown() {
    let late = mock!(Client::execute_statement).then_error(|| {
        ExecuteStatementError::StatementTimeoutException(
            aws_sdk_rdsdata::types::error::StatementTimeoutException::builder()
                .message("Request timed out")
                .build(),
        )
    });
    let database = database(&[&late]);

    let error = call(&database, json!({"id": "0004", "name": "Kinesis"}))
        .await
        .unwrap_err();

    assert_eq!(error.status(), 504);
    assert_eq!(error.reason(), api_core::idempotency::UNKNOWN_OUTCOME);
}
