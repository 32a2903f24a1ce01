//! Renders a mapping template as API Gateway would, and optionally times it.
//!
//! ```text
//! cargo run -p vtl --example render -- schemas/templates/staff-put-request.vtl \
//!     --body '{"name": "Aurora"}' --path id=0001
//! cargo run --release -p vtl --example render -- schemas/templates/*.vtl --bench 10000
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use clap::Parser;
use vtl::Template;
use vtl::apigw::{MappingInput, render};

/// Render VTL mapping templates with API Gateway's $input, $util, $context and $stageVariables.
#[derive(Parser)]
struct Args {
    /// Template files (.vtl).
    #[arg(required = true)]
    templates: Vec<PathBuf>,
    /// Request body, or the Lambda result for response templates.
    #[arg(long, default_value = "")]
    body: String,
    /// Path parameter NAME=VALUE (repeatable).
    #[arg(long = "path", value_parser = pair)]
    path: Vec<(String, String)>,
    /// Query string parameter NAME=VALUE (repeatable).
    #[arg(long = "query", value_parser = pair)]
    query: Vec<(String, String)>,
    /// Header NAME=VALUE (repeatable).
    #[arg(long = "header", value_parser = pair)]
    header: Vec<(String, String)>,
    /// Instead of printing the output, render each template N times and print p50/p99.
    #[arg(long, value_name = "N")]
    bench: Option<usize>,
}

fn pair(text: &str) -> Result<(String, String), String> {
    text.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("expected NAME=VALUE, got {text:?}"))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let to_map = |pairs: &[(String, String)]| pairs.iter().cloned().collect::<BTreeMap<_, _>>();
    let (path, query, header) = (
        to_map(&args.path),
        to_map(&args.query),
        to_map(&args.header),
    );
    let stage = BTreeMap::new();
    let context = serde_json::json!({
        "requestId": "example", "stage": "local", "httpMethod": "GET", "resourcePath": "/",
        "identity": {"sourceIp": "127.0.0.1", "apiKey": "local"}
    });
    let input = MappingInput {
        body: &args.body,
        path: &path,
        querystring: &query,
        header: &header,
        context: &context,
        stage_variables: &stage,
    };
    for file in &args.templates {
        let source = std::fs::read_to_string(file)?;
        let template = Template::parse(&source).map_err(|e| format!("{}: {e}", file.display()))?;
        match args.bench {
            None => {
                let out =
                    render(&template, &input).map_err(|e| format!("{}: {e}", file.display()))?;
                println!("{out}");
            }
            Some(n) => {
                let (p50, p99) = time_renders(&template, &input, n.max(1));
                println!(
                    "{:<48} p50 {:>8.2} µs  p99 {:>8.2} µs  ({n} renders)",
                    file.display(),
                    micros(p50),
                    micros(p99)
                );
            }
        }
    }
    Ok(())
}

/// Renders `n` times; returns the median and 99th percentile of one render.
fn time_renders(template: &Template, input: &MappingInput<'_>, n: usize) -> (Duration, Duration) {
    let mut samples: Vec<Duration> = (0..n)
        .map(|_| {
            let start = Instant::now();
            let _ = std::hint::black_box(render(template, input));
            start.elapsed()
        })
        .collect();
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    (at(0.5), at(0.99))
}

fn micros(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}
