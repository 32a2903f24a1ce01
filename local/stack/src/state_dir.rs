//! Where the stack keeps what must outlive its children: the clients' API keys, the gateways' quota
//! counts and key files, and the functions' env file. By default a project-local directory that
//! lasts across runs (so keys stay the same and a restart does not reset quotas); tests use a
//! throwaway one that is removed when the stack stops, also on Ctrl-C.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};

use local_gateway::api_keys::generate_key;

use crate::StackError;
use crate::stage::StageSettings;

/// The project-local state directory, under the workspace root. It ignores itself in git.
pub const PROJECT_STATE_DIR: &str = ".local-stack";

#[derive(Debug, Clone)]
pub enum StateDir {
    /// Kept across runs.
    Project(PathBuf),
    /// A new temporary directory, removed when the stack stops.
    Throwaway,
}

/// An opened state directory.
pub struct OpenStateDir {
    path: PathBuf,
    /// Set for a throwaway directory: dropping it removes the directory.
    temporary: Option<tempfile::TempDir>,
}

impl StateDir {
    pub fn open(&self) -> Result<OpenStateDir, StackError> {
        match self {
            Self::Project(path) => {
                let failed = |source| StackError::Log {
                    path: path.clone(),
                    source,
                };
                std::fs::create_dir_all(path).map_err(failed)?;
                // Keys live here (in 0600 files): only this user may list it. Others may pass
                // through (0711), which the PostgreSQL cluster inside needs: as root, the Data API
                // runs it as an unprivileged user that owns only its own directory.
                std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o711))
                    .map_err(failed)?;
                let ignore = path.join(".gitignore");
                if !ignore.exists() {
                    std::fs::write(&ignore, "*\n").map_err(failed)?;
                }
                Ok(OpenStateDir {
                    path: path.clone(),
                    temporary: None,
                })
            }
            Self::Throwaway => {
                let dir = tempfile::Builder::new()
                    .prefix("local-stack-")
                    .tempdir()
                    .map_err(|source| StackError::Log {
                        path: std::env::temp_dir(),
                        source,
                    })?;
                crate::child::remove_on_stop(dir.path());
                Ok(OpenStateDir {
                    path: dir.path().to_path_buf(),
                    temporary: Some(dir),
                })
            }
        }
    }
}

impl OpenStateDir {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes `name` readable by this user only; returns its path.
    pub fn write_private(&self, name: &str, bytes: &[u8]) -> Result<PathBuf, StackError> {
        let path = self.path.join(name);
        let failed = |source| StackError::Log {
            path: path.clone(),
            source,
        };
        let _ = std::fs::remove_file(&path);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(failed)?;
        file.write_all(bytes).map_err(failed)?;
        Ok(path)
    }

    /// One key per client of `stage`: the given one, else the one saved here by an earlier run,
    /// else a new one; saved for the next run.
    pub fn client_keys(
        &self,
        stage: &StageSettings,
        given: &BTreeMap<String, String>,
    ) -> Result<BTreeMap<String, String>, StackError> {
        let name = format!("api-keys-{}.json", stage.stage);
        let saved: BTreeMap<String, String> = std::fs::read_to_string(self.path.join(&name))
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default();
        let keys: BTreeMap<String, String> = stage
            .clients()
            .into_iter()
            .map(|client| {
                let key = given
                    .get(&client.name)
                    .or_else(|| saved.get(&client.name))
                    .cloned()
                    .unwrap_or_else(generate_key);
                (client.name, key)
            })
            .collect();
        let text = serde_json::to_vec_pretty(&keys).expect("a map of strings serializes");
        self.write_private(&name, &text)?;
        Ok(keys)
    }

    /// The servers' executables as built now, linked (or copied) here so that a later build in the
    /// shared target directory cannot swap a binary under the running stack or its restarts.
    /// Other binaries keep their built path.
    pub fn keep_executables(
        &self,
        built: &std::collections::HashMap<String, PathBuf>,
        servers: &[&str],
    ) -> Result<BTreeMap<String, PathBuf>, StackError> {
        let dir = self.path.join("bin");
        std::fs::create_dir_all(&dir).map_err(|source| StackError::Log {
            path: dir.clone(),
            source,
        })?;
        let mut kept = BTreeMap::new();
        for (name, path) in built {
            if !servers.contains(&name.as_str()) {
                kept.insert(name.clone(), path.clone());
                continue;
            }
            let copy = dir.join(name);
            let _ = std::fs::remove_file(&copy);
            std::fs::hard_link(path, &copy)
                .or_else(|_| std::fs::copy(path, &copy).map(|_| ()))
                .map_err(|source| StackError::Log {
                    path: copy.clone(),
                    source,
                })?;
            kept.insert(name.clone(), copy);
        }
        Ok(kept)
    }

    /// Removes a throwaway directory; a project directory stays.
    pub fn close(&mut self) {
        if let Some(dir) = self.temporary.take() {
            crate::child::forget_removal(dir.path());
            drop(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dev_stage as dev;

    #[test]
    fn a_project_directory_keeps_each_clients_key_across_runs_and_hides_it() {
        let parent = tempfile::tempdir().unwrap();
        let state = StateDir::Project(parent.path().join("state"));
        let first = state
            .open()
            .unwrap()
            .client_keys(&dev(), &BTreeMap::new())
            .unwrap();
        let again = state
            .open()
            .unwrap()
            .client_keys(&dev(), &BTreeMap::new())
            .unwrap();
        assert_eq!(first, again);
        assert_eq!(first["default"].len(), 40);
        let dir = parent.path().join("state");
        let mode = |path: &Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o711);
        assert_eq!(mode(&dir.join("api-keys-dev.json")), 0o600);
        assert_eq!(
            std::fs::read_to_string(dir.join(".gitignore")).unwrap(),
            "*\n"
        );

        let given = BTreeMap::from([("default".to_owned(), "g".repeat(30))]);
        let chosen = state.open().unwrap().client_keys(&dev(), &given).unwrap();
        assert_eq!(chosen["default"], "g".repeat(30));
    }

    #[test]
    fn a_throwaway_directory_is_removed_when_closed() {
        let mut open = StateDir::Throwaway.open().unwrap();
        let path = open.path().to_path_buf();
        open.write_private("x", b"1").unwrap();
        assert!(path.exists());
        open.close();
        assert!(!path.exists());
    }
}
