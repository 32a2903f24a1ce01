//! The seed articles' mapping templates (copied from ../shared/seeds into fixtures/seeds).

use std::collections::BTreeMap;

use vtl::Template;
use vtl::apigw::{MappingInput, render};

fn fixture(name: &str) -> Template {
    let path = format!("{}/tests/fixtures/seeds/{name}", env!("CARGO_MANIFEST_DIR"));
    let source = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Template::parse(&source).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn render_seed(name: &str, body: &str, path: &[(&str, &str)], query: &[(&str, &str)]) -> String {
    let (path, query, header, stage) = (map(path), map(query), map(&[]), map(&[]));
    let context = serde_json::json!({"stage": "dev"});
    let input = MappingInput {
        body,
        path: &path,
        querystring: &query,
        header: &header,
        context: &context,
        stage_variables: &stage,
    };
    render(&fixture(name), &input).unwrap()
}

#[test]
fn get_template_takes_the_id_from_the_query_string() {
    let out = render_seed("get_staff_request.vtl", "", &[], &[("id", "0001")]);
    assert_eq!(out, "{\n  \"id\": \"0001\"\n}\n");
    let event: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(event["id"], "0001");
}

#[test]
fn get_template_renders_an_empty_id_when_absent() {
    let out = render_seed("get_staff_request.vtl", "", &[], &[]);
    assert_eq!(out, "{\n  \"id\": \"\"\n}\n");
}

#[test]
fn put_template_quotes_the_path_id_and_copies_the_name_as_json() {
    let out = render_seed(
        "put_staff_request.vtl",
        r#"{"name": "Aurora \"A\""}"#,
        &[("id", "0001")],
        &[],
    );
    // #set eats its own line; the id keeps its leading zeros because it is quoted.
    assert_eq!(
        out,
        "{\n    \"id\": \"0001\",\n    \"name\": \"Aurora \\\"A\\\"\"\n}\n"
    );
    let event: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        event,
        serde_json::json!({"id": "0001", "name": "Aurora \"A\""})
    );
}

#[test]
fn response_template_returns_the_body_string_verbatim() {
    let lambda_result =
        r#"{"statusCode": 200, "body": "{\"Status\": \"success\", \"result_value\": 118}"}"#;
    let out = render_seed("redshift_select_response_200.vtl", lambda_result, &[], &[]);
    assert_eq!(out, r#"{"Status": "success", "result_value": 118}"#);
}

#[test]
fn error_response_template_returns_the_error_message() {
    let lambda_error = r#"{"errorType": "Error", "errorMessage": "{\"Status\":404,\"ErrorReason\":\"no such table\"}"}"#;
    let out = render_seed("redshift_select_response_error.vtl", lambda_error, &[], &[]);
    assert_eq!(out, r#"{"Status":404,"ErrorReason":"no such table"}"#);
}
