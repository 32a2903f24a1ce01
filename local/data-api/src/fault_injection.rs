//! Fault injection, steered by tests and benchmarks through the admin endpoint: faults for the next N
//! calls of an operation, an artificial statement duration, and the call counters they assert on.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::lock::lock;

/// How an injected fault shows: an error answer, or (redshift-data ExecuteStatement only) a statement
/// that is accepted and then ends FAILED or ABORTED.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    Error(String),
    StatementFailed,
    StatementAborted,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct FaultRule {
    pub service: String,
    pub operation: String,
    pub error: String,
    pub count: u32,
}

#[derive(Debug, Default)]
pub struct FaultInjection {
    inner: Mutex<InjectionState>,
}

#[derive(Debug, Default)]
struct InjectionState {
    statement_duration: Duration,
    faults: Vec<FaultRule>,
    calls: BTreeMap<String, u64>,
}

impl FaultInjection {
    pub fn set_statement_duration(&self, duration: Duration) {
        self.lock().statement_duration = duration;
    }

    pub fn statement_duration(&self) -> Duration {
        self.lock().statement_duration
    }

    pub fn add_fault(&self, rule: FaultRule) {
        self.lock().faults.push(rule);
    }

    pub fn faults(&self) -> Vec<FaultRule> {
        self.lock().faults.clone()
    }

    /// Counts the call and consumes one matching fault, if any.
    pub fn on_call(&self, service: &str, operation: &str) -> Option<Fault> {
        let mut state = self.lock();
        *state
            .calls
            .entry(format!("{service}.{operation}"))
            .or_default() += 1;
        let index = state
            .faults
            .iter()
            .position(|f| f.service == service && f.operation == operation && f.count > 0)?;
        let rule = &mut state.faults[index];
        rule.count -= 1;
        let fault = match rule.error.as_str() {
            "FAILED" => Fault::StatementFailed,
            "ABORTED" => Fault::StatementAborted,
            other => Fault::Error(other.to_string()),
        };
        if rule.count == 0 {
            state.faults.remove(index);
        }
        Some(fault)
    }

    pub fn calls(&self) -> BTreeMap<String, u64> {
        self.lock().calls.clone()
    }

    pub fn reset(&self) {
        *self.lock() = InjectionState::default();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, InjectionState> {
        lock(&self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fault_applies_to_the_next_n_matching_calls_only() {
        let controls = FaultInjection::default();
        controls.add_fault(FaultRule {
            service: "redshift-data".into(),
            operation: "ExecuteStatement".into(),
            error: "ThrottlingException".into(),
            count: 2,
        });
        assert_eq!(controls.on_call("rds-data", "ExecuteStatement"), None);
        let throttled = Some(Fault::Error("ThrottlingException".into()));
        assert_eq!(
            controls.on_call("redshift-data", "ExecuteStatement"),
            throttled
        );
        assert_eq!(
            controls.on_call("redshift-data", "ExecuteStatement"),
            throttled
        );
        assert_eq!(controls.on_call("redshift-data", "ExecuteStatement"), None);
        assert_eq!(controls.calls()["redshift-data.ExecuteStatement"], 3);
    }
}
