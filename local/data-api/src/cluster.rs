//! A private, throwaway PostgreSQL cluster: `initdb` into a temporary directory, `pg_ctl start` on a
//! unix socket in it (no TCP port), and `pg_ctl stop` plus removal when dropped. As root it runs the
//! server through `runuser -u postgres`, since PostgreSQL refuses to run as root.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

const SERVER_USER: &str = "postgres";
const DIR_PREFIX: &str = "local-data-api-pg.";
/// Names the process that owns a cluster directory, so a later start can clean up after a SIGKILL.
const OWNER_FILE: &str = "owner.pid";
/// Room for several servers on one cluster (the tests share one per test binary), each within its
/// own connection budget (see `Config::redshift_connections`).
const MAX_CONNECTIONS: u32 = 300;

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "PostgreSQL's `{0}` was not found on PATH nor in /usr/lib/postgresql/*/bin. Install the \
         server binaries (e.g. `apt-get install postgresql`) or set DATABASE_URL to an existing server."
    )]
    MissingBinary(&'static str),
    #[error("running as root needs the unprivileged user `{SERVER_USER}` to run PostgreSQL: {0}")]
    NoServerUser(String),
    #[error("could not prepare the cluster directory: {0}")]
    Io(#[from] std::io::Error),
    #[error("`{command}` failed: {output}")]
    Command { command: String, output: String },
}

/// A running throwaway cluster; dropping it stops the server and deletes its files.
#[derive(Debug)]
pub struct TempCluster {
    dir: TempDir,
    pg_ctl: PathBuf,
    run_as: Option<String>,
}

impl TempCluster {
    /// Creates and starts the cluster, reporting each step through `progress`.
    pub fn start(progress: &dyn Fn(&str)) -> Result<Self, ClusterError> {
        let initdb = find_binary("initdb")?;
        let pg_ctl = find_binary("pg_ctl")?;
        sweep_orphans(&std::env::temp_dir(), &pg_ctl, progress);
        let dir = tempfile::Builder::new().prefix(DIR_PREFIX).tempdir()?;
        std::fs::write(dir.path().join(OWNER_FILE), std::process::id().to_string())?;
        let run_as = if nix::unistd::geteuid().is_root() {
            let user = nix::unistd::User::from_name(SERVER_USER)
                .map_err(|e| ClusterError::NoServerUser(e.to_string()))?
                .ok_or_else(|| ClusterError::NoServerUser("no such user".into()))?;
            std::os::unix::fs::chown(dir.path(), Some(user.uid.as_raw()), Some(user.gid.as_raw()))?;
            Some(SERVER_USER.to_string())
        } else {
            None
        };
        let cluster = Self {
            dir,
            pg_ctl,
            run_as,
        };
        let data = cluster.data_dir();
        progress(&format!(
            "creating a throwaway PostgreSQL cluster in {}",
            data.display()
        ));
        cluster.run(
            &initdb,
            &[
                "-D".as_ref(),
                data.as_os_str(),
                "-U".as_ref(),
                SERVER_USER.as_ref(),
                "--auth=trust".as_ref(),
                "--encoding=UTF8".as_ref(),
                "--locale=C".as_ref(),
                "--no-sync".as_ref(),
            ],
        )?;
        progress("starting PostgreSQL on a private unix socket");
        let server_options = format!(
            "-c listen_addresses='' -k {} -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
             -c max_connections={MAX_CONNECTIONS}",
            cluster.socket_dir().display()
        );
        let log = cluster.dir.path().join("postgres.log");
        cluster.run(
            &cluster.pg_ctl,
            &[
                "start".as_ref(),
                "-w".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
                "-l".as_ref(),
                log.as_os_str(),
                "-o".as_ref(),
                server_options.as_ref(),
            ],
        )?;
        progress("PostgreSQL is ready");
        Ok(cluster)
    }

    /// Connection settings for the cluster's superuser (`dbname` defaults to `postgres`).
    pub fn connection_config(&self) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .host_path(self.socket_dir())
            .port(5432)
            .user(SERVER_USER)
            .dbname("postgres");
        config
    }

    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn run(&self, program: &Path, args: &[&std::ffi::OsStr]) -> Result<(), ClusterError> {
        let mut command = command_as(self.run_as.as_deref(), program);
        command.args(args);
        // Own process group: a terminal's Ctrl-C reaches us, and we stop the server ourselves.
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let output = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .output()?;
        if output.status.success() {
            return Ok(());
        }
        Err(ClusterError::Command {
            command: format!(
                "{} {}",
                program.display(),
                args.first().map_or("".into(), |a| a.to_string_lossy())
            ),
            output: String::from_utf8_lossy(&[output.stdout, output.stderr].concat())
                .trim()
                .to_string(),
        })
    }
}

impl Drop for TempCluster {
    fn drop(&mut self) {
        let data = self.data_dir();
        let stopped = self.run(
            &self.pg_ctl,
            &[
                "stop".as_ref(),
                "-w".as_ref(),
                "-m".as_ref(),
                "fast".as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
            ],
        );
        if let Err(e) = stopped {
            eprintln!("local-data-api: stopping PostgreSQL: {e}");
        }
    }
}

/// Stops and removes clusters whose owning process is gone (it was killed and could not clean up).
fn sweep_orphans(temp: &Path, pg_ctl: &Path, progress: &dyn Fn(&str)) {
    let entries = std::fs::read_dir(temp).into_iter().flatten().flatten();
    for dir in entries.map(|e| e.path()) {
        let ours = dir
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with(DIR_PREFIX));
        let owner = std::fs::read_to_string(dir.join(OWNER_FILE)).ok();
        let orphaned = owner
            .as_deref()
            .and_then(|pid| pid.trim().parse::<u32>().ok())
            .is_some_and(|pid| !Path::new("/proc").join(pid.to_string()).exists());
        if !(ours && orphaned) {
            continue;
        }
        progress(&format!("removing the orphaned cluster {}", dir.display()));
        let data = dir.join("data");
        if data.exists() {
            let owner = std::fs::metadata(&data)
                .ok()
                .map(|m| std::os::unix::fs::MetadataExt::uid(&m));
            let same_user = owner.is_none_or(|uid| uid == nix::unistd::geteuid().as_raw());
            let _ = command_as((!same_user).then_some(SERVER_USER), pg_ctl)
                .args(["stop", "-w", "-m", "immediate", "-D"])
                .arg(&data)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
}

/// `program`, run as `user` through runuser when one is given (PostgreSQL refuses to run as root).
fn command_as(user: Option<&str>, program: &Path) -> Command {
    match user {
        Some(user) => {
            let mut command = Command::new("runuser");
            command.args(["-u", user, "--"]).arg(program);
            command
        }
        None => Command::new(program),
    }
}

fn find_binary(name: &'static str) -> Result<PathBuf, ClusterError> {
    if let Ok(path) = which::which(name) {
        return Ok(path);
    }
    // Debian installs the server binaries outside PATH.
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path().join("bin").join(name))
        .filter(|path| path.is_file())
        .collect();
    versions.sort();
    versions.pop().ok_or(ClusterError::MissingBinary(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_directory_whose_owner_is_gone_is_removed() {
        let temp = tempfile::tempdir().unwrap();
        let mut finished = Command::new("true").spawn().unwrap();
        let dead_pid = finished.id();
        finished.wait().unwrap();
        let orphan = temp.path().join(format!("{DIR_PREFIX}orphan"));
        let alive = temp.path().join(format!("{DIR_PREFIX}alive"));
        for (dir, pid) in [(&orphan, dead_pid), (&alive, std::process::id())] {
            std::fs::create_dir(dir).unwrap();
            std::fs::write(dir.join(OWNER_FILE), pid.to_string()).unwrap();
        }
        sweep_orphans(temp.path(), Path::new("pg_ctl"), &|_| {});
        assert!(!orphan.exists());
        assert!(alive.exists());
    }
}
