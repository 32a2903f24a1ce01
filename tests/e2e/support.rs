//! The suite's plumbing: cases, what they need, the shared/exclusive lock, assertions on replies.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use e2e_tests::target::LocalTarget;
use e2e_tests::{Reply, Target};
use tokio::sync::RwLock;

/// What a case needs from the target, and whether others may run beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    /// Any target, alongside other cases.
    Any,
    /// Any target, alone (it reads or changes state other cases change).
    AnyAlone,
    /// The suite's own local stack (admin endpoint, test stages, databases); runs alone.
    LocalStack,
}

pub type CaseFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

pub struct Case {
    pub name: &'static str,
    pub needs: Needs,
    pub run: fn(Arc<Suite>) -> CaseFuture,
}

/// `case!(Needs::Any, module::function)`: a case named after its async fn.
#[macro_export]
macro_rules! case {
    ($needs:expr, $function:path) => {
        $crate::support::Case {
            name: stringify!($function),
            needs: $needs,
            run: |suite| Box::pin($function(suite)),
        }
    };
}

pub struct Suite {
    pub target: Target,
    runtime: tokio::runtime::Handle,
    alone: RwLock<()>,
}

impl Suite {
    pub fn new(target: Target, runtime: tokio::runtime::Handle) -> Self {
        Self {
            target,
            runtime,
            alone: RwLock::new(()),
        }
    }

    pub fn run(self: &Arc<Self>, case: &Case) {
        let case_future = (case.run)(Arc::clone(self));
        self.runtime.block_on(async {
            match case.needs {
                Needs::Any => {
                    let _shared = self.alone.read().await;
                    case_future.await;
                }
                Needs::AnyAlone | Needs::LocalStack => {
                    let _alone = self.alone.write().await;
                    case_future.await;
                }
            }
        });
    }

    pub fn api(&self) -> &e2e_tests::Api {
        &self.target.api
    }

    /// For `Needs::LocalStack` cases only.
    pub fn local(&self) -> &LocalTarget {
        self.target
            .local
            .as_ref()
            .expect("cases that need the local stack are skipped without it")
    }
}

/// An error reply is the API's envelope with the given status and a safe reason.
#[track_caller]
pub fn assert_envelope(reply: &Reply, status: u16) {
    assert_eq!(reply.status, status, "unexpected reply: {reply}");
    assert_eq!(
        reply.envelope_status(),
        Some(u64::from(status)),
        "not the error envelope with Status {status}: {reply}"
    );
    assert_safe(reply);
}

/// A 400, whichever layer rejects it: the gateway's validator or the handler's envelope.
#[track_caller]
pub fn assert_bad_request(reply: &Reply) {
    assert_eq!(reply.status, 400, "expected 400: {reply}");
    let from_gateway = reply.gateway_message().is_some();
    let from_handler = reply.envelope_status() == Some(400);
    assert!(
        from_gateway || from_handler,
        "400 without a known body: {reply}"
    );
    assert_safe(reply);
}

/// API Gateway's own answer: `{"message": ...}` with the given status.
#[track_caller]
pub fn assert_gateway_answer(reply: &Reply, status: u16, message: &str) {
    assert_eq!(reply.status, status, "unexpected reply: {reply}");
    assert_eq!(
        reply.gateway_message(),
        Some(message),
        "unexpected body: {reply}"
    );
}

/// Nothing a client sees names SQL, ARNs, secrets or a trace.
#[track_caller]
pub fn assert_safe(reply: &Reply) {
    let text = reply.text.to_lowercase();
    for leak in [
        "select ",
        "insert ",
        "update ",
        "arn:aws",
        "secret",
        "panicked",
        "stack backtrace",
        "sqlstate",
        "staff_pkey",
        "redshiftdata",
        "rdsdata",
        "postgres",
    ] {
        assert!(!text.contains(leak), "the reply leaks {leak:?}: {reply}");
    }
}

/// A fresh staff id (4 ASCII letters or digits) no other case uses.
pub fn new_staff_id() -> String {
    // Upper-case letters only: seeds and examples are digits, so no clash with them.
    (0..4).map(|_| fastrand::uppercase()).collect()
}
