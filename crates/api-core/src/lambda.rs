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
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").unwrap_or_else(|_| "INFO".into());
    let filter =
        EnvFilter::try_new(level.to_lowercase()).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(false)
        .init();
}

/// The instant by which the handler must have answered: the invocation's deadline minus
/// [`DEADLINE_SAFETY_MARGIN`].
pub fn handler_deadline(context: &Context) -> Instant {
    let remaining = context
        .deadline()
        .duration_since(SystemTime::now())
        .unwrap_or_default();
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
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = handler_deadline(&event.context);
        let outcome = handler(event.payload, deadline).await;
        if let Err(error) = &outcome {
            tracing::info!(
                status = error.status(),
                reason = error.reason(),
                "request failed"
            );
        }
        outcome
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[tokio::test(start_paused = true)]
    async fn deadline_keeps_the_safety_margin() {
        let mut context = Context::default();
        let in_ten_seconds = SystemTime::now() + Duration::from_secs(10);
        context.deadline = in_ten_seconds
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64;
        let budget = handler_deadline(&context) - Instant::now();
        let expected = Duration::from_secs(10) - DEADLINE_SAFETY_MARGIN;
        assert!(budget <= expected && budget > expected - Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_past_deadline_leaves_no_budget() {
        let context = Context::default();
        assert!(handler_deadline(&context) <= Instant::now());
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
