//! What the Lambda service enforces around each invocation and `cargo lambda watch` does not: the
//! function's timeout and its reserved concurrency; plus a local cap on invocations in flight,
//! because `cargo lambda watch` 1.9.2 stops answering for good once a few hundred invocations of one
//! function are open at the same time.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::stage::LambdaSettings;

/// Invocations of one function handed to the Lambda endpoint at once; more wait for a slot within
/// the integration timeout. Measured with `cargo lambda watch` 1.9.2: 200 concurrent invocations of
/// one function were answered, 300 wedged it; 100 of each of the four (400) were answered, so the
/// limit is per function. Lambda itself runs up to the account's concurrency
/// (1,000 by default) without reserved concurrency, so waiting here changes latency, never answers.
pub const LOCAL_IN_FLIGHT_PER_FUNCTION: usize = 64;

/// Lambda's Init phase (starting the runtime and the function's static code) "is limited to 10
/// seconds" and is not part of the invocation's timeout (Lambda developer guide, "Understanding
/// the Lambda execution environment lifecycle"). Locally the gateway cannot tell an instance's start
/// (`cargo lambda watch` runs a cargo build check first: up to 4.5 s measured under load) or a wait
/// behind a busy instance from the function's own run, so it allows this much more before it ends
/// an invocation as timed out.
pub const INIT_ALLOWANCE: Duration = Duration::from_secs(10);

/// The local wait for a hung function ends this long before the integration timeout, so that the
/// answer is the function's timeout (a function error) as on AWS, not API Gateway's own 504.
const BEFORE_INTEGRATION_TIMEOUT: Duration = Duration::from_secs(1);

/// Lambda refused the invocation (`TooManyRequestsException`,
/// `ReservedFunctionConcurrentInvocationLimitExceeded`): the function's reserved concurrency is in use.
#[derive(Debug, thiserror::Error)]
#[error("throttled: all {reserved} of the function's reserved concurrency is in use")]
pub struct Throttled {
    pub reserved: u32,
}

/// Held for the length of one invocation.
pub struct Slot {
    _reserved: Option<OwnedSemaphorePermit>,
    _local: OwnedSemaphorePermit,
}

struct FunctionSlots {
    reserved: Option<(u32, Arc<Semaphore>)>,
    local: Arc<Semaphore>,
}

/// The limits of every function one gateway invokes.
pub struct FunctionLimits {
    /// The stage's `lambda.timeoutSeconds`; `None` for stages built in memory without functions.
    timeout: Option<Duration>,
    slots: HashMap<String, FunctionSlots>,
}

impl FunctionLimits {
    /// Limits for `functions` (crate names) as the stage deploys them.
    pub fn new<'a>(
        settings: Option<&LambdaSettings>,
        functions: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let reserved_of = |function: &str| {
            settings
                .and_then(|lambda| lambda.reserved_concurrency.as_ref())
                .and_then(|reserved| reserved.of(function))
        };
        let slots = functions
            .into_iter()
            .map(|function| {
                let slots = FunctionSlots {
                    reserved: reserved_of(function)
                        .map(|count| (count, Arc::new(Semaphore::new(count as usize)))),
                    local: Arc::new(Semaphore::new(LOCAL_IN_FLIGHT_PER_FUNCTION)),
                };
                (function.to_owned(), slots)
            })
            .collect();
        Self {
            timeout: settings.map(|lambda| Duration::from_secs(lambda.timeout_seconds)),
            slots,
        }
    }

    /// The function's timeout, after which Lambda ends the invocation as `Sandbox.Timedout`.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// How long the gateway waits for a function before it answers Lambda's timeout error: the
    /// timeout plus [`INIT_ALLOWANCE`], ending before `integration_timeout` (never before the
    /// timeout itself). `None` for stages without functions.
    pub fn local_wait(&self, integration_timeout: Duration) -> Option<Duration> {
        let timeout = self.timeout?;
        let before_gateway_gives_up =
            integration_timeout.saturating_sub(BEFORE_INTEGRATION_TIMEOUT);
        Some(
            (timeout + INIT_ALLOWANCE)
                .min(before_gateway_gives_up)
                .max(timeout),
        )
    }

    /// A slot for one invocation: refused at once when the reserved concurrency is in use (Lambda
    /// does not queue synchronous invocations), otherwise waits for the local cap.
    pub async fn admit(&self, function: &str) -> Result<Option<Slot>, Throttled> {
        let Some(slots) = self.slots.get(function) else {
            return Ok(None);
        };
        let reserved = match &slots.reserved {
            Some((count, semaphore)) => Some(
                Arc::clone(semaphore)
                    .try_acquire_owned()
                    .map_err(|_| Throttled { reserved: *count })?,
            ),
            None => None,
        };
        let local = Arc::clone(&slots.local)
            .acquire_owned()
            .await
            .expect("the semaphore is never closed");
        Ok(Some(Slot {
            _reserved: reserved,
            _local: local,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stage::ReservedConcurrency;

    fn settings(reserved: Option<ReservedConcurrency>) -> LambdaSettings {
        LambdaSettings {
            timeout_seconds: 4,
            log_level: "info".into(),
            reserved_concurrency: reserved,
        }
    }

    #[tokio::test]
    async fn reserved_concurrency_refuses_the_invocation_beyond_it() {
        let reserved = ReservedConcurrency::PerFunction([("staff-put".to_owned(), 1)].into());
        let limits =
            FunctionLimits::new(Some(&settings(Some(reserved))), ["staff-put", "staff-get"]);
        let first = limits.admit("staff-put").await.unwrap();
        assert!(first.is_some());
        let refused = limits.admit("staff-put").await.err().expect("throttled");
        assert_eq!(refused.reserved, 1);
        // Functions without reserved concurrency are not throttled.
        let _others: Vec<_> =
            futures_util::future::join_all((0..10).map(|_| limits.admit("staff-get")))
                .await
                .into_iter()
                .map(|slot| slot.unwrap())
                .collect();
        drop(first);
        assert!(
            limits.admit("staff-put").await.is_ok(),
            "the slot came back"
        );
    }

    #[tokio::test]
    async fn the_local_cap_makes_invocations_wait_not_fail() {
        let limits = FunctionLimits::new(Some(&settings(None)), ["staff-get"]);
        let held: Vec<_> = futures_util::future::join_all(
            (0..LOCAL_IN_FLIGHT_PER_FUNCTION).map(|_| limits.admit("staff-get")),
        )
        .await;
        let waiting = tokio::time::timeout(Duration::from_millis(50), limits.admit("staff-get"));
        assert!(waiting.await.is_err(), "the next invocation waits");
        drop(held);
        assert!(limits.admit("staff-get").await.unwrap().is_some());
    }

    #[test]
    fn the_local_wait_allows_for_an_instance_start_within_the_integration_timeout() {
        let limits = FunctionLimits::new(Some(&settings(None)), ["staff-get"]);
        let seconds = Duration::from_secs;
        assert_eq!(limits.local_wait(seconds(29)), Some(seconds(14)));
        // The stage schema's longest timeout, 27 s, still ends as the function's own error.
        let long = LambdaSettings {
            timeout_seconds: 27,
            ..settings(None)
        };
        let limits = FunctionLimits::new(Some(&long), ["staff-get"]);
        assert_eq!(limits.local_wait(seconds(29)), Some(seconds(28)));
        // An integration timeout shorter than the function's leaves the function's.
        assert_eq!(limits.local_wait(seconds(5)), Some(seconds(27)));
    }

    #[test]
    fn stages_without_functions_have_no_timeout() {
        let limits = FunctionLimits::new(None, ["staff-get"]);
        assert_eq!(limits.timeout(), None);
        assert_eq!(limits.local_wait(Duration::from_secs(29)), None);
    }
}
