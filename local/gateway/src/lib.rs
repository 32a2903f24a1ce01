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
mod extensions;
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

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::api_keys::{ApiKey, ApiKeyError, ApiKeys};
use crate::gateway::Gateway;
use crate::invoke::LambdaClient;
use crate::routing::{RouteError, RouteTable};
use crate::server::ServerState;
use crate::spec::ApiDefinition;
use crate::stage::StageSettings;
use crate::usage_plan::UsagePlan;

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
    /// Key values; empty means one generated key.
    pub api_keys: Vec<String>,
    /// One JSON line per request on stderr (benchmarks turn it off).
    pub access_log: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    ApiKey(#[from] ApiKeyError),
    #[error(transparent)]
    Route(#[from] RouteError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A gateway serving on a loopback port until [`RunningGateway::shutdown`] or drop of the runtime.
pub struct RunningGateway {
    addr: SocketAddr,
    keys: Vec<ApiKey>,
    routes: Vec<(String, String)>,
    stop: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

/// Binds `config.listen` and serves in a background task.
pub async fn start(config: GatewayConfig) -> Result<RunningGateway, StartError> {
    let keys = ApiKeys::new(config.api_keys)?;
    let routes = RouteTable::new(&config.api.operations)?;
    let usage_plan = UsagePlan::new(
        config.stage.usage_plan.throttle,
        config.stage.throttle,
        config.stage.usage_plan.quota,
    );
    let route_list = config
        .api
        .operations
        .iter()
        .map(|operation| (operation.method.clone(), operation.resource_path.clone()))
        .collect();
    let first_key = keys.all().first().map(|key| key.value.as_str());
    let pages = api_page::router(&config.api.document, first_key);
    let gateway = Gateway::new(
        config.api,
        routes,
        keys.clone(),
        usage_plan,
        LambdaClient::new(&config.lambda_endpoint),
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
    let app = server::router(state)
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
        keys: keys.all().to_vec(),
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
        &self.keys
    }

    /// The start-up lines: where it listens (first, exactly `local-gateway listening on
    /// http://ADDR`), the API keys, and one curl line per route.
    pub fn banner(&self) -> Vec<String> {
        let url = self.url();
        let mut lines = vec![format!("local-gateway listening on {url}")];
        lines.extend(
            self.keys
                .iter()
                .map(|key| format!("api key: {} (id {})", key.value, key.id)),
        );
        let key = self
            .keys
            .first()
            .map(|key| key.value.as_str())
            .unwrap_or_default();
        lines.extend(
            self.routes
                .iter()
                .map(|(method, path)| curl_line(&url, key, method, path)),
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

/// A ready-to-run example call; path parameters get the seed data's first id.
fn curl_line(url: &str, key: &str, method: &str, resource_path: &str) -> String {
    let path = resource_path.replace("{id}", "0001");
    let body = match (method, resource_path) {
        ("POST", "/redshift_select") => {
            r#" -H 'content-type: application/json' -d '{"target_table":"flightdata"}'"#
        }
        ("POST", _) => {
            r#" -H 'content-type: application/json' -d '{"id":"0004","name":"Athena","age":30}'"#
        }
        ("PUT", _) => r#" -H 'content-type: application/json' -d '{"age":13}'"#,
        _ => "",
    };
    format!("curl -sS -X {method} -H 'x-api-key: {key}'{body} {url}{path}")
}
