//! The API page in a real browser (headless Chromium driven by playwright-core) and the client
//! contract checked by tools that consume it (an OpenAPI 3.0 validator, openapi-typescript), all
//! against a gateway on loopback in front of a stub Lambda.
//!
//! The tools are the project's own: `scripts/bootstrap` installs local/gateway/web's packages and
//! Chromium from the distribution. Without them these tests fail and say so; they never pass
//! silently.

// Shared with tests/gateway.rs; this suite uses only part of it.
#[allow(dead_code)]
mod support;

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use support::{API_KEY, Answer, gateway_answering, send_with};
use tokio::process::Command;

const CHROMIUM: &str = "/usr/bin/chromium";

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web")
}

/// Fails with what to run when a tool the tests need is missing.
fn require(path: &Path, what: &str) {
    assert!(
        path.exists(),
        "{what} is missing ({}): run scripts/bootstrap",
        path.display()
    );
}

/// Runs one of local/gateway/web's scripts, or a package's CLI, with node and returns its stdout.
async fn node(args: &[&str]) -> String {
    require(
        &web_dir().join("node_modules/.installed-lock"),
        "local/gateway/web's node packages",
    );
    let output = Command::new("node")
        .current_dir(web_dir())
        .args(args)
        .kill_on_drop(true)
        .output()
        .await
        .expect("node runs (Node 20, see README)");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "node {args:?} failed: {}\nstdout: {stdout}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn staff_0001() -> Value {
    json!({"id": "0001", "name": "Aurora", "age": 12})
}

fn extension_keys(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                if key.starts_with("x-amazon-apigateway-") {
                    found.push(key.clone());
                }
                extension_keys(child, found);
            }
        }
        Value::Array(items) => items.iter().for_each(|item| extension_keys(item, found)),
        _ => {}
    }
}

/// Each operation's "Try it out", as the page reports it.
fn tried<'r>(report: &'r Value, operation: &str) -> &'r Value {
    let tried = &report["tryItOut"][operation];
    assert!(
        tried.is_object(),
        "no Try it out of {operation}: {report:#}"
    );
    tried
}

#[tokio::test]
async fn the_page_lists_the_five_operations_and_try_it_out_of_each_reaches_its_function() {
    require(
        Path::new(CHROMIUM),
        "headless Chromium (Debian package chromium)",
    );
    let (gateway, lambda) = gateway_answering(Answer::Success(staff_0001())).await;
    let page_url = format!("{}/_local/docs", gateway.url());

    let report: Value =
        serde_json::from_str(&node(&["api-page-check.mjs", &page_url, CHROMIUM]).await).unwrap();

    assert_eq!(report["pageStatus"], 200, "{report:#}");
    assert_eq!(report["pageErrors"], json!([]), "{report:#}");
    assert_eq!(report["failedRequests"], json!([]), "{report:#}");
    let mut operations: Vec<&str> = report["operations"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    operations.sort_unstable();
    assert_eq!(
        operations,
        [
            "GET /staff",
            "GET /staff/{id}",
            "POST /redshift_select",
            "POST /staff",
            "PUT /staff/{id}"
        ],
        "{report:#}"
    );

    // GET /staff/{id}: the 200 body the function answered, fetched with the pre-filled key from the
    // gateway that served the page.
    let get = tried(&report, "GET /staff/{id}");
    assert_eq!(get["status"], "200", "{report:#}");
    let body: Value = serde_json::from_str(get["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, staff_0001());
    let curl = get["curl"].as_str().unwrap();
    assert!(curl.contains(&format!("x-api-key: {API_KEY}")), "{curl}");
    assert!(
        curl.contains(&format!("{}/staff/0001", gateway.url())),
        "{curl}"
    );

    // Every other operation's example request (the page's own, from the schemas) passes the
    // gateway's key check and validation and reaches its function.
    for operation in operations {
        let status = tried(&report, operation)["status"].as_str().unwrap();
        assert!(status.starts_with('2'), "{operation}: {report:#}");
    }
    let mut functions: Vec<String> = lambda
        .calls()
        .into_iter()
        .map(|call| call.function)
        .collect();
    functions.sort_unstable();
    assert_eq!(
        functions,
        [
            "redshift-count",
            "staff-get",
            "staff-get",
            "staff-post",
            "staff-put"
        ]
    );
    let get_by_id = lambda
        .calls()
        .into_iter()
        .find(|call| call.function == "staff-get" && call.event_json()["id"] == "0001");
    assert!(get_by_id.is_some(), "{:?}", lambda.calls());
}

#[tokio::test]
async fn the_page_and_the_contract_need_no_api_key_and_stay_off_the_apis_routes() {
    let (gateway, lambda) = gateway_answering(Answer::Success(staff_0001())).await;
    let get = |path: &'static str| send_with(&gateway, "GET", path, &[], None);

    let page = get("/_local/docs").await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(page.header("cache-control"), Some("no-store"));
    let init = get("/_local/docs/init.js").await.body;
    assert!(
        init.contains(&format!("const apiKey = \"{API_KEY}\";")),
        "{init}"
    );
    assert!(init.contains("const scheme = \"api_key\";"), "{init}");
    // Only swagger-ui-dist's listed files are served from the page's directory.
    assert_eq!(get("/_local/docs/package.json").await.status, 404);
    assert_eq!(get("/_local/docs/..%2F..%2FCargo.toml").await.status, 404);

    let contract = get("/_local/openapi.json").await;
    assert_eq!(contract.status, 200);
    let contract = contract.json();
    assert_eq!(contract["servers"], json!([{"url": gateway.url()}]));
    let mut extensions = Vec::new();
    extension_keys(&contract, &mut extensions);
    assert_eq!(extensions, Vec::<String>::new());
    assert_eq!(
        contract["components"]["securitySchemes"]["api_key"],
        json!({"type": "apiKey", "name": "x-api-key", "in": "header"})
    );
    assert_eq!(contract["security"], json!([{"api_key": []}]));
    assert!(contract["paths"]["/staff/{id}"]["get"]["responses"]["200"].is_object());

    // Nothing under /_local/ reaches a function; the API's own routes still need the key.
    assert!(lambda.calls().is_empty());
    assert_eq!(get("/staff/0001").await.status, 403);
}

/// The contract as the command writes it, for the local gateway's default address.
async fn written_contract(directory: &Path) -> PathBuf {
    let out = directory.join("contract/openapi-client.json");
    let output = Command::new(env!("CARGO_BIN_EXE_client-contract"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .args(["--server-url", "http://127.0.0.1:3000", "--out"])
        .arg(&out)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    out
}

#[tokio::test]
async fn the_written_contract_is_the_served_one() {
    let directory = tempfile::tempdir().unwrap();
    let file = written_contract(directory.path()).await;
    let written: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();

    let (gateway, _lambda) = gateway_answering(Answer::Success(staff_0001())).await;
    let mut served = send_with(&gateway, "GET", "/_local/openapi.json", &[], None)
        .await
        .json();
    assert_eq!(served["servers"], json!([{"url": gateway.url()}]));
    served["servers"] = json!([{"url": "http://127.0.0.1:3000"}]);
    assert_eq!(written, served);
}

#[tokio::test]
async fn the_client_contract_is_valid_openapi_3_0() {
    let directory = tempfile::tempdir().unwrap();
    let file = written_contract(directory.path()).await;
    let report: Value =
        serde_json::from_str(&node(&["validate-openapi.mjs", file.to_str().unwrap()]).await)
            .unwrap();
    assert_eq!(report["version"], "3.0", "{report}");
    assert_eq!(report["valid"], true, "not valid OpenAPI 3.0: {report:#}");
}

#[tokio::test]
async fn openapi_typescript_generates_types_from_the_contract() {
    let directory = tempfile::tempdir().unwrap();
    let file = written_contract(directory.path()).await;
    let types = directory.path().join("api.d.ts");
    node(&[
        "node_modules/openapi-typescript/bin/cli.js",
        file.to_str().unwrap(),
        "--output",
        types.to_str().unwrap(),
    ])
    .await;
    let types = std::fs::read_to_string(types).unwrap();
    for expected in [
        "\"/staff/{id}\":",
        "\"/redshift_select\":",
        "getStaff:",
        "Staff:",
    ] {
        assert!(types.contains(expected), "{expected} not in:\n{types}");
    }
}
