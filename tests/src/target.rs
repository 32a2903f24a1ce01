//! What the suite runs against: its own local stack on free ports (with the admin endpoint, the
//! databases and two extra gateways whose tiny usage plans reach 429), or a deployed stage given
//! by `API_URL` and `API_KEY`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use local_stack::{
    Logs, Stack, StackError, StackOptions, StageSettings, StateDir, generate_key, workspace_root,
};

use crate::E2eError;
use crate::admin::Admin;
use crate::api::Api;
use crate::checksum::DataApiClient;

pub struct Target {
    /// The API with a valid key.
    pub api: Api,
    /// Present when the suite started its own stack.
    pub local: Option<LocalTarget>,
}

pub struct LocalTarget {
    pub admin: Admin,
    pub databases: DataApiClient,
    /// A gateway whose usage plan allows 1 request/s with a burst of 2.
    pub throttled_api: Api,
    /// A gateway whose usage plan allows 3 requests a day.
    pub quota_api: Api,
    /// A gateway for a stage with two clients (tests/stages/e2e-clients.json), and their keys.
    pub clients_url: String,
    pub client_keys: BTreeMap<String, String>,
    /// The functions' time budget (the test stage's lambda.timeoutSeconds).
    pub function_timeout: Duration,
    pub logs_dir: PathBuf,
    pub base_url: String,
    pub api_key: String,
    /// Behind a lock only so the target can be shared between test threads.
    stack: Mutex<Stack>,
}

impl LocalTarget {
    pub fn stop(&self) {
        self.stack().stop();
    }

    /// Kills a child of the stack as a crash would (its supervisor starts it again).
    pub fn kill(&self, child: &str) -> bool {
        self.stack().kill(child)
    }

    /// Kills one function's process as a crash inside it would.
    pub fn kill_function(&self, function: &str) -> bool {
        self.stack().kill_function(function)
    }

    /// How often each child was started again.
    pub fn restarts(&self) -> BTreeMap<String, u32> {
        self.stack().restarts()
    }

    fn stack(&self) -> std::sync::MutexGuard<'_, Stack> {
        self.stack
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The child name of the gateway for tests/stages/e2e-clients.json.
pub const CLIENTS_GATEWAY: &str = "gateway-clients";

/// The test stages (tests/stages): short function timeout, generous usage plan for the main gateway.
pub fn test_stage_file(name: &str) -> PathBuf {
    workspace_root()
        .join("tests/stages")
        .join(format!("{name}.json"))
}

impl Target {
    /// `API_URL` + `API_KEY` set: that deployed stage. Otherwise a local stack on free ports.
    pub fn from_env_or_start(logs_dir: &Path) -> Result<Self, E2eError> {
        if let (Ok(url), Ok(key)) = (std::env::var("API_URL"), std::env::var("API_KEY")) {
            return Ok(Self {
                api: Api::new(&url, Some(&key)),
                local: None,
            });
        }
        let local = LocalTarget::start(logs_dir)?;
        Ok(Self {
            api: Api::new(&local.base_url, Some(&local.api_key)),
            local: Some(local),
        })
    }
}

impl LocalTarget {
    pub fn start(logs_dir: &Path) -> Result<Self, E2eError> {
        let root = workspace_root();
        let stage_file = test_stage_file("e2e");
        let mut options = StackOptions::local_defaults(root, stage_file);
        options.gateway_listen = "127.0.0.1:0".to_owned();
        options.data_api_listen = "127.0.0.1:0".to_owned();
        options.lambda_port = 0;
        options.reload_on_change = false;
        options.logs = Logs::Dir(logs_dir.to_path_buf());
        options.state = StateDir::Throwaway;
        let mut stack = Stack::start(options, &|step| eprintln!("e2e: {step}"))?;

        let throttled_key = generate_key();
        let throttled_url = stack.start_gateway(
            "gateway-throttle",
            &test_stage_file("e2e-throttle"),
            "127.0.0.1:0",
            &default_client_key(&throttled_key),
        )?;
        let quota_key = generate_key();
        let quota_url = stack.start_gateway(
            "gateway-quota",
            &test_stage_file("e2e-quota"),
            "127.0.0.1:0",
            &default_client_key(&quota_key),
        )?;
        let client_keys: BTreeMap<String, String> = ["mobile", "partner"]
            .into_iter()
            .map(|client| (client.to_owned(), generate_key()))
            .collect();
        let clients_url = stack.start_gateway(
            CLIENTS_GATEWAY,
            &test_stage_file("e2e-clients"),
            "127.0.0.1:0",
            &client_keys,
        )?;
        let stage: StageSettings = stack.stage.clone();
        let backend = stage.backend().map_err(StackError::from)?.clone();
        Ok(Self {
            admin: Admin::new(&stack.data_api_url, &stack.admin_token),
            databases: DataApiClient::new(
                &stack.data_api_url,
                backend.clone(),
                local_stack::stack::REDSHIFT_DATABASE,
                stage.region(),
            ),
            throttled_api: Api::new(&throttled_url, Some(&throttled_key)),
            quota_api: Api::new(&quota_url, Some(&quota_key)),
            clients_url,
            client_keys,
            function_timeout: Duration::from_secs(backend.lambda.timeout_seconds),
            logs_dir: logs_dir.to_path_buf(),
            base_url: stack.base_url.clone(),
            api_key: stack.api_key.clone(),
            stack: Mutex::new(stack),
        })
    }
}

/// The key of a stage's only client.
fn default_client_key(key: &str) -> BTreeMap<String, String> {
    BTreeMap::from([(
        local_stack::stage::DEFAULT_CLIENT.to_owned(),
        key.to_owned(),
    )])
}
