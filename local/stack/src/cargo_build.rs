//! Builds the binaries the stack runs with one `cargo build`, showing cargo's own progress on the
//! terminal, and returns where each executable landed (read from cargo's JSON messages).

use std::collections::HashMap;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cargo_metadata::Message;

use crate::StackError;

/// The Lambda functions (one crate and bin each), in the order the stack prints them.
pub const FUNCTIONS: [&str; 4] = ["redshift-count", "staff-get", "staff-post", "staff-put"];

/// The local cloud's servers.
pub const DATA_API_BIN: &str = "local-data-api";
pub const GATEWAY_BIN: &str = "local-gateway";

/// Cargo profile to build with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// What `cargo lambda watch` runs (`cargo run`), so the stack's build is reused.
    Dev,
    /// What ships (benchmarks).
    Release,
}

/// `cargo build` of the given packages' binaries in the workspace at `root`; returns bin name -> path.
/// Uses the `cargo` that runs us when there is one (inside `cargo run`/`cargo test`), so the
/// toolchain and target directory are the same and a second run reuses the builds.
pub fn build_bins(
    root: &Path,
    packages: &[&str],
    profile: Profile,
) -> Result<HashMap<String, PathBuf>, StackError> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args([
            "build",
            "--bins",
            "--message-format=json-render-diagnostics",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    if profile == Profile::Release {
        command.arg("--release");
    }
    for package in packages {
        command.args(["-p", package]);
    }
    let mut child = command.spawn().map_err(|source| StackError::Spawn {
        name: "cargo build".to_owned(),
        source,
    })?;
    let mut executables = HashMap::new();
    let stdout = BufReader::new(child.stdout.take().expect("stdout is piped"));
    for message in Message::parse_stream(stdout).flatten() {
        if let Message::CompilerArtifact(artifact) = message
            && let Some(executable) = artifact.executable
        {
            executables.insert(artifact.target.name.clone(), executable.into_std_path_buf());
        }
    }
    let status = child.wait().map_err(|source| StackError::Spawn {
        name: "cargo build".to_owned(),
        source,
    })?;
    if !status.success() {
        return Err(StackError::Build(status.to_string()));
    }
    Ok(executables)
}
