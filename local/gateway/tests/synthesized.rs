//! The local gateway on the exact OpenAPI body the CDK app deploys (issue 12, item 6).
//!
//! `infra/test/synthesized-body.ts` synthesizes the dev stage as `cdk synth` does (bundling skipped)
//! and prints its RestApi `Body`, the CloudFormation functions in it written back as the document's
//! placeholders (`${AWS::Region}`, and `${Function:<crate>}` for each function's alias); the infra
//! tests check that printout against the template. Here the gateway loads that body through its own
//! loader and must serve the same API as from `schemas/openapi.yaml`: the same operations, and the
//! same answer and the same invocation for every request below.
//!
//! It needs the CDK app's node packages (`scripts/bootstrap` installs them); without them it fails
//! and says so.

#[allow(dead_code)]
mod support;

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use local_gateway::RunningGateway;
use local_gateway::spec::ApiDefinition;
use serde_json::{Value, json};
use support::{
    Answer, StubLambda, api, generous_stage, openapi_document, repository_path, send, send_with,
    start_gateway,
};

/// The dev template's body, synthesized once for both tests.
fn synthesized_document() -> Value {
    static BODY: OnceLock<Value> = OnceLock::new();
    BODY.get_or_init(|| {
        let infra = repository_path("infra");
        let ts_node = infra.join("node_modules/.bin/ts-node");
        assert!(
            ts_node.exists(),
            "the CDK app's node packages are missing ({}): run scripts/bootstrap",
            ts_node.display()
        );
        let output = Command::new(&ts_node)
            .args(["--transpile-only", "test/synthesized-body.ts", "dev"])
            .current_dir(&infra)
            .output()
            .expect("ts-node runs");
        assert!(
            output.status.success(),
            "synthesizing the dev stage failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice(&output.stdout).expect("the printed body is JSON")
    })
    .clone()
}

/// The deployed body has every template inlined: no file is read, so a leftover file reference
/// fails to load instead of silently resolving next to `schemas/`.
fn synthesized_api() -> ApiDefinition {
    ApiDefinition::from_document(synthesized_document(), Path::new("/nonexistent")).unwrap()
}

#[test]
fn the_deployed_body_loads_into_the_same_operations_as_the_schemas() {
    let deployed = synthesized_api();
    let source = api(openapi_document());
    assert_eq!(deployed.operations.len(), 5);
    // Routes, keys, required parameters, function names, passthrough, timeouts, templates and
    // selection patterns, as the gateway compiled them (models are compared by behaviour below).
    assert_eq!(
        format!("{:#?}", deployed.operations),
        format!("{:#?}", source.operations)
    );
    assert!(deployed.warnings().is_empty(), "{:?}", deployed.warnings());
}

/// One request, the function's answer to it, and the status the contract gives it.
struct Case {
    method: &'static str,
    path: &'static str,
    body: Option<&'static str>,
    with_key: bool,
    answer: Answer,
    status: u16,
}

fn case(method: &'static str, path: &'static str, body: Option<&'static str>) -> Case {
    Case {
        method,
        path,
        body,
        with_key: true,
        answer: Answer::Success(json!({"id": "0001", "name": "Aurora", "age": 12})),
        status: 200,
    }
}

impl Case {
    fn answering(self, answer: Answer, status: u16) -> Self {
        Self {
            answer,
            status,
            ..self
        }
    }

    fn without_key(self) -> Self {
        Self {
            with_key: false,
            ..self
        }
    }
}

fn envelope(status: u16) -> Answer {
    Answer::LambdaError(format!(
        r#"{{"Status":{status},"ErrorReason":"reason {status}"}}"#
    ))
}

fn cases() -> Vec<Case> {
    vec![
        case(
            "POST",
            "/redshift_select",
            Some(r#"{"target_table":"flightdata"}"#),
        )
        .answering(
            Answer::Success(json!({"Status": "success", "result_value": 118})),
            200,
        ),
        case("POST", "/redshift_select", Some(r#"{"schema":"public"}"#))
            .answering(envelope(400), 400),
        case(
            "POST",
            "/redshift_select",
            Some(r#"{"target_table":"nope"}"#),
        )
        .answering(envelope(404), 404),
        case(
            "POST",
            "/redshift_select",
            Some(r#"{"target_table":"slow"}"#),
        )
        .answering(envelope(504), 504),
        case("GET", "/staff", None),
        case("GET", "/staff?id=0001", None),
        case("GET", "/staff/0001", None),
        case("GET", "/staff/9999", None).answering(envelope(404), 404),
        case("GET", "/staff/0001", None).answering(
            Answer::LambdaError("Task timed out after 10.00 seconds".into()),
            500,
        ),
        case(
            "POST",
            "/staff",
            Some(r#"{"id":"0004","name":"Athena","age":null}"#),
        )
        .answering(
            Answer::Success(json!({"id": "0004", "name": "Athena", "age": null})),
            201,
        ),
        case("POST", "/staff", Some(r#"{"id":"0001","name":"Aurora"}"#))
            .answering(envelope(409), 409),
        // Refused by the models: blank name, age out of range, age of the wrong type, no field.
        case("POST", "/staff", Some(r#"{"id":"0004","name":"   "}"#)).answering(envelope(500), 400),
        case(
            "POST",
            "/staff",
            Some(r#"{"id":"0004","name":"A","age":151}"#),
        )
        .answering(envelope(500), 400),
        case("PUT", "/staff/0001", Some(r#"{"age":"12"}"#)).answering(envelope(500), 400),
        case("PUT", "/staff/0001", Some("{}")).answering(envelope(500), 400),
        case("PUT", "/staff/0001", Some(r#"{"age":null}"#)),
        case("DELETE", "/staff/0001", None),
        case("GET", "/staff", None).without_key(),
    ]
}

/// Status, content type and body of the reply, and the invocation it caused (function and event).
async fn exchange(gateway: &RunningGateway, lambda: &StubLambda, case: &Case) -> Value {
    lambda.answer_with(case.answer.clone());
    let before = lambda.calls().len();
    let reply = if case.with_key {
        send(gateway, case.method, case.path, case.body).await
    } else {
        send_with(gateway, case.method, case.path, &[], case.body).await
    };
    let invocation = lambda
        .calls()
        .get(before)
        .map(|call| json!({"function": call.function, "event": call.event_json()}));
    json!({
        "status": reply.status,
        "contentType": reply.header("content-type"),
        "body": reply.body,
        "invocation": invocation,
    })
}

#[tokio::test]
async fn the_deployed_body_answers_every_request_as_the_schemas_do() {
    let first_answer = Answer::Success(json!({}));
    let deployed_lambda = StubLambda::start(first_answer.clone()).await;
    let source_lambda = StubLambda::start(first_answer).await;
    let deployed = start_gateway(&deployed_lambda.url, synthesized_api(), generous_stage()).await;
    let source = start_gateway(
        &source_lambda.url,
        api(openapi_document()),
        generous_stage(),
    )
    .await;

    for case in cases() {
        let name = format!("{} {} {:?}", case.method, case.path, case.body);
        let from_deployed = exchange(&deployed, &deployed_lambda, &case).await;
        let from_source = exchange(&source, &source_lambda, &case).await;
        assert_eq!(from_deployed, from_source, "{name}");
        let expected = match (case.method, case.path, case.with_key) {
            (_, _, false) | ("DELETE", _, _) => 403,
            _ => case.status,
        };
        assert_eq!(from_deployed["status"], expected, "{name}: {from_deployed}");
    }
}
