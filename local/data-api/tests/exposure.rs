//! Least exposure on a shared machine: admin routes behind a token when one is configured, the
//! cluster's socket private to its user, no silent non-loopback listen, and PostgreSQL being down
//! answered with the services' own errors.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use aws_sdk_rdsdata::error::ProvideErrorMetadata;
use local_data_api::{Cluster, Config, Postgres, Server};
use support::{RESOURCE_ARN, SECRET_ARN, workspace_root};

#[tokio::test]
async fn admin_routes_need_the_configured_token() {
    let server = support::start_with(|c| c.admin_token = Some("s3cret-token".into())).await;
    let url = format!("{}/_local/calls", server.server.url());
    let status = |auth: Option<&'static str>| {
        let mut request = server.http.get(&url);
        if let Some(auth) = auth {
            request = request.header("authorization", auth);
        }
        async move { request.send().await.expect("admin GET").status().as_u16() }
    };
    assert_eq!(status(None).await, 401);
    assert_eq!(status(Some("Bearer wrong")).await, 401);
    assert_eq!(
        status(Some("s3cret-token")).await,
        401,
        "the Bearer scheme is required"
    );
    assert_eq!(status(Some("Bearer s3cret-token")).await, 200);
    let reset = server
        .http
        .post(format!("{}/_local/reset", server.server.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status().as_u16(), 401, "no reset without the token");
}

#[tokio::test]
async fn without_a_token_admin_routes_stay_open_to_loopback() {
    let server = support::start().await;
    let calls = server.admin_get("/_local/calls").await;
    assert!(calls["calls"].is_object(), "{calls}");
}

#[test]
fn the_cluster_socket_is_private_to_its_user() {
    let cluster = Cluster::start(&|_| {}).expect("cluster");
    let dir = cluster.socket_dir();
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "socket directory {}", dir.display());
    let socket = dir.join(".s.PGSQL.5432");
    let mode = std::fs::metadata(&socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "socket {}", socket.display());
    let hba = std::fs::read_to_string(dir.join("../data/pg_hba.conf")).unwrap();
    let tcp_methods: Vec<&str> = hba
        .lines()
        .filter(|l| l.starts_with("host"))
        .filter_map(|l| l.split_whitespace().last())
        .collect();
    assert!(!tcp_methods.is_empty());
    assert!(
        tcp_methods.iter().all(|m| *m == "scram-sha-256"),
        "{tcp_methods:?}"
    );
    let password = dir.join("../password");
    let mode = std::fs::metadata(&password).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn a_non_loopback_listen_is_refused_without_the_explicit_flag() {
    let output = Command::new(env!("CARGO_BIN_EXE_local-data-api"))
        .args(["--listen", "0.0.0.0:0"])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("refusing to listen on 0.0.0.0:0"),
        "{stderr}"
    );
    assert!(stderr.contains("--allow-non-loopback"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_down_is_answered_with_the_services_errors() {
    let cluster = tokio::task::spawn_blocking(|| Cluster::start(&|_| {}))
        .await
        .unwrap()
        .expect("cluster");
    let mut config = Config::new(workspace_root().join("schemas/db"));
    config.listen = "127.0.0.1:0".parse().unwrap();
    let server = Server::start(config, Postgres::new(cluster.connection_config()))
        .await
        .expect("server");
    let sdk =
        support::without_retries(support::sdk_config_at(&server.url(), ("local", "local")).await);
    let rds = aws_sdk_rdsdata::Client::new(&sdk);
    let redshift = aws_sdk_redshiftdata::Client::new(&sdk);
    let rds_call = || {
        rds.execute_statement()
            .resource_arn(RESOURCE_ARN)
            .secret_arn(SECRET_ARN)
            .database("staff")
            .sql("SELECT count(*) FROM staff")
            .send()
    };
    rds_call().await.expect("answers while PostgreSQL is up");

    // Immediate shutdown (SIGQUIT to the postmaster): every backend ends at once.
    let pid = cluster.postmaster_pid().expect("postmaster");
    assert!(
        Command::new("kill")
            .args(["-QUIT", &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
    while std::path::Path::new(&format!("/proc/{pid}")).exists()
        && cluster.postmaster_pid().is_some()
    {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let error = redshift
        .execute_statement()
        .workgroup_name("local")
        .database("dev")
        .sql("SELECT count(*) FROM flightdata")
        .send()
        .await
        .expect_err("PostgreSQL is down");
    assert_eq!(
        error.code(),
        Some("DatabaseConnectionException"),
        "{error:?}"
    );
    assert_eq!(error.message(), Some("Connection to a database failed."));
    let raw = error.raw_response().expect("an HTTP answer");
    assert_eq!(raw.status().as_u16(), 500);

    for _ in 0..2 {
        // The pooled connection first, then a fresh one: both answer the same.
        let error = rds_call().await.expect_err("PostgreSQL is down");
        assert_eq!(
            error.code(),
            Some("DatabaseUnavailableException"),
            "{error:?}"
        );
        assert_eq!(error.raw_response().unwrap().status().as_u16(), 504);
        let message = error.message().unwrap_or_default();
        assert!(
            !message.contains("postgres") && !message.contains("socket"),
            "{message}"
        );
    }
    server.shutdown().await;
}

#[tokio::test]
async fn only_the_configured_workgroup_cluster_and_secret_are_served() {
    let server = support::start_with(|c| {
        c.redshift_workgroup = Some("flights-dev".into());
        c.aurora_cluster_arn = Some(RESOURCE_ARN.into());
        c.aurora_secret_arn = Some(SECRET_ARN.into());
    })
    .await;
    let redshift = server.redshift_without_retries().await;
    let run = |workgroup: &'static str| {
        redshift
            .execute_statement()
            .workgroup_name(workgroup)
            .database(&server.redshift_database)
            .sql("SELECT 1")
            .send()
    };
    let error = run("other-group").await.expect_err("another workgroup");
    assert_eq!(error.code(), Some("ResourceNotFoundException"), "{error:?}");
    run("flights-dev").await.expect("the configured workgroup");

    let rds = server.rds().await;
    let call = |resource: &'static str, secret: &'static str| {
        rds.execute_statement()
            .resource_arn(resource)
            .secret_arn(secret)
            .database(&server.aurora_database)
            .sql("SELECT 1")
            .send()
    };
    let other_cluster = "arn:aws:rds:us-east-1:000000000000:cluster:other";
    let error = call(other_cluster, SECRET_ARN)
        .await
        .expect_err("another cluster");
    assert_eq!(error.code(), Some("HttpEndpointNotEnabledException"));
    let other_secret = "arn:aws:secretsmanager:us-east-1:000000000000:secret:other";
    let error = call(RESOURCE_ARN, other_secret)
        .await
        .expect_err("another secret");
    assert_eq!(error.code(), Some("SecretsErrorException"));
    call(RESOURCE_ARN, SECRET_ARN)
        .await
        .expect("the configured pair");
}

async fn clients_signing_with(
    url: &str,
    id: &str,
    secret: &str,
) -> (aws_sdk_redshiftdata::Client, aws_sdk_rdsdata::Client) {
    let sdk = support::without_retries(support::sdk_config_at(url, (id, secret)).await);
    (
        aws_sdk_redshiftdata::Client::new(&sdk),
        aws_sdk_rdsdata::Client::new(&sdk),
    )
}

#[tokio::test]
async fn signatures_are_verified_against_the_configured_key() {
    let server =
        support::start_with(|c| c.access_key = Some(local_data_api::AccessKey::default())).await;
    let url = server.server.url();
    let outcome = |id: &'static str, secret: &'static str| {
        let url = url.clone();
        let database = server.redshift_database.clone();
        let aurora = server.aurora_database.clone();
        async move {
            let (redshift, rds) = clients_signing_with(&url, id, secret).await;
            let redshift = redshift
                .execute_statement()
                .workgroup_name("local")
                .database(database)
                .sql("SELECT 1")
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    (
                        e.code().map(str::to_string),
                        e.raw_response().map(|r| r.status().as_u16()),
                    )
                });
            let rds = rds
                .execute_statement()
                .resource_arn(RESOURCE_ARN)
                .secret_arn(SECRET_ARN)
                .database(aurora)
                .sql("SELECT 1")
                .send()
                .await
                .map(|_| ())
                .map_err(|e| {
                    (
                        e.code().map(str::to_string),
                        e.raw_response().map(|r| r.status().as_u16()),
                    )
                });
            (redshift, rds)
        }
    };
    assert_eq!(outcome("local", "local").await, (Ok(()), Ok(())));
    let bad_secret = outcome("local", "wrong").await;
    assert_eq!(
        bad_secret.0,
        Err((Some("InvalidSignatureException".into()), Some(400)))
    );
    assert_eq!(
        bad_secret.1,
        Err((Some("InvalidSignatureException".into()), Some(403)))
    );
    let bad_id = outcome("someone", "local").await;
    assert_eq!(
        bad_id.0,
        Err((Some("UnrecognizedClientException".into()), Some(400)))
    );
    assert_eq!(
        bad_id.1,
        Err((Some("UnrecognizedClientException".into()), Some(403)))
    );

    let unsigned = server
        .http
        .post(format!("{url}/Execute"))
        .json(&serde_json::json!({"resourceArn": RESOURCE_ARN, "secretArn": SECRET_ARN, "sql": "SELECT 1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status().as_u16(), 403);
    assert_eq!(
        unsigned.headers()["x-amzn-errortype"],
        "MissingAuthenticationTokenException"
    );
    // boto3 signs the same way (botocore's signer, not the Rust SDK's).
    let script = format!(
        "import boto3\n\
         s = boto3.session.Session(aws_access_key_id='local', aws_secret_access_key='local', region_name='us-east-1')\n\
         s.client('redshift-data', endpoint_url='{url}').execute_statement(WorkgroupName='local', Database='{}', Sql='SELECT 1')\n\
         s.client('rds-data', endpoint_url='{url}').execute_statement(resourceArn='{RESOURCE_ARN}', secretArn='{SECRET_ARN}', database='{}', sql='SELECT 1')\n\
         print('signed ok')\n",
        server.redshift_database, server.aurora_database
    );
    // tokio's Command: the server runs on this test's runtime and must keep answering.
    let output = tokio::process::Command::new(workspace_root().join(".venv/bin/python"))
        .args(["-c", &script])
        .output()
        .await
        .expect("python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("signed ok"),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Admin routes are not AWS routes: no signature needed.
    assert!(server.admin_get("/_local/calls").await["calls"].is_object());
}
