//! `local-data-api`: serves redshift-data, rds-data and SSM on one loopback port, on PostgreSQL from
//! DATABASE_URL, on a cluster kept in `--data-dir`, or on a throwaway cluster it creates and removes.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;

use clap::Parser;
use local_data_api::{Cluster, Config, Postgres, Server};

#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, default_value = "127.0.0.1:4010")]
    listen: SocketAddr,
    /// Accept a `--listen` address other than loopback (anyone who can reach it can run SQL).
    #[arg(long)]
    allow_non_loopback: bool,
    /// An existing PostgreSQL server; without it a throwaway cluster is created.
    #[arg(long, env = "DATABASE_URL", conflicts_with = "data_dir")]
    database_url: Option<String>,
    /// Keep a durable PostgreSQL cluster in this directory across runs (created on first use);
    /// its databases are seeded only while missing or empty.
    #[arg(long, env = "LOCAL_DATA_API_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Drop and re-seed both databases at start, even in a kept `--data-dir` cluster.
    #[arg(long)]
    reset: bool,
    /// A file whose first line is the token admin routes (`/_local/...`) then require as
    /// `Authorization: Bearer <token>`; without it (and without LOCAL_DATA_API_ADMIN_TOKEN) they
    /// need none.
    #[arg(long)]
    admin_token_file: Option<PathBuf>,
    /// Verify SigV4 signatures: only requests signed with the access key below reach the services.
    #[arg(long)]
    verify_signatures: bool,
    /// The access key id signatures must use (with --verify-signatures).
    #[arg(long, env = "LOCAL_DATA_API_ACCESS_KEY_ID", default_value = "local")]
    access_key_id: String,
    /// Serve only this redshift-data WorkgroupName (default: any).
    #[arg(long)]
    workgroup_name: Option<String>,
    /// Serve only this redshift-data ClusterIdentifier (default: any).
    #[arg(long)]
    cluster_identifier: Option<String>,
    /// Serve only this rds-data resourceArn (default: any).
    #[arg(long)]
    aurora_cluster_arn: Option<String>,
    /// Serve only this rds-data secretArn (default: any).
    #[arg(long)]
    aurora_secret_arn: Option<String>,
    /// Database behind the Redshift side (seeded from redshift.sql).
    #[arg(long, default_value = "dev")]
    redshift_database: String,
    /// Database behind the Aurora side (seeded from aurora.sql).
    #[arg(long, default_value = "staff")]
    aurora_database: String,
    /// An SSM parameter to seed, NAME=VALUE (repeatable).
    #[arg(long = "ssm", value_parser = parse_parameter)]
    ssm: Vec<(String, String)>,
    /// Directory holding redshift.sql and aurora.sql.
    #[arg(long, default_value = "schemas/db")]
    schemas_dir: PathBuf,
    /// Bytes of cell data per GetStatementResult page.
    #[arg(long, default_value_t = 1024 * 1024)]
    result_page_bytes: usize,
}

fn parse_parameter(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .ok_or_else(|| format!("expected NAME=VALUE, got `{text}`"))
}

fn progress(line: &str) {
    eprintln!("local-data-api: {line}");
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "local_data_api=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("local-data-api: {message}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// The admin token from `--admin-token-file`, else from `LOCAL_DATA_API_ADMIN_TOKEN`.
fn admin_token(file: Option<&std::path::Path>) -> Result<Option<String>, String> {
    let token = match file {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .map_err(|e| format!("--admin-token-file {}: {e}", path.display()))?,
        ),
        None => std::env::var(ADMIN_TOKEN_ENV).ok(),
    };
    match token
        .as_deref()
        .map(|t| t.lines().next().unwrap_or("").trim())
    {
        None => Ok(None),
        Some("") => Err("the admin token is empty".into()),
        Some(token) => Ok(Some(token.to_string())),
    }
}

const ADMIN_TOKEN_ENV: &str = "LOCAL_DATA_API_ADMIN_TOKEN";

async fn run(args: Args) -> Result<(), String> {
    if !args.listen.ip().is_loopback() {
        if !args.allow_non_loopback {
            return Err(format!(
                "refusing to listen on {}: it is not a loopback address, and anyone who can reach \
                 it could run any SQL. Pass --allow-non-loopback to do it anyway.",
                args.listen
            ));
        }
        progress(&format!(
            "WARNING: listening on the non-loopback address {}; anyone who can reach it can run SQL",
            args.listen
        ));
    }
    let mut config = Config::new(args.schemas_dir);
    config.admin_token = admin_token(args.admin_token_file.as_deref())?;
    config.keep_existing_data = args.data_dir.is_some() && !args.reset;
    if args.verify_signatures {
        config.access_key = Some(local_data_api::AccessKey {
            id: args.access_key_id,
            secret: std::env::var("LOCAL_DATA_API_SECRET_ACCESS_KEY")
                .unwrap_or_else(|_| "local".into()),
        });
    }
    config.redshift_workgroup = args.workgroup_name;
    config.redshift_cluster = args.cluster_identifier;
    config.aurora_cluster_arn = args.aurora_cluster_arn;
    config.aurora_secret_arn = args.aurora_secret_arn;
    config.listen = args.listen;
    config.redshift_database = args.redshift_database;
    config.aurora_database = args.aurora_database;
    config.ssm_parameters = args.ssm;
    config.result_page_bytes = args.result_page_bytes;

    // Held until the end of `run`: dropping it stops and removes the cluster.
    let mut cluster = None;
    let postgres = match &args.database_url {
        Some(url) => {
            progress("using PostgreSQL from DATABASE_URL");
            Postgres::new(
                tokio_postgres::Config::from_str(url).map_err(|e| format!("DATABASE_URL: {e}"))?,
            )
        }
        None => {
            let data_dir = args.data_dir.clone();
            let started = tokio::task::spawn_blocking(move || match data_dir {
                Some(dir) => Cluster::open(&dir, &progress),
                None => Cluster::start(&progress),
            })
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
            let postgres = Postgres::new(started.connection_config());
            cluster = Some(started);
            postgres
        }
    };
    let verb = if config.keep_existing_data {
        "opening"
    } else {
        "seeding"
    };
    progress(&format!(
        "{verb} databases `{}` (redshift.sql) and `{}` (aurora.sql)",
        config.redshift_database, config.aurora_database
    ));
    let server = Server::start(config, postgres)
        .await
        .map_err(|e| e.to_string())?;
    println!("local-data-api listening on {}", server.url());
    for (name, value) in server.sdk_env() {
        println!("{name}={value}");
    }
    println!(
        "admin: curl -s {}/_local/calls   (see local/data-api/README.md)",
        server.url()
    );
    println!("stop with Ctrl-C");

    wait_for_signal().await;
    progress("stopping");
    server.shutdown().await;
    drop(cluster);
    Ok(())
}

async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut terminate = signal(SignalKind::terminate()).expect("installing a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
