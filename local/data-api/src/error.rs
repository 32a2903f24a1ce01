//! Service errors, encoded the way each protocol does: awsJson1_1 puts the code in the body's
//! `__type`; restJson1 puts it in the `x-amzn-ErrorType` header beside a `{"message"}` body.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

/// An error a client sees: HTTP status, AWS error code, a safe message and extra members.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{code}: {message}")]
pub struct ServiceError {
    pub status: StatusCode,
    pub code: String,
    pub message: String,
    /// Members some errors carry (Redshift's `ResourceId`, `StatementId`). A list, not a JSON map:
    /// with serde_json's `preserve_order` (enabled elsewhere in the workspace) a map would make
    /// every `Result<_, ServiceError>` large.
    pub extra: Vec<(&'static str, Value)>,
    /// The message's member name in awsJson1_1 bodies: `Message`, except where a model spells it
    /// `message` (most of SSM's error shapes).
    pub message_member: &'static str,
}

impl ServiceError {
    pub fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Self {
            status,
            code: code.to_string(),
            message: message.into(),
            extra: Vec::new(),
            message_member: "Message",
        }
    }

    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub fn with(mut self, key: &'static str, value: impl Into<Value>) -> Self {
        self.extra.push((key, value.into()));
        self
    }

    /// A model constraint a request broke, in the wording AWS's JSON services use for them
    /// ("1 validation error detected: Value 'x' at 'name' failed to satisfy constraint: Member must
    /// ...", as in the AWS-validated LocalStack snapshots).
    pub fn constraint(code: &str, member: &str, value: impl std::fmt::Display, rule: &str) -> Self {
        Self::bad_request(
            code,
            format!(
                "1 validation error detected: Value '{value}' at '{member}' failed to satisfy \
                 constraint: Member must {rule}"
            ),
        )
    }

    /// `value`'s length (in characters) within `min..=max`, or the constraint error saying which end.
    pub fn check_length(
        code: &str,
        member: &str,
        value: &str,
        min: usize,
        max: usize,
    ) -> Result<(), Self> {
        let length = value.chars().count();
        if length < min {
            let rule = format!("have length greater than or equal to {min}");
            return Err(Self::constraint(code, member, value, &rule));
        }
        if length > max {
            let rule = format!("have length less than or equal to {max}");
            return Err(Self::constraint(code, member, value, &rule));
        }
        Ok(())
    }

    /// `value` one of the model's enum values, or the constraint error listing them.
    pub fn check_enum(code: &str, member: &str, value: &str, allowed: &[&str]) -> Result<(), Self> {
        if allowed.contains(&value) {
            return Ok(());
        }
        let rule = format!("satisfy enum value set: [{}]", allowed.join(", "));
        Err(Self::constraint(code, member, value, &rule))
    }

    /// An injected fault by its AWS name, with the status and message AWS uses for it.
    pub fn injected(code: &str) -> Self {
        let (status, message) = match code {
            "ThrottlingException" => (StatusCode::BAD_REQUEST, "Rate exceeded"),
            "ActiveStatementsExceededException" => (
                StatusCode::BAD_REQUEST,
                "Active statements exceeded the allowed quota.",
            ),
            "DatabaseResumingException" => (
                StatusCode::BAD_REQUEST,
                "The Aurora DB instance is resuming after being auto-paused. Please wait a few seconds and try again.",
            ),
            "InternalServerException" | "InternalServerErrorException" => {
                (StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
            "ServiceUnavailableError" => (StatusCode::SERVICE_UNAVAILABLE, "Service unavailable"),
            "DatabaseUnavailableException" => {
                (StatusCode::GATEWAY_TIMEOUT, "The database is unavailable.")
            }
            "StatementTimeoutException" => (
                StatusCode::BAD_REQUEST,
                "The execution of the SQL statement timed out.",
            ),
            _ => (StatusCode::BAD_REQUEST, "Injected fault"),
        };
        Self::new(status, code, message)
    }
}

/// awsJson1_1 (redshift-data, SSM).
pub struct AwsJsonError(pub ServiceError);

impl IntoResponse for AwsJsonError {
    fn into_response(self) -> Response {
        let ServiceError {
            status,
            code,
            message,
            extra,
            message_member,
        } = self.0;
        let mut body: Map<String, Value> = extra
            .into_iter()
            .map(|(key, value)| (key.to_owned(), value))
            .collect();
        body.insert("__type".into(), code.into());
        if !message.is_empty() {
            body.insert(message_member.into(), message.into());
        }
        let mut response = (status, Value::Object(body).to_string()).into_response();
        response.headers_mut().insert(
            "content-type",
            HeaderValue::from_static("application/x-amz-json-1.1"),
        );
        response
    }
}

/// restJson1 (rds-data).
pub struct RestJsonError(pub ServiceError);

impl IntoResponse for RestJsonError {
    fn into_response(self) -> Response {
        let error = self.0;
        let mut response = (
            error.status,
            axum::Json(json!({ "message": error.message })),
        )
            .into_response();
        if let Ok(value) = HeaderValue::from_str(&error.code) {
            response.headers_mut().insert("x-amzn-errortype", value);
        }
        response
    }
}
