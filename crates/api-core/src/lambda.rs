//! Wiring shared by the four Lambda binaries: logging, the invocation deadline, event parsing and the
//! runtime loop. A handler is a plain async function of (typed request, clients, deadline); `serve`
//! owns everything around it.

use std::future::Future;
use std::time::{Duration, SystemTime};

use lambda_runtime::{Context, LambdaEvent, service_fn};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;
use tracing_subscriber::EnvFilter;

use crate::config::{AuroraConfig, load_aws_config};
use crate::error::ApiError;
use crate::rds::AuroraDatabase;

/// Time kept back from the Lambda deadline so that a late statement can still be cancelled and the
/// 504 envelope returned before Lambda kills the invocation.
pub const DEADLINE_SAFETY_MARGIN: Duration = Duration::from_millis(1500);

/// Dependencies whose DEBUG output (every request, connection and retry) would bury the function's
/// own lines: they stay at INFO when the function logs at DEBUG or TRACE.
const CHATTY_DEPENDENCIES: &[&str] = &[
    "aws_config",
    "aws_runtime",
    "aws_sdk_rdsdata",
    "aws_sdk_redshiftdata",
    "aws_sdk_ssm",
    "aws_sigv4",
    "aws_smithy_http_client",
    "aws_smithy_runtime",
    "aws_smithy_runtime_api",
    "h2",
    "hyper",
    "hyper_util",
    "lambda_runtime",
    "lambda_runtime_api_client",
    "rustls",
    "tower",
];

/// Logs on stdout following Lambda's log controls: `AWS_LAMBDA_LOG_FORMAT` (`JSON` or text) and
/// `AWS_LAMBDA_LOG_LEVEL` (default INFO). Every line logged during an invocation carries the
/// runtime's span, which holds the request id.
pub fn init_tracing() {
    let format = std::env::var("AWS_LAMBDA_LOG_FORMAT").unwrap_or_default();
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL").unwrap_or_default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::new(filter_directives(&level)))
        .with_target(false);
    if format.eq_ignore_ascii_case("json") {
        subscriber
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .init();
    } else {
        subscriber.with_ansi(false).init();
    }
}

/// Lambda's log levels (TRACE, DEBUG, INFO, WARN, ERROR, FATAL) as tracing filter directives.
fn filter_directives(lambda_level: &str) -> String {
    let level = match lambda_level.to_ascii_uppercase().as_str() {
        "TRACE" => "trace",
        "DEBUG" => "debug",
        "WARN" => "warn",
        "ERROR" | "FATAL" => "error",
        _ => "info",
    };
    // lambda_runtime logs every handler error again at ERROR (its panic layer, with the error's
    // Debug text); `invoke` has logged it once at the right level. A panic still reaches stderr
    // through Rust's panic hook.
    let mut directives = format!("{level},lambda_runtime::layers::panic=off");
    if matches!(level, "trace" | "debug") {
        for dependency in CHATTY_DEPENDENCIES {
            directives.push_str(&format!(",{dependency}=info"));
        }
    }
    directives
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
            static NOTED: std::sync::Once = std::sync::Once::new();
            NOTED.call_once(|| {
                tracing::info!(
                    ?fallback_timeout,
                    "invocation deadlines arrive already past (a local emulator); using \
                     FUNCTION_TIMEOUT_SECONDS"
                );
            });
            fallback_timeout
        }
    };
    Instant::now() + remaining.saturating_sub(DEADLINE_SAFETY_MARGIN)
}

/// Parses the event the request template produced; anything else is a 400 with a reason that does
/// not echo the input.
fn parse_event<T: DeserializeOwned>(event: Value) -> Result<T, ApiError> {
    serde_json::from_value(event).map_err(|error| {
        ApiError::bad_request("request does not have the expected fields").caused_by(format_args!(
            "event does not have the expected shape: {error}"
        ))
    })
}

/// One invocation, as [`serve`] runs it: the event parsed into the handler's request type, the
/// handler's answer, and an error logged once, at the level its kind calls for.
pub async fn invoke<Request, Response, Handler, Answer>(
    handler: &Handler,
    event: Value,
    deadline: Instant,
) -> Result<Response, ApiError>
where
    Request: DeserializeOwned,
    Handler: Fn(Request, Instant) -> Answer,
    Answer: Future<Output = Result<Response, ApiError>>,
{
    let result = match parse_event(event) {
        Ok(request) => handler(request, deadline).await,
        Err(error) => Err(error),
    };
    if let Err(error) = &result {
        error.log();
    }
    result
}

/// Runs the Lambda runtime loop with `handler(request, deadline)` per invocation.
pub async fn serve<Request, Response, Handler, Answer>(
    handler: Handler,
) -> Result<(), lambda_runtime::Error>
where
    Request: DeserializeOwned,
    Response: Serialize,
    Handler: Fn(Request, Instant) -> Answer,
    Answer: Future<Output = Result<Response, ApiError>>,
{
    let handler = &handler;
    let fallback_timeout = fallback_timeout_from_env();
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = handler_deadline(&event.context, fallback_timeout);
        invoke(handler, event.payload, deadline).await
    }))
    .await
}

/// The whole `main` of a staff function: logging, configuration and the Aurora client built once
/// at init, then the runtime loop with `handler(database, request, deadline)`.
pub async fn serve_with_aurora<Request, Response, Handler, Answer>(
    handler: Handler,
) -> Result<(), lambda_runtime::Error>
where
    Request: DeserializeOwned,
    Response: Serialize,
    Handler: Fn(&'static AuroraDatabase, Request, Instant) -> Answer,
    Answer: Future<Output = Result<Response, ApiError>>,
{
    init_tracing();
    let config = AuroraConfig::from_env()?;
    let aws = load_aws_config().await;
    // Lives as long as the execution environment; leaking it lets every invocation borrow it.
    let database: &'static AuroraDatabase = Box::leak(Box::new(AuroraDatabase::new(
        aws_sdk_rdsdata::Client::new(&aws),
        config,
    )));
    // Boxed: the runtime's future nested in this one is too deep for the compiler's layout limit.
    Box::pin(serve(move |request, deadline| {
        handler(database, request, deadline)
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn lambda_log_levels_map_to_tracing_levels() {
        let level = |lambda_level| {
            filter_directives(lambda_level)
                .split(',')
                .next()
                .map(str::to_owned)
        };
        assert_eq!(level("fatal").as_deref(), Some("error"));
        assert_eq!(level("WARN").as_deref(), Some("warn"));
        assert_eq!(level("").as_deref(), Some("info"));
        assert_eq!(level("verbose").as_deref(), Some("info"));
        assert!(filter_directives("").contains("lambda_runtime::layers::panic=off"));
    }

    #[test]
    fn at_debug_the_sdk_and_http_stack_stay_at_info() {
        let directives = filter_directives("DEBUG");
        assert!(directives.starts_with("debug,"), "{directives}");
        for dependency in ["aws_smithy_runtime", "hyper_util", "aws_sdk_rdsdata"] {
            assert!(
                directives.contains(&format!(",{dependency}=info")),
                "{directives}"
            );
        }
        EnvFilter::try_new(&directives).expect("valid directives");
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

    #[tokio::test]
    async fn invoke_parses_the_event_before_the_handler_runs() {
        let calls = std::cell::Cell::new(0);
        let handler = |shape: Shape, _deadline| {
            calls.set(calls.get() + 1);
            async move { Ok::<_, ApiError>(shape.id) }
        };
        let deadline = Instant::now();
        let id = invoke(&handler, serde_json::json!({"id": "0001"}), deadline).await;
        assert_eq!(id.unwrap(), "0001");
        let refused = invoke(&handler, serde_json::json!({"id": 1}), deadline).await;
        assert_eq!(refused.unwrap_err().status(), 400);
        assert_eq!(
            calls.get(),
            1,
            "a malformed event never reaches the handler"
        );
    }
}
