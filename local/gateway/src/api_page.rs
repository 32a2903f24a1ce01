//! The local stage's API page: Swagger UI on the client contract, with the stage's API key
//! pre-filled, so "Try it out" calls the running gateway. Local only (a deployed API Gateway has no
//! such page); its paths start with `/_local/`, which no route of the API uses, and like the rest of
//! the local admin surface they need no API key. The page hands the key to whoever opens it, as the
//! banner prints it: both are meant for a gateway on loopback.
//!
//! Swagger UI's files are swagger-ui-dist's, installed by `scripts/bootstrap` (`npm ci` in
//! `local/gateway/web`) and read from there when asked for: nothing is downloaded at run time, and
//! the gateway builds and runs without them (the page then says how to install them).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use axum::Router;
use axum::extract::{Path as UrlPath, State};
use axum::http::uri::Authority;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

use crate::client_contract::{client_contract, header_api_key_scheme};

/// Where the page is served.
pub const PAGE_PATH: &str = "/_local/docs";
/// Where the client contract is served, its `servers` naming the gateway as the client reached it.
pub const CONTRACT_PATH: &str = "/_local/openapi.json";

/// swagger-ui-dist's files the page loads, with their content types.
const ASSETS: [(&str, &str); 3] = [
    ("swagger-ui.css", "text/css; charset=utf-8"),
    ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    // Named by the page, so the browser does not ask the API for /favicon.ico (a 403 there).
    ("favicon-32x32.png", "image/png"),
];

const NOT_INSTALLED: &str = "The API page's files (swagger-ui-dist) are not installed: run \
                             scripts/bootstrap (npm ci in local/gateway/web).\n";

#[derive(Clone)]
struct PageState {
    contract: Arc<Value>,
    init_script: Arc<str>,
    assets_dir: Arc<PathBuf>,
}

/// The page and the contract it shows, for `document` (the OpenAPI document the gateway serves)
/// and the stage's first API key.
pub fn router(document: &Value, api_key: Option<&str>) -> Router {
    let contract = client_contract(document, None);
    let state = PageState {
        init_script: init_script(&contract, api_key).into(),
        contract: Arc::new(contract),
        assets_dir: Arc::new(assets_dir()),
    };
    Router::new()
        .route(PAGE_PATH, get(page))
        .route(&format!("{PAGE_PATH}/"), get(page))
        .route(&format!("{PAGE_PATH}/init.js"), get(init))
        .route(&format!("{PAGE_PATH}/{{asset}}"), get(asset))
        .route(CONTRACT_PATH, get(contract_for_client))
        .with_state(state)
}

/// The banner's line for the page and the contract of a gateway at `url`.
pub fn banner_line(url: &str) -> String {
    format!("API page: {url}{PAGE_PATH}   client contract: {url}{CONTRACT_PATH}")
}

/// swagger-ui-dist in the gateway crate's own `web/node_modules`.
fn assets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web/node_modules/swagger-ui-dist")
}

async fn page() -> Response {
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>API page (local gateway)</title>
<link rel="stylesheet" href="{PAGE_PATH}/swagger-ui.css">
<link rel="icon" type="image/png" href="{PAGE_PATH}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{PAGE_PATH}/swagger-ui-bundle.js"></script>
<script src="{PAGE_PATH}/init.js"></script>
</body>
</html>
"#
    );
    generated("text/html; charset=utf-8", html)
}

async fn init(State(state): State<PageState>) -> Response {
    generated(
        "text/javascript; charset=utf-8",
        state.init_script.to_string(),
    )
}

/// Swagger UI on the contract, then the key put in as if the user had pressed "Authorize".
/// Values are JSON literals, so any key or name is inert text in the script.
fn init_script(contract: &Value, api_key: Option<&str>) -> String {
    let scheme = api_key.and(header_api_key_scheme(contract));
    let literal = |value: Option<&str>| Value::from(value).to_string();
    format!(
        r##"// Written by the local gateway: Swagger UI on the client contract, the stage's key pre-filled.
const scheme = {scheme};
const apiKey = {api_key};
window.ui = SwaggerUIBundle({{
  url: {contract_path},
  dom_id: "#swagger-ui",
  onComplete: () => {{
    if (scheme !== null && apiKey !== null) window.ui.preauthorizeApiKey(scheme, apiKey);
  }},
}});
"##,
        scheme = literal(scheme),
        api_key = literal(api_key),
        contract_path = literal(Some(CONTRACT_PATH)),
    )
}

async fn asset(State(state): State<PageState>, UrlPath(name): UrlPath<String>) -> Response {
    // Only the listed files: the name never becomes a path of its own.
    let Some((file, content_type)) = ASSETS.iter().find(|(file, _)| *file == name) else {
        return (StatusCode::NOT_FOUND, "Not found\n").into_response();
    };
    let path = state.assets_dir.join(file);
    match tokio::task::spawn_blocking(move || std::fs::read(path)).await {
        Ok(Ok(bytes)) => ([(header::CONTENT_TYPE, *content_type)], bytes).into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, NOT_INSTALLED).into_response(),
    }
}

async fn contract_for_client(State(state): State<PageState>, headers: HeaderMap) -> Response {
    let server_url = server_url(&headers);
    let mut contract = (*state.contract).clone();
    contract["servers"] = serde_json::json!([{ "url": server_url }]);
    generated("application/json", contract.to_string())
}

/// The gateway as the client addressed it (its `Host`), or, without a usable `Host`, the URL
/// relative to the contract's own (which OpenAPI 3.0 allows for `servers[].url`).
fn server_url(headers: &HeaderMap) -> String {
    headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .and_then(|host| Authority::from_str(host).ok())
        .map_or_else(|| "/".to_owned(), |authority| format!("http://{authority}"))
}

/// Generated answers change with every start (the key, the port): never cached.
fn generated(content_type: &'static str, body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use serde_json::json;

    fn contract() -> Value {
        json!({"components": {"securitySchemes": {
            "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}
        }}})
    }

    #[test]
    fn the_init_script_prefills_the_key_for_the_header_scheme_as_json_literals() {
        let script = init_script(&contract(), Some(r#"k"</script>\"#));
        assert!(script.contains(r#"const scheme = "api_key";"#), "{script}");
        assert!(
            script.contains(r#"const apiKey = "k\"</script>\\";"#),
            "{script}"
        );
        assert!(
            script.contains(r#"url: "/_local/openapi.json""#),
            "{script}"
        );
    }

    #[test]
    fn without_a_key_or_a_header_scheme_nothing_is_prefilled() {
        let script = init_script(&contract(), None);
        assert!(script.contains("const scheme = null;"), "{script}");
        let script = init_script(&json!({}), Some("key"));
        assert!(script.contains("const scheme = null;"), "{script}");
    }

    #[tokio::test]
    async fn without_the_installed_files_the_page_says_to_run_bootstrap() {
        let empty = tempfile::tempdir().unwrap();
        let state = PageState {
            contract: Arc::new(contract()),
            init_script: "".into(),
            assets_dir: Arc::new(empty.path().to_owned()),
        };
        let response = asset(State(state), UrlPath("swagger-ui.css".to_owned())).await;
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert!(String::from_utf8_lossy(&body).contains("run scripts/bootstrap"));
    }

    #[test]
    fn the_server_url_is_the_host_the_client_used_or_relative() {
        let mut headers = HeaderMap::new();
        assert_eq!(server_url(&headers), "/");
        headers.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        assert_eq!(server_url(&headers), "http://127.0.0.1:3000");
        headers.insert(header::HOST, HeaderValue::from_static("a b/c"));
        assert_eq!(server_url(&headers), "/");
    }
}
