//! A child process the stack owns: its own process group (so stopping it also stops what it started),
//! a parent-death signal (so it does not outlive a killed stack), and its output forwarded line by line.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::CommandExt as _;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, killpg};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use crate::StackError;

/// How long a child gets to shut down after SIGINT (the Data API stops its PostgreSQL), then after
/// SIGTERM, before SIGKILL.
const INTERRUPT_GRACE: Duration = Duration::from_secs(15);
const TERMINATE_GRACE: Duration = Duration::from_secs(5);

/// Where children's output goes.
#[derive(Debug, Clone)]
pub enum Logs {
    /// Our stderr, each line prefixed with the child's name.
    Terminal,
    /// One file per child, `<dir>/<name>.log` (the e2e suite: test output stays readable).
    Dir(PathBuf),
}

/// Spawn from a thread that lives as long as the child should: Linux sends the parent-death signal
/// when the spawning *thread* exits (so not from a tokio blocking-pool thread).
pub struct ChildProcess {
    name: String,
    child: Child,
    stdout_lines: Option<Receiver<String>>,
    log_hint: String,
}

impl ChildProcess {
    pub fn spawn(name: &str, mut command: Command, logs: &Logs) -> Result<Self, StackError> {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        // SAFETY: the closure runs between fork and exec and only calls prctl and getppid, which are
        // async-signal-safe.
        unsafe {
            command.pre_exec(|| {
                nix::sys::prctl::set_pdeathsig(Signal::SIGINT)?;
                // The parent may have died between fork and prctl.
                if nix::unistd::getppid() == Pid::from_raw(1) {
                    return Err(std::io::Error::other("parent exited"));
                }
                Ok(())
            });
        }
        let mut child = command.spawn().map_err(|source| StackError::Spawn {
            name: name.to_owned(),
            source,
        })?;
        running_groups().push(group_of(&child));

        let (sink, log_hint) = open_sink(name, logs)?;
        let (lines_tx, lines_rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        forward(stdout, Arc::clone(&sink), Some(lines_tx));
        forward(stderr, sink, None);
        Ok(Self {
            name: name.to_owned(),
            child,
            stdout_lines: Some(lines_rx),
            log_hint,
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Reads stdout lines until `parse` accepts one (e.g. `... listening on http://ADDR`).
    pub fn wait_for_line<T>(
        &mut self,
        timeout: Duration,
        mut parse: impl FnMut(&str) -> Option<T>,
    ) -> Result<T, StackError> {
        let lines = self
            .stdout_lines
            .as_ref()
            .expect("stdout lines are read until the child is ready");
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match lines.recv_timeout(left) {
                Ok(line) => {
                    if let Some(found) = parse(&line) {
                        return Ok(found);
                    }
                }
                Err(RecvTimeoutError::Timeout) => return Err(self.not_ready(timeout)),
                Err(RecvTimeoutError::Disconnected) => return Err(self.exited()),
            }
        }
    }

    /// Stops reading stdout for readiness; later lines only go to the log.
    pub fn ready(&mut self) {
        self.stdout_lines = None;
    }

    pub fn is_running(&mut self) -> bool {
        leader_running(group_of(&self.child))
    }

    pub fn not_ready(&self, waited: Duration) -> StackError {
        StackError::NotReady {
            name: self.name.clone(),
            seconds: waited.as_secs(),
            logs: self.log_hint.clone(),
        }
    }

    pub fn exited(&self) -> StackError {
        StackError::Exited {
            name: self.name.clone(),
            logs: self.log_hint.clone(),
        }
    }

    /// Stops the child and everything in its process group; idempotent.
    pub fn stop(&mut self) {
        let group = group_of(&self.child);
        running_groups().retain(|running| *running != group);
        stop_group(group);
        let _ = self.child.wait();
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Process groups of children not yet stopped, oldest first: what a signal handler must stop.
static RUNNING_GROUPS: Mutex<Vec<Pid>> = Mutex::new(Vec::new());

fn running_groups() -> std::sync::MutexGuard<'static, Vec<Pid>> {
    RUNNING_GROUPS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn group_of(child: &Child) -> Pid {
    Pid::from_raw(i32::try_from(child.id()).expect("pids fit in i32"))
}

/// Stops every child still running, newest first, then removes the registered scratch directories.
/// For signal handlers: Ctrl-C during start-up or while serving leaves nothing behind.
pub fn stop_all() {
    while let Some(group) = running_groups().pop() {
        stop_group(group);
    }
    let dirs = std::mem::take(&mut *scratch_dirs());
    for dir in dirs {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Directories [`stop_all`] removes (a stack's throwaway state).
static SCRATCH_DIRS: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn scratch_dirs() -> std::sync::MutexGuard<'static, Vec<PathBuf>> {
    SCRATCH_DIRS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Have [`stop_all`] remove `dir`.
pub fn remove_on_stop(dir: &std::path::Path) {
    scratch_dirs().push(dir.to_path_buf());
}

/// `dir` was removed by its owner.
pub fn forget_removal(dir: &std::path::Path) {
    scratch_dirs().retain(|registered| registered != dir);
}

/// What Ctrl-C in a terminal would send (SIGINT, which every server here handles), then SIGTERM,
/// then SIGKILL for the group, including whatever the leader left behind.
fn stop_group(group: Pid) {
    for (signal, grace) in [
        (Signal::SIGINT, INTERRUPT_GRACE),
        (Signal::SIGTERM, TERMINATE_GRACE),
    ] {
        if !leader_running(group) {
            break;
        }
        let _ = killpg(group, signal);
        let deadline = Instant::now() + grace;
        while leader_running(group) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(50));
        }
    }
    let _ = killpg(group, Signal::SIGKILL);
}

/// Reaps the leader if it exited; a leader reaped elsewhere counts as gone.
fn leader_running(leader: Pid) -> bool {
    matches!(
        waitpid(leader, Some(WaitPidFlag::WNOHANG)),
        Ok(WaitStatus::StillAlive)
    )
}

type Sink = Arc<Mutex<Box<dyn Write + Send>>>;

fn open_sink(name: &str, logs: &Logs) -> Result<(Sink, String), StackError> {
    match logs {
        Logs::Terminal => Ok((
            Arc::new(Mutex::new(Box::new(Prefixed {
                prefix: format!("{name:>12} | "),
            }))),
            "the output above".to_owned(),
        )),
        Logs::Dir(dir) => {
            let path = dir.join(format!("{name}.log"));
            let file = std::fs::create_dir_all(dir)
                .and_then(|()| File::create(&path))
                .map_err(|source| StackError::Log {
                    path: path.clone(),
                    source,
                })?;
            Ok((
                Arc::new(Mutex::new(Box::new(file))),
                path.display().to_string(),
            ))
        }
    }
}

/// Writes each line to stderr behind a prefix.
struct Prefixed {
    prefix: String,
}

impl Write for Prefixed {
    fn write(&mut self, line: &[u8]) -> std::io::Result<usize> {
        let mut stderr = std::io::stderr().lock();
        stderr.write_all(self.prefix.as_bytes())?;
        stderr.write_all(line)?;
        Ok(line.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

fn forward(stream: impl Read + Send + 'static, sink: Sink, lines: Option<Sender<String>>) {
    thread::spawn(move || {
        let mut reader = BufReader::new(stream);
        let mut line = Vec::new();
        loop {
            line.clear();
            match reader.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if !line.ends_with(b"\n") {
                line.push(b'\n');
            }
            if let Ok(mut sink) = sink.lock() {
                let _ = sink.write_all(&line);
            }
            if let Some(lines) = &lines {
                let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                // Nobody listens once the child is ready; that is fine.
                let _ = lines.send(text);
            }
        }
    });
}
