//! `client-contract`: writes the contract for the API's clients, the OpenAPI document without API
//! Gateway's extensions (see `local_gateway::client_contract`), as JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use local_gateway::client_contract::client_contract;
use local_gateway::spec::ApiDefinition;

/// Writes the OpenAPI document without its x-amazon-apigateway-* extensions: what code generators
/// and API tools read. The document is loaded as the gateway loads it, so one the gateway refuses
/// is refused here too.
#[derive(Parser)]
#[command(version)]
struct Args {
    /// The OpenAPI document with API Gateway's extensions.
    #[arg(long, default_value = "schemas/openapi.yaml")]
    openapi: PathBuf,
    /// Where to write the contract (its directory is created); standard output without it.
    #[arg(long)]
    out: Option<PathBuf>,
    /// The stage's base URL, written as the contract's only server (e.g. http://127.0.0.1:3000
    /// for the local gateway). Without it the contract names no server.
    #[arg(long)]
    server_url: Option<String>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("client-contract: {error}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<(), Box<dyn std::error::Error>> {
    let api = ApiDefinition::load(&args.openapi)?;
    let contract = client_contract(&api.document, args.server_url.as_deref());
    let text = serde_json::to_string_pretty(&contract)? + "\n";
    match args.out {
        None => print!("{text}"),
        Some(out) => {
            if let Some(directory) = out.parent().filter(|dir| !dir.as_os_str().is_empty()) {
                std::fs::create_dir_all(directory)
                    .map_err(|error| format!("cannot create {}: {error}", directory.display()))?;
            }
            std::fs::write(&out, text)
                .map_err(|error| format!("cannot write {}: {error}", out.display()))?;
        }
    }
    Ok(())
}
