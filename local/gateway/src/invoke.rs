//! Calls a function through the Lambda Invoke API (`POST /2015-03-31/functions/{name}/invocations`),
//! as API Gateway does for a non-proxy integration: `cargo lambda watch` locally, or anything that
//! speaks the same protocol, within the limits Lambda itself enforces ([`FunctionLimits`]).

use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::function_limits::{self, FunctionLimits, Throttled};
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
    /// that runs past its own timeout ends as Lambda ends it: a `Sandbox.Timedout` function error.
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
            match self.limits.timeout() {
                Some(function_timeout) => {
                    match tokio::time::timeout(function_timeout, call).await {
                        Ok(result) => result,
                        Err(_) => Ok(timed_out(function_timeout)),
                    }
                }
                None => call.await,
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
        let (status, function_error, payload) = call.await.map_err(InvokeError::Unreachable)?;
        classify(status, function_error, payload)
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

/// Lambda's answer for an invocation stopped at the function's timeout.
fn timed_out(function_timeout: Duration) -> Invocation {
    let request_id = uuid::Uuid::new_v4().to_string();
    Invocation::FunctionError {
        payload: function_limits::timed_out_payload(&request_id, function_timeout),
        error_message: Some(function_limits::timed_out_message(
            &request_id,
            function_timeout,
        )),
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
