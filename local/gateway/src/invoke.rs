//! Calls a function through the Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`),
//! as API Gateway does for a non-proxy integration: `cargo lambda watch` locally, or anything that
//! speaks the same protocol, within the limits Lambda itself enforces ([`FunctionLimits`]).

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::function_limits::{FunctionLimits, Throttled};
use crate::overrides::RequestOverrides;

/// What the function did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// The function returned; `payload` is its JSON result.
    Success { payload: String },
    /// The function failed; `payload` is `{"errorType", "errorMessage"}`.
    FunctionError {
        payload: String,
        error_message: Option<String>,
    },
}

/// The call itself failed: API Gateway answers these with its own 500 or 504.
#[derive(Debug, thiserror::Error)]
pub enum InvokeError {
    #[error("the function did not answer within {0:?}")]
    TimedOut(Duration),
    #[error("cannot reach the Lambda endpoint: {0}")]
    Unreachable(reqwest::Error),
    #[error("the Lambda endpoint refused the invocation with HTTP {status}")]
    Refused { status: u16 },
    #[error(transparent)]
    Throttled(#[from] Throttled),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FunctionErrorBody {
    error_type: Option<String>,
    error_message: Option<serde_json::Value>,
}

/// A pooled client for one Lambda endpoint.
#[derive(Clone)]
pub struct LambdaClient {
    http: reqwest::Client,
    endpoint: String,
    limits: Arc<FunctionLimits>,
}

impl LambdaClient {
    pub fn new(endpoint: &str, limits: FunctionLimits) -> Self {
        Self {
            http: reqwest::Client::new(),
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            limits: Arc::new(limits),
        }
    }

    /// Invokes `function` with `event` as API Gateway does, giving up after `integration_timeout`;
    /// the request template's header and query string overrides go on the Invoke call. A function
    /// that runs past its own timeout ends as Lambda ends it, a `Sandbox.Timedout` function error,
    /// once the gateway's allowance for an instance's start has passed too (`local_wait`).
    pub async fn invoke(
        &self,
        function: &str,
        event: String,
        integration_timeout: Duration,
        overrides: &RequestOverrides,
    ) -> Result<Invocation, InvokeError> {
        let invocation = async {
            let _slot = self.limits.admit(function).await?;
            let call = self.call(function, event, overrides);
            match (
                self.limits.timeout(),
                self.limits.local_wait(integration_timeout),
            ) {
                (Some(function_timeout), Some(wait)) => {
                    match tokio::time::timeout(wait, call).await {
                        Ok(result) => result,
                        Err(_) => Ok(timed_out(function_timeout)),
                    }
                }
                _ => call.await,
            }
        };
        tokio::time::timeout(integration_timeout, invocation)
            .await
            .map_err(|_| InvokeError::TimedOut(integration_timeout))?
    }

    /// One Invoke call, however long it takes.
    async fn call(
        &self,
        function: &str,
        event: String,
        overrides: &RequestOverrides,
    ) -> Result<Invocation, InvokeError> {
        let url = format!(
            "{}/2015-03-31/functions/{function}/invocations",
            self.endpoint
        );
        let call = async {
            let mut request = self
                .http
                .post(url)
                .header("content-type", "application/json")
                .query(&overrides.querystring);
            for (name, value) in &overrides.header {
                request = request.header(name, value);
            }
            let response = request.body(lambda_payload(event)).send().await?;
            let status = response.status().as_u16();
            let function_error = response.headers().contains_key("x-amz-function-error");
            let payload = response.text().await?;
            Ok::<_, reqwest::Error>((status, function_error, payload))
        };
        match call.await {
            Ok((status, function_error, payload)) => classify(status, function_error, payload),
            Err(error) if error.is_connect() => Err(InvokeError::Unreachable(error)),
            // The invocation was handed over and the connection then dropped: the function's
            // process went away under it (killed, or cargo lambda watch restarted).
            Err(_) => Ok(runtime_exited()),
        }
    }
}

/// The event as the function receives it: the Lambda service hands a function invoked with no
/// payload `{}` (AWS's aws-lambda-dotnet PR #834: "When you invoke a function with no payload the
/// Lambda service passes {}"), so a passed-through empty body arrives as `{}` (AWS-validated
/// recording `test_apigateway_header_remapping_aws[AWS]`, "no-param-integration": the function saw
/// `{}`). `cargo lambda watch` does not, so the gateway does it for it.
fn lambda_payload(event: String) -> String {
    if event.is_empty() {
        "{}".to_owned()
    } else {
        event
    }
}

/// Lambda's answer for an invocation stopped at the function's timeout, as recorded on AWS
/// (LocalStack's AWS-validated `test_lambda_invoke_with_timeout`, 2025-11-25): HTTP 200,
/// `X-Amz-Function-Error: Unhandled` and a `Sandbox.Timedout` error.
fn timed_out(function_timeout: Duration) -> Invocation {
    lambda_error(
        "Sandbox.Timedout",
        &format!(
            "Task timed out after {:.2} seconds",
            function_timeout.as_secs_f64()
        ),
    )
}

/// Lambda's answer for an invocation whose runtime exited under it, as recorded on AWS
/// (`TestLambdaErrors::test_lambda_handler_exit`, 2025-11-24). The recorded reason is for a
/// process that exited by itself; a killed one's text is not recorded (**inferred**: the same).
fn runtime_exited() -> Invocation {
    lambda_error(
        "Runtime.ExitError",
        "Runtime exited without providing a reason",
    )
}

/// A function error as Lambda reports it: `RequestId: <id> Error: <what>`.
fn lambda_error(error_type: &str, what: &str) -> Invocation {
    let message = format!("RequestId: {} Error: {what}", uuid::Uuid::new_v4());
    Invocation::FunctionError {
        payload: serde_json::json!({"errorType": error_type, "errorMessage": message}).to_string(),
        error_message: Some(message),
    }
}

/// Real Lambda answers 200 with `X-Amz-Function-Error` for a function error; `cargo lambda watch`
/// answers 500 with the same `{"errorType", "errorMessage"}` body. Anything else that is not a 200
/// is a failed call (unknown function, throttled, service error).
fn classify(
    status: u16,
    function_error_header: bool,
    payload: String,
) -> Result<Invocation, InvokeError> {
    let error_body = || serde_json::from_str::<FunctionErrorBody>(&payload).ok();
    match status {
        200 if function_error_header => {
            let error_message = error_body().and_then(|body| message_text(body.error_message));
            Ok(Invocation::FunctionError {
                payload,
                error_message,
            })
        }
        200 => Ok(Invocation::Success { payload }),
        500 => match error_body() {
            Some(body) if body.error_type.is_some() || body.error_message.is_some() => {
                let error_message = message_text(body.error_message);
                Ok(Invocation::FunctionError {
                    payload,
                    error_message,
                })
            }
            _ => Err(InvokeError::Refused { status }),
        },
        _ => Err(InvokeError::Refused { status }),
    }
}

/// `errorMessage` as the text selection patterns match: a string as is, null as absent, and any
/// other JSON value as its JSON text.
fn message_text(message: Option<serde_json::Value>) -> Option<String> {
    match message? {
        serde_json::Value::Null => None,
        serde_json::Value::String(text) => Some(text),
        other => Some(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENVELOPE_ERROR: &str = r#"{"errorType":"ApiError","errorMessage":"{\"Status\":404,\"ErrorReason\":\"no such staff\"}"}"#;

    fn error_of(invocation: Invocation) -> (serde_json::Value, String) {
        let Invocation::FunctionError {
            payload,
            error_message: Some(message),
        } = invocation
        else {
            panic!("a function error with a message: {invocation:?}");
        };
        (serde_json::from_str(&payload).unwrap(), message)
    }

    #[test]
    fn lambdas_own_errors_are_the_recorded_payloads() {
        let (payload, message) = error_of(timed_out(Duration::from_secs(4)));
        assert_eq!(payload["errorType"], "Sandbox.Timedout");
        assert_eq!(payload["errorMessage"], message.as_str());
        let (id, what) = message
            .strip_prefix("RequestId: ")
            .and_then(|rest| rest.split_once(" Error: "))
            .unwrap();
        assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
        assert_eq!(what, "Task timed out after 4.00 seconds");

        let (payload, message) = error_of(runtime_exited());
        assert_eq!(payload["errorType"], "Runtime.ExitError");
        assert!(message.ends_with(" Error: Runtime exited without providing a reason"));
    }

    #[test]
    fn an_empty_event_reaches_the_function_as_an_empty_object() {
        assert_eq!(lambda_payload(String::new()), "{}");
        assert_eq!(lambda_payload(" ".to_owned()), " ");
        assert_eq!(lambda_payload(r#"{"a":1}"#.to_owned()), r#"{"a":1}"#);
    }

    #[test]
    fn real_lambda_signals_function_errors_with_a_header() {
        let outcome = classify(200, true, ENVELOPE_ERROR.to_owned()).unwrap();
        assert_eq!(
            outcome,
            Invocation::FunctionError {
                payload: ENVELOPE_ERROR.to_owned(),
                error_message: Some(r#"{"Status":404,"ErrorReason":"no such staff"}"#.to_owned()),
            }
        );
    }

    #[test]
    fn cargo_lambda_signals_function_errors_with_http_500() {
        let outcome = classify(500, false, ENVELOPE_ERROR.to_owned()).unwrap();
        assert!(
            matches!(outcome, Invocation::FunctionError { error_message: Some(message), .. } if message.starts_with(r#"{"Status":404"#))
        );
    }

    #[test]
    fn a_success_keeps_its_payload_even_when_it_looks_like_an_error() {
        let outcome = classify(200, false, ENVELOPE_ERROR.to_owned()).unwrap();
        assert_eq!(
            outcome,
            Invocation::Success {
                payload: ENVELOPE_ERROR.to_owned()
            }
        );
    }

    #[test]
    fn other_statuses_and_500s_without_an_error_body_are_failed_calls() {
        assert!(matches!(
            classify(404, false, "{}".into()),
            Err(InvokeError::Refused { status: 404 })
        ));
        assert!(matches!(
            classify(500, false, "boom".into()),
            Err(InvokeError::Refused { status: 500 })
        ));
        assert!(matches!(
            classify(429, false, ENVELOPE_ERROR.into()),
            Err(InvokeError::Refused { status: 429 })
        ));
    }

    #[test]
    fn error_messages_that_are_null_or_not_text() {
        let null = classify(200, true, r#"{"errorType":"X","errorMessage":null}"#.into()).unwrap();
        assert!(matches!(
            null,
            Invocation::FunctionError {
                error_message: None,
                ..
            }
        ));
        let number = classify(500, false, r#"{"errorMessage":42}"#.into()).unwrap();
        assert!(
            matches!(number, Invocation::FunctionError { error_message: Some(text), .. } if text == "42")
        );
    }
}
