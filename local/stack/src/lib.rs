//! The local cloud in one call: the local Data API (private PostgreSQL, seeded), `cargo lambda watch`
//! serving the four functions with their environment, and the local gateway in front.
//! The `local-stack` binary and the end-to-end suite (tests/) both start it from here.

pub mod cargo_build;
pub mod child;
pub mod lambda_env;
pub mod process_tree;
pub mod stack;
pub mod state_dir;
pub mod watchdog;

/// `eprintln!` that never panics: the terminal or the pipe it wrote to may be gone (the stack then
/// keeps supervising, and still stops its children on a signal).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// The one stage model, shared with the gateway.
pub use local_gateway::stage;

use std::path::PathBuf;

pub use child::Logs;
pub use local_gateway::api_keys::generate_key;
pub use stack::{Stack, StackOptions};
pub use stage::{StageError, StageSettings};
pub use state_dir::StateDir;

#[derive(Debug, thiserror::Error)]
pub enum StackError {
    #[error(transparent)]
    Stage(#[from] StageError),
    #[error("cargo build failed ({0}); see its output above")]
    Build(String),
    #[error("cargo build did not produce the binary {0}")]
    MissingBinary(String),
    #[error("cannot start {name}: {source}")]
    Spawn {
        name: String,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Log {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{name} exited before it was ready; see {logs}")]
    Exited { name: String, logs: String },
    #[error("{name} was not ready after {seconds} s; see {logs}")]
    NotReady {
        name: String,
        seconds: u64,
        logs: String,
    },
    #[error(
        "{0} is not a loopback address: anyone who reaches it could call the API; pass \
         --allow-non-loopback to accept it"
    )]
    NotLoopback(String),
    #[error("warm-up invocation of {function} failed: {detail}")]
    WarmUp {
        function: &'static str,
        detail: String,
    },
}

/// The workspace root: this crate lives in `<root>/local/stack`.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .expect("local/stack has two parents")
        .to_path_buf()
}

/// The repository's dev stage (unit tests).
#[cfg(test)]
fn dev_stage() -> StageSettings {
    StageSettings::load(&stage::stage_file(&workspace_root(), "dev")).unwrap()
}
