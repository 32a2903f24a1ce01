use aws_sdk_rdsdata::types::Field;
use serde_json::json;

use crate::support::{self, RESOURCE_ARN, SECRET_ARN, SSM_NAME};

#[tokio::test]
async fn ssm_serves_seeded_and_put_parameters() {
    let server = support::start().await;
    let ssm = server.ssm().await;
    let seeded = ssm
        .get_parameter()
        .name(SSM_NAME)
        .send()
        .await
        .expect("GetParameter");
    let parameter = seeded.parameter.unwrap();
    assert_eq!(
        parameter.value.as_deref(),
        Some(server.redshift_database.as_str())
    );
    assert_eq!(parameter.version, 1);

    let missing = ssm
        .get_parameter()
        .name("/nope")
        .send()
        .await
        .expect_err("missing");
    assert!(missing.into_service_error().is_parameter_not_found());

    let put = ssm
        .put_parameter()
        .name("/x")
        .value("1")
        .send()
        .await
        .unwrap();
    assert_eq!(put.version, 1);
    let exists = ssm
        .put_parameter()
        .name("/x")
        .value("2")
        .send()
        .await
        .expect_err("exists");
    assert!(exists.into_service_error().is_parameter_already_exists());
    let put = ssm
        .put_parameter()
        .name("/x")
        .value("2")
        .overwrite(true)
        .send()
        .await
        .unwrap();
    assert_eq!(put.version, 2);
    let read = ssm.get_parameter().name("/x").send().await.unwrap();
    assert_eq!(read.parameter.unwrap().value.as_deref(), Some("2"));
}

#[tokio::test]
async fn reset_restores_the_seeded_state() {
    let server = support::start().await;
    let rds = server.rds().await;
    let execute = |sql: &'static str| {
        rds.execute_statement()
            .resource_arn(RESOURCE_ARN)
            .secret_arn(SECRET_ARN)
            .database(&server.aurora_database)
            .sql(sql)
            .send()
    };
    execute("DELETE FROM staff").await.unwrap();
    server
        .ssm()
        .await
        .put_parameter()
        .name(SSM_NAME)
        .value("changed")
        .overwrite(true)
        .send()
        .await
        .unwrap();
    server.admin_post("/_local/faults", json!({"service": "ssm", "operation": "GetParameter", "error": "ThrottlingException", "count": 9})).await;

    server.admin_post("/_local/reset", json!({})).await;

    let count = execute("SELECT count(*) FROM staff").await.unwrap();
    assert_eq!(count.records.unwrap()[0][0], Field::LongValue(3));
    let parameter = server
        .ssm()
        .await
        .get_parameter()
        .name(SSM_NAME)
        .send()
        .await
        .expect("faults cleared");
    assert_eq!(
        parameter.parameter.unwrap().value.as_deref(),
        Some(server.redshift_database.as_str())
    );
    let calls = server.admin_get("/_local/calls").await;
    assert_eq!(
        calls["calls"],
        json!({"rds-data.ExecuteStatement": 1, "ssm.GetParameter": 1})
    );
}

#[tokio::test]
async fn admin_rejects_unknown_services_and_misplaced_outcomes() {
    let server = support::start().await;
    let url = format!("{}/_local/faults", server.server.url());
    for body in [
        json!({"service": "s3", "operation": "GetObject", "error": "ThrottlingException", "count": 1}),
        json!({"service": "rds-data", "operation": "ExecuteStatement", "error": "FAILED", "count": 1}),
    ] {
        let response = server.http.post(&url).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 400, "{body}");
    }
}
