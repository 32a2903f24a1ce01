//! A local API Gateway (REST API, non-proxy Lambda integrations) serving `schemas/openapi.yaml` for
//! one stage: routing, API keys, usage plan, request validation, VTL mapping templates, Lambda
//! invocation and integration-response selection, as AWS does them.
//!
//! [`start`] runs it in-process (tests, the local stack); the `local-gateway` binary wraps it.

mod access_log;
pub mod api_keys;
pub mod api_page;
pub mod client_contract;
mod context;
pub mod cors;
pub mod example_requests;
mod extensions;
pub mod file_refs;
pub mod function_limits;
mod gateway;
pub mod gateway_response;
mod headers;
pub mod invoke;
pub mod mapping;
pub mod overrides;
pub mod routing;
pub mod selection;
mod server;
pub mod spec;
pub mod stage;
mod trace_id;
pub mod usage_plan;
pub mod validation;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api_keys::{ApiKey, ApiKeyError, ApiKeys};
use crate::function_limits::FunctionLimits;
use crate::gateway::Gateway;
use crate::invoke::LambdaClient;
use crate::routing::{RouteError, RouteTable};
use crate::server::ServerState;
use crate::spec::ApiDefinition;
use crate::stage::StageSettings;
use crate::usage_plan::{ClientPlan, QuotaFileError, UsagePlan};

pub use crate::spec::SpecError;
pub use crate::stage::StageError;

/// Where `cargo lambda watch` listens by default.
pub const DEFAULT_LAMBDA_ENDPOINT: &str = "http://127.0.0.1:9000";

/// Everything the gateway needs, loaded.
pub struct GatewayConfig {
    pub api: ApiDefinition,
    pub stage: StageSettings,
    pub listen: SocketAddr,
    pub lambda_endpoint: String,
    /// Further key values of the stage's first client (see [`ClientState`] for the others).
    pub api_keys: Vec<String>,
    /// One JSON line per request on stderr (benchmarks turn it off).
    pub access_log: bool,
}

/// What the gateway keeps outside the stage file: the clients' key values (a client without one gets
/// a generated key) and where the quota counts persist (in memory only when `None`).
#[derive(Debug, Clone, Default)]
pub struct ClientState {
    pub keys: BTreeMap<String, String>,
    pub quota_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    ApiKey(#[from] ApiKeyError),
    #[error(transparent)]
    QuotaFile(#[from] QuotaFileError),
    #[error(transparent)]
    Route(#[from] RouteError),
    #[error(transparent)]
    Cors(#[from] cors::CorsError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A gateway serving on a loopback port until [`RunningGateway::shutdown`] or drop of the runtime.
pub struct RunningGateway {
    addr: SocketAddr,
    keys: ApiKeys,
    routes: Vec<(String, String)>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

/// Binds `config.listen` and serves in a background task, every client with a generated key.
pub async fn start(config: GatewayConfig) -> Result<RunningGateway, StartError> {
    start_with(config, ClientState::default()).await
}

/// [`start`] with the clients' keys and a quota file.
pub async fn start_with(
    config: GatewayConfig,
    clients: ClientState,
) -> Result<RunningGateway, StartError> {
    let stage_clients = config.stage.clients();
    let names: Vec<String> = stage_clients.iter().map(|c| c.name.clone()).collect();
    let keys = ApiKeys::for_clients(&names, config.api_keys, &clients.keys)?;
    let routes = RouteTable::new(&config.api.operations)?;
    let cors = config.stage.cors.as_ref().map(|settings| {
        let paths = config
            .api
            .operations
            .iter()
            .map(|operation| operation.resource_path.as_str());
        cors::Cors::new(settings, paths)
    });
    let cors = cors.transpose()?;
    let plans: Vec<ClientPlan> = stage_clients
        .into_iter()
        .map(|client| ClientPlan {
            key_ids: keys
                .by_client()
                .filter(|(name, _)| *name == client.name)
                .map(|(_, key)| key.id.clone())
                .collect(),
            settings: client.usage_plan,
        })
        .collect();
    let usage_plan =
        UsagePlan::for_clients(config.stage.throttle, &plans, clients.quota_file.as_deref())?;
    let route_list = config
        .api
        .operations
        .iter()
        .map(|operation| (operation.method.clone(), operation.resource_path.clone()))
        .collect();
    let first_key = keys.all().first().map(|key| key.value.as_str());
    let pages = api_page::router(&config.api.document, first_key);
    let limits = FunctionLimits::new(
        config.stage.backend().ok().map(|backend| &backend.lambda),
        config.api.lambda_functions(),
    );
    let gateway = Gateway::new(
        config.api,
        routes,
        keys.clone(),
        usage_plan,
        LambdaClient::new(&config.lambda_endpoint, limits),
        config.stage.stage_variables.clone(),
    );
    let state = Arc::new(ServerState {
        gateway,
        stage: config.stage.stage,
        access_log: config.access_log,
    });

    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: config.listen,
        source,
    })?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = cors::Cors::wrap(server::router(state), cors)
        .merge(pages)
        .into_make_service_with_connect_info::<SocketAddr>();
    let task = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    Ok(RunningGateway {
        addr,
        keys,
        routes: route_list,
        stop,
        task,
    })
}

impl RunningGateway {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn api_keys(&self) -> &[ApiKey] {
        self.keys.all()
    }

    /// The start-up lines: where it listens (first, exactly `local-gateway listening on
    /// http://ADDR`), the API keys, and the example requests for the routes it serves.
    pub fn banner(&self) -> Vec<String> {
        let url = self.url();
        let mut lines = vec![format!("local-gateway listening on {url}")];
        lines.extend(self.keys.by_client().map(|(client, key)| {
            format!("api key: {} (id {}, client {client})", key.value, key.id)
        }));
        let key = self
            .keys
            .all()
            .first()
            .map(|key| key.value.as_str())
            .unwrap_or_default();
        lines.extend(
            example_requests::Example::first_per_operation()
                .filter(|example| {
                    self.routes.iter().any(|(method, path)| {
                        method == example.method && path == example.documented_path
                    })
                })
                .map(|example| example.curl_line(&url, key)),
        );
        lines.push(api_page::banner_line(&url));
        lines
    }

    /// Stops accepting connections and waits for open requests to finish.
    pub async fn shutdown(self) -> std::io::Result<()> {
        let _ = self.stop.send(());
        self.task
            .await
            .unwrap_or_else(|join_error| Err(std::io::Error::other(join_error)))
    }
}
