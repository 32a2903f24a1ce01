//! `gateway-bench`: the gateway's own cost. Starts an instant stub Lambda Invoke endpoint and the
//! gateway in-process on loopback, sends N requests per route, and prints per route the latency of
//! calling the stub directly, through the gateway, and the difference (the gateway's overhead), then
//! the render time of every template in schemas/templates.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use axum::extract::Path as UrlPath;
use clap::Parser;
use local_gateway::mapping::{MappingInput, MappingTemplate};
use local_gateway::spec::ApiDefinition;
use local_gateway::stage::StageSettings;
use local_gateway::{GatewayConfig, RunningGateway};
use serde_json::json;

const API_KEY: &str = "bench-key-0123456789abcdef";

#[derive(Parser)]
struct Args {
    /// The OpenAPI document.
    #[arg(long, default_value = "schemas/openapi.yaml")]
    openapi: PathBuf,
    /// The templates to time.
    #[arg(long, default_value = "schemas/templates")]
    templates: PathBuf,
    /// Requests per route (after a warm-up of a tenth as many).
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Renders per template.
    #[arg(long, default_value_t = 20000)]
    renders: usize,
}

/// A route to time, with the body it sends and what the stub answers.
struct Case {
    method: &'static str,
    path: &'static str,
    body: Option<&'static str>,
    function: &'static str,
}

const CASES: [Case; 5] = [
    Case {
        method: "GET",
        path: "/staff/0001",
        body: None,
        function: "staff-get",
    },
    Case {
        method: "GET",
        path: "/staff?limit=2&after=0001",
        body: None,
        function: "staff-get",
    },
    Case {
        method: "POST",
        path: "/staff",
        body: Some(r#"{"id":"0004","name":"Athena","age":30}"#),
        function: "staff-post",
    },
    Case {
        method: "PUT",
        path: "/staff/0001",
        body: Some(r#"{"age":13}"#),
        function: "staff-put",
    },
    Case {
        method: "POST",
        path: "/redshift_select",
        body: Some(r#"{"target_table":"flightdata"}"#),
        function: "redshift-count",
    },
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let stub_url = start_instant_lambda().await?;
    let gateway = start_gateway(&args, &stub_url).await?;
    let client = reqwest::Client::new();
    println!(
        "gateway-bench: {} requests per route, sequential, one pooled client; stub Lambda at {stub_url}, gateway at {} (access log off)",
        args.requests,
        gateway.url()
    );

    println!();
    println!(
        "{:<32} {:>10} {:>10} {:>12} {:>12} {:>14} {:>14}",
        "route",
        "stub p50",
        "stub p99",
        "gateway p50",
        "gateway p99",
        "overhead p50",
        "overhead p99"
    );
    for case in &CASES {
        let invoke_url = format!(
            "{stub_url}/2015-03-31/functions/{}/invocations",
            case.function
        );
        let direct = time_requests(&client, "POST", &invoke_url, Some("{}"), args.requests).await?;
        let through = time_requests(
            &client,
            case.method,
            &format!("{}{}", gateway.url(), case.path),
            case.body,
            args.requests,
        )
        .await?;
        let (direct, through) = (Percentiles::of(direct), Percentiles::of(through));
        println!(
            "{:<32} {:>8.0}µs {:>8.0}µs {:>10.0}µs {:>10.0}µs {:>12.0}µs {:>12.0}µs",
            format!("{} {}", case.method, case.path),
            direct.p50,
            direct.p99,
            through.p50,
            through.p99,
            through.p50 - direct.p50,
            through.p99 - direct.p99,
        );
    }

    println!();
    println!("{:<36} {:>12} {:>12}", "template (render)", "p50", "p99");
    let mut templates: Vec<_> = std::fs::read_dir(&args.templates)?.collect::<Result<_, _>>()?;
    templates.sort_by_key(|entry| entry.file_name());
    for entry in templates {
        let name = entry.file_name().to_string_lossy().into_owned();
        let template = MappingTemplate::parse(&std::fs::read_to_string(entry.path())?)?;
        let timings = time_renders(&template, &name, args.renders)?;
        let rendered = Percentiles::of(timings);
        println!(
            "{:<36} {:>10.1}µs {:>10.1}µs",
            name, rendered.p50, rendered.p99
        );
    }
    gateway.shutdown().await?;
    Ok(())
}

/// A Lambda Invoke endpoint that answers at once with a fixed record.
async fn start_instant_lambda() -> std::io::Result<String> {
    let record = json!({"id": "0001", "name": "Aurora", "age": 12}).to_string();
    let app = axum::Router::new().route(
        "/2015-03-31/functions/{name}/invocations",
        axum::routing::post(move |UrlPath(_name): UrlPath<String>| async move { record }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

async fn start_gateway(
    args: &Args,
    stub_url: &str,
) -> Result<RunningGateway, Box<dyn std::error::Error>> {
    let unlimited = json!({"rateLimit": 1_000_000, "burstLimit": 1_000_000});
    let stage: StageSettings = serde_json::from_value(json!({
        "stage": "bench",
        "throttle": unlimited,
        "usagePlan": {"throttle": unlimited, "quota": {"limit": u64::MAX, "period": "DAY"}}
    }))?;
    Ok(local_gateway::start(GatewayConfig {
        api: ApiDefinition::load(&args.openapi)?,
        stage,
        listen: "127.0.0.1:0".parse()?,
        lambda_endpoint: stub_url.to_owned(),
        api_keys: vec![API_KEY.to_owned()],
        access_log: false,
    })
    .await?)
}

async fn time_requests(
    client: &reqwest::Client,
    method: &str,
    url: &str,
    body: Option<&str>,
    count: usize,
) -> Result<Vec<Duration>, Box<dyn std::error::Error>> {
    let warm_up = count / 10;
    let mut timings = Vec::with_capacity(count);
    for round in 0..warm_up + count {
        let mut request = client
            .request(method.parse()?, url)
            .header("x-api-key", API_KEY);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_owned());
        }
        let started = Instant::now();
        let response = request.send().await?;
        let status = response.status();
        response.bytes().await?;
        let elapsed = started.elapsed();
        if !status.is_success() {
            return Err(format!("{method} {url} answered {status}").into());
        }
        if round >= warm_up {
            timings.push(elapsed);
        }
    }
    Ok(timings)
}

/// Renders `template` with the input it meets in practice: a request for the request templates,
/// the stub's record or an error envelope for the response templates.
fn time_renders(
    template: &MappingTemplate,
    name: &str,
    count: usize,
) -> Result<Vec<Duration>, Box<dyn std::error::Error>> {
    let body = match name {
        "error-response.vtl" | "unexpected-error-response.vtl" => {
            r#"{"errorType":"ApiError","errorMessage":"{\"Status\":404,\"ErrorReason\":\"no staff with id 0009\"}"}"#
        }
        "redshift-count-request.vtl" => r#"{"target_table":"flightdata","schema":"public"}"#,
        "staff-post-request.vtl" => r#"{"id":"0004","name":"Athena","age":30}"#,
        "staff-put-request.vtl" => r#"{"name":"Athena","age":null}"#,
        _ => r#"{"id":"0001","name":"Aurora","age":12}"#,
    };
    let path = BTreeMap::from([("id".to_owned(), "0001".to_owned())]);
    let querystring = BTreeMap::from([
        ("limit".to_owned(), "2".to_owned()),
        ("after".to_owned(), "0001".to_owned()),
    ]);
    let header = BTreeMap::from([("content-type".to_owned(), "application/json".to_owned())]);
    let context = json!({"requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "stage": "bench", "identity": {"sourceIp": "127.0.0.1"}});
    let stage_variables = BTreeMap::new();
    let input = MappingInput {
        body,
        path: &path,
        querystring: &querystring,
        header: &header,
        context: &context,
        stage_variables: &stage_variables,
    };
    let mut timings = Vec::with_capacity(count);
    for _ in 0..count {
        let started = Instant::now();
        let rendered = template.render(&input)?;
        timings.push(started.elapsed());
        std::hint::black_box(rendered);
    }
    Ok(timings)
}

/// Nearest-rank percentiles, in microseconds.
struct Percentiles {
    p50: f64,
    p99: f64,
}

impl Percentiles {
    fn of(mut timings: Vec<Duration>) -> Self {
        timings.sort();
        let at = |percent: usize| {
            let rank = (timings.len() * percent).div_ceil(100).saturating_sub(1);
            timings[rank].as_secs_f64() * 1e6
        };
        Self {
            p50: at(50),
            p99: at(99),
        }
    }
}
