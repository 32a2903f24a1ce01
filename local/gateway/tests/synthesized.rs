//! The local gateway on the exact OpenAPI body the CDK app deploys (issue 12, item 6).
//!
//! `infra/test/synthesized/dev.openapi.json` is the RestApi `Body` of the synthesized dev template,
//! its CloudFormation functions written back as the document's placeholders (`${AWS::Region}`, and
//! `${Function:<crate>}` for each function's alias); infra/test/first-deploy.test.ts fails when the
//! file no longer matches the template. Here the gateway loads that body through its own loader and
//! must serve the same API as from `schemas/openapi.yaml`: the same operations, and the same answer
//! and the same invocation for every request below.

#[allow(dead_code)]
mod support;

use std::path::Path;

use local_gateway::RunningGateway;
use local_gateway::spec::ApiDefinition;
use serde_json::{Value, json};
use support::{
    Answer, StubLambda, api, generous_stage, openapi_document, repository_path, send, send_with,
    start_gateway,
};

const SYNTHESIZED_BODY: &str = "infra/test/synthesized/dev.openapi.json";

fn synthesized_document() -> Value {
    let path = repository_path(SYNTHESIZED_BODY);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap()
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
