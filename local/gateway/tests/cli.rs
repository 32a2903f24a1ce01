//! The `local-gateway` binary: its start-up lines, a generated key that works, and the access log.

use std::path::Path;
use std::process::Stdio;

use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdout, Command};

struct GatewayProcess {
    _child: Child,
    stdout: Lines<BufReader<ChildStdout>>,
    stderr: Lines<BufReader<ChildStderr>>,
}

impl GatewayProcess {
    fn start(extra_args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_local-gateway"))
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
            .args([
                "--listen",
                "127.0.0.1:0",
                "--lambda-endpoint",
                &closed_port_url(),
            ])
            .args(extra_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let stderr = BufReader::new(child.stderr.take().unwrap()).lines();
        Self {
            _child: child,
            stdout,
            stderr,
        }
    }

    async fn stdout_line(&mut self) -> String {
        self.stdout
            .next_line()
            .await
            .unwrap()
            .expect("a stdout line")
    }

    /// The next access-log line (stderr also carries plain-text diagnostics).
    async fn access_log_line(&mut self) -> serde_json::Value {
        loop {
            let line = self
                .stderr
                .next_line()
                .await
                .unwrap()
                .expect("a stderr line");
            if let Ok(entry) = serde_json::from_str(&line) {
                return entry;
            }
        }
    }
}

/// A Lambda endpoint nothing listens on: invocations fail, which is all these tests need.
fn closed_port_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    format!("http://{}", listener.local_addr().unwrap())
}

async fn get(url: &str, key: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new().get(url);
    if let Some(key) = key {
        request = request.header("x-api-key", key);
    }
    request.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn prints_where_it_listens_then_a_generated_key_that_works() {
    let mut gateway = GatewayProcess::start(&[]);
    let first = gateway.stdout_line().await;
    let url = first
        .strip_prefix("local-gateway listening on ")
        .unwrap_or_else(|| panic!("first line: {first:?}"))
        .to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");

    let key_line = gateway.stdout_line().await;
    let key = key_line
        .strip_prefix("api key: ")
        .unwrap()
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(key.len(), 40);
    let curl = gateway.stdout_line().await;
    assert!(
        curl.starts_with("curl ") && curl.contains(&key) && curl.contains(&url),
        "{curl}"
    );

    assert_eq!(get(&format!("{url}/staff/0001"), None).await, 403);
    // The key passes; the invocation then fails on the closed Lambda port.
    assert_eq!(get(&format!("{url}/staff/0001"), Some(&key)).await, 500);

    let forbidden = gateway.access_log_line().await;
    assert_eq!(forbidden["status"], 403);
    assert_eq!(forbidden["resourcePath"], "/staff/{id}");
    assert_eq!(forbidden["apiKeyId"], serde_json::Value::Null);
    let invoked = gateway.access_log_line().await;
    assert_eq!(invoked["status"], 500);
    assert_eq!(invoked["httpMethod"], "GET");
    assert_eq!(invoked["apiKeyId"].as_str().unwrap().len(), 10);
    assert!(uuid::Uuid::parse_str(invoked["requestId"].as_str().unwrap()).is_ok());
}

#[tokio::test]
async fn given_keys_are_used_and_printed_in_order() {
    let keys = ["first-key-0123456789abc", "second-key-0123456789abc"];
    let mut gateway = GatewayProcess::start(&["--api-key", keys[0], "--api-key", keys[1]]);
    let url = gateway
        .stdout_line()
        .await
        .replace("local-gateway listening on ", "");
    assert!(
        gateway
            .stdout_line()
            .await
            .starts_with(&format!("api key: {}", keys[0]))
    );
    assert!(
        gateway
            .stdout_line()
            .await
            .starts_with(&format!("api key: {}", keys[1]))
    );
    assert_eq!(get(&format!("{url}/staff"), Some(keys[1])).await, 500);
    assert_eq!(
        get(&format!("{url}/staff"), Some("third-key-0123456789abc")).await,
        403
    );
}

#[tokio::test]
async fn refuses_a_key_shorter_than_aws_allows() {
    let output = Command::new(env!("CARGO_BIN_EXE_local-gateway"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("../.."))
        .args(["--listen", "127.0.0.1:0", "--api-key", "short"])
        .output()
        .await
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("at least 20 characters"), "{stderr}");
}
