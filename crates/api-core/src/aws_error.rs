//! Mapping AWS SDK errors to client answers by the error's documented type (its code). The mapping
//! is pure: the answer carries the SDK's detail as its cause, and the edge logs it once.

// Every SDK crate re-exports the same smithy error types; one import serves them all.
use aws_sdk_redshiftdata::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use std::fmt::Debug;

use crate::error::ApiError;

/// The reason of a 503 for a busy or unreachable service.
pub const BUSY_REASON: &str = "the database is busy; try again";
/// The reason of a 504 for a call that did not answer in time.
pub const LATE_REASON: &str = "the database did not answer in time";

/// The SDK's full account of a failed call, for the log only.
pub fn describe<E, R>(operation: &'static str, error: &SdkError<E, R>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug,
{
    format!("{operation}: {}", DisplayErrorContext(error))
}

/// The answer to failures common to every Data API call: throttling that outlived the SDK's
/// retries and connection failures are 503, a timeout 504, everything else 500.
pub fn common_answer<E, R>(operation: &'static str, error: &SdkError<E, R>) -> ApiError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: Debug,
{
    let answer = match error {
        SdkError::TimeoutError(_) => ApiError::timeout(LATE_REASON),
        SdkError::DispatchFailure(_) => ApiError::unavailable(BUSY_REASON),
        _ => match error.code() {
            Some("ThrottlingException" | "TooManyRequestsException") => {
                ApiError::unavailable(BUSY_REASON)
            }
            _ => ApiError::internal(),
        },
    };
    answer.caused_by(describe(operation, error))
}
