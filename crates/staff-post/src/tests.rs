use super::*;
use api_core::testing::{deadline, mock_aurora as database, staff_rows};
use aws_sdk_rdsdata::Client;
use aws_sdk_rdsdata::operation::execute_statement::ExecuteStatementError;
use aws_sdk_rdsdata::types::error::DatabaseErrorException;
use aws_smithy_mocks::{Rule, mock};
use serde_json::json;

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
                    ]
        })
        .then_output(move || staff_rows(&[(id, name, age)]))
}

#[tokio::test(start_paused = true)]
async fn creates_a_record_and_returns_it() {
    let insert = insert("0004", "Kinesis", Some(78));
    let database = database(&[&insert]);

    let staff = handle(
        &database,
        json!({"id": "0004", "name": "Kinesis", "age": 78}),
        deadline(),
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

    let staff = handle(
        &database,
        json!({"id": "0005", "name": name, "age": null}),
        deadline(),
    )
    .await
    .unwrap();

    assert_eq!(staff.name, name);
    assert_eq!(staff.age, None);
}

#[tokio::test(start_paused = true)]
async fn an_absent_age_is_stored_as_null() {
    let insert = insert("0006", "Athena", None);
    let database = database(&[&insert]);

    let staff = handle(
        &database,
        json!({"id": "0006", "name": "Athena"}),
        deadline(),
    )
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

    let error = handle(
        &database,
        json!({"id": "0001", "name": "Aurora", "age": 12}),
        deadline(),
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
        let error = handle(&database, attempt.clone(), deadline())
            .await
            .unwrap_err();
        assert_eq!(error.status(), 400, "{attempt}");
        assert!(error.reason().starts_with(field), "{attempt}: {error}");
    }
    assert_eq!(insert.num_calls(), 0);
}
