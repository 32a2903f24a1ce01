use aws_sdk_redshiftdata::types::{Field, SqlParameter, StatusString};
use serde_json::json;

use crate::support::{self, redshift_run_to_end as run_to_end};

#[tokio::test]
async fn counts_flightdata_with_a_bound_parameter_and_waits_for_the_end() {
    let server = support::start().await;
    let client = server.redshift().await;
    let started = client
        .execute_statement()
        .workgroup_name("local")
        .database(&server.redshift_database)
        .sql("SELECT count(*) FROM flightdata WHERE carrier <> :carrier")
        .parameters(
            SqlParameter::builder()
                .name("carrier")
                .value("ZZ")
                .build()
                .unwrap(),
        )
        .wait_time_seconds(10)
        .send()
        .await
        .expect("ExecuteStatement");
    assert_eq!(
        started.status,
        Some(aws_sdk_redshiftdata::types::StatementStatusString::Finished)
    );
    assert_eq!(started.has_result_set, Some(true));
    let id = started.id.expect("Id");

    let described = client
        .describe_statement()
        .id(&id)
        .send()
        .await
        .expect("DescribeStatement");
    assert_eq!(described.status, Some(StatusString::Finished));
    assert_eq!(described.result_rows, 1);
    assert!(described.duration > 0);
    assert_eq!(described.has_result_set, Some(true));

    let result = client
        .get_statement_result()
        .id(&id)
        .send()
        .await
        .expect("GetStatementResult");
    assert_eq!(result.records, vec![vec![Field::LongValue(118)]]);
    assert_eq!(result.total_num_rows, 1);
    let column = &result.column_metadata.expect("ColumnMetadata")[0];
    assert_eq!(column.name.as_deref(), Some("count"));
    assert_eq!(column.type_name.as_deref(), Some("int8"));
}

#[tokio::test]
async fn a_missing_table_fails_with_redshifts_error_text() {
    let server = support::start().await;
    let described = run_to_end(&server, "SELECT count(*) FROM public.nope").await;
    assert_eq!(described.status, Some(StatusString::Failed));
    assert_eq!(
        described.error.as_deref(),
        Some(r#"ERROR: relation "public.nope" does not exist"#)
    );

    let client = server.redshift().await;
    let error = client
        .get_statement_result()
        .id(described.id)
        .send()
        .await
        .expect_err("no result for a failed statement");
    assert_eq!(
        error.into_service_error().meta().code(),
        Some("ValidationException")
    );
}

#[tokio::test]
async fn an_unknown_database_fails_the_statement() {
    let server = support::start().await;
    let client = server.redshift().await;
    let id = client
        .execute_statement()
        .workgroup_name("local")
        .database("no_such_database")
        .sql("SELECT 1")
        .send()
        .await
        .expect("accepted")
        .id
        .unwrap();
    let described = client
        .describe_statement()
        .id(id)
        .wait_time_seconds(30)
        .send()
        .await
        .unwrap();
    assert_eq!(described.status, Some(StatusString::Failed));
    assert_eq!(
        described.error.as_deref(),
        Some(r#"FATAL: database "no_such_database" does not exist"#)
    );
}

#[tokio::test]
async fn results_are_paged_by_size_with_opaque_next_tokens() {
    // 118 rows of about 27 bytes of cell data each: 1500-byte pages make three.
    let server = support::start_with(|c| c.result_page_bytes = 1500).await;
    let client = server.redshift().await;
    let id = client
        .execute_statement()
        .cluster_identifier("local")
        .database(&server.redshift_database)
        .sql("SELECT flight_id, flight_date, carrier, departure_delay FROM flightdata ORDER BY flight_id")
        .wait_time_seconds(30)
        .send()
        .await
        .unwrap()
        .id
        .unwrap();
    let mut rows = Vec::new();
    let mut pages = 0;
    let mut token = None;
    loop {
        let page = client
            .get_statement_result()
            .id(&id)
            .set_next_token(token)
            .send()
            .await
            .expect("GetStatementResult");
        assert_eq!(page.total_num_rows, 118);
        pages += 1;
        rows.extend(page.records);
        token = page.next_token;
        // AWS's tokens are opaque; these carry no readable offset a client could build on.
        if let Some(t) = &token {
            assert!(!t.contains("page") && t.parse::<u64>().is_err(), "{t}");
        }
        if token.is_none() {
            break;
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(rows.len(), 118);
    assert_eq!(rows[0][0], Field::LongValue(1));
    assert_eq!(rows[0][1], Field::StringValue("2023-01-02".into()));
    assert_eq!(rows[0][2], Field::StringValue("DL".into()));
    // flight 7: 7 % 7 == 0 has no departure delay.
    assert_eq!(rows[6][3], Field::IsNull(true));
}

#[tokio::test]
async fn cancel_stops_the_running_query_in_postgres() {
    let server = support::start().await;
    let client = server.redshift().await;
    let id = client
        .execute_statement()
        .workgroup_name("local")
        .database(&server.redshift_database)
        .sql("SELECT pg_sleep(600)")
        .send()
        .await
        .unwrap()
        .id
        .unwrap();
    // Wait until PostgreSQL really runs it.
    loop {
        let statements = server.admin_get("/_local/statements").await;
        let statement = &statements["statements"][0];
        if statement["backendActive"] == json!(true) {
            assert_eq!(statement["status"], "STARTED");
            break;
        }
        tokio::task::yield_now().await;
    }
    let cancelled = client
        .cancel_statement()
        .id(&id)
        .send()
        .await
        .expect("CancelStatement");
    assert_eq!(cancelled.status, Some(true));

    let described = client.describe_statement().id(&id).send().await.unwrap();
    assert_eq!(described.status, Some(StatusString::Aborted));
    let statements = server.admin_get("/_local/statements").await;
    assert_eq!(statements["statements"][0]["status"], "ABORTED");
    assert_eq!(statements["statements"][0]["backendActive"], false);

    let again = client
        .cancel_statement()
        .id(&id)
        .send()
        .await
        .expect_err("already aborted");
    assert_eq!(
        again.into_service_error().meta().code(),
        Some("ValidationException")
    );
}

#[tokio::test]
async fn a_statement_without_result_set_reports_rows_affected() {
    let server = support::start().await;
    let described = run_to_end(
        &server,
        "UPDATE flightdata SET departure_delay = 0 WHERE carrier = 'AA'",
    )
    .await;
    assert_eq!(described.status, Some(StatusString::Finished));
    assert_eq!(described.has_result_set, Some(false));
    assert_eq!(described.result_rows, 29);
    let error = server
        .redshift()
        .await
        .get_statement_result()
        .id(described.id)
        .send()
        .await
        .expect_err("no result set");
    let error = error.into_service_error();
    assert_eq!(error.meta().code(), Some("ValidationException"));
    assert!(
        error
            .meta()
            .message()
            .unwrap()
            .starts_with("Query does not have result.")
    );
}

#[tokio::test]
async fn protocol_errors_are_the_aws_ones() {
    let server = support::start().await;
    let client = server.redshift().await;
    let missing = client
        .describe_statement()
        .id(uuid_like())
        .send()
        .await
        .expect_err("unknown id");
    let missing = missing.into_service_error();
    assert!(missing.is_resource_not_found_exception(), "{missing:?}");
    assert_eq!(missing.meta().message(), Some("Query does not exist."));

    let no_target = client
        .execute_statement()
        .database(&server.redshift_database)
        .sql("SELECT 1")
        .send()
        .await
        .expect_err("neither workgroup nor cluster");
    assert!(no_target.into_service_error().is_validation_exception());
}

fn uuid_like() -> String {
    "00000000-0000-4000-8000-000000000000".into()
}

#[tokio::test]
async fn client_token_makes_execute_idempotent() {
    let server = support::start().await;
    let client = server.redshift().await;
    let execute = || {
        client
            .execute_statement()
            .workgroup_name("local")
            .database(&server.redshift_database)
            .sql("INSERT INTO flightdata SELECT flight_id + 1000, flight_date, carrier, origin, destination, departure_delay, distance_miles FROM flightdata WHERE flight_id = 1")
            .client_token("same-token-twice")
            .wait_time_seconds(30)
            .send()
    };
    let first = execute().await.unwrap().id.unwrap();
    let second = execute().await.unwrap().id.unwrap();
    assert_eq!(first, second);
    let counted = run_to_end(&server, "SELECT count(*) FROM flightdata").await;
    let result = client
        .get_statement_result()
        .id(counted.id)
        .send()
        .await
        .unwrap();
    assert_eq!(result.records, vec![vec![Field::LongValue(119)]]);
}

#[tokio::test]
async fn statement_duration_keeps_it_running_and_wait_returns_at_the_end() {
    let server = support::start().await;
    server
        .admin_post("/_local/statement-duration", json!({ "millis": 400 }))
        .await;
    let client = server.redshift().await;
    let started = client
        .execute_statement()
        .workgroup_name("local")
        .database(&server.redshift_database)
        .sql("SELECT 1")
        .send()
        .await
        .unwrap();
    let id = started.id.unwrap();
    let running = client.describe_statement().id(&id).send().await.unwrap();
    assert!(
        matches!(
            running.status,
            Some(StatusString::Picked | StatusString::Started | StatusString::Submitted)
        ),
        "{:?}",
        running.status
    );
    let finished = client
        .describe_statement()
        .id(&id)
        .wait_time_seconds(30)
        .send()
        .await
        .unwrap();
    assert_eq!(finished.status, Some(StatusString::Finished));
    assert!(
        finished.duration >= 400_000_000,
        "duration {}",
        finished.duration
    );
}

#[tokio::test]
async fn injected_faults_surface_as_aws_errors_and_statement_outcomes() {
    let server = support::start().await;
    server
        .admin_post(
            "/_local/faults",
            json!({"service": "redshift-data", "operation": "ExecuteStatement", "error": "ActiveStatementsExceededException", "count": 1}),
        )
        .await;
    let client = server.redshift_without_retries().await;
    let execute = || {
        client
            .execute_statement()
            .workgroup_name("local")
            .database(&server.redshift_database)
            .sql("SELECT 1")
            .wait_time_seconds(30)
            .send()
    };
    let error = execute().await.expect_err("injected");
    assert!(
        error
            .into_service_error()
            .is_active_statements_exceeded_exception()
    );

    for (outcome, status) in [
        ("FAILED", StatusString::Failed),
        ("ABORTED", StatusString::Aborted),
    ] {
        server
            .admin_post(
                "/_local/faults",
                json!({"service": "redshift-data", "operation": "ExecuteStatement", "error": outcome, "count": 1}),
            )
            .await;
        let id = execute().await.unwrap().id.unwrap();
        let described = client.describe_statement().id(id).send().await.unwrap();
        assert_eq!(described.status, Some(status));
    }
    let id = execute().await.expect("faults used up").id.unwrap();
    let described = client.describe_statement().id(id).send().await.unwrap();
    assert_eq!(described.status, Some(StatusString::Finished));
}

#[tokio::test]
async fn the_sdk_retries_throttling_and_the_calls_are_counted() {
    let server = support::start().await;
    server
        .admin_post(
            "/_local/faults",
            json!({"service": "redshift-data", "operation": "DescribeStatement", "error": "ThrottlingException", "count": 2}),
        )
        .await;
    let described = run_to_end(&server, "SELECT 1").await;
    assert_eq!(described.status, Some(StatusString::Finished));
    let calls = server.admin_get("/_local/calls").await;
    assert_eq!(calls["calls"]["redshift-data.DescribeStatement"], 3);
    assert_eq!(calls["calls"]["redshift-data.ExecuteStatement"], 1);
}
