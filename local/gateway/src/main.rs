//! `local-gateway`: serves the OpenAPI document for one stage on loopback.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use local_gateway::spec::ApiDefinition;
use local_gateway::stage::StageSettings;
use local_gateway::{ClientState, DEFAULT_LAMBDA_ENDPOINT, GatewayConfig};

/// A local API Gateway (REST, non-proxy Lambda integrations): API keys, usage plan, request
/// validation, VTL mapping templates and integration responses from the OpenAPI document, invoking
/// functions through the Lambda Invoke API (`cargo lambda watch` by default).
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The OpenAPI document with API Gateway's extensions.
    #[arg(long, default_value = "schemas/openapi.yaml")]
    openapi: PathBuf,
    /// The stage's settings (stage name, throttle, usage plan).
    #[arg(long, default_value = "infra/stages/dev.json")]
    stage_file: PathBuf,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: SocketAddr,
    /// The Lambda Invoke API endpoint.
    #[arg(long, default_value = DEFAULT_LAMBDA_ENDPOINT)]
    lambda_endpoint: String,
    /// An API key value of the stage's first client (at least 20 characters); repeat for more.
    /// Prefer --api-keys-file: a command line is visible to every local user.
    #[arg(long = "api-key")]
    api_keys: Vec<String>,
    /// A JSON file of client name to key value (`{"default": "..."}`); clients it does not name
    /// get a generated key.
    #[arg(long, env = "LOCAL_GATEWAY_API_KEYS_FILE")]
    api_keys_file: Option<PathBuf>,
    /// Where the usage plans' quota counts persist across restarts (default: in memory).
    #[arg(long)]
    quota_file: Option<PathBuf>,
    /// Accept a --listen address other than loopback (anyone who can reach it can call the API).
    #[arg(long)]
    allow_non_loopback: bool,
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("local-gateway: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let api = ApiDefinition::load(&args.openapi)?;
    for warning in api.warnings() {
        eprintln!("local-gateway: warning: {warning}");
    }
    if !args.listen.ip().is_loopback() {
        if !args.allow_non_loopback {
            return Err(format!(
                "--listen {} is not a loopback address; pass --allow-non-loopback to accept it",
                args.listen
            )
            .into());
        }
        eprintln!(
            "local-gateway: warning: listening on {}, reachable from other machines",
            args.listen
        );
    }
    let keys = match &args.api_keys_file {
        Some(path) => local_gateway::api_keys::read_key_file(path)?,
        None => Default::default(),
    };
    let config = GatewayConfig {
        api,
        stage: StageSettings::load(&args.stage_file)?,
        listen: args.listen,
        lambda_endpoint: args.lambda_endpoint,
        api_keys: args.api_keys,
        access_log: true,
    };
    let clients = ClientState {
        keys,
        quota_file: args.quota_file,
    };
    let gateway = local_gateway::start_with(config, clients).await?;
    for line in gateway.banner() {
        println!("{line}");
    }
    println!("access log: one JSON line per request on stderr; Ctrl-C stops");
    tokio::signal::ctrl_c().await?;
    gateway.shutdown().await?;
    Ok(())
}
