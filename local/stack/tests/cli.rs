//! The `local-stack` binary as a user runs it, on free ports and a state directory of its own.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use local_stack::process_tree;

/// Building and warming the four functions, on a loaded 2-core machine.
const START_LIMIT: Duration = Duration::from_secs(300);

/// The terminal (or the pipe) the stack writes to goes away, as when its parent dies: the stack
/// keeps serving, and a SIGTERM still stops every process it started, PostgreSQL included. Writing
/// to the closed pipe once panicked the signal handler, which left the children running.
#[test]
fn a_closed_pipe_neither_stops_the_stack_nor_strands_its_children() {
    let root = local_stack::workspace_root();
    let state = tempfile::tempdir().unwrap();
    let mut stack = Command::new(env!("CARGO_BIN_EXE_local-stack"))
        .current_dir(&root)
        .arg("--stage-file")
        .arg(root.join("tests/stages/e2e.json"))
        .args([
            "--listen",
            "127.0.0.1:0",
            "--data-api-listen",
            "127.0.0.1:0",
        ])
        .args(["--lambda-port", "0", "--no-reload", "--state-dir"])
        .arg(state.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("local-stack starts");
    let _stop_on_failure = StopOnDrop(stack.id());

    // Both pipes are read until the banner is complete, then closed.
    let (lines, banner) = mpsc::channel();
    let stdout = BufReader::new(stack.stdout.take().unwrap());
    let stderr = BufReader::new(stack.stderr.take().unwrap());
    let (done, closing) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        for line in stdout.lines().map_while(Result::ok) {
            let finished = line.starts_with("Try:");
            let _ = lines.send(line);
            if finished {
                break;
            }
        }
    });
    let echo = std::thread::spawn(move || {
        let mut stderr = stderr;
        let mut line = String::new();
        while closing.try_recv().is_err() {
            line.clear();
            match stderr.read_line(&mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => eprint!("stack: {line}"),
            }
        }
    });
    let mut base_url = None;
    let mut api_key = None;
    loop {
        let line = banner
            .recv_timeout(START_LIMIT)
            .expect("the banner within the start limit");
        if let Some(url) = line.trim().strip_prefix("base URL") {
            base_url = Some(url.trim().to_owned());
        }
        if let Some(key) = line.trim().strip_prefix("API key") {
            api_key = key.split_whitespace().next().map(str::to_owned);
        }
        if line.starts_with("Try:") {
            break;
        }
    }
    drop(banner);
    let _ = done.send(());
    let (base_url, api_key) = (base_url.unwrap(), api_key.unwrap());
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(30)))
        .http_status_as_error(false)
        .build()
        .into();
    let get = || {
        agent
            .get(format!("{base_url}/staff/0001"))
            .header("x-api-key", &api_key)
            .call()
            .map(|reply| reply.status().as_u16())
    };
    // Each request adds an access-log line to stderr, which lets the reader see it should stop.
    for _ in 0..50 {
        assert_eq!(get().unwrap(), 200);
        if echo.is_finished() {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(echo.is_finished(), "stderr was closed");
    // stdout and stderr are closed now; the stack must still answer.
    for _ in 0..3 {
        assert_eq!(
            get().unwrap(),
            200,
            "the stack serves with its pipes closed"
        );
    }

    let children = process_tree::descendants(stack.id());
    assert!(
        children
            .iter()
            .any(|process| process.name == "local-gateway"),
        "{children:?}"
    );
    let postmaster = state.path().join("postgres/data/postmaster.pid");
    assert!(postmaster.exists(), "the kept cluster runs");
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(stack.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = stack.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(128 + 15),
        "stopped by its handler: {status:?}"
    );
    let alive: Vec<_> = children
        .iter()
        .filter(|process| is_running(process.pid))
        .collect();
    assert!(alive.is_empty(), "left running: {alive:?}");
    assert!(!postmaster.exists(), "PostgreSQL was stopped");
}

/// Stops the stack if the test fails half-way (a no-op once it has exited).
struct StopOnDrop(u32);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(self.0 as i32),
            nix::sys::signal::Signal::SIGTERM,
        );
    }
}

/// Still there and not a zombie waiting for its reaper.
fn is_running(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| stat.rsplit_once(") ").map(|(_, rest)| rest.to_owned()))
        .is_some_and(|rest| !rest.starts_with('Z'))
}
