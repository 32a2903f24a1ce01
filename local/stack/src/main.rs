//! `local-stack`: runs the whole API locally (what `bash scripts/local` starts) until Ctrl-C.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use local_gateway::api_keys::read_key_file;
use local_gateway::example_requests::EXAMPLES;
use local_stack::lambda_env::{DEFAULT_DATA_API_URL, LogFormat, render_env_file};
use local_stack::stage::stage_file;
use local_stack::{
    Stack, StackError, StackOptions, StageSettings, StateDir, child, say, workspace_root,
};
use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Runs the API locally: local Data API, cargo lambda watch, local gateway. Ctrl-C stops it all.
#[derive(Debug, Parser)]
#[command(version)]
struct Cli {
    /// Stage whose settings (infra/stages/<stage>.json) name the resources and the usage plan.
    #[arg(long, default_value = "dev")]
    stage: String,
    /// A stage file elsewhere (overrides --stage).
    #[arg(long)]
    stage_file: Option<PathBuf>,
    /// Where the gateway listens.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: String,
    /// Where the local Data API listens (the admin endpoint is under /_local/ there).
    #[arg(long, default_value = "127.0.0.1:4010")]
    data_api_listen: String,
    /// Port of cargo lambda watch's Lambda Invoke API (0 = any free port).
    #[arg(long, default_value_t = 9000)]
    lambda_port: u16,
    /// Concurrent instances per function. cargo lambda watch builds and starts every instance at
    /// the first invocation, so each one adds to the start (1: ~9 s to the banner, 4: ~15 s,
    /// docs/benchmarks.md); raise it to serve concurrent requests to one function.
    #[arg(long, default_value_t = 1)]
    concurrency: u32,
    /// Do not rebuild and restart functions when their code changes.
    #[arg(long)]
    no_reload: bool,
    /// A JSON file of client name to API key (`{"default": "..."}`). Without it each client keeps
    /// the key of the previous run (saved in .local-stack/), or gets a new one.
    #[arg(long, env = "LOCAL_STACK_API_KEYS_FILE")]
    api_keys_file: Option<PathBuf>,
    /// Start afresh: re-seed the kept databases and forget the saved keys and quota counts in
    /// .local-stack/.
    #[arg(long)]
    reset: bool,
    /// Where the kept databases, keys and quota counts live (default: .local-stack/ in the
    /// repository); a second stack beside the first needs its own, and its own ports.
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// The functions log raw JSON lines (Lambda's JSON log format) instead of readable text.
    #[arg(long)]
    json_logs: bool,
    /// Accept --listen / --data-api-listen addresses other than loopback.
    #[arg(long)]
    allow_non_loopback: bool,
    /// Print the functions' env file for the stage and the default Data API port, then exit
    /// (this is how local/lambda.env is made).
    #[arg(long)]
    print_env: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = workspace_root();
    let stage_file = cli
        .stage_file
        .clone()
        .unwrap_or_else(|| stage_file(&root, &cli.stage));
    if cli.print_env {
        let env_file = StageSettings::load(&stage_file)
            .and_then(|stage| render_env_file(&stage, DEFAULT_DATA_API_URL, LogFormat::Text));
        return match env_file {
            Ok(text) => {
                print!("{text}");
                ExitCode::SUCCESS
            }
            Err(error) => fail(&error.into()),
        };
    }
    if let Err(error) = stop_everything_on_signal() {
        return fail(&error);
    }
    stop_everything_on_panic();

    let mut options = StackOptions::local_defaults(root, stage_file);
    if let Some(dir) = &cli.state_dir {
        // Absolute: the children run in the workspace root, not in this directory.
        match std::path::absolute(dir) {
            Ok(dir) => options.state = StateDir::Project(dir),
            Err(error) => {
                say!("local-stack: --state-dir {}: {error}", dir.display());
                return ExitCode::FAILURE;
            }
        }
    }
    if cli.reset
        && let StateDir::Project(dir) = &options.state
    {
        say!("==> --reset: re-seeding the databases, new keys, fresh quotas");
        for saved in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let name = saved.file_name().to_string_lossy().into_owned();
            if name.starts_with("api-keys-") || name.ends_with("-quota.json") {
                let _ = std::fs::remove_file(saved.path());
            }
        }
    }
    options.reset_data = cli.reset;
    options.gateway_listen = cli.listen;
    options.data_api_listen = cli.data_api_listen;
    options.lambda_port = cli.lambda_port;
    options.lambda_concurrency = cli.concurrency;
    options.reload_on_change = !cli.no_reload;
    options.allow_non_loopback = cli.allow_non_loopback;
    if cli.json_logs {
        options.log_format = LogFormat::Json;
    }
    if let Some(path) = &cli.api_keys_file {
        match read_key_file(path) {
            Ok(keys) => options.api_keys = keys,
            Err(error) => {
                say!("local-stack: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    let stack = match Stack::start(options, &|step| say!("==> {step}")) {
        Ok(stack) => stack,
        Err(error) => return fail(&error),
    };
    print_banner(&stack);
    // Serve until a signal: its handler stops the children and exits.
    loop {
        std::thread::park();
    }
}

/// Written at once, ignoring a closed stdout (the stack keeps serving).
fn print_banner(stack: &Stack) {
    let mut lines = vec![
        String::new(),
        format!(
            "The API (stage {}) is running locally. Ctrl-C stops everything.",
            stack.stage.stage
        ),
        format!("  base URL  {}", stack.base_url),
    ];
    for (client, key) in &stack.api_keys {
        lines.push(format!("  API key   {key} (client {client})"));
    }
    lines.extend([
        format!(
            "  Data API  {} (redshift-data, rds-data, ssm; admin under /_local/)",
            stack.data_api_url
        ),
        format!("  Lambda    {} (cargo lambda watch)", stack.lambda_url),
        format!(
            "  API page  {}/_local/docs (try every operation in a browser; contract: /_local/openapi.json)",
            stack.base_url
        ),
        String::new(),
        "Try:".to_owned(),
    ]);
    for example in EXAMPLES {
        lines.push(format!(
            "  {}",
            example.curl_line(&stack.base_url, &stack.api_key)
        ));
    }
    lines.push(String::new());
    let _ = std::io::stdout().write_all((lines.join("\n") + "\n").as_bytes());
}

/// SIGINT/SIGTERM/SIGHUP (also during start-up) stop every child and remove what the stack created
/// for this run, then the process exits.
fn stop_everything_on_signal() -> Result<(), StackError> {
    let mut signals =
        Signals::new([SIGINT, SIGTERM, SIGHUP]).map_err(|source| StackError::Spawn {
            name: "the signal handler".to_owned(),
            source,
        })?;
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            say!("\n==> stopping everything the stack started");
            child::stop_all();
            say!("==> stopped");
            std::process::exit(if signal == SIGINT { 0 } else { 128 + signal });
        }
    });
    Ok(())
}

/// A panic on any thread would otherwise end the process and leave the children running.
fn stop_everything_on_panic() {
    let report = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        report(info);
        child::stop_all();
        std::process::exit(101);
    }));
}

fn fail(error: &StackError) -> ExitCode {
    child::stop_all();
    say!("local-stack: {error}");
    ExitCode::FAILURE
}
