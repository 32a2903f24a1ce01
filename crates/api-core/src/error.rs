//! The error envelope every endpoint answers with.
//!
//! A handler error becomes the Lambda error whose `errorMessage` is this envelope as compact one-line
//! JSON; API Gateway's integration responses select the HTTP status with `\{"Status":404,.*` patterns.

use std::fmt::Display;

use lambda_runtime::Diagnostic;
use serde::Serialize;

/// The answers the functions give besides success. The discriminant is the HTTP status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u16)]
pub enum ErrorKind {
    BadRequest = 400,
    NotFound = 404,
    Conflict = 409,
    /// An `Idempotency-Key` reused with a different request.
    UnprocessableEntity = 422,
    Internal = 500,
    ServiceUnavailable = 503,
    GatewayTimeout = 504,
}

impl ErrorKind {
    pub fn status(self) -> u16 {
        self as u16
    }

    /// The name reported as the Lambda error's `errorType`.
    pub fn name(self) -> &'static str {
        match self {
            Self::BadRequest => "BadRequest",
            Self::NotFound => "NotFound",
            Self::Conflict => "Conflict",
            Self::UnprocessableEntity => "UnprocessableEntity",
            Self::Internal => "Internal",
            Self::ServiceUnavailable => "ServiceUnavailable",
            Self::GatewayTimeout => "GatewayTimeout",
        }
    }
}

/// An answer the client may see: its kind and a safe one-line reason (never SQL, ARNs or secrets),
/// plus the cause behind it, which only goes to the log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", envelope(self.kind.status(), &self.reason))]
pub struct ApiError {
    kind: ErrorKind,
    reason: String,
    cause: Option<String>,
}

impl ApiError {
    pub fn new(kind: ErrorKind, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
            cause: None,
        }
    }

    pub fn bad_request(reason: impl Into<String>) -> Self {
        Self::new(ErrorKind::BadRequest, reason)
    }

    pub fn not_found(reason: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, reason)
    }

    pub fn conflict(reason: impl Into<String>) -> Self {
        Self::new(ErrorKind::Conflict, reason)
    }

    pub fn unprocessable(reason: impl Into<String>) -> Self {
        Self::new(ErrorKind::UnprocessableEntity, reason)
    }

    pub fn internal() -> Self {
        Self::new(ErrorKind::Internal, "internal error")
    }

    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self::new(ErrorKind::ServiceUnavailable, reason)
    }

    pub fn timeout(reason: impl Into<String>) -> Self {
        Self::new(ErrorKind::GatewayTimeout, reason)
    }

    /// The same answer, with what caused it recorded for the log.
    pub fn caused_by(mut self, cause: impl Display) -> Self {
        self.cause = Some(cause.to_string());
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    pub fn status(&self) -> u16 {
        self.kind.status()
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }

    pub fn cause(&self) -> Option<&str> {
        self.cause.as_deref()
    }

    /// Logs the answer once, at a level that says whose problem it is: a client's mistake is INFO,
    /// a busy or late backend WARN, anything else (ours) ERROR.
    pub fn log(&self) {
        let (status, reason, cause) = (self.status(), self.reason(), self.cause());
        match self.kind {
            ErrorKind::Internal => tracing::error!(status, reason, cause, "request failed"),
            ErrorKind::ServiceUnavailable | ErrorKind::GatewayTimeout => {
                tracing::warn!(status, reason, cause, "request failed")
            }
            _ => tracing::info!(status, reason, cause, "request refused"),
        }
    }
}

/// A request value that breaks its rule: always the client's 400, converted at the edge.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidInput(pub String);

impl From<InvalidInput> for ApiError {
    fn from(invalid: InvalidInput) -> Self {
        ApiError::bad_request(invalid.0)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Envelope<'a> {
    status: u16,
    error_reason: &'a str,
}

/// Serialised by serde_json, so quotes, backslashes and newlines in a reason stay escaped and the
/// envelope stays one line.
fn envelope(status: u16, reason: &str) -> String {
    serde_json::to_string(&Envelope {
        status,
        error_reason: reason,
    })
    .expect("a struct of a number and a string always serialises")
}

impl From<ApiError> for Diagnostic {
    fn from(error: ApiError) -> Self {
        Diagnostic {
            error_type: error.kind.name().to_owned(),
            error_message: error.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_the_compact_envelope() {
        let error = ApiError::not_found("staff not found");
        assert_eq!(
            error.to_string(),
            r#"{"Status":404,"ErrorReason":"staff not found"}"#
        );
    }

    #[test]
    fn every_kind_carries_its_status_in_the_envelope() {
        let cases = [
            (ApiError::bad_request("r"), 400),
            (ApiError::not_found("r"), 404),
            (ApiError::conflict("r"), 409),
            (ApiError::unprocessable("r"), 422),
            (ApiError::internal(), 500),
            (ApiError::unavailable("r"), 503),
            (ApiError::timeout("r"), 504),
        ];
        for (error, status) in cases {
            assert_eq!(error.status(), status);
            let parsed: serde_json::Value = serde_json::from_str(&error.to_string()).unwrap();
            assert_eq!(parsed["Status"], status);
            assert!(
                error
                    .to_string()
                    .starts_with(&format!("{{\"Status\":{status},")),
                "selection patterns match on this prefix: {error}"
            );
        }
    }

    #[test]
    fn the_cause_is_never_in_the_envelope() {
        let error = ApiError::internal().caused_by("SELECT secret FROM arn:aws:rds:cluster");
        assert_eq!(
            error.to_string(),
            r#"{"Status":500,"ErrorReason":"internal error"}"#
        );
        assert_eq!(
            error.cause(),
            Some("SELECT secret FROM arn:aws:rds:cluster")
        );
    }

    #[test]
    fn quotes_backslashes_and_newlines_stay_escaped_on_one_line() {
        let error = ApiError::bad_request("a \"quoted\" \\ back\nslash");
        let text = error.to_string();
        assert!(!text.contains('\n'));
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["ErrorReason"], "a \"quoted\" \\ back\nslash");
    }

    #[test]
    fn invalid_input_is_a_400_with_its_text() {
        let error: ApiError = InvalidInput("id must be 4 characters".into()).into();
        assert_eq!(error.kind(), ErrorKind::BadRequest);
        assert_eq!(error.reason(), "id must be 4 characters");
    }

    #[test]
    fn converts_into_a_diagnostic_named_after_the_kind() {
        let diagnostic: Diagnostic = ApiError::conflict("exists").into();
        assert_eq!(diagnostic.error_type, "Conflict");
        assert_eq!(
            diagnostic.error_message,
            r#"{"Status":409,"ErrorReason":"exists"}"#
        );
    }
}
