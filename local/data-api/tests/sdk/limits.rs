//! AWS's documented limits and semantics of the Data APIs (issue 11), each test naming its source.

use aws_sdk_rdsdata::types::{Field as RdsField, ResultSetOptions};
use aws_sdk_redshiftdata::types::{StatementStatusString, StatusString};

use crate::support::{
    self, RESOURCE_ARN, SECRET_ARN, rds_execute, redshift_run_to_end as redshift_run,
};

/// Aurora user guide, "Troubleshooting Amazon RDS Data API": 64 KB per row, 1 MiB per response.
#[tokio::test]
async fn rds_data_refuses_rows_over_64_kb_and_responses_over_1_mib() {
    let server = support::start().await;
    let client = server.rds().await;
    let row = rds_execute(&server, &client, "SELECT repeat('x', 70000)")
        .send()
        .await
        .expect_err("a 70,000-byte row");
    let row = row.into_service_error();
    assert!(row.is_bad_request_exception(), "{row:?}");
    assert_eq!(row.meta().message(), Some("Packet for query is too large"));

    let big = rds_execute(
        &server,
        &client,
        "SELECT repeat('x', 50000) FROM generate_series(1, 40)",
    )
    .send()
    .await
    .expect_err("a 2 MB result");
    let big = big.into_service_error();
    assert!(big.is_bad_request_exception(), "{big:?}");
    assert_eq!(
        big.meta().message(),
        Some("Database returned more than the allowed response size limit")
    );
    // Just under both limits is served.
    let fine = rds_execute(
        &server,
        &client,
        "SELECT repeat('x', 60000) FROM generate_series(1, 16)",
    )
    .send()
    .await
    .expect("960 KB in rows of 60 KB");
    assert_eq!(fine.records.unwrap_or_default().len(), 16);
}

/// Redshift management guide, "Troubleshooting issues for Amazon Redshift Data API": 64 KB per row
/// and a limit on the whole result (500 MB; configurable here so a test can reach it).
#[tokio::test]
async fn redshift_data_fails_statements_over_its_row_and_result_limits() {
    let server = support::start_with(|c| c.redshift_result_bytes = 100_000).await;
    let row = redshift_run(&server, "SELECT repeat('x', 70000)").await;
    assert_eq!(row.status, Some(StatusString::Failed));
    assert_eq!(row.error.as_deref(), Some("Packet for query is too large"));
    let big = redshift_run(
        &server,
        "SELECT repeat('x', 1000) FROM generate_series(1, 200)",
    )
    .await;
    assert_eq!(big.status, Some(StatusString::Failed));
    assert_eq!(
        big.error.as_deref(),
        Some("Database response exceeded size limit")
    );
}

/// Aurora user guide, "Controlling Data API timeout behavior": past 45 s the call ends with a
/// timeout error and the statement is cancelled, unless continueAfterTimeout (then it goes on).
#[tokio::test]
async fn rds_data_calls_time_out_and_continue_after_timeout_lets_the_statement_finish() {
    let server =
        support::start_with(|c| c.rds_call_timeout = std::time::Duration::from_secs(1)).await;
    let client = server.rds().await;
    let slow = rds_execute(&server, &client, "SELECT pg_sleep(3)")
        .send()
        .await
        .expect_err("runs past the call timeout");
    let slow = slow.into_service_error();
    assert!(slow.is_statement_timeout_exception(), "{slow:?}");
    let running = rds_execute(
        &server,
        &client,
        "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = 'SELECT pg_sleep(3)'",
    )
    .send()
    .await
    .expect("pg_stat_activity");
    assert_eq!(
        running.records.unwrap()[0][0],
        RdsField::LongValue(0),
        "cancelled"
    );

    let continued = rds_execute(
        &server,
        &client,
        "INSERT INTO staff (id, name, age) SELECT '0900', 'Late', 40 FROM pg_sleep(2)",
    )
    .continue_after_timeout(true)
    .send()
    .await
    .expect_err("the call still times out");
    assert!(
        continued
            .into_service_error()
            .is_statement_timeout_exception()
    );
    // The insert goes on and commits: wait for it without assuming how long it takes.
    let mut inserted = false;
    for _ in 0..100 {
        let found = rds_execute(
            &server,
            &client,
            "SELECT count(*) FROM staff WHERE id = '0900'",
        )
        .send()
        .await
        .expect("count");
        if found.records.unwrap()[0][0] == RdsField::LongValue(1) {
            inserted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(inserted, "the statement continued after the timeout");
}

/// Redshift quota: 200 active statements; beyond, ActiveStatementsExceededException. PostgreSQL's
/// own connection limit never shows: 200 concurrent statements all finish.
#[tokio::test]
async fn two_hundred_concurrent_statements_finish_and_the_201st_is_refused() {
    let server = support::start().await;
    let client = server.redshift().await;
    let submit = |sql: &'static str| {
        let client = client.clone();
        let database = server.redshift_database.clone();
        async move {
            client
                .execute_statement()
                .workgroup_name("local")
                .database(database)
                .sql(sql)
                .send()
                .await
        }
    };
    let started =
        futures_util::future::join_all((0..200).map(|_| submit("SELECT pg_sleep(0.2)"))).await;
    let ids: Vec<String> = started
        .into_iter()
        .map(|r| r.expect("admitted").id.expect("Id"))
        .collect();
    for id in &ids {
        let described = client
            .describe_statement()
            .id(id)
            .wait_time_seconds(30)
            .send()
            .await
            .expect("DescribeStatement");
        assert_eq!(
            described.status,
            Some(StatusString::Finished),
            "{:?}",
            described.error
        );
    }

    // Statements kept active by the artificial duration fill the quota.
    server
        .admin_post(
            "/_local/statement-duration",
            serde_json::json!({"millis": 60000}),
        )
        .await;
    let held = futures_util::future::join_all((0..200).map(|_| submit("SELECT 1"))).await;
    assert!(held.iter().all(|r| r.is_ok()));
    let refused = submit("SELECT 1").await.expect_err("the 201st");
    let refused = refused.into_service_error();
    assert!(
        refused.is_active_statements_exceeded_exception(),
        "{refused:?}"
    );
    server
        .admin_post("/_local/reset", serde_json::json!({}))
        .await;
}

/// Aurora troubleshooting guide: "Transaction <id> isn't found", one cause being "Transaction has
/// been aborted due to an error from a previous call".
#[tokio::test]
async fn an_error_inside_a_transaction_aborts_it() {
    let server = support::start().await;
    let client = server.rds().await;
    let id = client
        .begin_transaction()
        .resource_arn(RESOURCE_ARN)
        .secret_arn(SECRET_ARN)
        .database(&server.aurora_database)
        .send()
        .await
        .expect("BeginTransaction")
        .transaction_id
        .expect("id");
    rds_execute(
        &server,
        &client,
        "INSERT INTO staff (id, name, age) VALUES ('0800', 'Kept?', 1)",
    )
    .transaction_id(&id)
    .send()
    .await
    .expect("insert");
    let failed = rds_execute(&server, &client, "SELECT * FROM nope")
        .transaction_id(&id)
        .send()
        .await
        .expect_err("missing table");
    assert!(failed.into_service_error().is_database_error_exception());
    let commit = client
        .commit_transaction()
        .resource_arn(RESOURCE_ARN)
        .secret_arn(SECRET_ARN)
        .transaction_id(&id)
        .send()
        .await
        .expect_err("the transaction was aborted");
    let commit = commit.into_service_error();
    assert!(commit.is_transaction_not_found_exception(), "{commit:?}");
    assert_eq!(
        commit.meta().message(),
        Some(format!("Transaction {id} isn't found. Transaction has been aborted due to an error from a previous call").as_str())
    );
    let kept = rds_execute(
        &server,
        &client,
        "SELECT count(*) FROM staff WHERE id = '0800'",
    )
    .send()
    .await
    .unwrap();
    assert_eq!(
        kept.records.unwrap()[0][0],
        RdsField::LongValue(0),
        "rolled back"
    );
}

/// botocore rds-data model, `ResultSetOptions`: DOUBLE_OR_LONG gives a DECIMAL as a long when its
/// scale is 0, else a double; longReturnType STRING gives a LONG as a string.
#[tokio::test]
async fn result_set_options_change_how_numbers_come_back() {
    let server = support::start().await;
    let client = server.rds().await;
    let sql = "SELECT 12.50::numeric(6,2), 7::numeric, 42::bigint";
    let default = rds_execute(&server, &client, sql).send().await.unwrap();
    assert_eq!(
        default.records.unwrap()[0],
        vec![
            RdsField::StringValue("12.50".into()),
            RdsField::StringValue("7".into()),
            RdsField::LongValue(42)
        ]
    );
    let options = ResultSetOptions::builder()
        .decimal_return_type(aws_sdk_rdsdata::types::DecimalReturnType::DoubleOrLong)
        .long_return_type(aws_sdk_rdsdata::types::LongReturnType::String)
        .build();
    let changed = rds_execute(&server, &client, sql)
        .result_set_options(options)
        .send()
        .await
        .unwrap();
    assert_eq!(
        changed.records.unwrap()[0],
        vec![
            RdsField::DoubleValue(12.5),
            RdsField::LongValue(7),
            RdsField::StringValue("42".into())
        ]
    );
}

/// botocore rds-data model: `Field.arrayValue` (`ArrayValue` with longValues, stringValues, ...).
/// A void result has no value (isNull: **inferred**).
#[tokio::test]
async fn arrays_come_back_as_array_values_and_void_as_null() {
    let server = support::start().await;
    let client = server.rds().await;
    let out = rds_execute(
        &server,
        &client,
        "SELECT ARRAY[1, 2]::int[], ARRAY['a', 'b']::text[], pg_sleep(0)",
    )
    .send()
    .await
    .expect("arrays and void");
    let row = &out.records.unwrap()[0];
    use aws_sdk_rdsdata::types::ArrayValue;
    assert_eq!(
        row[0],
        RdsField::ArrayValue(ArrayValue::LongValues(vec![Some(1), Some(2)]))
    );
    assert_eq!(
        row[1],
        RdsField::ArrayValue(ArrayValue::StringValues(vec![
            Some("a".into()),
            Some("b".into())
        ]))
    );
    assert_eq!(row[2], RdsField::IsNull(true));
    // redshift-data: a void result finishes the statement.
    let void = redshift_run(&server, "SELECT pg_sleep(0)").await;
    assert_eq!(
        void.status,
        Some(StatusString::Finished),
        "{:?}",
        void.error
    );
}

/// Column metadata from the catalog: the source table, nullability (JDBC's codes), precision and
/// scale of numeric(p, s), varchar length; RedshiftPid when ExecuteStatement waited.
#[tokio::test]
async fn column_metadata_describes_the_source_columns() {
    let server = support::start().await;
    let client = server.rds().await;
    let out = rds_execute(
        &server,
        &client,
        "SELECT id, name, age, 1.5::numeric(4,1) AS n FROM staff LIMIT 1",
    )
    .include_result_metadata(true)
    .send()
    .await
    .unwrap();
    let columns = out.column_metadata.unwrap();
    assert_eq!(columns[0].table_name.as_deref(), Some("staff"));
    assert_eq!(columns[0].schema_name.as_deref(), Some("public"));
    assert_eq!(columns[0].nullable, 0, "a primary key is NOT NULL");
    assert_eq!(columns[3].table_name.as_deref(), Some(""));
    assert_eq!(
        columns[3].nullable, 2,
        "an expression's nullability is unknown"
    );
    // id is CHAR(4): its length from the type modifier; age an INTEGER (10 digits).
    assert_eq!(columns[0].precision, 4);
    assert_eq!(columns[2].precision, 10);
    assert_eq!(columns[2].nullable, 1, "age may be NULL");

    let redshift = server.redshift().await;
    let started = redshift
        .execute_statement()
        .workgroup_name("local")
        .database(&server.redshift_database)
        .sql("SELECT 1")
        .wait_time_seconds(30)
        .send()
        .await
        .unwrap();
    assert_eq!(started.status, Some(StatementStatusString::Finished));
    assert!(started.redshift_pid.is_some_and(|pid| pid > 0));
    let described = redshift
        .describe_statement()
        .id(started.id.unwrap())
        .send()
        .await
        .unwrap();
    assert!(described.redshift_query_id > 0);
}

/// botocore redshift-data model: ListStatements filters by Database, WorkgroupName and
/// ClusterIdentifier; MaxResults is 0-100, Status an enum, names follow their patterns.
#[tokio::test]
async fn list_statements_filters_and_model_constraints() {
    let server = support::start().await;
    let client = server.redshift().await;
    for (workgroup, cluster) in [(Some("wg-one"), None), (None, Some("cluster-two"))] {
        client
            .execute_statement()
            .set_workgroup_name(workgroup.map(Into::into))
            .set_cluster_identifier(cluster.map(Into::into))
            .database(&server.redshift_database)
            .sql("SELECT 1")
            .send()
            .await
            .expect("ExecuteStatement");
    }
    let by_workgroup = client
        .list_statements()
        .workgroup_name("wg-one")
        .send()
        .await
        .unwrap();
    assert_eq!(by_workgroup.statements.len(), 1);
    let by_cluster = client
        .list_statements()
        .cluster_identifier("cluster-two")
        .send()
        .await
        .unwrap();
    assert_eq!(by_cluster.statements.len(), 1);
    let by_database = client
        .list_statements()
        .database("elsewhere")
        .send()
        .await
        .unwrap();
    assert!(by_database.statements.is_empty());

    let too_many = client
        .list_statements()
        .max_results(101)
        .send()
        .await
        .expect_err("101");
    assert!(too_many.into_service_error().is_validation_exception());
    let status = client
        .list_statements()
        .status(StatusString::from("DONE"))
        .send()
        .await
        .expect_err("unknown status");
    assert!(status.into_service_error().is_validation_exception());
    for (workgroup, cluster, token) in [
        (Some("A!"), None, None),
        (None, Some("Bad_Cluster"), None),
        (Some("wg-one"), None, Some("t".repeat(65))),
    ] {
        let refused = client
            .execute_statement()
            .set_workgroup_name(workgroup.map(Into::into))
            .set_cluster_identifier(cluster.map(Into::into))
            .set_client_token(token)
            .sql("SELECT 1")
            .send()
            .await
            .expect_err("constraint");
        let refused = refused.into_service_error();
        assert!(refused.is_validation_exception(), "{refused:?}");
        assert!(
            refused
                .meta()
                .message()
                .unwrap_or_default()
                .starts_with("1 validation error detected"),
            "{refused:?}"
        );
    }
    // Redshift API reference, ExecuteStatement: WaitTimeSeconds' valid range is 1-30.
    for wait in [0, 31] {
        let refused = client
            .execute_statement()
            .workgroup_name("local")
            .sql("SELECT 1")
            .wait_time_seconds(wait)
            .send()
            .await
            .expect_err("outside 1-30");
        assert!(refused.into_service_error().is_validation_exception());
    }
    let rds = server.rds().await;
    let not_arn = rds
        .execute_statement()
        .resource_arn("not-an-arn-at-all")
        .secret_arn(SECRET_ARN)
        .sql("SELECT 1")
        .send()
        .await
        .expect_err("not an ARN");
    assert!(not_arn.into_service_error().is_bad_request_exception());
}

/// SSM API reference: without WithDecryption a SecureString's value is its ciphertext;
/// GetParameters lists unknown names in InvalidParameters; names are 1-2048 characters; Type is an enum.
#[tokio::test]
async fn ssm_secure_strings_get_parameters_and_constraints() {
    use aws_sdk_ssm::types::ParameterType;
    let server = support::start().await;
    let ssm = server.ssm().await;
    ssm.put_parameter()
        .name("/secret")
        .value("plaintext")
        .r#type(ParameterType::SecureString)
        .send()
        .await
        .expect("PutParameter");
    let hidden = ssm.get_parameter().name("/secret").send().await.unwrap();
    let hidden = hidden.parameter.unwrap().value.unwrap();
    assert_ne!(hidden, "plaintext");
    assert!(!hidden.contains("plaintext"));
    let shown = ssm
        .get_parameter()
        .name("/secret")
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    assert_eq!(shown.parameter.unwrap().value.as_deref(), Some("plaintext"));

    let many = ssm
        .get_parameters()
        .names(support::SSM_NAME)
        .names("/missing")
        .send()
        .await
        .expect("GetParameters");
    assert_eq!(many.parameters.unwrap().len(), 1);
    assert_eq!(
        many.invalid_parameters.unwrap(),
        vec!["/missing".to_string()]
    );

    let long = ssm
        .get_parameter()
        .name("n".repeat(2049))
        .send()
        .await
        .expect_err("2049");
    assert_eq!(
        long.into_service_error().meta().code(),
        Some("ValidationException")
    );
    let bad_type = ssm
        .put_parameter()
        .name("/typed")
        .value("v")
        .r#type(ParameterType::from("Bogus"))
        .send()
        .await
        .expect_err("unknown Type");
    assert_eq!(
        bad_type.into_service_error().meta().code(),
        Some("ValidationException")
    );
}
