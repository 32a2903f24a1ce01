//! Notices functions that stopped answering (their process was killed, or it hangs) and restarts
//! `cargo lambda watch`, which then starts every function afresh, as Lambda gives the next invocation
//! a new execution environment. The probe events are refused by the functions' own validation, so a
//! probe never reaches the Data API.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use crate::cargo_build::FUNCTIONS;

/// How often every function is probed. Each probe is a refused request, which the function logs at
/// INFO, so probing more often would fill the terminal.
const PROBE_INTERVAL: Duration = Duration::from_secs(15);
/// A probe slower than this failed. Generous: a function that cargo lambda watch starts again is
/// compiled or at least cold-started on its first invocation.
const PROBE_TIMEOUT: Duration = Duration::from_secs(30);
/// Consecutive failed probes of one function before cargo lambda watch is restarted.
const FAILURES_TO_RESTART: u32 = 2;

/// An event the function refuses with a 400 before any SQL.
pub fn probe_event(function: &str) -> serde_json::Value {
    match function {
        "redshift-count" => serde_json::json!({"target_table": "!", "schema": ""}),
        "staff-get" => serde_json::json!({"id": "!", "limit": "", "after": ""}),
        "staff-post" => serde_json::json!({"id": "!", "name": "probe", "age": null}),
        _ => serde_json::json!({"id": "!", "age": 1}),
    }
}

/// Probes the functions behind `lambda_url` until `stopping`; calls `restart` when one failed
/// [`FAILURES_TO_RESTART`] times in a row. `starts` counts how often cargo lambda watch was
/// started: failures from before its latest start do not count (it was down, not wedged).
pub fn watch(
    lambda_url: String,
    stopping: Arc<AtomicBool>,
    starts: impl Fn() -> u32 + Send + 'static,
    restart: impl Fn() + Send + 'static,
) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(PROBE_TIMEOUT))
            .http_status_as_error(false)
            .build()
            .into();
        let mut failures = [0u32; FUNCTIONS.len()];
        let mut next = Instant::now() + PROBE_INTERVAL;
        let mut seen_starts = starts();
        while !stopping.load(Ordering::SeqCst) {
            if Instant::now() < next {
                thread::sleep(Duration::from_millis(100));
                continue;
            }
            for (index, function) in FUNCTIONS.iter().enumerate() {
                if stopping.load(Ordering::SeqCst) {
                    return;
                }
                let url = format!("{lambda_url}/2015-03-31/functions/{function}/invocations");
                let answered = agent
                    .post(&url)
                    .send_json(probe_event(function))
                    .ok()
                    .and_then(|response| response.into_body().read_to_string().ok())
                    .is_some_and(|body| is_client_error(&body));
                failures[index] = if answered { 0 } else { failures[index] + 1 };
            }
            let latest_starts = starts();
            if latest_starts != seen_starts {
                seen_starts = latest_starts;
                failures = [0; FUNCTIONS.len()];
            }
            if failures.iter().any(|&count| count >= FAILURES_TO_RESTART) {
                eprintln!(
                    "local-stack: a function stopped answering; restarting cargo lambda watch"
                );
                restart();
                failures = [0; FUNCTIONS.len()];
            }
            next = Instant::now() + PROBE_INTERVAL;
        }
    })
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
}
