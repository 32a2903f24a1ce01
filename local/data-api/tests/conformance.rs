//! The conformance run (`tests/conformance.py`): every served operation through boto3, each answer
//! checked against botocore's service model; the totals are printed and every answer must conform.

mod support;

#[tokio::test]
async fn every_served_operation_conforms_to_botocores_service_models() {
    let server = support::start().await;
    let output = support::run_python(&server, "conformance.py").await;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "conformance.py found mismatches:\n{stderr}"
    );
    let summary: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("conformance.py prints a JSON summary");
    let served = |service: &str| {
        summary[service]["operations"]
            .as_array()
            .map_or(0, Vec::len)
    };
    assert_eq!(served("redshift-data"), 5, "{summary}");
    assert_eq!(served("rds-data"), 5, "{summary}");
    assert_eq!(served("ssm"), 3, "{summary}");
    for service in ["redshift-data", "rds-data", "ssm"] {
        assert_eq!(
            summary[service]["passed"], summary[service]["total"],
            "{summary}"
        );
    }
}
