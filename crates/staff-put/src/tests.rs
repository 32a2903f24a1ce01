use super::*;
use api_core::testing::{StaffRow, mock_aurora as database, staff_rows};
use aws_sdk_rdsdata::Client;
use aws_sdk_rdsdata::types::SqlParameter;
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

/// An UPDATE with exactly this SQL and these bound values, answering with `returned`.
fn update(sql: &'static str, parameters: Vec<SqlParameter>, returned: Option<StaffRow>) -> Rule {
    mock!(Client::execute_statement)
        .match_requests(move |req| {
            let without_key = [param::null("idempotency_key"), param::null("fingerprint")];
            req.sql() == Some(sql) && req.parameters() == [&parameters[..], &without_key].concat()
        })
        .then_output(move || staff_rows(returned.as_slice()))
}

#[tokio::test(start_paused = true)]
async fn updates_only_the_name() {
    let rule = update(
        UPDATE_NAME,
        vec![param::text("id", "0001"), param::text("name", "Aurora v2")],
        Some(("0001", "Aurora v2", Some(12))),
    );
    let database = database(&[&rule]);

    let staff = call(&database, json!({"id": "0001", "name": "Aurora v2"}))
        .await
        .unwrap();

    assert_eq!(
        serde_json::to_value(staff).unwrap(),
        json!({"id": "0001", "name": "Aurora v2", "age": 12})
    );
}

#[tokio::test(start_paused = true)]
async fn a_null_age_clears_it_and_leaves_the_name() {
    let rule = update(
        UPDATE_AGE,
        vec![param::text("id", "0002"), param::null("age")],
        Some(("0002", "Lambda", None)),
    );
    let database = database(&[&rule]);

    let staff = call(&database, json!({"id": "0002", "age": null}))
        .await
        .unwrap();

    assert_eq!(staff.age, None);
    assert_eq!(staff.name, "Lambda");
}

#[tokio::test(start_paused = true)]
async fn updates_both_with_hostile_text_bound_as_a_parameter() {
    let name = "x'); drop table staff; -- \\\"";
    let rule = update(
        UPDATE_NAME_AND_AGE,
        vec![
            param::text("id", "0003"),
            param::text("name", name),
            param::long("age", 57),
        ],
        Some(("0003", name, Some(57))),
    );
    let database = database(&[&rule]);

    let staff = call(&database, json!({"id": "0003", "name": name, "age": 57}))
        .await
        .unwrap();

    assert_eq!(staff.name, name);
    assert_eq!(staff.age, Some(57));
}

#[tokio::test(start_paused = true)]
async fn a_missing_row_is_404() {
    let rule = update(
        UPDATE_AGE,
        vec![param::text("id", "0009"), param::long("age", 1)],
        None,
    );
    let database = database(&[&rule]);

    let error = call(&database, json!({"id": "0009", "age": 1}))
        .await
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        r#"{"Status":404,"ErrorReason":"staff 0009 not found"}"#
    );
}

#[tokio::test(start_paused = true)]
async fn invalid_requests_are_400_without_a_query() {
    let rule = update(UPDATE_NAME, Vec::new(), None);
    let database = database(&[&rule]);
    let attempts = [
        (json!({"id": "0001"}), "at least one"),
        (json!({"id": "' OR '1'='1", "name": "x"}), "id"),
        (json!({"id": "0001", "name": ""}), "name"),
        (json!({"id": "0001", "name": null}), "name"),
        (json!({"id": "0001", "age": 200}), "age"),
        (json!({"id": "0001", "name": "ok", "age": "old"}), "age"),
        (json!({"name": "x"}), "request"),
    ];
    for (attempt, reason) in attempts {
        let error = call(&database, attempt.clone()).await.unwrap_err();
        assert_eq!(error.status(), 400, "{attempt}");
        assert!(error.reason().starts_with(reason), "{attempt}: {error}");
    }
    assert_eq!(rule.num_calls(), 0);
}
