//! Every template of the HTTP contract (schemas/templates/*.vtl) parses and renders against
//! representative requests and Lambda results, and each yields JSON for at least one of them.

use std::collections::BTreeMap;
use std::path::PathBuf;

use vtl::Template;
use vtl::apigw::{MappingInput, render};

struct Case {
    name: &'static str,
    body: &'static str,
    path: &'static [(&'static str, &'static str)],
    query: &'static [(&'static str, &'static str)],
}

const CASES: &[Case] = &[
    Case {
        name: "request with every field",
        body: r#"{"target_table": "flightdata", "schema": "public", "id": "0001", "name": "Aurora", "age": 12}"#,
        path: &[("id", "0001")],
        query: &[("limit", "10"), ("after", "0001")],
    },
    Case {
        name: "request with quotes and a null age",
        body: r#"{"target_table": "it's", "id": "0002", "name": "O'Brien \"x\"\n", "age": null}"#,
        path: &[("id", "0'2")],
        query: &[],
    },
    Case {
        name: "GET without body or parameters",
        body: "",
        path: &[],
        query: &[],
    },
    Case {
        name: "Lambda success",
        body: r#"{"id": "0001", "name": "Aurora", "age": 12}"#,
        path: &[],
        query: &[],
    },
    Case {
        name: "Lambda envelope error",
        body: r#"{"errorType": "Error", "errorMessage": "{\"Status\":404,\"ErrorReason\":\"not found\"}"}"#,
        path: &[],
        query: &[],
    },
    Case {
        name: "Lambda runtime error",
        body: r#"{"errorType": "Runtime.ExitError", "errorMessage": "RequestId: 1 Error: Runtime exited with error: signal: killed"}"#,
        path: &[],
        query: &[],
    },
];

fn templates_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../schemas/templates")
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn render_case(template: &Template, case: &Case) -> Result<String, vtl::VtlError> {
    let (path, query, stage) = (map(case.path), map(case.query), map(&[]));
    let header = map(&[("Content-Type", "application/json"), ("x-api-key", "local")]);
    let context = serde_json::json!({
        "requestId": "c0ffee", "stage": "dev", "httpMethod": "POST", "resourcePath": "/staff",
        "identity": {"sourceIp": "127.0.0.1", "apiKey": "local"}
    });
    render(
        template,
        &MappingInput {
            body: case.body,
            path: &path,
            querystring: &query,
            header: &header,
            context: &context,
            stage_variables: &stage,
        },
    )
}

#[test]
fn every_contract_template_renders() {
    let dir = templates_dir();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "vtl"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no templates in {}", dir.display());
    for file in files {
        let source = std::fs::read_to_string(&file).unwrap();
        let template =
            Template::parse(&source).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let mut json_outputs = 0;
        for case in CASES {
            let out = render_case(&template, case)
                .unwrap_or_else(|e| panic!("{} with {}: {e}", file.display(), case.name));
            if serde_json::from_str::<serde_json::Value>(&out).is_ok() {
                json_outputs += 1;
            }
        }
        assert!(
            json_outputs > 0,
            "{} renders JSON for none of the representative inputs",
            file.display()
        );
    }
}
