//! The HTTP server: one loopback port for redshift-data and SSM (awsJson1_1, `POST /` routed by
//! `X-Amz-Target`), rds-data (restJson1, `POST /Execute` ...) and the admin routes under `/_local/`.
//! SigV4 signatures are verified when `Config::access_key` is set (see `signature`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use deadpool_postgres::Pool;
use tokio::sync::{Semaphore, oneshot};
use tokio::task::JoinHandle;

use crate::config::Config;
use crate::db::{self, Postgres, SetupError};
use crate::error::{AwsJsonError, ServiceError};
use crate::fault_injection::FaultInjection;
use crate::{admin, rds, redshift, ssm};

/// Everything the handlers share.
#[derive(Debug)]
pub struct App {
    pub config: Config,
    pub postgres: Postgres,
    pub maintenance: Pool,
    pub faults: FaultInjection,
    /// PostgreSQL connections redshift-data statements may hold at once.
    pub redshift_slots: Arc<Semaphore>,
    /// rds-data transactions that may be open at once (a connection each).
    pub transaction_slots: Arc<Semaphore>,
    pub statements: redshift::Statements,
    pub pools: rds::Pools,
    pub transactions: rds::Transactions,
    pub parameters: ssm::Parameters,
}

impl App {
    /// Back to the seeded state: databases re-created, statements, transactions, faults, counters
    /// and SSM parameters cleared or re-seeded.
    pub async fn reset(&self) -> Result<(), SetupError> {
        self.statements.clear();
        self.transactions.clear();
        self.pools.clear();
        self.faults.reset();
        self.parameters.reset(&self.config.ssm_parameters);
        self.seed_databases(false).await
    }

    /// Re-creates both databases from their seeds, or with `keep_existing` seeds only those that
    /// are missing or empty.
    async fn seed_databases(&self, keep_existing: bool) -> Result<(), SetupError> {
        let seeds = [
            (&self.config.redshift_database, "redshift.sql"),
            (&self.config.aurora_database, "aurora.sql"),
        ];
        for (database, file) in seeds {
            let seed = self.config.schemas_dir.join(file);
            if keep_existing {
                let seeded =
                    db::seed_if_empty(&self.maintenance, &self.postgres, database, &seed).await?;
                let what = if seeded { "seeded" } else { "kept its data" };
                tracing::info!(database = %database, "{what}");
            } else {
                db::recreate_database(&self.maintenance, &self.postgres, database, &seed).await?;
            }
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("setting up the databases: {0}")]
    Setup(#[from] SetupError),
    #[error("listening on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A running server; `shutdown` stops it (dropping it aborts it).
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    app: Arc<App>,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl Server {
    /// Seeds the databases on `postgres`, binds `config.listen` and serves in the background.
    pub async fn start(config: Config, postgres: Postgres) -> Result<Self, StartError> {
        let app = Arc::new(App {
            maintenance: postgres.maintenance_pool(),
            postgres,
            faults: FaultInjection::default(),
            redshift_slots: Arc::new(Semaphore::new(config.redshift_connections.max(1))),
            transaction_slots: Arc::new(Semaphore::new(config.rds_transactions.max(1))),
            statements: Default::default(),
            pools: Default::default(),
            transactions: Default::default(),
            parameters: Default::default(),
            config,
        });
        app.parameters.reset(&app.config.ssm_parameters);
        app.seed_databases(app.config.keep_existing_data).await?;

        let listen = app.config.listen;
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .map_err(|source| StartError::Listen {
                addr: listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Listen {
            addr: listen,
            source,
        })?;
        let (stop, stopped) = oneshot::channel::<()>();
        let router = router(app.clone()).into_make_service_with_connect_info::<SocketAddr>();
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, router).with_graceful_shutdown(async {
                let _ = stopped.await;
            });
            if let Err(e) = serve.await {
                tracing::error!("server stopped: {e}");
            }
        });
        tokio::spawn(expire_transactions(Arc::downgrade(&app)));
        Ok(Self {
            addr,
            app,
            stop: Some(stop),
            task,
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The environment an AWS SDK needs to talk to this server.
    pub fn sdk_env(&self) -> Vec<(&'static str, String)> {
        sdk_env(&self.url(), &self.app.config.region)
    }

    /// Stops accepting requests, cancels running statements and closes transactions.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.app.statements.clear();
        self.app.transactions.clear();
        self.app.pools.clear();
        // Open keep-alive connections would hold graceful shutdown forever.
        if tokio::time::timeout(Duration::from_secs(2), &mut self.task)
            .await
            .is_err()
        {
            self.task.abort();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
        self.app.statements.clear();
        self.app.transactions.clear();
    }
}

async fn expire_transactions(app: std::sync::Weak<App>) {
    loop {
        let Some(timeout) = app.upgrade().map(|a| a.config.transaction_idle_timeout) else {
            return;
        };
        tokio::time::sleep((timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(5)))
            .await;
        match app.upgrade() {
            Some(app) => app.transactions.expire(timeout),
            None => return,
        }
    }
}

fn router(app: Arc<App>) -> Router {
    let services = Router::new()
        .route("/", post(aws_json))
        .merge(rds::routes())
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            signed_only,
        ));
    services
        .nest("/_local", admin::router(app.clone()))
        .with_state(app)
}

/// Largest request body read for signature verification (rds-data batches are the largest bodies).
const SIGNED_BODY_LIMIT: usize = 16 * 1024 * 1024;

/// With `Config::access_key` set, only requests signed with it reach the services; the refusal is
/// encoded as the protocol encodes errors (awsJson1_1 on `/`, restJson1 elsewhere).
async fn signed_only(
    State(app): State<Arc<App>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let Some(key) = &app.config.access_key else {
        return next.run(request).await;
    };
    let aws_json = request.uri().path() == "/";
    let status = if aws_json {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::FORBIDDEN
    };
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, SIGNED_BODY_LIMIT).await else {
        return (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response();
    };
    let verified = crate::signature::verify(
        key,
        &parts.method,
        &parts.uri,
        &parts.headers,
        &body,
        status,
    );
    match verified {
        Ok(()) => {
            let request = axum::extract::Request::from_parts(parts, axum::body::Body::from(body));
            next.run(request).await
        }
        Err(error) => {
            log_error(parts.uri.path(), &error);
            if aws_json {
                AwsJsonError(error).into_response()
            } else {
                crate::error::RestJsonError(error).into_response()
            }
        }
    }
}

/// redshift-data and SSM share `POST /`; the target header names service and operation.
async fn aws_json(State(app): State<Arc<App>>, headers: HeaderMap, body: Bytes) -> Response {
    let target = headers
        .get("x-amz-target")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let (service, operation) = target.split_once('.').unwrap_or((target, ""));
    let result = match service {
        "RedshiftData" => redshift::handle(&app, operation, &body).await,
        "AmazonSSM" => ssm::handle(&app, operation, &body),
        _ => Err(ServiceError::bad_request(
            "UnknownOperationException",
            "Unknown X-Amz-Target",
        )),
    };
    match result {
        Ok(value) => {
            let mut response = (StatusCode::OK, value.to_string()).into_response();
            response.headers_mut().insert(
                "content-type",
                HeaderValue::from_static("application/x-amz-json-1.1"),
            );
            response
        }
        Err(error) => {
            log_error(target, &error);
            AwsJsonError(error).into_response()
        }
    }
}

pub fn log_error(operation: &str, error: &ServiceError) {
    tracing::info!(operation, code = %error.code, message = %error.message, "answered an error");
}

/// The environment that points an AWS SDK (Rust, boto3, the AWS CLI) at a local Data API at `url`:
/// the three services' endpoint variables, which aws-config honours, the credentials it signs with
/// (the server's default access key, `local`/`local`) and the region. The one list of them: the
/// stack gives it to the functions, the tests to their clients.
pub fn sdk_env(url: &str, region: &str) -> Vec<(&'static str, String)> {
    let key = crate::AccessKey::default();
    vec![
        ("AWS_ENDPOINT_URL_REDSHIFT_DATA", url.to_owned()),
        ("AWS_ENDPOINT_URL_RDS_DATA", url.to_owned()),
        ("AWS_ENDPOINT_URL_SSM", url.to_owned()),
        ("AWS_ACCESS_KEY_ID", key.id),
        ("AWS_SECRET_ACCESS_KEY", key.secret),
        ("AWS_REGION", region.to_owned()),
    ]
}
