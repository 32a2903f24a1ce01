//! CORS per stage over HTTP (issue 15, item 3): with `cors` in the stage file, a preflight OPTIONS is
//! answered without a key and every answer of the API, the function's and the gateway's own (403,
//! 429, 400 validation, 415, 500), carries Access-Control-Allow-Origin, as the CDK app deploys it
//! (infra/lib/cors.ts); without it, none of that.

// Shared with tests/gateway.rs; this suite uses only part of it.
#[allow(dead_code)]
mod support;

use local_gateway::RunningGateway;
use local_gateway::stage::{StageSettings, ThrottleSettings};
use serde_json::json;
use support::{API_KEY, Answer, Reply, StubLambda, send_with};

const ORIGIN: &str = "https://app.example.com";

/// The repository's dev stage with `cors` added, read through the stage schema.
fn dev_stage(cors: Option<serde_json::Value>) -> StageSettings {
    let path = support::repository_path("infra/stages/dev.json");
    let mut document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    if let Some(cors) = cors {
        document["cors"] = cors;
    }
    StageSettings::parse(&document.to_string(), "dev.json").unwrap()
}

fn cors_settings() -> serde_json::Value {
    json!({
        "allowOrigins": [ORIGIN],
        "allowHeaders": ["Content-Type", "X-Api-Key"],
        "allowMethods": ["GET", "POST", "PUT", "OPTIONS"],
        "maxAgeSeconds": 600
    })
}

async fn start(stage: StageSettings, answer: Answer) -> (RunningGateway, StubLambda) {
    let lambda = StubLambda::start(answer).await;
    let api = support::api(support::openapi_document());
    let gateway = support::start_gateway(&lambda.url, api, stage).await;
    (gateway, lambda)
}

/// A browser's request from ORIGIN, with the key unless `key` is false.
async fn from_browser(
    gateway: &RunningGateway,
    method: &str,
    path: &str,
    key: bool,
    content_type: &str,
    body: Option<&str>,
) -> Reply {
    let mut headers = vec![("origin", ORIGIN), ("content-type", content_type)];
    if key {
        headers.push(("x-api-key", API_KEY));
    }
    send_with(gateway, method, path, &headers, body).await
}

fn cors_headers(reply: &Reply) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = reply
        .headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("access-control-"))
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_owned()))
        .collect();
    found.sort();
    found
}

/// The answers the tests expect CORS headers on: (what, status, reply).
async fn the_usual_answers(
    gateway: &RunningGateway,
    lambda: &StubLambda,
) -> Vec<(&'static str, u16, Reply)> {
    let json = "application/json";
    let mut answers = Vec::new();
    lambda.answer_with(Answer::Success(
        json!({"id": "0001", "name": "Aurora", "age": 12}),
    ));
    let ok = from_browser(gateway, "GET", "/staff/0001", true, json, None).await;
    answers.push(("function 200", 200, ok));
    let no_key = from_browser(gateway, "GET", "/staff/0001", false, json, None).await;
    answers.push(("no API key", 403, no_key));
    let unknown = from_browser(gateway, "GET", "/nope", true, json, None).await;
    answers.push(("unknown resource", 403, unknown));
    let invalid = from_browser(
        gateway,
        "POST",
        "/staff",
        true,
        json,
        Some(r#"{"id":"0004"}"#),
    )
    .await;
    answers.push(("body fails its model", 400, invalid));
    let text = from_browser(
        gateway,
        "POST",
        "/staff",
        true,
        "text/plain",
        Some("id=0004"),
    )
    .await;
    answers.push(("not JSON", 415, text));
    lambda.answer_with(Answer::LambdaError(
        r#"{"Status":404,"ErrorReason":"no such staff member"}"#.into(),
    ));
    let not_found = from_browser(gateway, "GET", "/staff/0009", true, json, None).await;
    answers.push(("function 404 envelope", 404, not_found));
    lambda.answer_with(Answer::LambdaError("Runtime exited".into()));
    let crashed = from_browser(gateway, "GET", "/staff/0001", true, json, None).await;
    answers.push(("function crash (catch-all 500)", 500, crashed));
    lambda.answer_with(Answer::Status(404));
    let refused = from_browser(gateway, "GET", "/staff/0001", true, json, None).await;
    answers.push(("invocation refused (gateway 500)", 500, refused));
    answers
}

#[tokio::test]
async fn a_preflight_on_each_resource_is_answered_without_a_key() {
    let (gateway, lambda) = start(dev_stage(Some(cors_settings())), Answer::Status(404)).await;
    for path in ["/staff", "/staff/0001", "/redshift_select"] {
        let reply = send_with(
            &gateway,
            "OPTIONS",
            path,
            &[
                ("origin", ORIGIN),
                ("access-control-request-method", "PUT"),
                ("access-control-request-headers", "content-type,x-api-key"),
            ],
            None,
        )
        .await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.body);
        assert_eq!(reply.body, "", "{path}");
        assert_eq!(
            cors_headers(&reply),
            [
                (
                    "access-control-allow-headers".to_owned(),
                    "Content-Type,X-Api-Key".to_owned()
                ),
                (
                    "access-control-allow-methods".to_owned(),
                    "GET,POST,PUT,OPTIONS".to_owned()
                ),
                ("access-control-allow-origin".to_owned(), ORIGIN.to_owned()),
                ("access-control-max-age".to_owned(), "600".to_owned()),
            ],
            "{path}"
        );
    }
    assert!(
        lambda.calls().is_empty(),
        "a preflight is a MOCK integration"
    );

    let nowhere = send_with(&gateway, "OPTIONS", "/nope", &[("origin", ORIGIN)], None).await;
    assert_eq!(
        nowhere.status, 403,
        "no OPTIONS method where there is no resource"
    );
    assert_eq!(
        nowhere.json(),
        json!({"message": "Missing Authentication Token"})
    );
    assert_eq!(nowhere.header("access-control-allow-origin"), Some(ORIGIN));
}

#[tokio::test]
async fn every_answer_carries_the_origin_the_functions_and_the_gateways_own() {
    let (gateway, lambda) = start(dev_stage(Some(cors_settings())), Answer::Status(404)).await;
    for (what, status, reply) in the_usual_answers(&gateway, &lambda).await {
        assert_eq!(reply.status, status, "{what}: {}", reply.body);
        assert_eq!(
            cors_headers(&reply),
            [("access-control-allow-origin".to_owned(), ORIGIN.to_owned())],
            "{what}"
        );
    }
}

#[tokio::test]
async fn throttled_answers_carry_the_origin_too() {
    let mut stage = dev_stage(Some(json!({
        "allowOrigins": ["*"], "allowHeaders": ["X-Api-Key"], "allowMethods": ["GET"]
    })));
    // One token per 1000 s: nothing refills while the test runs.
    stage.usage_plan.throttle = ThrottleSettings {
        rate_limit: 0.001,
        burst_limit: 1,
    };
    let (gateway, _lambda) = start(stage, Answer::Success(json!({"id": "0001"}))).await;
    let json = "application/json";
    let first = from_browser(&gateway, "GET", "/staff/0001", true, json, None).await;
    let second = from_browser(&gateway, "GET", "/staff/0001", true, json, None).await;
    assert_eq!((first.status, second.status), (200, 429));
    assert_eq!(second.json(), json!({"message": "Too Many Requests"}));
    for reply in [&first, &second] {
        assert_eq!(reply.header("access-control-allow-origin"), Some("*"));
    }
    let preflight = send_with(&gateway, "OPTIONS", "/staff/0001", &[], None).await;
    assert_eq!(
        preflight.header("access-control-max-age"),
        None,
        "no maxAgeSeconds, no header"
    );
}

#[tokio::test]
async fn off_by_default_no_header_and_no_options_method() {
    let stage = dev_stage(None);
    assert!(stage.cors.is_none());
    let (gateway, lambda) = start(stage, Answer::Status(404)).await;
    for (what, status, reply) in the_usual_answers(&gateway, &lambda).await {
        assert_eq!(reply.status, status, "{what}: {}", reply.body);
        assert_eq!(cors_headers(&reply), [], "{what}");
    }
    let preflight = send_with(
        &gateway,
        "OPTIONS",
        "/staff/0001",
        &[("origin", ORIGIN)],
        None,
    )
    .await;
    assert_eq!(preflight.status, 403);
    assert_eq!(
        preflight.json(),
        json!({"message": "Missing Authentication Token"})
    );
    assert_eq!(cors_headers(&preflight), []);
}

#[test]
fn the_stage_schema_refuses_what_static_mappings_cannot_do() {
    let refused = [
        json!({"allowOrigins": [ORIGIN, "https://b.example.com"], "allowHeaders": ["X"], "allowMethods": ["GET"]}),
        json!({"allowOrigins": ["https://app.example.com/"], "allowHeaders": ["X"], "allowMethods": ["GET"]}),
        json!({"allowOrigins": [ORIGIN], "allowHeaders": ["X-'a"], "allowMethods": ["GET"]}),
        json!({"allowOrigins": [ORIGIN], "allowHeaders": ["X"]}),
    ];
    let path = support::repository_path("infra/stages/dev.json");
    let dev: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    for cors in refused {
        let mut document = dev.clone();
        document["cors"] = cors.clone();
        let error = StageSettings::parse(&document.to_string(), "dev.json").unwrap_err();
        assert!(error.to_string().contains("cors"), "{cors}: {error}");
    }
}
