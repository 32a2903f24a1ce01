//! API Gateway's own answers (gateway responses), with their default bodies and error types.

use crate::usage_plan::Rejection;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GatewayResponse {
    /// No resource or method matches (API Gateway does not say 404, to not reveal its routes).
    MissingAuthenticationToken,
    /// The API key header is missing or names no key of the usage plan.
    InvalidApiKey,
    Throttled,
    QuotaExceeded,
    BadRequestBody,
    /// The message names the missing parameters.
    BadRequestParameters(String),
    /// No request template for the content type, and passthrough `never`.
    UnsupportedMediaType,
    /// The body exceeds API Gateway's 10 MB payload limit.
    RequestTooLarge,
    /// The integration failed (invocation refused, template failure, no matching response).
    IntegrationFailure,
    IntegrationTimeout,
}

impl From<Rejection> for GatewayResponse {
    fn from(rejection: Rejection) -> Self {
        match rejection {
            Rejection::Throttled => Self::Throttled,
            Rejection::QuotaExceeded => Self::QuotaExceeded,
        }
    }
}

impl GatewayResponse {
    pub fn status(&self) -> u16 {
        match self {
            Self::MissingAuthenticationToken | Self::InvalidApiKey => 403,
            Self::Throttled | Self::QuotaExceeded => 429,
            Self::BadRequestBody | Self::BadRequestParameters(_) => 400,
            Self::UnsupportedMediaType => 415,
            Self::RequestTooLarge => 413,
            Self::IntegrationFailure => 500,
            Self::IntegrationTimeout => 504,
        }
    }

    /// The `x-amzn-ErrorType` header. No public source gives one for an integration timeout or a
    /// body over the limit, so none is sent (inferred).
    pub fn error_type(&self) -> Option<&'static str> {
        Some(match self {
            Self::MissingAuthenticationToken => "MissingAuthenticationTokenException",
            Self::InvalidApiKey => "ForbiddenException",
            Self::Throttled => "TooManyRequestsException",
            Self::QuotaExceeded => "LimitExceededException",
            Self::BadRequestBody | Self::BadRequestParameters(_) => "BadRequestException",
            Self::UnsupportedMediaType => "UnsupportedMediaTypeException",
            Self::IntegrationFailure => "InternalServerErrorException",
            Self::IntegrationTimeout | Self::RequestTooLarge => return None,
        })
    }

    /// The default body, spaced as API Gateway spaces it.
    pub fn body(&self) -> String {
        let message = |text: &str| serde_json::json!({ "message": text }).to_string();
        let spaced = |text: &str| format!("{{\"message\": {}}}", serde_json::Value::from(text));
        match self {
            Self::MissingAuthenticationToken => message("Missing Authentication Token"),
            Self::InvalidApiKey => message("Forbidden"),
            Self::Throttled => message("Too Many Requests"),
            Self::QuotaExceeded => message("Limit Exceeded"),
            // The text is AWS support's (repost.aws, "aws api gw with post request payload more
            // than 10mb"); the compact spacing is inferred.
            Self::RequestTooLarge => message("Request Too Long"),
            Self::BadRequestBody => spaced("Invalid request body"),
            Self::BadRequestParameters(text) => spaced(text),
            Self::UnsupportedMediaType => spaced("Unsupported Media Type"),
            Self::IntegrationFailure => spaced("Internal server error"),
            Self::IntegrationTimeout => spaced("Endpoint request timed out"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_aws_defaults() {
        assert_eq!(
            GatewayResponse::InvalidApiKey.body(),
            r#"{"message":"Forbidden"}"#
        );
        assert_eq!(
            GatewayResponse::MissingAuthenticationToken.body(),
            r#"{"message":"Missing Authentication Token"}"#
        );
        assert_eq!(
            GatewayResponse::Throttled.body(),
            r#"{"message":"Too Many Requests"}"#
        );
        assert_eq!(
            GatewayResponse::QuotaExceeded.body(),
            r#"{"message":"Limit Exceeded"}"#
        );
        assert_eq!(
            GatewayResponse::BadRequestBody.body(),
            r#"{"message": "Invalid request body"}"#
        );
        assert_eq!(
            GatewayResponse::BadRequestParameters(
                "Missing required request parameters: [id]".into()
            )
            .body(),
            r#"{"message": "Missing required request parameters: [id]"}"#
        );
        assert_eq!(
            GatewayResponse::IntegrationFailure.body(),
            r#"{"message": "Internal server error"}"#
        );
    }

    #[test]
    fn statuses_and_error_types_go_together() {
        assert_eq!(GatewayResponse::InvalidApiKey.status(), 403);
        assert_eq!(
            GatewayResponse::InvalidApiKey.error_type(),
            Some("ForbiddenException")
        );
        assert_eq!(GatewayResponse::QuotaExceeded.status(), 429);
        assert_eq!(
            GatewayResponse::QuotaExceeded.error_type(),
            Some("LimitExceededException")
        );
        assert_eq!(GatewayResponse::UnsupportedMediaType.status(), 415);
        assert_eq!(GatewayResponse::IntegrationTimeout.status(), 504);
        assert_eq!(GatewayResponse::IntegrationTimeout.error_type(), None);
    }
}
