//! A private PostgreSQL cluster this crate runs: `initdb`, then `pg_ctl start` on a unix socket in a
//! directory only the server's user can enter (no TCP port), `pg_ctl stop` when dropped. Either
//! throwaway (a temporary directory, fast non-durable settings, removed when dropped) or kept in a
//! directory across runs (durable settings; a server left running or killed by an earlier run is
//! stopped or recovered, never wiped). As root it runs the server through `runuser -u postgres`,
//! since PostgreSQL refuses to run as root.

use std::fs::File;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

const SERVER_USER: &str = "postgres";
const DIR_PREFIX: &str = "local-data-api-pg.";
/// Names the process that owns a throwaway cluster, so a later start can clean up after a SIGKILL.
const OWNER_FILE: &str = "owner.pid";
/// Held (flock) by the process serving a kept cluster; the kernel drops it when that process dies.
const LOCK_FILE: &str = "local-data-api.lock";
/// The generated superuser password (mode 0600): TCP connections, were any enabled, need it (scram).
const PASSWORD_FILE: &str = "password";
/// Room for several servers on one cluster (the tests share one per test binary), each within its
/// own connection budget (see `Config::redshift_connections`).
const MAX_CONNECTIONS: u32 = 300;
/// How long a start waits for the backends of a killed postmaster to exit (they hold its shared
/// memory, and PostgreSQL refuses to start while they do).
const TAKEOVER_PATIENCE: Duration = Duration::from_secs(30);

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
    #[error("{0} is in use by another local-data-api (its lock {LOCK_FILE} is held)")]
    InUse(String),
}

/// Where a cluster's files live.
#[derive(Debug)]
enum Root {
    /// Removed when the cluster is dropped.
    Throwaway(TempDir),
    /// Kept across runs; `_lock` is held while this process serves it.
    Kept { dir: PathBuf, _lock: File },
}

/// A running cluster; dropping it stops the server (and deletes a throwaway cluster's files).
#[derive(Debug)]
pub struct Cluster {
    root: Root,
    pg_ctl: PathBuf,
    run_as: Option<String>,
    password: String,
}

/// The throwaway kind's historical name.
pub type TempCluster = Cluster;

impl Cluster {
    /// Creates and starts a throwaway cluster (fsync off: fast, lost on a crash), reporting each
    /// step through `progress`.
    pub fn start(progress: &dyn Fn(&str)) -> Result<Self, ClusterError> {
        let binaries = Binaries::find()?;
        sweep_orphans(&std::env::temp_dir(), &binaries.pg_ctl, progress);
        let dir = tempfile::Builder::new().prefix(DIR_PREFIX).tempdir()?;
        std::fs::write(dir.path().join(OWNER_FILE), std::process::id().to_string())?;
        let run_as = server_user(dir.path())?;
        progress(&format!(
            "creating a throwaway PostgreSQL cluster in {}",
            dir.path().display()
        ));
        let mut cluster = Self::prepare(Root::Throwaway(dir), binaries.pg_ctl.clone(), run_as)?;
        cluster.init(&binaries.initdb, false)?;
        progress("starting PostgreSQL on a private unix socket");
        cluster.start_server(false)?;
        progress("PostgreSQL is ready");
        Ok(cluster)
    }

    /// Opens the cluster kept in `dir` (created on first use) with durable settings (fsync,
    /// synchronous_commit, full_page_writes on), so every committed write survives a crash of
    /// PostgreSQL or of this process. A server an earlier run left behind is stopped and started
    /// again with these settings; one that was killed recovers from its write-ahead log.
    pub fn open(dir: &Path, progress: &dyn Fn(&str)) -> Result<Self, ClusterError> {
        let binaries = Binaries::find()?;
        std::fs::create_dir_all(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
        let dir = dir.canonicalize()?;
        let lock = File::create(dir.join(LOCK_FILE))?;
        if lock.try_lock().is_err() {
            return Err(ClusterError::InUse(dir.display().to_string()));
        }
        let run_as = server_user(&dir)?;
        let root = Root::Kept {
            dir: dir.clone(),
            _lock: lock,
        };
        let mut cluster = Self::prepare(root, binaries.pg_ctl.clone(), run_as)?;
        if cluster.data_dir().join("PG_VERSION").exists() {
            progress(&format!(
                "using the PostgreSQL cluster kept in {}",
                dir.display()
            ));
        } else {
            progress(&format!(
                "creating a PostgreSQL cluster in {}",
                dir.display()
            ));
            cluster.init(&binaries.initdb, true)?;
        }
        if cluster.server_running() {
            progress("stopping the PostgreSQL an earlier run left running");
            // A postmaster that was itself just killed cannot be stopped; starting retries until
            // it and its backends are gone.
            if let Err(e) = cluster.stop_server("fast") {
                progress(&format!("it did not stop cleanly ({e}); starting anyway"));
            }
        }
        progress("starting PostgreSQL on a private unix socket");
        cluster.start_server(true)?;
        progress("PostgreSQL is ready");
        Ok(cluster)
    }

    /// The socket directory (0700, the server user's) and the superuser's password file.
    fn prepare(root: Root, pg_ctl: PathBuf, run_as: Option<String>) -> Result<Self, ClusterError> {
        let mut cluster = Self {
            root,
            pg_ctl,
            run_as,
            password: String::new(),
        };
        let socket = cluster.socket_dir().to_path_buf();
        std::fs::create_dir_all(&socket)?;
        std::fs::set_permissions(&socket, std::fs::Permissions::from_mode(0o700))?;
        cluster.give_to_server_user(&socket)?;
        let password_file = cluster.root_dir().join(PASSWORD_FILE);
        if !password_file.exists() {
            let generated = uuid::Uuid::new_v4().simple().to_string();
            write_private(&password_file, &generated)?;
        }
        cluster.give_to_server_user(&password_file)?;
        cluster.password = std::fs::read_to_string(&password_file)?.trim().to_string();
        Ok(cluster)
    }

    /// `initdb` into a scratch directory renamed into place once complete, so a start interrupted
    /// mid-way leaves no half-made cluster. `durable` leaves out `--no-sync`.
    fn init(&mut self, initdb: &Path, durable: bool) -> Result<(), ClusterError> {
        let data = self.data_dir();
        let scratch = self.root_dir().join("data.initdb");
        if scratch.exists() {
            std::fs::remove_dir_all(&scratch)?;
        }
        let password_file = self.root_dir().join(PASSWORD_FILE);
        let mut args: Vec<&std::ffi::OsStr> = vec![
            "-D".as_ref(),
            scratch.as_os_str(),
            "-U".as_ref(),
            SERVER_USER.as_ref(),
            // The socket's directory is private to the server's user; TCP would need the password.
            "--auth-local=trust".as_ref(),
            "--auth-host=scram-sha-256".as_ref(),
            "--pwfile".as_ref(),
            password_file.as_os_str(),
            "--encoding=UTF8".as_ref(),
            "--locale=C".as_ref(),
        ];
        if !durable {
            args.push("--no-sync".as_ref());
        }
        self.run(initdb, &args)?;
        std::fs::rename(&scratch, &data)?;
        Ok(())
    }

    /// `pg_ctl start`, retried while a killed postmaster is not yet reaped or its backends still
    /// hold its shared memory (they exit on their own once they notice the postmaster is gone).
    fn start_server(&self, durable: bool) -> Result<(), ClusterError> {
        let switch = if durable { "on" } else { "off" };
        let server_options = format!(
            "-c listen_addresses='' -k {} -c unix_socket_permissions=0700 -c fsync={switch} \
             -c synchronous_commit={switch} -c full_page_writes={switch} \
             -c max_connections={MAX_CONNECTIONS}",
            self.socket_dir().display()
        );
        let data = self.data_dir();
        let log = self.root_dir().join("postgres.log");
        let started = Instant::now();
        loop {
            let attempt = self.run(
                &self.pg_ctl,
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
            );
            match attempt {
                Err(e) if started.elapsed() < TAKEOVER_PATIENCE => {
                    tracing::debug!("PostgreSQL did not start yet: {e}");
                    std::thread::sleep(Duration::from_millis(200));
                }
                other => return other,
            }
        }
    }

    /// Whether the postmaster named in `postmaster.pid` is alive (not gone, not a zombie).
    fn server_running(&self) -> bool {
        let Some(pid) = self.postmaster_pid() else {
            return false;
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The state follows the parenthesised command name: "1234 (postgres) S ...".
        let state = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.chars().next());
        state.is_some_and(|s| s != 'Z' && s != 'X')
    }

    fn stop_server(&self, mode: &str) -> Result<(), ClusterError> {
        let data = self.data_dir();
        self.run(
            &self.pg_ctl,
            &[
                "stop".as_ref(),
                "-w".as_ref(),
                "-m".as_ref(),
                mode.as_ref(),
                "-D".as_ref(),
                data.as_os_str(),
            ],
        )
    }

    /// Connection settings for the cluster's superuser (`dbname` defaults to `postgres`).
    pub fn connection_config(&self) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config
            .host_path(self.socket_dir())
            .port(5432)
            .user(SERVER_USER)
            .password(self.password.as_str())
            .dbname("postgres");
        config
    }

    /// The postmaster's pid (first line of `postmaster.pid`), while it runs.
    pub fn postmaster_pid(&self) -> Option<i32> {
        let text = std::fs::read_to_string(self.data_dir().join("postmaster.pid")).ok()?;
        text.lines().next()?.trim().parse().ok()
    }

    pub fn socket_dir(&self) -> PathBuf {
        self.root_dir().join("socket")
    }

    fn root_dir(&self) -> &Path {
        match &self.root {
            Root::Throwaway(dir) => dir.path(),
            Root::Kept { dir, .. } => dir,
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.root_dir().join("data")
    }

    fn give_to_server_user(&self, path: &Path) -> Result<(), ClusterError> {
        if self.run_as.is_some() {
            let user = lookup_server_user()?;
            std::os::unix::fs::chown(path, Some(user.uid.as_raw()), Some(user.gid.as_raw()))?;
        }
        Ok(())
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

impl Drop for Cluster {
    fn drop(&mut self) {
        if let Err(e) = self.stop_server("fast") {
            eprintln!("local-data-api: stopping PostgreSQL: {e}");
        }
    }
}

struct Binaries {
    initdb: PathBuf,
    pg_ctl: PathBuf,
}

impl Binaries {
    fn find() -> Result<Self, ClusterError> {
        Ok(Self {
            initdb: find_binary("initdb")?,
            pg_ctl: find_binary("pg_ctl")?,
        })
    }
}

/// As root, the user PostgreSQL runs as, made owner of `dir`; otherwise ourselves (None).
fn server_user(dir: &Path) -> Result<Option<String>, ClusterError> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    let user = lookup_server_user()?;
    std::os::unix::fs::chown(dir, Some(user.uid.as_raw()), Some(user.gid.as_raw()))?;
    Ok(Some(SERVER_USER.to_string()))
}

fn lookup_server_user() -> Result<nix::unistd::User, ClusterError> {
    nix::unistd::User::from_name(SERVER_USER)
        .map_err(|e| ClusterError::NoServerUser(e.to_string()))?
        .ok_or_else(|| ClusterError::NoServerUser("no such user".into()))
}

/// Writes `text` to a new file readable by its owner only.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
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
