//! Starts the local cloud in order (Data API, `cargo lambda watch`, gateway), each on its own port,
//! and stops everything it started when dropped.

use std::collections::HashMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use crate::StackError;
use crate::cargo_build::{self, DATA_API_BIN, FUNCTIONS, GATEWAY_BIN, Profile};
use crate::child::{ChildProcess, Logs};
use crate::lambda_env::render_env_file;
use crate::stage::StageSettings;

/// The Redshift database the local Data API serves; the stage's SSM parameter resolves to it.
pub const REDSHIFT_DATABASE: &str = "dev";

/// A PostgreSQL cluster is created on start; building is done before, so this is generous.
const DATA_API_READY: Duration = Duration::from_secs(120);
const LISTENER_READY: Duration = Duration::from_secs(60);
/// cargo lambda watch may still compile a function on its first invocation, or wait for cargo's lock.
const WARM_UP: Duration = Duration::from_secs(600);
const WARM_UP_ATTEMPT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone)]
pub struct StackOptions {
    /// Workspace root (schemas/, infra/, .venv/).
    pub root: PathBuf,
    pub stage_file: PathBuf,
    pub gateway_listen: String,
    pub data_api_listen: String,
    /// `cargo lambda watch` invoke port; 0 picks a free one.
    pub lambda_port: u16,
    pub lambda_concurrency: u32,
    /// Rebuild and restart functions when their code changes (off for tests).
    pub reload_on_change: bool,
    pub api_key: String,
    pub logs: Logs,
}

impl StackOptions {
    /// The defaults of docs/architecture.md: gateway :3000, cargo lambda watch :9000, Data API :4010.
    pub fn local_defaults(root: PathBuf, stage_file: PathBuf) -> Self {
        Self {
            root,
            stage_file,
            gateway_listen: "127.0.0.1:3000".to_owned(),
            data_api_listen: "127.0.0.1:4010".to_owned(),
            lambda_port: 9000,
            lambda_concurrency: 4,
            reload_on_change: true,
            api_key: generate_api_key(),
            logs: Logs::Terminal,
        }
    }
}

/// A running local cloud. Dropping it stops every process it started, newest first.
pub struct Stack {
    pub stage: StageSettings,
    /// Base URL of the gateway (routes are appended: `{base_url}/staff`).
    pub base_url: String,
    pub api_key: String,
    /// The local Data API, also its admin endpoint under `/_local/`.
    pub data_api_url: String,
    /// The Lambda Invoke API of `cargo lambda watch`.
    pub lambda_url: String,
    root: PathBuf,
    logs: Logs,
    executables: HashMap<String, PathBuf>,
    children: Vec<ChildProcess>,
    _workdir: tempfile::TempDir,
}

impl Stack {
    /// Builds what is missing (cargo's progress on the terminal), then starts and warms everything.
    pub fn start(options: StackOptions, progress: &dyn Fn(&str)) -> Result<Self, StackError> {
        let stage = StageSettings::load(&options.stage_file)?;
        progress("building the local Data API, the gateway and the four functions");
        let mut packages = vec![DATA_API_BIN, GATEWAY_BIN];
        packages.extend(FUNCTIONS);
        let executables = cargo_build::build_bins(&options.root, &packages, Profile::Dev)?;
        let workdir = tempfile::Builder::new()
            .prefix("local-stack-")
            .tempdir()
            .map_err(|source| StackError::Log {
                path: std::env::temp_dir(),
                source,
            })?;
        let mut stack = Self {
            stage,
            base_url: String::new(),
            api_key: options.api_key.clone(),
            data_api_url: String::new(),
            lambda_url: String::new(),
            root: options.root.clone(),
            logs: options.logs.clone(),
            executables,
            children: Vec::new(),
            _workdir: workdir,
        };

        progress("starting the local Data API (private PostgreSQL, seeded)");
        stack.data_api_url = stack.start_data_api(&options)?;

        progress("starting cargo lambda watch");
        stack.lambda_url = stack.start_lambda_watch(&options)?;
        progress("warming up the four functions (first invocation starts each one)");
        stack.warm_up()?;

        progress("starting the gateway");
        stack.base_url = stack.start_gateway(
            &options.stage_file,
            &options.gateway_listen,
            std::slice::from_ref(&options.api_key),
        )?;
        Ok(stack)
    }

    fn start_data_api(&mut self, options: &StackOptions) -> Result<String, StackError> {
        let command = data_api_command(
            &self.executable(DATA_API_BIN)?,
            &self.root,
            &self.stage,
            &options.data_api_listen,
        );
        let child = ChildProcess::spawn("data-api", command, &self.logs)?;
        self.adopt_listener(child, DATA_API_BIN, DATA_API_READY)
    }

    fn start_lambda_watch(&mut self, options: &StackOptions) -> Result<String, StackError> {
        let port = match options.lambda_port {
            0 => free_port()?,
            port => port,
        };
        let env_file = self._workdir.path().join("lambda.env");
        std::fs::write(&env_file, render_env_file(&self.stage, &self.data_api_url)).map_err(
            |source| StackError::Log {
                path: env_file.clone(),
                source,
            },
        )?;
        let mut command = Command::new(cargo_lambda(&self.root));
        command
            .current_dir(&self.root)
            .args(["lambda", "watch", "--invoke-address", "127.0.0.1"])
            .arg("--invoke-port")
            .arg(port.to_string())
            .arg("--env-file")
            .arg(&env_file)
            .arg("--concurrency")
            .arg(options.lambda_concurrency.to_string());
        // No `--timeout`: cargo-lambda 1.9.2 applies it to the Runtime API too, so an idle
        // function's `next` long-poll gets a bare 408 and lambda_runtime panics ("missing
        // lambda-runtime-aws-request-id header"); the instance is not restarted. The gateway's
        // integration timeout (29 s) bounds invocations instead, and the functions' own budget
        // (FUNCTION_TIMEOUT_SECONDS) answers 504 well before it.
        if !options.reload_on_change {
            command.arg("--ignore-changes");
        }
        let mut child = ChildProcess::spawn("lambda", command, &self.logs)?;
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        wait_for_port(&mut child, address, LISTENER_READY)?;
        child.ready();
        self.children.push(child);
        Ok(format!("http://{address}"))
    }

    /// Invokes every function until it answers, with an event it answers without touching any
    /// data, so each is compiled if needed and started before the first client request.
    /// cargo lambda watch answers an error while the function is still building (its `cargo run`
    /// may wait for cargo's lock), so failures are retried until `WARM_UP` has passed.
    fn warm_up(&mut self) -> Result<(), StackError> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(WARM_UP_ATTEMPT))
            .http_status_as_error(false)
            .build()
            .into();
        let deadline = Instant::now() + WARM_UP;
        for function in FUNCTIONS {
            let url = format!(
                "{}/2015-03-31/functions/{function}/invocations",
                self.lambda_url
            );
            loop {
                let detail = match agent.post(&url).send_json(warm_up_event(function)) {
                    Ok(response) => {
                        let succeeded = response.status().is_success();
                        let body = response.into_body().read_to_string().unwrap_or_default();
                        if succeeded || is_client_error(&body) {
                            break;
                        }
                        body.chars().take(300).collect()
                    }
                    Err(error) => error.to_string(),
                };
                if Instant::now() >= deadline {
                    return Err(StackError::WarmUp { function, detail });
                }
                thread::sleep(Duration::from_secs(1));
            }
        }
        Ok(())
    }

    /// Starts a gateway for `stage_file` in front of this stack's functions; returns its base URL.
    /// The e2e suite starts a second one with a tiny usage plan to reach 429.
    pub fn start_gateway(
        &mut self,
        stage_file: &Path,
        listen: &str,
        api_keys: &[String],
    ) -> Result<String, StackError> {
        let mut command = Command::new(self.executable(GATEWAY_BIN)?);
        command
            .current_dir(&self.root)
            .arg("--openapi")
            .arg(self.root.join("schemas/openapi.yaml"))
            .arg("--stage-file")
            .arg(stage_file)
            .arg("--listen")
            .arg(listen)
            .arg("--lambda-endpoint")
            .arg(&self.lambda_url);
        for key in api_keys {
            command.arg("--api-key").arg(key);
        }
        let name = format!("gateway-{}", self.children.len());
        let child = ChildProcess::spawn(&name, command, &self.logs)?;
        self.adopt_listener(child, GATEWAY_BIN, LISTENER_READY)
    }

    /// Waits for `<name> listening on http://ADDR`, keeps the child, returns the URL.
    fn adopt_listener(
        &mut self,
        mut child: ChildProcess,
        name: &str,
        timeout: Duration,
    ) -> Result<String, StackError> {
        let url = child.wait_for_line(timeout, |line| listening_url(line, name))?;
        child.ready();
        self.children.push(child);
        Ok(url)
    }

    fn executable(&self, name: &str) -> Result<PathBuf, StackError> {
        self.executables
            .get(name)
            .cloned()
            .ok_or_else(|| StackError::MissingBinary(name.to_owned()))
    }

    /// Stops everything, newest first (the gateway before the functions before the Data API).
    pub fn stop(&mut self) {
        while let Some(mut child) = self.children.pop() {
            child.stop();
        }
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The local Data API for a stage: seeded from `schemas/db/`, the Aurora database named as the stage
/// names it, and the SSM parameter holding the Redshift database name.
pub fn data_api_command(
    executable: &Path,
    root: &Path,
    stage: &StageSettings,
    listen: &str,
) -> Command {
    let mut command = Command::new(executable);
    command
        .current_dir(root)
        .arg("--listen")
        .arg(listen)
        .arg("--schemas-dir")
        .arg(root.join("schemas/db"))
        .arg("--redshift-database")
        .arg(REDSHIFT_DATABASE)
        .arg("--aurora-database")
        .arg(&stage.aurora.database)
        .arg("--ssm")
        .arg(format!(
            "{}={REDSHIFT_DATABASE}",
            stage.redshift.database_name_parameter
        ));
    command
}

/// Parses `<name> listening on http://ADDR[/...]`.
pub fn listening_url(line: &str, name: &str) -> Option<String> {
    let rest = line.trim().strip_prefix(name)?.trim_start();
    let url = rest.strip_prefix("listening on ")?.trim();
    url.starts_with("http://")
        .then(|| url.trim_end_matches('/').to_owned())
}

/// A handled 4xx (the envelope as the Lambda error's message) proves the function runs; a crash,
/// a timeout or a 5xx does not.
fn is_client_error(invoke_error_body: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(invoke_error_body)
        .ok()
        .and_then(|error| error.get("errorMessage")?.as_str().map(str::to_owned))
        .is_some_and(|message| message.starts_with("{\"Status\":4"))
}

/// An event each function answers without changing data (a count, a read, or a 400).
pub fn warm_up_event(function: &str) -> serde_json::Value {
    match function {
        // Counts the seeded table: read-only.
        "redshift-count" => serde_json::json!({"target_table": "flightdata", "schema": ""}),
        "staff-get" => serde_json::json!({"id": "0001", "limit": "", "after": ""}),
        // Invalid ids: rejected before any SQL runs.
        "staff-post" => serde_json::json!({"id": "!", "name": "warm-up", "age": null}),
        _ => serde_json::json!({"id": "!", "age": 1}),
    }
}

/// A key shaped like API Gateway's (40 alphanumerics).
pub fn generate_api_key() -> String {
    (0..40).map(|_| fastrand::alphanumeric()).collect()
}

/// The project-local cargo-lambda (installed by scripts/bootstrap), else the one on PATH.
fn cargo_lambda(root: &Path) -> PathBuf {
    let local = root.join(".venv/bin/cargo-lambda");
    if local.exists() {
        local
    } else {
        PathBuf::from("cargo-lambda")
    }
}

fn free_port() -> Result<u16, StackError> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .map_err(|source| StackError::Spawn {
            name: "a free port".to_owned(),
            source,
        })
}

fn wait_for_port(
    child: &mut ChildProcess,
    address: SocketAddr,
    timeout: Duration,
) -> Result<(), StackError> {
    let deadline = Instant::now() + timeout;
    loop {
        if TcpStream::connect_timeout(&address, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if !child.is_running() {
            return Err(child.exited());
        }
        if Instant::now() >= deadline {
            return Err(child.not_ready(timeout));
        }
        thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_listening_lines() {
        assert_eq!(
            listening_url(
                "local-gateway listening on http://127.0.0.1:3000",
                "local-gateway"
            ),
            Some("http://127.0.0.1:3000".to_owned())
        );
        assert_eq!(
            listening_url(
                "local-data-api listening on http://127.0.0.1:41234/",
                "local-data-api"
            ),
            Some("http://127.0.0.1:41234".to_owned())
        );
        assert_eq!(listening_url("api key: abc", "local-gateway"), None);
        assert_eq!(
            listening_url("local-gateway listening on tcp://x", "local-gateway"),
            None
        );
    }

    #[test]
    fn api_keys_look_like_api_gateway_keys() {
        let key = generate_api_key();
        assert_eq!(key.len(), 40);
        assert!(key.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_ne!(key, generate_api_key());
    }
}
