//! The OpenAPI-driven fuzz pass: schemathesis (PyPI, in the project's .venv) generates a bounded
//! number of valid and invalid requests per operation from schemas/openapi.yaml; no answer may be a
//! 5xx, and every answer must have a documented status and match its documented schema.

use std::sync::Arc;

use serde_json::Value;

use crate::case;
use crate::support::{Case, Needs, Suite};

/// Generated cases per operation and phase: enough to reach every validator branch, bounded so the
/// pass takes about a minute on two cores.
const MAX_EXAMPLES: &str = "40";
/// Fixed, so a failure reproduces.
const SEED: &str = "20240611";

pub fn cases() -> Vec<Case> {
    vec![case!(
        Needs::AnyAlone,
        fuzzed_requests_get_documented_answers_and_no_5xx
    )]
}

async fn fuzzed_requests_get_documented_answers_and_no_5xx(suite: Arc<Suite>) {
    let root = local_stack::workspace_root();
    let schemathesis = root.join(".venv/bin/schemathesis");
    assert!(
        schemathesis.exists(),
        "{} is missing: run `bash scripts/bootstrap` first",
        schemathesis.display()
    );
    let work = tempfile::tempdir().unwrap();
    let document = work.path().join("openapi.json");
    std::fs::write(&document, contract_without_aws_extensions(&root)).unwrap();

    let api = suite.api();
    let mut command = tokio::process::Command::new(&schemathesis);
    command
        .arg("run")
        .arg(&document)
        .args(["--url", &api.base_url])
        .args([
            "--header",
            &format!("x-api-key: {}", api.api_key.as_deref().unwrap_or_default()),
        ])
        .args([
            "--checks",
            "not_a_server_error,status_code_conformance,response_schema_conformance",
        ])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", MAX_EXAMPLES, "--seed", SEED])
        .args(["--workers", "4", "--request-timeout", "30"])
        .args(["--generation-database", "none"])
        .args(["--generation-with-security-parameters", "false"])
        .args(["--suppress-health-check", "all", "--no-color"])
        .env("NO_PROXY", "127.0.0.1,localhost")
        .current_dir(work.path());
    if suite.target.local.is_none() {
        eprintln!("e2e: fuzz pass against a deployed stage: GET operations only (no writes)");
        command.args(["--include-method", "GET"]);
    }
    let output = command.output().await.expect("schemathesis runs");
    if let Some(local) = &suite.target.local {
        // The fuzz pass may have changed seeded rows; later cases expect the seeds.
        local.admin.reset().await.unwrap();
    }
    let report = String::from_utf8_lossy(&output.stdout);
    // The summary (operations, generated cases, checks) goes to the suite's output.
    let summary: Vec<&str> = report.lines().rev().take(12).collect();
    eprintln!(
        "e2e: schemathesis summary:\n{}",
        summary.into_iter().rev().collect::<Vec<_>>().join("\n")
    );
    assert!(
        output.status.success(),
        "schemathesis found problems:\n{report}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The contract as schemathesis should read it: the document without API Gateway's extensions
/// (they hold `$ref`s to VTL files, which are not JSON).
fn contract_without_aws_extensions(root: &std::path::Path) -> String {
    let text = std::fs::read_to_string(root.join("schemas/openapi.yaml")).unwrap();
    let mut document: Value = serde_yaml_ng::from_str(&text).unwrap();
    strip_aws_extensions(&mut document);
    document.to_string()
}

fn strip_aws_extensions(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|key, _| !key.starts_with("x-amazon-apigateway"));
            map.values_mut().for_each(strip_aws_extensions);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_aws_extensions),
        _ => {}
    }
}
