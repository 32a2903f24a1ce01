//! Starts the local cloud in order (Data API, `cargo lambda watch`, gateway), each on its own port,
//! keeps it running (a child that dies is started again on the same address), and stops everything
//! it started when dropped.

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::StackError;
use crate::cargo_build::{self, DATA_API_BIN, FUNCTIONS, GATEWAY_BIN, Profile};
use crate::child::{ChildProcess, Logs};
use crate::lambda_env::{LogFormat, render_env_file};
use crate::process_tree;
use crate::stage::StageSettings;
use crate::state_dir::StateDir;
use crate::watchdog::{self, is_client_error};

/// The Redshift database the local Data API serves; the stage's SSM parameter resolves to it.
pub const REDSHIFT_DATABASE: &str = "dev";

/// A PostgreSQL cluster is created on start; building is done before, so this is generous.
const DATA_API_READY: Duration = Duration::from_secs(120);
const LISTENER_READY: Duration = Duration::from_secs(60);
/// cargo lambda watch may still compile a function on its first invocation, or wait for cargo's lock.
const WARM_UP: Duration = Duration::from_secs(600);
const WARM_UP_ATTEMPT: Duration = Duration::from_secs(120);
/// The child names of the stack's own servers.
pub const MAIN_GATEWAY: &str = "gateway";
pub const DATA_API: &str = "data-api";
pub const LAMBDA_WATCH: &str = "lambda";

/// How often the supervisor looks at the children.
const SUPERVISION_INTERVAL: Duration = Duration::from_millis(200);

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
    /// Key values by client; a client without one keeps the key saved in the state directory, or
    /// gets a new one.
    pub api_keys: BTreeMap<String, String>,
    /// Where the stack keeps what outlives a child: keys, quota counts, the functions' env file.
    pub state: StateDir,
    /// Accept gateway and Data API addresses other than loopback.
    pub allow_non_loopback: bool,
    /// Re-seed the kept databases at start (`--reset`).
    pub reset_data: bool,
    pub logs: Logs,
    /// The functions' log format (text unless `--json-logs`).
    pub log_format: LogFormat,
}

impl StackOptions {
    /// The defaults of docs/architecture.md: gateway :3000, cargo lambda watch :9000, Data API :4010,
    /// state in the project's `.local-stack/` directory.
    pub fn local_defaults(root: PathBuf, stage_file: PathBuf) -> Self {
        Self {
            state: StateDir::Project(root.join(crate::state_dir::PROJECT_STATE_DIR)),
            root,
            stage_file,
            gateway_listen: "127.0.0.1:3000".to_owned(),
            data_api_listen: "127.0.0.1:4010".to_owned(),
            lambda_port: 9000,
            lambda_concurrency: 4,
            reload_on_change: true,
            api_keys: BTreeMap::new(),
            allow_non_loopback: false,
            reset_data: false,
            logs: Logs::Terminal,
            log_format: LogFormat::Text,
        }
    }
}

/// How a supervised child is (re)started and when it counts as up.
struct Supervised {
    command: Box<dyn Fn() -> Command + Send>,
    name: String,
    ready: Readiness,
    child: ChildProcess,
    restarts: u32,
}

#[derive(Clone)]
enum Readiness {
    /// Prints `<bin> listening on http://ADDR`.
    ListeningLine(&'static str),
    /// Accepts TCP connections on the address.
    Port(SocketAddr),
}

/// The children, shared with the supervisor thread.
#[derive(Default)]
struct Children {
    list: Mutex<Vec<Supervised>>,
    stopping: Arc<AtomicBool>,
}

/// A running local cloud. Dropping it stops every process it started, newest first.
pub struct Stack {
    pub stage: StageSettings,
    /// Base URL of the gateway (routes are appended: `{base_url}/staff`).
    pub base_url: String,
    /// The first client's key.
    pub api_key: String,
    /// Every client's key.
    pub api_keys: BTreeMap<String, String>,
    /// The local Data API, also its admin endpoint under `/_local/`.
    pub data_api_url: String,
    /// What the admin endpoint wants as `Authorization: Bearer <token>`; new on every start.
    pub admin_token: String,
    /// The Lambda Invoke API of `cargo lambda watch`.
    pub lambda_url: String,
    root: PathBuf,
    logs: Logs,
    executables: BTreeMap<String, PathBuf>,
    children: Arc<Children>,
    supervisor: Option<thread::JoinHandle<()>>,
    watchdog: Option<thread::JoinHandle<()>>,
    state: crate::state_dir::OpenStateDir,
}

impl Stack {
    /// Builds what is missing (cargo's progress on the terminal), then starts and warms everything.
    pub fn start(options: StackOptions, progress: &dyn Fn(&str)) -> Result<Self, StackError> {
        let stage = StageSettings::load(&options.stage_file)?;
        for listen in [&options.gateway_listen, &options.data_api_listen] {
            check_loopback(listen, options.allow_non_loopback, progress)?;
        }
        let state = options.state.open()?;
        let api_keys = state.client_keys(&stage, &options.api_keys)?;
        progress("building the local Data API, the gateway and the four functions");
        let mut packages = vec![DATA_API_BIN, GATEWAY_BIN];
        packages.extend(FUNCTIONS);
        let built = cargo_build::build_bins(&options.root, &packages, Profile::Dev)?;
        let executables = state.keep_executables(&built, &[DATA_API_BIN, GATEWAY_BIN])?;
        let mut stack = Self {
            api_key: api_keys.values().next().cloned().unwrap_or_default(),
            api_keys,
            stage,
            base_url: String::new(),
            data_api_url: String::new(),
            admin_token: local_gateway::api_keys::generate_key(),
            lambda_url: String::new(),
            root: options.root.clone(),
            logs: options.logs.clone(),
            executables,
            children: Arc::default(),
            supervisor: None,
            watchdog: None,
            state,
        };
        // The first client's key is the one printed first: the stage's order, not the map's.
        if let Some(first) = stack.stage.clients().first() {
            stack.api_key = stack.api_keys[&first.name].clone();
        }

        progress("starting the local Data API (private PostgreSQL, seeded)");
        stack.data_api_url = stack.start_data_api(&options)?;

        progress("starting cargo lambda watch");
        stack.lambda_url = stack.start_lambda_watch(&options)?;
        progress("warming up the four functions (first invocation starts each one)");
        stack.warm_up()?;

        progress("starting the gateway");
        let keys = stack.api_keys.clone();
        stack.base_url = stack.start_gateway(
            MAIN_GATEWAY,
            &options.stage_file,
            &options.gateway_listen,
            &keys,
        )?;
        stack.supervise()?;
        Ok(stack)
    }

    fn start_data_api(&mut self, options: &StackOptions) -> Result<String, StackError> {
        let executable = self.executable(DATA_API_BIN)?;
        let (root, stage) = (self.root.clone(), self.stage.clone());
        let first_listen = options.data_api_listen.clone();
        // Kept data: the cluster lives in the project state directory across runs, durable, seeded
        // only while empty. A throwaway stack keeps the Data API's own throwaway cluster.
        let data_dir = matches!(options.state, StateDir::Project(_))
            .then(|| self.state.path().join("postgres"));
        let reset_once = std::sync::atomic::AtomicBool::new(options.reset_data);
        // Any local process could reset or slow the databases through the admin routes: they
        // take a token, handed over in a private file (never on a command line).
        let admin_token_file = self
            .state
            .write_private("data-api-admin-token", self.admin_token.as_bytes())?;
        let url = self.start_child(
            DATA_API,
            Readiness::ListeningLine(DATA_API_BIN),
            DATA_API_READY,
            move |listen| {
                let listen = listen.unwrap_or(&first_listen);
                let mut command = data_api_command(&executable, &root, &stage, listen);
                if let Some(dir) = &data_dir {
                    command.arg("--data-dir").arg(dir);
                }
                command.arg("--admin-token-file").arg(&admin_token_file);
                // Only the first start re-seeds on request; a restart after a crash keeps the data.
                if reset_once.swap(false, Ordering::SeqCst) {
                    command.arg("--reset");
                }
                command
            },
        )?;
        Ok(url)
    }

    fn start_lambda_watch(&mut self, options: &StackOptions) -> Result<String, StackError> {
        let port = match options.lambda_port {
            0 => free_port()?,
            port => port,
        };
        let env_file = self.state.path().join("lambda.env");
        let env = render_env_file(&self.stage, &self.data_api_url, options.log_format)?;
        std::fs::write(&env_file, env).map_err(|source| StackError::Log {
            path: env_file.clone(),
            source,
        })?;
        let root = self.root.clone();
        let (concurrency, reload) = (options.lambda_concurrency, options.reload_on_change);
        let address: SocketAddr = ([127, 0, 0, 1], port).into();
        self.start_child(
            LAMBDA_WATCH,
            Readiness::Port(address),
            LISTENER_READY,
            move |_| {
                let mut command = Command::new(cargo_lambda(&root));
                command
                    .current_dir(&root)
                    .args(["lambda", "watch", "--invoke-address", "127.0.0.1"])
                    .arg("--invoke-port")
                    .arg(port.to_string())
                    .arg("--env-file")
                    .arg(&env_file)
                    .arg("--concurrency")
                    .arg(concurrency.to_string());
                // No `--timeout`: cargo-lambda 1.9.2 applies it to the Runtime API too, so an idle
                // function's `next` long-poll gets a bare 408 and lambda_runtime panics ("missing
                // lambda-runtime-aws-request-id header"); the instance is not restarted. The gateway's
                // integration timeout (29 s) bounds invocations instead, and the functions' own budget
                // (FUNCTION_TIMEOUT_SECONDS) answers 504 well before it.
                if !reload {
                    command.arg("--ignore-changes");
                }
                command
            },
        )
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

    /// Starts a gateway for `stage_file` in front of this stack's functions, with `api_keys` (client
    /// to key; clients without one get a generated key) passed in a file only this user can read;
    /// returns its base URL. The e2e suite starts more with tiny usage plans to reach 429.
    pub fn start_gateway(
        &mut self,
        name: &str,
        stage_file: &Path,
        listen: &str,
        api_keys: &BTreeMap<String, String>,
    ) -> Result<String, StackError> {
        let executable = self.executable(GATEWAY_BIN)?;
        let keys_file = self.state.write_private(
            &format!("{name}-keys.json"),
            &serde_json::to_vec(api_keys).expect("a map of strings serializes"),
        )?;
        let quota_file = self.state.path().join(format!("{name}-quota.json"));
        let (root, stage_file, first_listen) = (
            self.root.clone(),
            stage_file.to_path_buf(),
            listen.to_owned(),
        );
        let lambda_url = self.lambda_url.clone();
        self.start_child(
            name,
            Readiness::ListeningLine(GATEWAY_BIN),
            LISTENER_READY,
            move |listen| {
                let mut command = Command::new(&executable);
                command
                    .current_dir(&root)
                    .arg("--openapi")
                    .arg(root.join("schemas/openapi.yaml"))
                    .arg("--stage-file")
                    .arg(&stage_file)
                    .arg("--listen")
                    .arg(listen.unwrap_or(&first_listen))
                    .arg("--lambda-endpoint")
                    .arg(&lambda_url)
                    .arg("--api-keys-file")
                    .arg(&keys_file)
                    .arg("--quota-file")
                    .arg(&quota_file);
                command
            },
        )
    }

    /// Starts a child, waits until it is up, and hands it to the supervisor. `command` gets the
    /// address the child first bound when it is started again (so a port 0 stays the same port).
    fn start_child(
        &mut self,
        name: &str,
        ready: Readiness,
        timeout: Duration,
        command: impl Fn(Option<&str>) -> Command + Send + 'static,
    ) -> Result<String, StackError> {
        let mut child = ChildProcess::spawn(name, command(None), &self.logs)?;
        let url = wait_until_ready(&mut child, &ready, timeout)?;
        let bound = url.trim_start_matches("http://").to_owned();
        self.children
            .list
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(Supervised {
                command: Box::new(move || command(Some(&bound))),
                name: name.to_owned(),
                ready,
                child,
                restarts: 0,
            });
        Ok(url)
    }

    /// How many times each child was started again after it died, by name.
    pub fn restarts(&self) -> BTreeMap<String, u32> {
        self.children
            .list
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .iter()
            .map(|supervised| (supervised.name.clone(), supervised.restarts))
            .collect()
    }

    /// The process id of the named child (tests kill it to see it come back).
    pub fn child_pid(&self, name: &str) -> Option<u32> {
        child_pid(&self.children, name)
    }

    /// Kills the named child and everything it started with SIGKILL, as a crash would; the
    /// supervisor then starts it again. For the reliability tests. False if no child has that name.
    pub fn kill(&self, name: &str) -> bool {
        kill_child(&self.children, name)
    }

    /// Kills the running process of one function (a crate name) with SIGKILL, as a crash inside the
    /// function would; the watchdog then restarts cargo lambda watch. False if none runs.
    pub fn kill_function(&self, function: &str) -> bool {
        let Some(watch) = self.child_pid(LAMBDA_WATCH) else {
            return false;
        };
        let mut killed = false;
        for process in process_tree::descendants(watch) {
            if process.name != function {
                continue;
            }
            killed |= nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(process.pid),
                nix::sys::signal::Signal::SIGKILL,
            )
            .is_ok();
        }
        killed
    }

    /// A thread that starts again, on the same address, any child that exited, and one that
    /// restarts cargo lambda watch when a function stops answering.
    fn supervise(&mut self) -> Result<(), StackError> {
        let function_timeout = Duration::from_secs(self.stage.backend()?.lambda.timeout_seconds);
        self.watchdog = Some(watchdog::watch(
            self.lambda_url.clone(),
            function_timeout,
            Arc::clone(&self.children.stopping),
            LambdaWatch(Arc::clone(&self.children)),
        ));
        let children = Arc::clone(&self.children);
        let logs = self.logs.clone();
        self.supervisor = Some(thread::spawn(move || {
            while !children.stopping.load(Ordering::SeqCst) {
                thread::sleep(SUPERVISION_INTERVAL);
                let mut list = children
                    .list
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
                for supervised in list.iter_mut() {
                    if children.stopping.load(Ordering::SeqCst) {
                        return;
                    }
                    if !supervised.child.is_running() {
                        restart(supervised, &logs);
                    }
                }
            }
        }));
        Ok(())
    }

    fn executable(&self, name: &str) -> Result<PathBuf, StackError> {
        self.executables
            .get(name)
            .cloned()
            .ok_or_else(|| StackError::MissingBinary(name.to_owned()))
    }

    /// Stops everything, newest first (the gateway before the functions before the Data API), and
    /// removes a throwaway state directory.
    pub fn stop(&mut self) {
        self.children.stopping.store(true, Ordering::SeqCst);
        // The watchdog ends after its probe in flight; waiting for that would only delay stopping.
        drop(self.watchdog.take());
        if let Some(supervisor) = self.supervisor.take() {
            let _ = supervisor.join();
        }
        let mut list = self
            .children
            .list
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        while let Some(mut supervised) = list.pop() {
            supervised.child.stop();
        }
        drop(list);
        self.state.close();
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stop();
    }
}

/// cargo lambda watch, as the watchdog sees it.
struct LambdaWatch(Arc<Children>);

impl watchdog::Watched for LambdaWatch {
    fn starts(&self) -> u32 {
        restarts_of(&self.0, LAMBDA_WATCH)
    }

    fn pid(&self) -> Option<u32> {
        child_pid(&self.0, LAMBDA_WATCH)
    }

    fn restart(&self) {
        kill_child(&self.0, LAMBDA_WATCH);
    }
}

/// `read` of the named child, if there is one.
fn read_child<T>(
    children: &Children,
    name: &str,
    read: impl FnOnce(&Supervised) -> T,
) -> Option<T> {
    children
        .list
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .iter()
        .find(|supervised| supervised.name == name)
        .map(read)
}

fn child_pid(children: &Children, name: &str) -> Option<u32> {
    read_child(children, name, |supervised| supervised.child.pid())
}

/// How often the named child was started again.
fn restarts_of(children: &Children, name: &str) -> u32 {
    read_child(children, name, |supervised| supervised.restarts).unwrap_or(0)
}

/// Kills the named child's process group with SIGKILL; false if there is no such child.
fn kill_child(children: &Children, name: &str) -> bool {
    let list = children
        .list
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let Some(supervised) = list.iter().find(|supervised| supervised.name == name) else {
        return false;
    };
    let pid = i32::try_from(supervised.child.pid()).expect("pids fit in i32");
    nix::sys::signal::killpg(
        nix::unistd::Pid::from_raw(pid),
        nix::sys::signal::Signal::SIGKILL,
    )
    .is_ok()
}

/// Starts a dead child again; a failed restart is reported and tried again at the next look.
fn restart(supervised: &mut Supervised, logs: &Logs) {
    supervised.restarts += 1;
    let name = format!("{}-restart-{}", supervised.name, supervised.restarts);
    crate::say!("local-stack: {} exited; starting it again", supervised.name);
    let started = ChildProcess::spawn(&name, (supervised.command)(), logs).and_then(|mut child| {
        wait_until_ready(&mut child, &supervised.ready, LISTENER_READY).map(|_| child)
    });
    match started {
        Ok(child) => {
            // The dead child is reaped and its group cleared as the old value drops.
            let mut old = std::mem::replace(&mut supervised.child, child);
            old.stop();
        }
        Err(error) => crate::say!("local-stack: restarting {}: {error}", supervised.name),
    }
}

fn wait_until_ready(
    child: &mut ChildProcess,
    ready: &Readiness,
    timeout: Duration,
) -> Result<String, StackError> {
    let url = match ready {
        Readiness::ListeningLine(bin) => {
            child.wait_for_line(timeout, |line| listening_url(line, bin))?
        }
        Readiness::Port(address) => {
            wait_for_port(child, *address, timeout)?;
            format!("http://{address}")
        }
    };
    child.ready();
    Ok(url)
}

/// A non-loopback address is refused unless allowed, and then warned about: whoever reaches it can
/// call the API (and the Data API runs any SQL).
fn check_loopback(listen: &str, allowed: bool, progress: &dyn Fn(&str)) -> Result<(), StackError> {
    let loopback = listen
        .parse::<SocketAddr>()
        .map(|address| address.ip().is_loopback())
        .unwrap_or_else(|_| listen.starts_with("localhost:"));
    match (loopback, allowed) {
        (true, _) => Ok(()),
        (false, true) => {
            progress(&format!(
                "warning: listening on {listen}, reachable from other machines"
            ));
            Ok(())
        }
        (false, false) => Err(StackError::NotLoopback(listen.to_owned())),
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
        // Only requests signed with the functions' key pair (`sdk_env`) reach the databases.
        .arg("--verify-signatures");
    // A stage file that `load` accepted has its backend (the schema requires it).
    if let Ok(backend) = stage.backend() {
        // Only the stage's own resources are served; any other is answered as AWS answers an
        // unknown workgroup, cluster or secret.
        command
            .arg("--workgroup-name")
            .arg(&backend.redshift.workgroup_name)
            .arg("--aurora-cluster-arn")
            .arg(&backend.aurora.cluster_arn)
            .arg("--aurora-secret-arn")
            .arg(&backend.aurora.secret_arn)
            .arg("--aurora-database")
            .arg(&backend.aurora.database)
            .arg("--ssm")
            .arg(format!(
                "{}={REDSHIFT_DATABASE}",
                backend.redshift.database_name_parameter
            ));
    }
    command
}

/// Parses `<name> listening on http://ADDR[/...]`.
pub fn listening_url(line: &str, name: &str) -> Option<String> {
    let rest = line.trim().strip_prefix(name)?.trim_start();
    let url = rest.strip_prefix("listening on ")?.trim();
    url.starts_with("http://")
        .then(|| url.trim_end_matches('/').to_owned())
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
}
