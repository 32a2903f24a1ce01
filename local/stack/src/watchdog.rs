//! Notices functions that stopped answering (their process was killed, or it hangs, or cargo lambda
//! watch itself wedged) and restarts `cargo lambda watch`, which then starts every function afresh,
//! as Lambda gives the next invocation a new execution environment. The probe events are refused by
//! the functions' own validation, so a probe never reaches the Data API.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::cargo_build::FUNCTIONS;
use crate::process_tree::{self, Process};

/// How often every function is probed while all is well. Each probe is a refused request, which the
/// function logs at INFO, so probing more often would fill the terminal.
const PROBE_INTERVAL: Duration = Duration::from_secs(15);
/// How often the processes under cargo lambda watch are looked at (cheap: a read of /proc).
const LOOK_INTERVAL: Duration = Duration::from_secs(1);
/// A probe waits at most the function's timeout plus this: a function that answers at all answers
/// within its timeout (it bounds its own work by it), also when the probe queues behind others.
const PROBE_MARGIN: Duration = Duration::from_secs(5);
/// Consecutive failed probes of one function before cargo lambda watch is restarted, unless its
/// process was also seen to vanish, which one failed probe confirms.
const FAILURES_TO_RESTART: u32 = 2;

/// What the watchdog needs from the stack.
pub trait Watched: Send + 'static {
    /// How often cargo lambda watch was started: failures from before its latest start do not
    /// count (it was down, not wedged).
    fn starts(&self) -> u32;
    /// cargo lambda watch's process id, while it runs.
    fn pid(&self) -> Option<u32>;
    /// Kills cargo lambda watch; its supervisor starts it again.
    fn restart(&self);
}

/// An event the function refuses with a 400 before any SQL.
pub fn probe_event(function: &str) -> serde_json::Value {
    match function {
        "redshift-count" => serde_json::json!({"target_table": "!", "schema": ""}),
        "staff-get" => serde_json::json!({"id": "!", "limit": "", "after": ""}),
        "staff-post" => serde_json::json!({"id": "!", "name": "probe", "age": null}),
        _ => serde_json::json!({"id": "!", "age": 1}),
    }
}

/// Watches the functions behind `lambda_url` until `stopping`.
pub fn watch(
    lambda_url: String,
    function_timeout: Duration,
    stopping: Arc<AtomicBool>,
    watched: impl Watched,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let prober = Prober::new(lambda_url, function_timeout + PROBE_MARGIN);
        let mut health = Health::default();
        let mut next_probe = Instant::now() + PROBE_INTERVAL;
        let mut seen_starts = watched.starts();
        while !stopping.load(Ordering::SeqCst) {
            thread::sleep(LOOK_INTERVAL);
            let starts = watched.starts();
            if starts != seen_starts {
                seen_starts = starts;
                health = Health::default();
            }
            let before = Look::at(watched.pid());
            health.look(&before);
            if Instant::now() < next_probe && !health.suspect() {
                continue;
            }
            let answered = prober.probe_all();
            if stopping.load(Ordering::SeqCst) {
                return;
            }
            if watched.starts() != seen_starts {
                continue; // started again while probed: the answers are about the old one
            }
            // A build (a file changed under `cargo lambda watch`) explains a slow answer.
            let building = before.building || Look::at(watched.pid()).building;
            health.probed(&answered, building);
            if let Some(function) = health.dead() {
                crate::say!(
                    "local-stack: {function} stopped answering; restarting cargo lambda watch"
                );
                watched.restart();
                health = Health::default();
            }
            next_probe = Instant::now() + PROBE_INTERVAL;
        }
    })
}

/// The processes under cargo lambda watch at one moment.
struct Look {
    running: [bool; FUNCTIONS.len()],
    building: bool,
}

impl Look {
    fn at(pid: Option<u32>) -> Self {
        let processes = pid.map(process_tree::descendants).unwrap_or_default();
        Self::of(&processes)
    }

    fn of(processes: &[Process]) -> Self {
        let named = |name: &str| processes.iter().any(|process| process.name == name);
        Self {
            running: FUNCTIONS.map(named),
            building: named("cargo") || named("rustc"),
        }
    }
}

/// What the watchdog knows of each function.
#[derive(Debug, Default)]
struct Health {
    /// Seen running at the last look.
    running: [bool; FUNCTIONS.len()],
    /// Its process went away without a build to explain it.
    vanished: [bool; FUNCTIONS.len()],
    /// Probes failed in a row.
    failures: [u32; FUNCTIONS.len()],
}

impl Health {
    fn look(&mut self, look: &Look) {
        for (index, running) in look.running.into_iter().enumerate() {
            if self.running[index] && !running && !look.building {
                self.vanished[index] = true;
            }
            self.running[index] = running;
        }
    }

    /// Something is wrong enough to probe now rather than at the next interval.
    fn suspect(&self) -> bool {
        self.vanished.iter().any(|&vanished| vanished) || self.failures.iter().any(|&n| n > 0)
    }

    fn probed(&mut self, answered: &[bool; FUNCTIONS.len()], building: bool) {
        for (index, &answered) in answered.iter().enumerate() {
            if answered {
                self.failures[index] = 0;
                self.vanished[index] = false;
            } else if !building {
                self.failures[index] += 1;
            }
        }
    }

    /// The first function that is dead for sure.
    fn dead(&self) -> Option<&'static str> {
        (0..FUNCTIONS.len())
            .find(|&index| {
                let needed = if self.vanished[index] {
                    1
                } else {
                    FAILURES_TO_RESTART
                };
                self.failures[index] >= needed
            })
            .map(|index| FUNCTIONS[index])
    }
}

struct Prober {
    agent: ureq::Agent,
    lambda_url: String,
}

impl Prober {
    fn new(lambda_url: String, timeout: Duration) -> Self {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .build()
            .into();
        Self { agent, lambda_url }
    }

    /// Probes every function at once, so that one that hangs does not delay the others' verdict.
    fn probe_all(&self) -> [bool; FUNCTIONS.len()] {
        thread::scope(|scope| {
            let probes = FUNCTIONS.map(|function| scope.spawn(move || self.probe(function)));
            probes.map(|probe| probe.join().unwrap_or(false))
        })
    }

    fn probe(&self, function: &str) -> bool {
        let url = format!(
            "{}/2015-03-31/functions/{function}/invocations",
            self.lambda_url
        );
        self.agent
            .post(&url)
            .send_json(probe_event(function))
            .ok()
            .and_then(|response| response.into_body().read_to_string().ok())
            .is_some_and(|body| is_client_error(&body))
    }
}

/// A handled 4xx (the envelope as the Lambda error's message) proves the function runs; a crash,
/// a timeout or a 5xx does not.
pub fn is_client_error(invoke_error_body: &str) -> bool {
    serde_json::from_str::<serde_json::Value>(invoke_error_body)
        .ok()
        .and_then(|error| error.get("errorMessage")?.as_str().map(str::to_owned))
        .is_some_and(|message| message.starts_with("{\"Status\":4"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn processes(names: &[&str]) -> Vec<Process> {
        names
            .iter()
            .zip(1..)
            .map(|(name, pid)| Process {
                pid,
                name: (*name).to_owned(),
            })
            .collect()
    }

    const ALL: [bool; 4] = [true; 4];

    #[test]
    fn only_the_functions_own_400_counts_as_an_answer() {
        assert!(is_client_error(
            r#"{"errorType":"x","errorMessage":"{\"Status\":400,\"reason\":\"bad id\"}"}"#
        ));
        assert!(!is_client_error(
            r#"{"errorType":"Runtime.ExitError","errorMessage":"Runtime exited"}"#
        ));
        assert!(!is_client_error("not json"));
    }

    #[test]
    fn every_function_has_a_probe() {
        for function in FUNCTIONS {
            assert!(probe_event(function).is_object());
        }
    }

    #[test]
    fn a_hung_function_is_restarted_after_two_failed_probes() {
        let mut health = Health::default();
        health.look(&Look::of(&processes(&FUNCTIONS)));
        assert!(!health.suspect());
        health.probed(&[true, false, true, true], false);
        assert!(health.suspect(), "probe again at once");
        assert_eq!(health.dead(), None);
        health.probed(&[true, false, true, true], false);
        assert_eq!(health.dead(), Some("staff-get"));
    }

    #[test]
    fn a_vanished_process_is_confirmed_by_one_failed_probe() {
        let mut health = Health::default();
        health.look(&Look::of(&processes(&FUNCTIONS)));
        health.look(&Look::of(&processes(&[
            "redshift-count",
            "staff-post",
            "staff-put",
        ])));
        assert!(health.suspect());
        health.probed(&[true, false, true, true], false);
        assert_eq!(health.dead(), Some("staff-get"));
    }

    #[test]
    fn a_vanished_process_that_still_answers_is_fine() {
        // cargo lambda watch may start a function again on its next invocation.
        let mut health = Health::default();
        health.look(&Look::of(&processes(&FUNCTIONS)));
        health.look(&Look::of(&processes(&[])));
        health.probed(&ALL, false);
        assert!(!health.suspect());
        assert_eq!(health.dead(), None);
    }

    #[test]
    fn a_build_explains_vanished_processes_and_slow_probes() {
        let mut health = Health::default();
        health.look(&Look::of(&processes(&FUNCTIONS)));
        health.look(&Look::of(&processes(&["cargo", "rustc"])));
        assert!(!health.suspect(), "a rebuild stops the functions");
        for _ in 0..5 {
            health.probed(&[false; 4], true);
        }
        assert_eq!(health.dead(), None);
    }

    #[test]
    fn a_probe_that_answers_clears_the_count() {
        let mut health = Health::default();
        health.probed(&[false, true, true, true], false);
        health.probed(&ALL, false);
        health.probed(&[false, true, true, true], false);
        assert_eq!(health.dead(), None);
    }
}
