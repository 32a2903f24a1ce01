//! Mapping AWS SDK errors to client answers: by the error's documented type (its code), with the
//! detail logged and only a safe reason returned.

// Every SDK crate re-exports the same smithy error types; one import serves them all.
use aws_sdk_redshiftdata::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::fmt::Debug;

use crate::error::ApiError;

/// The reason of a 503 for a busy or unreachable service.
pub const BUSY_REASON: &str = "the database is busy; try again";

/// Logs `error` and maps the failures common to every Data API call: throttling that outlived
/// the SDK's retries, connection failures and timeouts. Everything else is a 500.
pub fn map_sdk_error<E, R>(
    service: &'static str,
    operation: &'static str,
    error: &SdkError<E, R>,
) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug,
{
    tracing::error!(
        service,
        operation,
        code = error.code(),
        error = %DisplayErrorContext(error),
        "AWS call failed"
    );
    match error {
        SdkError::TimeoutError(_) => ApiError::timeout("the database did not answer in time"),
        SdkError::DispatchFailure(_) => ApiError::unavailable(BUSY_REASON),
        _ => match error.code() {
            Some("ThrottlingException" | "TooManyRequestsException") => {
                ApiError::unavailable(BUSY_REASON)
            }
            _ => ApiError::internal(),
        },
    }
}
