//! Test harness: a server started in-process on a free port, on a PostgreSQL cluster shared by the
//! tests of one test binary (stopped and removed when the last test using it ends).

#![allow(dead_code)] // each test binary uses a different part of the harness

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use local_data_api::{Config, Postgres, Server, TempCluster};
use serde_json::Value;

static CLUSTER: Mutex<Weak<TempCluster>> = Mutex::new(Weak::new());
static NEXT_DATABASE: AtomicUsize = AtomicUsize::new(1);

pub const SSM_NAME: &str = "/redshift-select/test/database-name";

fn shared_cluster() -> Arc<TempCluster> {
    let mut shared = CLUSTER.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(cluster) = shared.upgrade() {
        return cluster;
    }
    let cluster =
        Arc::new(TempCluster::start(&|line| eprintln!("{line}")).expect("PostgreSQL cluster"));
    *shared = Arc::downgrade(&cluster);
    cluster
}

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A server with databases of its own (`dev_N`, `staff_N`) so tests sharing the cluster never meet.
pub struct TestServer {
    pub server: Server,
    pub redshift_database: String,
    pub aurora_database: String,
    pub http: reqwest::Client,
    // Last: the cluster outlives the server.
    _cluster: Arc<TempCluster>,
}

pub async fn start() -> TestServer {
    start_with(|_| {}).await
}

pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> TestServer {
    let cluster = tokio::task::spawn_blocking(shared_cluster)
        .await
        .expect("cluster thread");
    let n = NEXT_DATABASE.fetch_add(1, Ordering::Relaxed);
    let mut config = Config::new(workspace_root().join("schemas/db"));
    config.listen = "127.0.0.1:0".parse().expect("address");
    config.redshift_database = format!("dev_{n}");
    config.aurora_database = format!("staff_{n}");
    config.ssm_parameters = vec![(SSM_NAME.into(), config.redshift_database.clone())];
    adjust(&mut config);
    let server = Server::start(config.clone(), Postgres::new(cluster.connection_config()))
        .await
        .expect("server starts");
    let http = reqwest::Client::new();
    TestServer {
        server,
        redshift_database: config.redshift_database,
        aurora_database: config.aurora_database,
        http,
        _cluster: cluster,
    }
}

impl TestServer {
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        sdk_config_at(&self.server.url(), ("test", "test")).await
    }

    pub async fn redshift(&self) -> aws_sdk_redshiftdata::Client {
        aws_sdk_redshiftdata::Client::new(&self.sdk_config().await)
    }

    /// A client that does not retry, so an injected error reaches the test as the SDK parsed it.
    pub async fn redshift_without_retries(&self) -> aws_sdk_redshiftdata::Client {
        let config = aws_sdk_redshiftdata::config::Builder::from(&self.sdk_config().await)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build();
        aws_sdk_redshiftdata::Client::from_conf(config)
    }

    pub async fn rds(&self) -> aws_sdk_rdsdata::Client {
        aws_sdk_rdsdata::Client::new(&self.sdk_config().await)
    }

    pub async fn ssm(&self) -> aws_sdk_ssm::Client {
        aws_sdk_ssm::Client::new(&self.sdk_config().await)
    }

    pub async fn admin_get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.server.url()))
            .send()
            .await;
        json_of(response.expect("admin GET")).await
    }

    pub async fn admin_post(&self, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.server.url());
        let response = self.http.post(url).json(&body).send().await;
        json_of(response.expect("admin POST")).await
    }
}

/// SDK settings for the server at `url`, signing with `key` (access key id, secret).
pub async fn sdk_config_at(url: &str, key: (&str, &str)) -> aws_config::SdkConfig {
    aws_config::defaults(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_ssm::config::Credentials::new(
            key.0, key.1, None, None, "test",
        ))
        .endpoint_url(url)
        .load()
        .await
}

/// `config` with the SDK's retries off, so an error reaches the test as the SDK parsed it.
pub fn without_retries(config: aws_config::SdkConfig) -> aws_config::SdkConfig {
    config
        .into_builder()
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .build()
}

/// An rds-data ExecuteStatement on the server's Aurora database, ready for more options.
pub fn rds_execute(
    server: &TestServer,
    client: &aws_sdk_rdsdata::Client,
    sql: &str,
) -> aws_sdk_rdsdata::operation::execute_statement::builders::ExecuteStatementFluentBuilder {
    client
        .execute_statement()
        .resource_arn(RESOURCE_ARN)
        .secret_arn(SECRET_ARN)
        .database(&server.aurora_database)
        .sql(sql)
}

/// Runs `sql` on redshift-data and waits for its end (DescribeStatement with WaitTimeSeconds).
pub async fn redshift_run_to_end(
    server: &TestServer,
    sql: &str,
) -> aws_sdk_redshiftdata::operation::describe_statement::DescribeStatementOutput {
    let client = server.redshift().await;
    let id = client
        .execute_statement()
        .workgroup_name("local")
        .database(&server.redshift_database)
        .sql(sql)
        .send()
        .await
        .expect("ExecuteStatement")
        .id
        .expect("Id");
    client
        .describe_statement()
        .id(id)
        .wait_time_seconds(30)
        .send()
        .await
        .expect("DescribeStatement")
}

/// Runs `tests/<script>` with the project's `.venv` python against `server`
/// (arguments: endpoint URL, Redshift database, Aurora database); stderr is echoed.
pub async fn run_python(server: &TestServer, script: &str) -> std::process::Output {
    let python = workspace_root().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/bootstrap",
        python.display()
    );
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join(script);
    let output = tokio::process::Command::new(&python)
        .arg(script)
        .arg(server.server.url())
        .arg(&server.redshift_database)
        .arg(&server.aurora_database)
        .output()
        .await
        .expect("running python");
    eprintln!("{}", String::from_utf8_lossy(&output.stderr));
    output
}

pub const RESOURCE_ARN: &str = "arn:aws:rds:us-east-1:000000000000:cluster:local";
pub const SECRET_ARN: &str = "arn:aws:secretsmanager:us-east-1:000000000000:secret:local";

async fn json_of(response: reqwest::Response) -> Value {
    let status = response.status();
    let body: Value = response.json().await.expect("JSON body");
    assert!(status.is_success(), "admin route answered {status}: {body}");
    body
}
