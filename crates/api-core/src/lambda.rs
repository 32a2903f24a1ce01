//! Wiring shared by the four Lambda binaries: logging, the invocation deadline, event parsing and the
//! runtime loop.

use std::future::Future;
use std::time::{Duration, SystemTime};

use lambda_runtime::{Context, LambdaEvent, service_fn};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;
use tracing_subscriber::EnvFilter;

use crate::error::ApiError;

/// Time kept back from the Lambda deadline so that a late statement can still be cancelled and the
/// 504 envelope returned before Lambda kills the invocation.
pub const DEADLINE_SAFETY_MARGIN: Duration = Duration::from_millis(1500);

/// JSON logs on stdout; each line carries the runtime's span with the request id. The level comes
/// from `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls), default INFO.
pub fn init_tracing() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").unwrap_or_default();
    let filter = EnvFilter::new(tracing_directive(&level));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .init();
}

/// Lambda's log levels (TRACE, DEBUG, INFO, WARN, ERROR, FATAL) as a tracing directive.
fn tracing_directive(lambda_level: &str) -> &'static str {
    match lambda_level.to_ascii_uppercase().as_str() {
        "TRACE" => "trace",
        "DEBUG" => "debug",
        "WARN" => "warn",
        "ERROR" | "FATAL" => "error",
        _ => "info",
    }
}

/// Lambda's own default timeout, used when the invocation carries no usable deadline and
/// `FUNCTION_TIMEOUT_SECONDS` is not set.
const DEFAULT_FUNCTION_TIMEOUT: Duration = Duration::from_secs(3);

/// The function timeout to assume when an invocation's deadline is already past on arrival, which
/// real Lambda never sends but local emulators (cargo lambda watch) do: `FUNCTION_TIMEOUT_SECONDS`.
pub fn fallback_timeout_from_env() -> Duration {
    std::env::var("FUNCTION_TIMEOUT_SECONDS")
        .ok()
        .and_then(|seconds| seconds.trim().parse().ok())
        .map_or(DEFAULT_FUNCTION_TIMEOUT, Duration::from_secs)
}

/// The instant by which the handler must have answered: the invocation's deadline (or, if that
/// is already past on arrival, now + `fallback_timeout`) minus [`DEADLINE_SAFETY_MARGIN`].
pub fn handler_deadline(context: &Context, fallback_timeout: Duration) -> Instant {
    let remaining = match context.deadline().duration_since(SystemTime::now()) {
        Ok(remaining) if !remaining.is_zero() => remaining,
        _ => {
            tracing::debug!(
                ?fallback_timeout,
                "invocation deadline already past; using fallback"
            );
            fallback_timeout
        }
    };
    Instant::now() + remaining.saturating_sub(DEADLINE_SAFETY_MARGIN)
}

/// Parses the event the request template produced; anything else is a 400 with a reason that does
/// not echo the input.
pub fn parse_event<T: DeserializeOwned>(event: Value) -> Result<T, ApiError> {
    serde_json::from_value(event).map_err(|error| {
        tracing::warn!(%error, "event does not have the expected shape");
        ApiError::bad_request("request does not have the expected fields")
    })
}

/// Runs the Lambda runtime loop with `handler(event, deadline)` per invocation.
pub async fn serve<H, F, R>(handler: H) -> Result<(), lambda_runtime::Error>
where
    H: Fn(Value, Instant) -> F,
    F: Future<Output = Result<R, ApiError>>,
    R: Serialize,
{
    let handler = &handler;
    let fallback_timeout = fallback_timeout_from_env();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = handler_deadline(&event.context, fallback_timeout);
        // lambda_runtime itself logs a returned error (inside the request-id span).
        handler(event.payload, deadline).await
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn lambda_log_levels_map_to_tracing_levels() {
        assert_eq!(tracing_directive("DEBUG"), "debug");
        assert_eq!(tracing_directive("fatal"), "error");
        assert_eq!(tracing_directive(""), "info");
        assert_eq!(tracing_directive("verbose"), "info");
    }

    #[tokio::test(start_paused = true)]
    async fn deadline_keeps_the_safety_margin() {
        let mut context = Context::default();
        let in_ten_seconds = SystemTime::now() + Duration::from_secs(10);
        context.deadline = in_ten_seconds
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let budget = handler_deadline(&context, Duration::from_secs(60)) - Instant::now();
        let expected = Duration::from_secs(10) - DEADLINE_SAFETY_MARGIN;
        assert!(budget <= expected && budget > expected - Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_already_past_on_arrival_falls_back_to_the_function_timeout() {
        let context = Context::default();
        let budget = handler_deadline(&context, Duration::from_secs(10)) - Instant::now();
        assert_eq!(budget, Duration::from_secs(10) - DEADLINE_SAFETY_MARGIN);
    }

    #[tokio::test(start_paused = true)]
    async fn a_timeout_shorter_than_the_margin_leaves_no_budget() {
        let context = Context::default();
        assert_eq!(
            handler_deadline(&context, Duration::from_secs(1)),
            Instant::now()
        );
    }

    #[derive(Debug, Deserialize)]
    struct Shape {
        id: String,
    }

    #[test]
    fn parses_an_event_of_the_expected_shape() {
        let shape: Shape = parse_event(serde_json::json!({"id": "0001"})).unwrap();
        assert_eq!(shape.id, "0001");
    }

    #[test]
    fn a_malformed_event_is_a_400_that_does_not_echo_it() {
        let error =
            parse_event::<Shape>(serde_json::json!({"id": ["'; drop table staff"]})).unwrap_err();
        assert_eq!(error.status(), 400);
        assert!(!error.to_string().contains("drop"));
    }
}
