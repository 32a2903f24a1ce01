//! The shared core of the product's Lambdas: the error envelope, the Redshift statement runner, the
//! RDS Data API helpers, idempotent writes, configuration, the staff model and the runtime wiring.

pub mod aws_error;
pub mod backoff;
pub mod config;
pub mod error;
pub mod idempotency;
pub mod identifier;
pub mod lambda;
pub mod rds;
pub mod redshift;
pub mod staff;
#[cfg(feature = "test-util")]
pub mod testing;

pub use error::ApiError;
