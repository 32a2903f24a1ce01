//! The AWS conformance suite for the gateway: every case in `tests/conformance/<area>.yaml` states an
//! API (an OpenAPI `paths` fragment), the function's answer, the requests, what AWS answered, and
//! the public source that shows it. Each case runs against a real gateway on loopback and a stub
//! Lambda Invoke endpoint. It prints a total per area (it runs without the test harness, so the
//! totals show in every run) and fails if any case fails. The format is described in
//! `tests/conformance/README.md`.

#[allow(dead_code)]
mod support;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::{Value, json};
use support::{API_KEY, Answer, Reply, StubLambda, send_with};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Area {
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    /// Where AWS's answer is documented or recorded.
    source: String,
    /// OpenAPI `paths`; an integration without `type`/`uri` is a Lambda (`aws`) one.
    api: Value,
    /// Extra document members (e.g. `components`), merged into the base document.
    #[serde(default)]
    document: Option<Value>,
    /// Stage settings merged over generous defaults (e.g. a usage plan's throttle or quota).
    #[serde(default)]
    stage: Option<Value>,
    #[serde(default)]
    lambda: Lambda,
    #[serde(default)]
    request: Option<Request>,
    #[serde(default)]
    expect: Option<Expect>,
    /// Several requests in order, for cases about state (throttling, quotas).
    #[serde(default)]
    steps: Vec<Step>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Step {
    request: Request,
    expect: Expect,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Lambda {
    /// 200 with this JSON result.
    Success(Value),
    /// A function error with this errorMessage (real Lambda's signalling).
    Error(String),
    /// The Invoke API itself fails with this status.
    Status(u16),
    /// Never answers within the integration's timeout.
    Hang,
    #[default]
    Empty,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Request {
    #[serde(default = "get")]
    method: String,
    path: String,
    /// `$API_KEY` stands for the stage's key.
    #[serde(default)]
    headers: BTreeMap<String, String>,
    #[serde(default)]
    body: Option<String>,
    /// A body of this many bytes (for the payload limit).
    #[serde(default)]
    body_bytes: Option<usize>,
}

fn get() -> String {
    "GET".to_owned()
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Expect {
    status: u16,
    /// Exact values, names case-insensitive.
    #[serde(default)]
    headers: BTreeMap<String, String>,
    /// Values that must match these regexes in full.
    #[serde(default)]
    header_patterns: BTreeMap<String, String>,
    #[serde(default)]
    headers_absent: Vec<String>,
    /// The exact body text.
    #[serde(default)]
    body: Option<String>,
    /// The body, compared as JSON.
    #[serde(default)]
    json: Option<Value>,
    /// The event the function received, compared as JSON; `null` means it was not invoked.
    #[serde(default)]
    lambda_event: Option<Value>,
    /// The event the function received, as text.
    #[serde(default)]
    lambda_event_text: Option<String>,
}

/// The document every case's `paths` go into: API Gateway's extensions the cases share.
fn base_document() -> Value {
    json!({
        "openapi": "3.0.3",
        "info": {"title": "conformance", "version": "1"},
        "x-amazon-apigateway-request-validators": {
            "all": {"validateRequestBody": true, "validateRequestParameters": true},
            "params-only": {"validateRequestBody": false, "validateRequestParameters": true}
        },
        "components": {"securitySchemes": {
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}
        }},
        "paths": {}
    })
}

fn merge(target: &mut Value, overlay: &Value) {
    match (target, overlay) {
        (Value::Object(target), Value::Object(overlay)) => {
            for (key, value) in overlay {
                merge(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
        (target, overlay) => *target = overlay.clone(),
    }
}

fn document(case: &Case) -> Value {
    let mut document = base_document();
    if let Some(extra) = &case.document {
        merge(&mut document, extra);
    }
    let mut paths = case.api.clone();
    for path_item in paths
        .as_object_mut()
        .into_iter()
        .flat_map(|p| p.values_mut())
    {
        for operation in path_item
            .as_object_mut()
            .into_iter()
            .flat_map(|o| o.values_mut())
        {
            if let Some(integration) = operation.get_mut("x-amazon-apigateway-integration") {
                let defaults = json!({
                    "type": "aws",
                    "uri": "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/${Function:conformance}/invocations",
                    "responses": {"default": {"statusCode": "200"}}
                });
                for (key, value) in defaults.as_object().unwrap() {
                    if integration.get(key).is_none() {
                        integration[key] = value.clone();
                    }
                }
                if !integration["type"]
                    .as_str()
                    .unwrap_or_default()
                    .eq_ignore_ascii_case("aws")
                {
                    integration.as_object_mut().unwrap().remove("uri");
                }
            }
        }
    }
    document["paths"] = paths;
    document
}

fn stage(case: &Case) -> local_gateway::stage::StageSettings {
    let mut settings = json!({
        "stage": "conformance",
        "throttle": {"rateLimit": 1000, "burstLimit": 1000},
        "usagePlan": {
            "throttle": {"rateLimit": 1000, "burstLimit": 1000},
            "quota": {"limit": 1_000_000, "period": "DAY"}
        }
    });
    if let Some(overlay) = &case.stage {
        merge(&mut settings, overlay);
    }
    serde_json::from_value(settings).expect("stage settings")
}

fn answer(lambda: &Lambda) -> Answer {
    match lambda {
        Lambda::Success(payload) => Answer::Success(payload.clone()),
        Lambda::Error(message) => Answer::LambdaError(message.clone()),
        Lambda::Status(status) => Answer::Status(*status),
        Lambda::Hang => Answer::Hang,
        Lambda::Empty => Answer::Success(json!({})),
    }
}

async fn send(gateway: &local_gateway::RunningGateway, request: &Request) -> Reply {
    let headers: Vec<(String, String)> = request
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), value.replace("$API_KEY", API_KEY)))
        .collect();
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    let body = match (request.body_bytes, &request.body) {
        (Some(length), _) => Some("x".repeat(length)),
        (None, body) => body.clone(),
    };
    send_with(
        gateway,
        &request.method,
        &request.path,
        &headers,
        body.as_deref(),
    )
    .await
}

/// What differs from the expectation, if anything.
fn check(expect: &Expect, reply: &Reply, events: &[String]) -> Vec<String> {
    let mut problems = Vec::new();
    if reply.status != expect.status {
        problems.push(format!(
            "status {} (expected {})",
            reply.status, expect.status
        ));
    }
    for (name, value) in &expect.headers {
        if reply.header(name) != Some(value.as_str()) {
            problems.push(format!(
                "header {name}: {:?} (expected {value:?})",
                reply.header(name)
            ));
        }
    }
    for (name, pattern) in &expect.header_patterns {
        let regex = fancy_regex::Regex::new(&format!("^(?:{pattern})$")).expect("pattern");
        if !reply
            .header(name)
            .is_some_and(|value| regex.is_match(value).unwrap_or(false))
        {
            problems.push(format!(
                "header {name}: {:?} (expected /{pattern}/)",
                reply.header(name)
            ));
        }
    }
    for name in &expect.headers_absent {
        if reply.headers.contains_key(name.as_str()) {
            problems.push(format!("header {name} present: {:?}", reply.header(name)));
        }
    }
    if let Some(body) = &expect.body
        && &reply.body != body
    {
        problems.push(format!("body {:?} (expected {body:?})", reply.body));
    }
    if let Some(expected) = &expect.json {
        match serde_json::from_str::<Value>(&reply.body) {
            Ok(actual) if &actual == expected => {}
            _ => problems.push(format!("body {:?} (expected JSON {expected})", reply.body)),
        }
    }
    let event = events.last();
    match &expect.lambda_event {
        Some(Value::Null) if event.is_some() => {
            problems.push(format!("the function was invoked with {event:?}"));
        }
        Some(Value::Null) | None => {}
        Some(expected) => match event.map(|text| serde_json::from_str::<Value>(text)) {
            Some(Ok(actual)) if &actual == expected => {}
            _ => problems.push(format!("function event {event:?} (expected {expected})")),
        },
    }
    if let Some(expected) = &expect.lambda_event_text
        && event != Some(expected)
    {
        problems.push(format!("function event {event:?} (expected {expected:?})"));
    }
    problems
}

/// Runs one case; its problems, prefixed by the step.
async fn run(case: &Case) -> Vec<String> {
    let api =
        match local_gateway::spec::ApiDefinition::from_document(document(case), Path::new(".")) {
            Ok(api) => api,
            Err(error) => return vec![format!("the gateway refused the document: {error}")],
        };
    let lambda = StubLambda::start(answer(&case.lambda)).await;
    let gateway = local_gateway::start(local_gateway::GatewayConfig {
        api,
        stage: stage(case),
        listen: "127.0.0.1:0".parse().unwrap(),
        lambda_endpoint: lambda.url.clone(),
        api_keys: vec![API_KEY.to_owned()],
        access_log: false,
    })
    .await
    .expect("the gateway starts");
    let single = case.request.as_ref().zip(case.expect.as_ref());
    let steps: Vec<(&Request, &Expect)> = single
        .into_iter()
        .chain(case.steps.iter().map(|step| (&step.request, &step.expect)))
        .collect();
    assert!(!steps.is_empty(), "{}: no request", case.name);
    let mut problems = Vec::new();
    for (index, (request, expect)) in steps.into_iter().enumerate() {
        let before = lambda.calls().len();
        let reply = send(&gateway, request).await;
        let events: Vec<String> = lambda.calls()[before..]
            .iter()
            .map(|call| call.event.clone())
            .collect();
        problems.extend(
            check(expect, &reply, &events)
                .into_iter()
                .map(|problem| format!("request {}: {problem}", index + 1)),
        );
    }
    gateway.shutdown().await.unwrap();
    problems
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    if let Err(failures) = runtime.block_on(run_every_area()) {
        eprintln!("cases that differ from AWS:\n{failures}");
        std::process::exit(1);
    }
}

async fn run_every_area() -> Result<(), String> {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance");
    let mut files: Vec<_> = std::fs::read_dir(&directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yaml"))
        .collect();
    files.sort();
    let mut failures = Vec::new();
    let mut total = 0;
    for file in files {
        let area = file.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&file).unwrap();
        // Through serde_json's data model, where an enum is `{variant: value}` or `variant`.
        let cases: Area = serde_yaml_ng::from_str::<Value>(&text)
            .map_err(|error| error.to_string())
            .and_then(|yaml| serde_json::from_value(yaml).map_err(|error| error.to_string()))
            .unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        let mut passed = 0;
        for case in &cases.cases {
            assert!(
                !case.source.trim().is_empty(),
                "{area}/{}: no source",
                case.name
            );
            let problems = run(case).await;
            if problems.is_empty() {
                passed += 1;
            } else {
                failures.push(format!(
                    "{area} / {} ({}):\n  {}",
                    case.name,
                    case.source,
                    problems.join("\n  ")
                ));
            }
        }
        total += cases.cases.len();
        println!("{area}: {passed}/{}", cases.cases.len());
    }
    println!("gateway conformance: {}/{total}", total - failures.len());
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n"))
    }
}
