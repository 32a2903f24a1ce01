//! The error envelope every endpoint answers with.
//!
//! A handler error becomes the Lambda error whose `errorMessage` is this envelope as compact one-line
//! JSON; API Gateway's integration responses select the HTTP status with `\{"Status":404,.*` patterns.

use lambda_runtime::Diagnostic;
use serde::Serialize;

/// An answer the client may see: the status and a safe one-line reason (never SQL, ARNs or secrets).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    #[error("{}", envelope(400, .0))]
    BadRequest(String),
    #[error("{}", envelope(404, .0))]
    NotFound(String),
    #[error("{}", envelope(409, .0))]
    Conflict(String),
    #[error("{}", envelope(500, .0))]
    Internal(String),
    #[error("{}", envelope(503, .0))]
    ServiceUnavailable(String),
    #[error("{}", envelope(504, .0))]
    GatewayTimeout(String),
}

impl ApiError {
    pub fn bad_request(reason: impl Into<String>) -> Self {
        Self::BadRequest(reason.into())
    }

    pub fn not_found(reason: impl Into<String>) -> Self {
        Self::NotFound(reason.into())
    }

    pub fn conflict(reason: impl Into<String>) -> Self {
        Self::Conflict(reason.into())
    }

    pub fn internal() -> Self {
        Self::Internal("internal error".into())
    }

    pub fn unavailable(reason: impl Into<String>) -> Self {
        Self::ServiceUnavailable(reason.into())
    }

    pub fn timeout(reason: impl Into<String>) -> Self {
        Self::GatewayTimeout(reason.into())
    }

    pub fn status(&self) -> u16 {
        match self {
            Self::BadRequest(_) => 400,
            Self::NotFound(_) => 404,
            Self::Conflict(_) => 409,
            Self::Internal(_) => 500,
            Self::ServiceUnavailable(_) => 503,
            Self::GatewayTimeout(_) => 504,
        }
    }

    pub fn reason(&self) -> &str {
        match self {
            Self::BadRequest(reason)
            | Self::NotFound(reason)
            | Self::Conflict(reason)
            | Self::Internal(reason)
            | Self::ServiceUnavailable(reason)
            | Self::GatewayTimeout(reason) => reason,
        }
    }

    /// The variant name, reported as the Lambda error's `errorType`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "BadRequest",
            Self::NotFound(_) => "NotFound",
            Self::Conflict(_) => "Conflict",
            Self::Internal(_) => "Internal",
            Self::ServiceUnavailable(_) => "ServiceUnavailable",
            Self::GatewayTimeout(_) => "GatewayTimeout",
        }
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
            error_type: error.kind().to_owned(),
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
    fn every_variant_carries_its_status_in_the_envelope() {
        let cases = [
            (ApiError::bad_request("r"), 400),
            (ApiError::not_found("r"), 404),
            (ApiError::conflict("r"), 409),
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
    fn quotes_backslashes_and_newlines_stay_escaped_on_one_line() {
        let error = ApiError::bad_request("a \"quoted\" \\ back\nslash");
        let text = error.to_string();
        assert!(!text.contains('\n'));
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed["ErrorReason"], "a \"quoted\" \\ back\nslash");
    }

    #[test]
    fn converts_into_a_diagnostic_named_after_the_variant() {
        let diagnostic: Diagnostic = ApiError::conflict("exists").into();
        assert_eq!(diagnostic.error_type, "Conflict");
        assert_eq!(
            diagnostic.error_message,
            r#"{"Status":409,"ErrorReason":"exists"}"#
        );
    }
}
