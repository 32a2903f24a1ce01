//! Admin routes under `/_local/` (loopback peers only, with the configured token when there is one):
//! statement duration, faults, reset, and what tests and benchmarks observe (statements with their
//! PostgreSQL backend state, call counters).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::fault_injection::FaultRule;
use crate::server::App;

pub fn router(app: Arc<App>) -> Router<Arc<App>> {
    Router::new()
        .route("/statement-duration", post(set_statement_duration))
        .route("/faults", post(add_fault).get(list_faults))
        .route("/reset", post(reset))
        .route("/statements", get(statements))
        .route("/calls", get(calls))
        .layer(middleware::from_fn_with_state(app, token_required))
        .layer(middleware::from_fn(loopback_only))
}

/// With `Config::admin_token` set, only `Authorization: Bearer <token>` passes (compared in
/// constant time); without it every loopback caller does, as before tokens existed.
async fn token_required(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    let Some(expected) = app.config.admin_token.as_deref() else {
        return next.run(request).await;
    };
    let given = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if bool::from(subtle::ConstantTimeEq::ct_eq(
        given.as_bytes(),
        expected.as_bytes(),
    )) {
        next.run(request).await
    } else {
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({"message": "admin routes need Authorization: Bearer <admin token>"})),
        )
            .into_response()
    }
}

async fn loopback_only(
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    if peer.ip().is_loopback() {
        next.run(request).await
    } else {
        (
            StatusCode::FORBIDDEN,
            Json(json!({"message": "admin routes answer loopback peers only"})),
        )
            .into_response()
    }
}

fn bad_request(message: impl Into<String>) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Json(json!({ "message": message.into() })),
    )
        .into_response()
}

#[derive(Deserialize)]
struct DurationInput {
    millis: u64,
}

async fn set_statement_duration(
    State(app): State<Arc<App>>,
    Json(input): Json<DurationInput>,
) -> Json<Value> {
    app.faults
        .set_statement_duration(Duration::from_millis(input.millis));
    Json(json!({ "millis": input.millis }))
}

const SERVICES: [&str; 3] = ["redshift-data", "rds-data", "ssm"];

async fn add_fault(State(app): State<Arc<App>>, Json(rule): Json<FaultRule>) -> Response {
    if !SERVICES.contains(&rule.service.as_str()) {
        return bad_request(format!("service must be one of {SERVICES:?}"));
    }
    let outcome = matches!(rule.error.as_str(), "FAILED" | "ABORTED");
    if outcome && (rule.service != "redshift-data" || rule.operation != "ExecuteStatement") {
        return bad_request("FAILED and ABORTED apply to redshift-data ExecuteStatement only");
    }
    if rule.count == 0 || rule.operation.is_empty() || rule.error.is_empty() {
        return bad_request("operation, error and a count above 0 are required");
    }
    app.faults.add_fault(rule);
    Json(json!({ "faults": app.faults.faults() })).into_response()
}

async fn list_faults(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!({ "faults": app.faults.faults() }))
}

async fn reset(State(app): State<Arc<App>>) -> Response {
    match app.reset().await {
        Ok(()) => Json(json!({ "reset": true })).into_response(),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Json(json!({ "message": e.to_string() })),
        )
            .into_response(),
    }
}

/// Each statement with whether its PostgreSQL backend is still running a query.
async fn statements(State(app): State<Arc<App>>) -> Response {
    let views: Vec<_> = app.statements.all().iter().map(|s| s.view()).collect();
    let pids: Vec<i32> = views.iter().filter_map(|v| v.backend_pid).collect();
    let active: Vec<i32> = match app.maintenance.get().await {
        Ok(client) => match client
            .query(
                "SELECT pid FROM pg_stat_activity WHERE state = 'active' AND pid = ANY($1)",
                &[&pids],
            )
            .await
        {
            Ok(rows) => rows.iter().map(|r| r.get(0)).collect(),
            Err(e) => return bad_request(crate::db::error_text(&e)),
        },
        Err(e) => return bad_request(e.to_string()),
    };
    let items: Vec<Value> = views
        .into_iter()
        .map(|v| {
            let backend_active = v.backend_pid.is_some_and(|pid| active.contains(&pid));
            let mut item = serde_json::to_value(&v).unwrap_or_default();
            item["backendActive"] = backend_active.into();
            item
        })
        .collect();
    Json(json!({ "statements": items })).into_response()
}

async fn calls(State(app): State<Arc<App>>) -> Json<Value> {
    Json(json!({ "calls": app.faults.calls() }))
}
