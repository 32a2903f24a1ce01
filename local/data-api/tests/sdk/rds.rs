use aws_sdk_rdsdata::types::{Field, RecordsFormatType, SqlParameter, TypeHint};

use crate::support::{self, RESOURCE_ARN, SECRET_ARN, rds_execute as execute};

fn text(name: &str, value: &str) -> SqlParameter {
    SqlParameter::builder()
        .name(name)
        .value(Field::StringValue(value.into()))
        .build()
}

fn long(name: &str, value: i64) -> SqlParameter {
    SqlParameter::builder()
        .name(name)
        .value(Field::LongValue(value))
        .build()
}

#[tokio::test]
async fn selects_a_seed_row_with_typed_fields_and_metadata() {
    let server = support::start().await;
    let client = server.rds().await;
    let out = execute(
        &server,
        &client,
        "SELECT id, name, age FROM staff WHERE id = :id",
    )
    .parameters(text("id", "0001"))
    .include_result_metadata(true)
    .send()
    .await
    .expect("ExecuteStatement");
    assert_eq!(
        out.records.unwrap(),
        vec![vec![
            Field::StringValue("0001".into()),
            Field::StringValue("Aurora".into()),
            Field::LongValue(12)
        ]]
    );
    let names: Vec<_> = out
        .column_metadata
        .unwrap()
        .iter()
        .map(|c| c.type_name.clone().unwrap())
        .collect();
    assert_eq!(names, ["bpchar", "text", "int4"]);
    assert_eq!(out.number_of_records_updated, 0);
}

#[tokio::test]
async fn formats_records_as_json() {
    let server = support::start().await;
    let client = server.rds().await;
    let out = execute(
        &server,
        &client,
        "SELECT id, name, age FROM staff ORDER BY id LIMIT :limit",
    )
    .parameters(long("limit", 2))
    .format_records_as(RecordsFormatType::Json)
    .send()
    .await
    .unwrap();
    assert!(out.records.is_none());
    let records: serde_json::Value = serde_json::from_str(&out.formatted_records.unwrap()).unwrap();
    assert_eq!(
        records,
        serde_json::json!([
            {"id": "0001", "name": "Aurora", "age": 12},
            {"id": "0002", "name": "Lambda", "age": 34}
        ])
    );
}

#[tokio::test]
async fn insert_counts_records_and_a_duplicate_is_a_database_error() {
    let server = support::start().await;
    let client = server.rds().await;
    let insert = || {
        execute(
            &server,
            &client,
            "INSERT INTO staff (id, name, age) VALUES (:id, :name, :age)",
        )
        .parameters(text("id", "0004"))
        .parameters(text("name", "Athena"))
        .parameters(
            SqlParameter::builder()
                .name("age")
                .value(Field::IsNull(true))
                .build(),
        )
        .send()
    };
    assert_eq!(insert().await.unwrap().number_of_records_updated, 1);
    let error = insert()
        .await
        .expect_err("duplicate id")
        .into_service_error();
    assert!(error.is_database_error_exception(), "{error:?}");
    assert_eq!(
        error.meta().message(),
        Some(
            r#"ERROR: duplicate key value violates unique constraint "staff_pkey"; SQLState: 23505"#
        )
    );
    let stored = execute(&server, &client, "SELECT age FROM staff WHERE id = '0004'")
        .send()
        .await
        .unwrap();
    assert_eq!(stored.records.unwrap(), vec![vec![Field::IsNull(true)]]);
}

#[tokio::test]
async fn type_hints_bind_strings_as_their_types_and_results_map_by_type() {
    let server = support::start().await;
    let client = server.rds().await;
    let hinted = |name: &str, value: &str, hint: TypeHint| {
        SqlParameter::builder()
            .name(name)
            .value(Field::StringValue(value.into()))
            .type_hint(hint)
            .build()
    };
    let out = execute(
        &server,
        &client,
        "SELECT :d + 1 AS next_day, :ts AS ts, :t AS t, :n * 2 AS n, :u AS u, :j -> 'a' AS j, \
         1.5::float8 AS f, true AS b, '\\xdead'::bytea AS blob, '2024-01-01 00:00:00+09'::timestamptz AS tz",
    )
    .parameters(hinted("d", "2024-02-28", TypeHint::Date))
    .parameters(hinted("ts", "2024-02-28 12:34:56.5", TypeHint::Timestamp))
    .parameters(hinted("t", "23:59:01", TypeHint::Time))
    .parameters(hinted("n", "12.50", TypeHint::Decimal))
    .parameters(hinted("u", "6f1c3f0e-8e46-4f5b-9d59-1d2a8d9a0c11", TypeHint::Uuid))
    .parameters(hinted("j", r#"{"a": [1, 2]}"#, TypeHint::Json))
    .send()
    .await
    .expect("typed statement");
    assert_eq!(
        out.records.unwrap()[0],
        vec![
            Field::StringValue("2024-02-29".into()),
            Field::StringValue("2024-02-28 12:34:56.500".into()),
            Field::StringValue("23:59:01".into()),
            Field::StringValue("25.00".into()),
            Field::StringValue("6f1c3f0e-8e46-4f5b-9d59-1d2a8d9a0c11".into()),
            Field::StringValue("[1,2]".into()),
            Field::DoubleValue(1.5),
            Field::BooleanValue(true),
            Field::BlobValue(aws_sdk_rdsdata::primitives::Blob::new(vec![0xde, 0xad])),
            Field::StringValue("2023-12-31 15:00:00".into()),
        ]
    );
}

#[tokio::test]
async fn placeholders_inside_literals_are_not_parameters() {
    let server = support::start().await;
    let client = server.rds().await;
    let out = execute(
        &server,
        &client,
        "SELECT ':id' AS literal, :id::text AS bound -- :id",
    )
    .parameters(text("id", "x"))
    .send()
    .await
    .unwrap();
    assert_eq!(
        out.records.unwrap()[0],
        vec![
            Field::StringValue(":id".into()),
            Field::StringValue("x".into())
        ]
    );
}

#[tokio::test]
async fn transactions_commit_and_roll_back_on_real_postgres() {
    let server = support::start().await;
    let client = server.rds().await;
    let begin = || {
        client
            .begin_transaction()
            .resource_arn(RESOURCE_ARN)
            .secret_arn(SECRET_ARN)
            .database(&server.aurora_database)
            .send()
    };
    let count = || async {
        let out = execute(&server, &client, "SELECT count(*) FROM staff")
            .send()
            .await
            .unwrap();
        out.records.unwrap()[0][0].clone()
    };

    let rolled_back = begin().await.unwrap().transaction_id.unwrap();
    execute(&server, &client, "DELETE FROM staff")
        .transaction_id(&rolled_back)
        .send()
        .await
        .unwrap();
    let ended = client
        .rollback_transaction()
        .resource_arn(RESOURCE_ARN)
        .secret_arn(SECRET_ARN)
        .transaction_id(&rolled_back)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ended.transaction_status.as_deref(),
        Some("Rollback Complete")
    );
    assert_eq!(count().await, Field::LongValue(3));

    let committed = begin().await.unwrap().transaction_id.unwrap();
    execute(
        &server,
        &client,
        "UPDATE staff SET age = :age WHERE id = :id",
    )
    .parameters(long("age", 13))
    .parameters(text("id", "0001"))
    .transaction_id(&committed)
    .send()
    .await
    .unwrap();
    let ended = client
        .commit_transaction()
        .resource_arn(RESOURCE_ARN)
        .secret_arn(SECRET_ARN)
        .transaction_id(&committed)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ended.transaction_status.as_deref(),
        Some("Transaction Committed")
    );
    let age = execute(&server, &client, "SELECT age FROM staff WHERE id = '0001'")
        .send()
        .await
        .unwrap();
    assert_eq!(age.records.unwrap()[0][0], Field::LongValue(13));

    let gone = client
        .commit_transaction()
        .resource_arn(RESOURCE_ARN)
        .secret_arn(SECRET_ARN)
        .transaction_id(&committed)
        .send()
        .await
        .expect_err("already committed")
        .into_service_error();
    assert!(gone.is_transaction_not_found_exception(), "{gone:?}");
}

#[tokio::test]
async fn an_idle_transaction_is_rolled_back_after_the_timeout() {
    let server =
        support::start_with(|c| c.transaction_idle_timeout = std::time::Duration::from_millis(200))
            .await;
    let client = server.rds().await;
    let id = client
        .begin_transaction()
        .resource_arn(RESOURCE_ARN)
        .secret_arn(SECRET_ARN)
        .database(&server.aurora_database)
        .send()
        .await
        .unwrap()
        .transaction_id
        .unwrap();
    execute(&server, &client, "DELETE FROM staff")
        .transaction_id(&id)
        .send()
        .await
        .unwrap();
    // Watch PostgreSQL (without touching the transaction) until its session is gone.
    let idle_in_transaction = "SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction' AND datname = current_database()";
    loop {
        let out = execute(&server, &client, idle_in_transaction)
            .send()
            .await
            .unwrap();
        if out.records.unwrap()[0][0] == Field::LongValue(0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let expired = execute(&server, &client, "SELECT 1")
        .transaction_id(&id)
        .send()
        .await;
    assert!(
        expired
            .expect_err("expired")
            .into_service_error()
            .is_transaction_not_found_exception()
    );
    let out = execute(&server, &client, "SELECT count(*) FROM staff")
        .send()
        .await
        .unwrap();
    assert_eq!(out.records.unwrap()[0][0], Field::LongValue(3));
}

#[tokio::test]
async fn batch_execute_runs_every_parameter_set() {
    let server = support::start().await;
    let client = server.rds().await;
    let out = client
        .batch_execute_statement()
        .resource_arn(RESOURCE_ARN)
        .secret_arn(SECRET_ARN)
        .database(&server.aurora_database)
        .sql("INSERT INTO staff (id, name, age) VALUES (:id, :name, :age)")
        .parameter_sets(vec![
            text("id", "0010"),
            text("name", "Ten"),
            long("age", 10),
        ])
        .parameter_sets(vec![
            text("id", "0011"),
            text("name", "Eleven"),
            long("age", 11),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(out.update_results.unwrap().len(), 2);
    let count = execute(&server, &client, "SELECT count(*) FROM staff")
        .send()
        .await
        .unwrap();
    assert_eq!(count.records.unwrap()[0][0], Field::LongValue(5));
}

#[tokio::test]
async fn unknown_database_and_injected_faults_are_aws_errors() {
    let server = support::start().await;
    let client = server.rds().await;
    let missing = client
        .execute_statement()
        .resource_arn(RESOURCE_ARN)
        .secret_arn(SECRET_ARN)
        .database("no_such_database")
        .sql("SELECT 1")
        .send()
        .await
        .expect_err("unknown database")
        .into_service_error();
    assert!(missing.is_database_not_found_exception(), "{missing:?}");
    let missing = client
        .begin_transaction()
        .resource_arn(RESOURCE_ARN)
        .secret_arn(SECRET_ARN)
        .database("no_such_database")
        .send()
        .await
        .expect_err("unknown database")
        .into_service_error();
    assert!(missing.is_database_not_found_exception(), "{missing:?}");

    server
        .admin_post(
            "/_local/faults",
            serde_json::json!({"service": "rds-data", "operation": "ExecuteStatement", "error": "DatabaseResumingException", "count": 1}),
        )
        .await;
    let resuming = execute(&server, &client, "SELECT 1")
        .send()
        .await
        .expect_err("injected")
        .into_service_error();
    assert!(resuming.is_database_resuming_exception(), "{resuming:?}");
    assert!(execute(&server, &client, "SELECT 1").send().await.is_ok());
}
