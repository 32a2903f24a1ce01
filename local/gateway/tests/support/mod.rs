//! A stub Lambda Invoke endpoint (a real axum server on loopback) and a gateway started in-process
//! on the repository's OpenAPI document.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use local_gateway::spec::ApiDefinition;
use local_gateway::stage::StageSettings;
use local_gateway::{GatewayConfig, RunningGateway};
use serde_json::{Value, json};

pub const API_KEY: &str = "test-key-0123456789abcdef";

/// How the stub answers the next invocations.
#[derive(Clone)]
pub enum Answer {
    /// 200 with this JSON payload.
    Success(Value),
    /// Real Lambda's function error: 200, `X-Amz-Function-Error: Unhandled`.
    LambdaError(String),
    /// `cargo lambda watch`'s function error: HTTP 500.
    CargoLambdaError(String),
    /// A failed call (e.g. 404 ResourceNotFoundException).
    Status(u16),
    /// Never answers in time.
    Hang,
    /// Takes the invocation and drops the connection without answering, as when the function's
    /// process dies under it.
    Crash,
}

#[derive(Debug, Clone)]
pub struct Call {
    pub function: String,
    pub event: String,
}

impl Call {
    pub fn event_json(&self) -> Value {
        serde_json::from_str(&self.event)
            .unwrap_or_else(|error| panic!("event {:?} is not JSON: {error}", self.event))
    }
}

#[derive(Clone, Default)]
struct StubState {
    answer: Arc<Mutex<Option<Answer>>>,
    calls: Arc<Mutex<Vec<Call>>>,
}

pub struct StubLambda {
    pub url: String,
    state: StubState,
}

impl StubLambda {
    pub async fn start(answer: Answer) -> Self {
        let state = StubState::default();
        *state.answer.lock().unwrap() = Some(answer);
        let app = axum::Router::new()
            .route(
                "/2015-03-31/functions/{name}/invocations",
                axum::routing::post(invoke),
            )
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, state }
    }

    pub fn answer_with(&self, answer: Answer) {
        *self.state.answer.lock().unwrap() = Some(answer);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.state.calls.lock().unwrap().clone()
    }

    pub fn only_call(&self) -> Call {
        let calls = self.calls();
        assert_eq!(
            calls.len(),
            1,
            "expected exactly one invocation, got {calls:?}"
        );
        calls[0].clone()
    }
}

async fn invoke(
    State(state): State<StubState>,
    UrlPath(function): UrlPath<String>,
    event: String,
) -> Response {
    state.calls.lock().unwrap().push(Call { function, event });
    let answer = state.answer.lock().unwrap().clone().expect("an answer");
    let error_body =
        |message: &str| json!({"errorType": "HandlerError", "errorMessage": message}).to_string();
    match answer {
        Answer::Success(payload) => (StatusCode::OK, payload.to_string()).into_response(),
        Answer::LambdaError(message) => (
            StatusCode::OK,
            [("x-amz-function-error", "Unhandled")],
            error_body(&message),
        )
            .into_response(),
        Answer::CargoLambdaError(message) => {
            (StatusCode::INTERNAL_SERVER_ERROR, error_body(&message)).into_response()
        }
        Answer::Status(status) => {
            let body = json!({"Type": "User", "message": "Function not found"}).to_string();
            (StatusCode::from_u16(status).unwrap(), body).into_response()
        }
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(30)).await;
            StatusCode::OK.into_response()
        }
        // A panicking handler makes hyper drop the connection unanswered.
        Answer::Crash => panic!("the stub function's process went away"),
    }
}

pub fn repository_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

/// The repository's document, parsed, for tests that adjust it.
pub fn openapi_document() -> Value {
    let text = std::fs::read_to_string(repository_path("schemas/openapi.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

pub fn api(document: Value) -> ApiDefinition {
    ApiDefinition::from_document(document, &repository_path("schemas")).unwrap()
}

/// Limits no test reaches unless it means to.
pub fn generous_stage() -> StageSettings {
    stage(
        json!({"rateLimit": 1000, "burstLimit": 1000}),
        json!({"limit": 1_000_000, "period": "DAY"}),
    )
}

pub fn stage(key_throttle: Value, quota: Value) -> StageSettings {
    serde_json::from_value(json!({
        "stage": "test",
        "throttle": {"rateLimit": 1000, "burstLimit": 1000},
        "usagePlan": {"throttle": key_throttle, "quota": quota}
    }))
    .unwrap()
}

/// [`generous_stage`] with the functions' settings (`lambda` as in a stage file: timeoutSeconds,
/// reservedConcurrency), which bring Lambda's own limits into play.
pub fn stage_with_functions(lambda: Value) -> StageSettings {
    serde_json::from_value(json!({
        "stage": "test",
        "throttle": {"rateLimit": 1000, "burstLimit": 1000},
        "usagePlan": {
            "throttle": {"rateLimit": 1000, "burstLimit": 1000},
            "quota": {"limit": 1_000_000, "period": "DAY"}
        },
        "lambda": lambda,
        "redshift": {"workgroupName": "w", "databaseNameParameter": "/p"},
        "aurora": {
            "clusterArn": "arn:aws:rds:us-east-1:123456789012:cluster:c",
            "secretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s",
            "database": "staff"
        }
    }))
    .unwrap()
}

pub async fn start_gateway(
    lambda_url: &str,
    api: ApiDefinition,
    stage: StageSettings,
) -> RunningGateway {
    local_gateway::start(GatewayConfig {
        api,
        stage,
        listen: "127.0.0.1:0".parse().unwrap(),
        lambda_endpoint: lambda_url.to_owned(),
        api_keys: vec![API_KEY.to_owned()],
        access_log: true,
    })
    .await
    .unwrap()
}

/// A gateway on the repository's document and generous limits, and its stub Lambda.
pub async fn gateway_answering(answer: Answer) -> (RunningGateway, StubLambda) {
    let lambda = StubLambda::start(answer).await;
    let gateway = start_gateway(&lambda.url, api(openapi_document()), generous_stage()).await;
    (gateway, lambda)
}

pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|error| panic!("body {:?} is not JSON: {error}", self.body))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// Sends a request with the test key; `body` as application/json when given.
pub async fn send(gateway: &RunningGateway, method: &str, path: &str, body: Option<&str>) -> Reply {
    send_with(gateway, method, path, &[("x-api-key", API_KEY)], body).await
}

pub async fn send_with(
    gateway: &RunningGateway,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Reply {
    let client = reqwest::Client::new();
    let mut request = client.request(method.parse().unwrap(), format!("{}{path}", gateway.url()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        {
            request = request.header("content-type", "application/json");
        }
        request = request.body(body.to_owned());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.text().await.unwrap();
    Reply {
        status,
        headers,
        body,
    }
}
