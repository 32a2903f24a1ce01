//! boto3 and the AWS CLI (from PyPI, installed by scripts/bootstrap into `.venv`) against the server.

mod support;

use serde_json::json;

#[tokio::test]
async fn boto3_and_the_aws_cli_get_aws_shaped_answers() {
    let server = support::start().await;
    let output = support::run_python(&server, "clients.py").await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "clients.py failed:\n{stderr}");
    let summary: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("clients.py prints a JSON summary");
    assert_eq!(
        summary,
        json!({
            "redshift_count": 118,
            "redshift_error": "ERROR: relation \"public.nope\" does not exist",
            "not_found": "Query does not exist.",
            "rds_record": [{"stringValue": "0002"}, {"stringValue": "Lambda"}, {"longValue": 34}],
            "rds_error": "ERROR: duplicate key value violates unique constraint \"staff_pkey\"; SQLState: 23505",
            "cli_count": 118,
        })
    );
}
