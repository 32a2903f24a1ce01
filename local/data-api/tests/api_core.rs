//! api-core's Redshift runner, config (SSM) and RDS helpers, unchanged, against the local Data API:
//! the SDK finds the server only through the `AWS_ENDPOINT_URL_*` environment, as the Lambdas do.

mod support;

use std::collections::HashMap;
use std::time::Duration;

use api_core::config::{AuroraConfig, RedshiftConfig};
use api_core::rds::{AuroraDatabase, param};
use api_core::redshift::RedshiftRunner;
use aws_sdk_redshiftdata::types::Field as RedshiftField;
use serde_json::json;
use tokio::time::Instant;

/// One test in this binary, so setting the process environment races with nothing.
#[tokio::test]
async fn api_core_runs_unchanged_against_the_local_data_api() {
    let server = support::start().await;
    for (name, value) in server.server.sdk_env() {
        // SAFETY: the only test of this binary sets these before any SDK client or thread reads them.
        unsafe { std::env::set_var(name, value) };
    }
    let aws = api_core::config::load_aws_config().await;
    let env: HashMap<&str, String> = HashMap::from([
        ("REDSHIFT_WORKGROUP", "local".to_string()),
        ("REDSHIFT_DATABASE_PARAMETER", support::SSM_NAME.to_string()),
        ("AURORA_CLUSTER_ARN", support::RESOURCE_ARN.to_string()),
        ("AURORA_SECRET_ARN", support::SECRET_ARN.to_string()),
        ("AURORA_DATABASE", server.aurora_database.clone()),
    ]);
    let lookup = |name: &str| env.get(name).cloned();

    // Config: the database name comes from SSM.
    let redshift_config = RedshiftConfig::from_lookup(lookup).expect("redshift config");
    let database = redshift_config
        .resolve_database(&aws_sdk_ssm::Client::new(&aws))
        .await
        .expect("database name from SSM");
    assert_eq!(database, server.redshift_database);

    // The Redshift runner: a count, a missing table, a statement past its deadline.
    let runner = RedshiftRunner::new(
        aws_sdk_redshiftdata::Client::new(&aws),
        redshift_config.workgroup.clone(),
        database,
    );
    let soon = || Instant::now() + Duration::from_secs(20);
    let rows = runner
        .run("SELECT count(*) FROM flightdata", Vec::new(), soon())
        .await
        .expect("count");
    assert_eq!(rows, vec![vec![RedshiftField::LongValue(118)]]);

    let missing = runner
        .run("SELECT count(*) FROM public.nope", Vec::new(), soon())
        .await
        .expect_err("missing table");
    assert_eq!(missing.status(), 404);

    let slow = runner
        .run(
            "SELECT pg_sleep(600)",
            Vec::new(),
            Instant::now() + Duration::from_secs(3),
        )
        .await
        .expect_err("past the deadline");
    assert_eq!(slow.status(), 504);
    let statements = server.admin_get("/_local/statements").await;
    let sleeping = statements["statements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["queryString"] == "SELECT pg_sleep(600)")
        .expect("the slow statement");
    assert_eq!(sleeping["status"], "ABORTED");
    assert_eq!(sleeping["backendActive"], false);

    // The RDS helpers: a bound read, and a duplicate key as 409.
    let aurora = AuroraDatabase::new(
        aws_sdk_rdsdata::Client::new(&aws),
        AuroraConfig::from_lookup(lookup).expect("aurora config"),
    );
    let rows = aurora
        .execute(
            "SELECT id, name, age FROM staff WHERE id = :id",
            vec![param::text("id", "0003")],
            soon(),
        )
        .await
        .expect("select");
    let row = api_core::rds::Row::new(&rows[0]);
    assert_eq!(row.text(1, "name").unwrap(), "Dynamo");
    assert_eq!(row.long(2, "age").unwrap(), 56);

    let insert = "INSERT INTO staff (id, name, age) VALUES (:id, :name, :age)";
    let parameters = || {
        vec![
            param::text("id", "0042"),
            param::text("name", "Answer"),
            param::optional_long("age", None),
        ]
    };
    aurora
        .execute(insert, parameters(), soon())
        .await
        .expect("insert");
    let duplicate = aurora
        .execute(insert, parameters(), soon())
        .await
        .expect_err("duplicate");
    assert_eq!(duplicate.status(), 409);

    let calls = server.admin_get("/_local/calls").await;
    assert_eq!(calls["calls"]["ssm.GetParameter"], json!(1));
}
