use super::*;
use api_core::testing::{SEED, mock_aurora as database, staff_rows};
use aws_sdk_rdsdata::Client;
use aws_sdk_rdsdata::operation::execute_statement::{
    ExecuteStatementError, ExecuteStatementOutput,
};
use aws_sdk_rdsdata::types::Field;
use aws_sdk_rdsdata::types::error::DatabaseResumingException;
use aws_smithy_mocks::{Rule, mock};
use serde_json::{Value, json};

/// The event through the runtime's parsing, then the handler.
async fn call(
    database: &AuroraDatabase,
    event: serde_json::Value,
) -> Result<StaffGetResponse, ApiError> {
    api_core::testing::invoke(
        |request, deadline| handle(database, request, deadline),
        event,
    )
    .await
}

fn seed(count: usize) -> ExecuteStatementOutput {
    staff_rows(&SEED[..count])
}

fn select_one(id: &'static str, found: bool) -> Rule {
    mock!(Client::execute_statement)
        .match_requests(move |req| {
            req.sql() == Some(SELECT_ONE) && req.parameters() == [param::text("id", id)]
        })
        .then_output(move || if found { seed(1) } else { staff_rows(&[]) })
}

fn select_page(after: &'static str, limit_plus_one: i64, returned: usize) -> Rule {
    mock!(Client::execute_statement)
        .match_requests(move |req| {
            req.sql() == Some(SELECT_PAGE)
                && req.parameters()
                    == [
                        param::text("after", after),
                        param::long("limit", limit_plus_one),
                    ]
        })
        .then_output(move || seed(returned))
}

fn staff_json(response: &StaffGetResponse) -> Value {
    serde_json::to_value(response).unwrap()
}

#[tokio::test(start_paused = true)]
async fn gets_one_record_by_id() {
    let select = select_one("0001", true);
    let database = database(&[&select]);

    let response = call(&database, json!({"id": "0001", "limit": "", "after": ""}))
        .await
        .unwrap();

    assert_eq!(
        staff_json(&response),
        json!({"id": "0001", "name": "Aurora", "age": 12})
    );
}

#[tokio::test(start_paused = true)]
async fn an_unknown_id_is_404() {
    let select = select_one("0009", false);
    let database = database(&[&select]);

    let error = call(&database, json!({"id": "0009"})).await.unwrap_err();

    assert_eq!(
        error.to_string(),
        r#"{"Status":404,"ErrorReason":"staff 0009 not found"}"#
    );
}

#[tokio::test(start_paused = true)]
async fn invalid_ids_limits_and_cursors_are_400_without_a_query() {
    let select = select_one("never", true);
    let database = database(&[&select]);
    let attempts = [
        json!({"id": "' OR '1'='1"}),
        json!({"id": "00001"}),
        json!({"id": "0001\"; drop table staff; --"}),
        json!({"limit": "0"}),
        json!({"limit": "101"}),
        json!({"limit": "ten"}),
        json!({"limit": "1; drop table staff"}),
        json!({"after": "' OR '1'='1"}),
        json!({"id": 1}),
        json!("0001"),
    ];
    for attempt in attempts {
        let error = call(&database, attempt.clone()).await.unwrap_err();
        assert_eq!(error.status(), 400, "{attempt}");
        assert!(!error.to_string().contains("drop"));
    }
    assert_eq!(select.num_calls(), 0);
}

#[tokio::test(start_paused = true)]
async fn lists_the_first_page_with_the_default_limit() {
    let select = select_page("", DEFAULT_LIMIT + 1, 3);
    let database = database(&[&select]);

    let response = call(&database, json!({"id": "", "limit": "", "after": ""}))
        .await
        .unwrap();

    assert_eq!(
        staff_json(&response),
        json!({"items": [
            {"id": "0001", "name": "Aurora", "age": 12},
            {"id": "0002", "name": "Lambda", "age": 34},
            {"id": "0003", "name": "Dynamo", "age": 56},
        ], "next": null})
    );
}

#[tokio::test(start_paused = true)]
async fn a_full_page_points_to_the_next_one() {
    let select = select_page("", 3, 3);
    let database = database(&[&select]);

    let response = call(&database, json!({"limit": "2"})).await.unwrap();

    let StaffGetResponse::Page(page) = response else {
        panic!("expected a page");
    };
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.next.as_deref(), Some("0002"));
}

#[tokio::test(start_paused = true)]
async fn the_cursor_is_bound_as_a_parameter() {
    let select = select_page("0002", 3, 0);
    let database = database(&[&select]);

    let response = call(&database, json!({"limit": "2", "after": "0002"}))
        .await
        .unwrap();

    assert_eq!(staff_json(&response), json!({"items": [], "next": null}));
    assert_eq!(select.num_calls(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_resuming_database_twice_then_success_is_200() {
    let resuming_twice = mock!(Client::execute_statement)
        .sequence()
        .error(|| {
            ExecuteStatementError::DatabaseResumingException(
                DatabaseResumingException::builder().build(),
            )
        })
        .times(2)
        .output(|| seed(1))
        .build();
    let database = database(&[&resuming_twice]);

    let response = call(&database, json!({"id": "0001"})).await.unwrap();

    assert_eq!(
        staff_json(&response),
        json!({"id": "0001", "name": "Aurora", "age": 12})
    );
    assert_eq!(resuming_twice.num_calls(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_row_of_an_unexpected_shape_is_500() {
    let select = mock!(Client::execute_statement).then_output(|| {
        ExecuteStatementOutput::builder()
            .records(vec![Field::LongValue(1)])
            .build()
    });
    let database = database(&[&select]);

    let error = call(&database, json!({"id": "0001"})).await.unwrap_err();

    assert_eq!(
        error.to_string(),
        r#"{"Status":500,"ErrorReason":"internal error"}"#
    );
}
