//! Cold start per function: process start -> first Runtime API `next` request (SDK clients built,
//! configuration and the SSM parameter read), measured against a fake Runtime API on loopback; then
//! peak RSS (VmHWM) after one invocation. Release builds, local Data API for the SSM read and the
//! invocation. Prints a Markdown table.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use local_stack::cargo_build::{self, DATA_API_BIN, FUNCTIONS, Profile};
use local_stack::child::{ChildProcess, Logs};
use local_stack::lambda_env::{LogFormat, lambda_env};
use local_stack::stack::{data_api_command, listening_url, warm_up_event};
use local_stack::{StageSettings, stage::stage_file, workspace_root};
use tokio::sync::oneshot;

const RUNS: usize = 5;

/// What the fake Runtime API saw of one function process.
#[derive(Default)]
struct Observed {
    first_next: Option<Instant>,
    responded: Option<oneshot::Sender<()>>,
    event: serde_json::Value,
}

type Shared = Arc<Mutex<Observed>>;

#[tokio::main]
async fn main() {
    let root = workspace_root();
    let stage = StageSettings::load(&stage_file(&root, "dev")).expect("dev stage");
    eprintln!("==> building the functions (release) and the local Data API");
    let release = cargo_build::build_bins(&root, &FUNCTIONS, Profile::Release).expect("build");
    let dev = cargo_build::build_bins(&root, &[DATA_API_BIN], Profile::Dev).expect("build");

    let data_api_command = data_api_command(&dev[DATA_API_BIN], &root, &stage, "127.0.0.1:0");
    let logs = Logs::Dir(root.join("target/bench-logs"));
    let mut data_api = ChildProcess::spawn("data-api", data_api_command, &logs).expect("data api");
    let data_api_url = data_api
        .wait_for_line(Duration::from_secs(120), |line| {
            listening_url(line, DATA_API_BIN)
        })
        .expect("data api ready");
    data_api.ready();

    println!(
        "| function | cold start, median of {RUNS} (ms) | min (ms) | peak RSS after one invocation (MiB) |"
    );
    println!("|---|---:|---:|---:|");
    for function in FUNCTIONS {
        let mut starts = Vec::new();
        let mut peak_kib = 0;
        for _ in 0..RUNS {
            let (cold_start, hwm) =
                measure(&release[function], function, &stage, &data_api_url).await;
            starts.push(cold_start);
            peak_kib = peak_kib.max(hwm);
        }
        starts.sort();
        println!(
            "| {function} | {:.1} | {:.1} | {:.1} |",
            millis(starts[RUNS / 2]),
            millis(starts[0]),
            peak_kib as f64 / 1024.0
        );
    }
    data_api.stop();
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// One process: (start -> first `next`, VmHWM in KiB after its first invocation).
async fn measure(
    executable: &std::path::Path,
    function: &str,
    stage: &StageSettings,
    data_api_url: &str,
) -> (Duration, u64) {
    let (responded_tx, responded_rx) = oneshot::channel();
    let observed: Shared = Arc::new(Mutex::new(Observed {
        responded: Some(responded_tx),
        event: warm_up_event(function),
        ..Observed::default()
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let runtime_api = listener.local_addr().unwrap();
    let app = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(done))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(done))
        .route("/2018-06-01/runtime/init/error", post(done))
        .with_state(Arc::clone(&observed));
    let server = tokio::spawn(async move { axum::serve(listener, app).await });

    let mut command = tokio::process::Command::new(executable);
    command
        .envs(
            lambda_env(stage, data_api_url, LogFormat::Json).expect("the dev stage has functions"),
        )
        .env("AWS_LAMBDA_RUNTIME_API", runtime_api.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", function)
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_LOG_LEVEL", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let started = Instant::now();
    let mut child = command.spawn().expect("function starts");
    tokio::time::timeout(Duration::from_secs(60), responded_rx)
        .await
        .expect("the function answered within 60 s")
        .expect("answered");
    let first_next = observed.lock().unwrap().first_next.expect("a next request");
    let pid = child.id().expect("running");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let hwm = status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0);
    child.kill().await.ok();
    server.abort();
    (first_next - started, hwm)
}

async fn next(State(observed): State<Shared>) -> axum::response::Response {
    let event = {
        let mut observed = observed.lock().unwrap();
        if observed.first_next.is_some() {
            None
        } else {
            observed.first_next = Some(Instant::now());
            Some(observed.event.clone())
        }
    };
    let Some(event) = event else {
        // One invocation per process: later polls wait until the process is killed.
        std::future::pending::<()>().await;
        unreachable!()
    };
    let deadline = std::time::SystemTime::now() + Duration::from_secs(30);
    let deadline_ms = deadline
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", "bench-1".parse().unwrap());
    headers.insert(
        "lambda-runtime-deadline-ms",
        deadline_ms.to_string().parse().unwrap(),
    );
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:bench"
            .parse()
            .unwrap(),
    );
    headers.insert(
        "lambda-runtime-trace-id",
        "Root=1-00000000-000000000000000000000000".parse().unwrap(),
    );
    (headers, event.to_string()).into_response()
}

async fn done(State(observed): State<Shared>) -> axum::http::StatusCode {
    if let Some(responded) = observed.lock().unwrap().responded.take() {
        let _ = responded.send(());
    }
    axum::http::StatusCode::ACCEPTED
}
