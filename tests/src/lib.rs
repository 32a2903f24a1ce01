//! What the end-to-end suite and the benchmarks share: the target under test (the local stack on free
//! ports, or a deployed stage), an HTTP client for the API, the local Data API's admin endpoint, and
//! a checksum of both databases taken through the Data APIs' own wire protocols.

pub mod admin;
pub mod api;
pub mod checksum;
pub mod target;

pub use api::{Api, Reply};
pub use target::{LocalTarget, Target};

#[derive(Debug, thiserror::Error)]
pub enum E2eError {
    #[error(transparent)]
    Stack(#[from] local_stack::StackError),
    #[error("HTTP request to {url} failed: {source}")]
    Http { url: String, source: reqwest::Error },
    #[error("{what} answered {status}: {body}")]
    Unexpected {
        what: String,
        status: u16,
        body: String,
    },
}
