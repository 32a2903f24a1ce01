//! redshift-count end-to-end latency minus the statement duration D (set on the local Data API), with
//! the number of Data API calls per request, beside a reproduction of the seed's polling policy
//! (ExecuteStatement, then DescribeStatement + sleep 1 s until done, then GetStatementResult) run
//! with the AWS SDK against the same local Data API. Prints a Markdown table.

use std::time::{Duration, Instant};

use aws_sdk_redshiftdata::types::StatusString;
use e2e_tests::admin::Admin;
use e2e_tests::api::Api;
use local_stack::stack::REDSHIFT_DATABASE;
use local_stack::{Logs, Stack, StackOptions, workspace_root};
use serde_json::json;

const RUNS: usize = 5;
const DURATIONS_MS: [u64; 3] = [100, 1_000, 3_000];

fn main() {
    // Started on the main thread: children get a parent-death signal tied to the spawning thread.
    let stack = start_stack();
    tokio::runtime::Runtime::new()
        .expect("the runtime starts")
        .block_on(run(&stack));
}

fn start_stack() -> Stack {
    let root = workspace_root();
    let mut options =
        StackOptions::local_defaults(root.clone(), local_stack::stage::stage_file(&root, "dev"));
    options.gateway_listen = "127.0.0.1:0".into();
    options.data_api_listen = "127.0.0.1:0".into();
    options.lambda_port = 0;
    options.reload_on_change = false;
    options.logs = Logs::Dir(root.join("target/bench-logs"));
    options.state = local_stack::StateDir::Throwaway;
    Stack::start(options, &|step| eprintln!("==> {step}")).expect("the local stack starts")
}

async fn run(stack: &Stack) {
    let api = Api::new(&stack.base_url, Some(&stack.api_key));
    let admin = Admin::new(&stack.data_api_url, &stack.admin_token);
    let sdk = seed_client(&stack.data_api_url, stack.stage.region()).await;

    println!(
        "| D (s) | redshift-count via gateway: latency − D, median of {RUNS} (ms) | Data API calls / request | seed policy: latency − D, median (ms) | Data API calls / request |"
    );
    println!("|---:|---:|---:|---:|---:|");
    for duration_ms in DURATIONS_MS {
        let duration = Duration::from_millis(duration_ms);
        let (ours, our_calls) = measure(&admin, duration, async || {
            let reply = api
                .post("/redshift_select", &json!({"target_table": "flightdata"}))
                .await
                .unwrap();
            assert_eq!(reply.status, 200, "{reply}");
        })
        .await;
        let workgroup = stack
            .stage
            .backend()
            .expect("the dev stage has functions")
            .redshift
            .workgroup_name
            .clone();
        let (seed, seed_calls) = measure(&admin, duration, async || {
            seed_policy(&sdk, &workgroup).await;
        })
        .await;
        println!(
            "| {:.1} | {:.0} | {:.1} | {:.0} | {:.1} |",
            duration.as_secs_f64(),
            ours,
            our_calls,
            seed,
            seed_calls
        );
    }
}

/// Median of (latency − D) in ms and redshift-data calls per request.
async fn measure(admin: &Admin, duration: Duration, request: impl AsyncFn()) -> (f64, f64) {
    admin.reset().await.unwrap();
    admin.set_statement_duration(duration).await.unwrap();
    let mut overheads = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        request().await;
        overheads.push((started.elapsed().as_secs_f64() - duration.as_secs_f64()) * 1000.0);
    }
    let calls: u64 = admin
        .calls()
        .await
        .unwrap()
        .iter()
        .filter(|(operation, _)| operation.starts_with("redshift-data."))
        .map(|(_, count)| count)
        .sum();
    overheads.sort_by(f64::total_cmp);
    (overheads[RUNS / 2], calls as f64 / RUNS as f64)
}

async fn seed_client(data_api_url: &str, region: &str) -> aws_sdk_redshiftdata::Client {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(data_api_url)
        .region(aws_config::Region::new(region.to_owned()))
        .credentials_provider(aws_sdk_redshiftdata::config::Credentials::new(
            "local", "local", None, None, "bench",
        ))
        .load()
        .await;
    aws_sdk_redshiftdata::Client::new(&config)
}

/// The seed article's loop, with the table name as a constant (never spliced from input).
async fn seed_policy(client: &aws_sdk_redshiftdata::Client, workgroup: &str) {
    let started = client
        .execute_statement()
        .workgroup_name(workgroup)
        .database(REDSHIFT_DATABASE)
        .sql("SELECT count(*) FROM public.flightdata")
        .send()
        .await
        .unwrap();
    let id = started.id().expect("ExecuteStatement returns an Id");
    loop {
        let described = client.describe_statement().id(id).send().await.unwrap();
        let status = described.status().cloned();
        tokio::time::sleep(Duration::from_secs(1)).await;
        if matches!(
            status,
            Some(StatusString::Finished | StatusString::Failed | StatusString::Aborted)
        ) {
            break;
        }
    }
    client.get_statement_result().id(id).send().await.unwrap();
}
