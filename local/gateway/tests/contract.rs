//! The contract in schemas/: every route of DESIGN.md, API keys everywhere, JSON-only integrations,
//! mutually exclusive selection patterns with a catch-all that never captures a success (AWS
//! matches a success as ""), exact response models, and models in plain JSON Schema draft 4.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use local_gateway::selection::LambdaResult;
use local_gateway::spec::{ApiDefinition, Backend, Operation, PassthroughBehavior};
use local_gateway::validation::BodyValidator;
use serde_json::{Value, json};

fn repository_path(relative: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(relative)
}

fn openapi_document() -> Value {
    let text = std::fs::read_to_string(repository_path("schemas/openapi.yaml")).unwrap();
    serde_yaml_ng::from_str(&text).unwrap()
}

fn contract() -> ApiDefinition {
    ApiDefinition::load(&repository_path("schemas/openapi.yaml")).unwrap()
}

/// The envelope statuses each operation's function returns (others are the catch-all's 500).
fn envelope_statuses(operation: &Operation) -> &'static [u16] {
    match (operation.method.as_str(), operation.resource_path.as_str()) {
        ("POST", "/staff") => &[400, 409, 422, 503, 504],
        ("PUT", "/staff/{id}") => &[400, 404, 422, 503, 504],
        _ => &[400, 404, 503, 504],
    }
}

#[test]
fn serves_every_route_of_the_design_with_its_function() {
    let routes: BTreeSet<_> = contract()
        .operations
        .iter()
        .map(|operation| {
            (
                operation.method.clone(),
                operation.resource_path.clone(),
                match &operation.integration.backend {
                    Backend::Lambda { function_name } => function_name.clone(),
                    Backend::Mock => "MOCK".to_owned(),
                },
            )
        })
        .collect();
    let expected: BTreeSet<_> = [
        ("GET", "/staff", "staff-get"),
        ("GET", "/staff/{id}", "staff-get"),
        ("POST", "/staff", "staff-post"),
        ("PUT", "/staff/{id}", "staff-put"),
        ("POST", "/redshift_select", "redshift-count"),
    ]
    .into_iter()
    .map(|(method, path, function)| (method.to_owned(), path.to_owned(), function.to_owned()))
    .collect();
    assert_eq!(routes, expected);
}

#[test]
fn every_operation_needs_a_key_takes_only_json_and_validates_bodies() {
    for operation in contract().operations {
        let name = operation.name();
        assert!(operation.api_key_required, "{name}");
        assert_eq!(
            operation.integration.passthrough,
            PassthroughBehavior::Never,
            "{name}"
        );
        assert_eq!(
            operation
                .integration
                .request_templates
                .keys()
                .collect::<Vec<_>>(),
            ["application/json"],
            "{name}"
        );
        let has_body = operation.method == "POST" || operation.method == "PUT";
        assert_eq!(operation.body_validator.is_some(), has_body, "{name}");
    }
}

/// The status a success answers: the default response, which no pattern may pre-empt.
fn success_status(operation: &Operation) -> u16 {
    if operation.name() == "POST /staff" {
        201
    } else {
        200
    }
}

/// AWS matches every selection pattern against "" on a success (docs/aws-fidelity.md, "Selection"),
/// so none may match it, or the success answers that pattern's status instead.
#[test]
fn no_pattern_captures_a_success_so_it_answers_the_default() {
    for operation in contract().operations {
        let responses = &operation.integration.responses;
        assert_eq!(
            responses.patterns_capturing_success(),
            Vec::<&str>::new(),
            "{}",
            operation.name()
        );
        let selected = responses.select(LambdaResult::Success).unwrap();
        assert_eq!(
            selected.status,
            success_status(&operation),
            "{}",
            operation.name()
        );
    }
    assert_eq!(
        contract().warnings(),
        Vec::<String>::new(),
        "the gateway would warn at start"
    );
}

fn error_messages() -> Vec<String> {
    let mut messages: Vec<String> = [400, 401, 403, 404, 409, 413, 422, 429, 500, 502, 503, 504]
        .iter()
        .map(|status| format!(r#"{{"Status":{status},"ErrorReason":"reason"}}"#))
        .collect();
    messages.extend(
        [
            "Runtime exited with error: exit status 101",
            "2026-01-07T09:05:03Z 1b2c Task timed out after 10.00 seconds",
            "{\"Status\":404,\"ErrorReason\":\"line one\nline two\"}",
            "{\"Status\":400,\n\"ErrorReason\":\"newline after the status\"}",
            r#"{"Status": 404, "ErrorReason": "spaced, as the seed's Python json.dumps"}"#,
            r#"{"Status":4040,"ErrorReason":"not a status"}"#,
            r#"x{"Status":404,"ErrorReason":"prefixed"}"#,
        ]
        .map(str::to_owned),
    );
    messages
}

#[test]
fn exactly_one_pattern_matches_any_error_message() {
    for operation in contract().operations {
        for message in error_messages() {
            let matching = operation.integration.responses.matching_patterns(&message);
            assert_eq!(
                matching.len(),
                1,
                "{}: {message:?} matches {matching:?}",
                operation.name()
            );
        }
    }
}

#[test]
fn envelope_statuses_are_kept_and_anything_else_is_500() {
    for operation in contract().operations {
        for message in error_messages() {
            let envelope_status = message
                .strip_prefix(r#"{"Status":"#)
                .and_then(|rest| rest.get(..4))
                .and_then(|status| status.strip_suffix(','))
                .and_then(|status| status.parse::<u16>().ok());
            let expected = match envelope_status {
                Some(status) if envelope_statuses(&operation).contains(&status) => status,
                _ => 500,
            };
            let selected = operation
                .integration
                .responses
                .select(LambdaResult::Error {
                    error_message: Some(&message),
                })
                .unwrap();
            assert_eq!(
                selected.status,
                expected,
                "{}: {message:?}",
                operation.name()
            );
        }
        // An error without a message is matched as "", exactly like a success (AWS's rule).
        let absent = operation
            .integration
            .responses
            .select(LambdaResult::Error {
                error_message: None,
            })
            .unwrap();
        assert_eq!(
            absent.status,
            success_status(&operation),
            "{}: no errorMessage",
            operation.name()
        );
    }
}

#[test]
fn every_template_file_is_used_and_each_is_referenced_by_reference_only() {
    let document = std::fs::read_to_string(repository_path("schemas/openapi.yaml")).unwrap();
    let referenced: BTreeSet<String> = document
        .lines()
        .filter_map(|line| line.trim().strip_prefix("$ref: templates/"))
        .map(str::to_owned)
        .collect();
    let files: BTreeSet<String> = std::fs::read_dir(repository_path("schemas/templates"))
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(referenced, files);
}

fn keywords(value: &Value, found: &mut BTreeSet<String>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object {
                found.insert(key.clone());
                if key != "properties" && key != "dependencies" {
                    keywords(child, found);
                } else if let Value::Object(properties) = child {
                    properties
                        .values()
                        .for_each(|schema| keywords(schema, found));
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| keywords(item, found)),
        _ => {}
    }
}

/// API Gateway validates bodies against JSON Schema draft 4. OpenAPI's own schema keywords have no
/// draft 4 meaning there, so the models do without them. (`oneOf` is draft 4 and API Gateway accepts
/// and enforces it: the AWS-validated recording TestApiGatewayCommon::
/// test_api_gateway_request_validator_with_ref_one_ofmodels, docs/aws-fidelity.md.)
#[test]
fn models_use_no_openapi_only_keyword() {
    let document = openapi_document();
    let mut found = BTreeSet::new();
    keywords(&document["components"]["schemas"], &mut found);
    let openapi_only = [
        "nullable",
        "discriminator",
        "readOnly",
        "writeOnly",
        "example",
        "xml",
        "externalDocs",
        "deprecated",
    ];
    for keyword in openapi_only {
        assert!(!found.contains(keyword), "models use {keyword}");
    }
}

fn model(name: &str) -> BodyValidator {
    let document = openapi_document();
    let schema = document["components"]["schemas"][name].clone();
    BodyValidator::new(name, &schema, &document).unwrap()
}

fn accepts(validator: &BodyValidator, value: Value) -> bool {
    validator.accepts(value.to_string().as_bytes())
}

#[test]
fn response_models_are_exact() {
    let staff = model("Staff");
    assert!(accepts(
        &staff,
        json!({"id": "0001", "name": "Aurora", "age": 12})
    ));
    assert!(accepts(
        &staff,
        json!({"id": "0001", "name": "Aurora", "age": null})
    ));
    assert!(!accepts(&staff, json!({"id": "0001", "name": "Aurora"})));
    assert!(!accepts(
        &staff,
        json!({"id": "001", "name": "Aurora", "age": 1})
    ));
    assert!(!accepts(
        &staff,
        json!({"id": "0001", "name": "Aurora", "age": 1.5})
    ));

    let staff_or_page = model("StaffOrStaffPage");
    assert!(accepts(
        &staff_or_page,
        json!({"id": "0001", "name": "Aurora", "age": 12})
    ));
    assert!(accepts(
        &staff_or_page,
        json!({"items": [{"id": "0001", "name": "Aurora", "age": 12}], "next": "0001"})
    ));
    assert!(accepts(&staff_or_page, json!({"items": [], "next": null})));
    assert!(!accepts(
        &staff_or_page,
        json!({"items": [], "next": null, "id": "0001"})
    ));
    assert!(!accepts(
        &staff_or_page,
        json!({"id": "0001", "name": "Aurora"})
    ));
    assert!(!accepts(
        &staff_or_page,
        json!({"items": [{"id": "0001"}], "next": null})
    ));

    let error = model("ErrorOrGatewayError");
    assert!(accepts(
        &error,
        json!({"Status": 400, "ErrorReason": "bad"})
    ));
    assert!(accepts(&error, json!({"message": "Invalid request body"})));
    assert!(!accepts(&error, json!({"message": "x", "Status": 400})));
    assert!(!accepts(&error, json!({"Status": 400})));
    assert!(!accepts(&error, json!({})));

    let count = model("RedshiftSelectResult");
    assert!(accepts(
        &count,
        json!({"Status": "success", "result_value": 118})
    ));
    assert!(!accepts(
        &count,
        json!({"Status": "success", "result_value": "118"})
    ));
}

#[test]
fn request_models_follow_the_design() {
    let new_staff = model("NewStaff");
    assert!(accepts(
        &new_staff,
        json!({"id": "0004", "name": "Athena", "age": 150})
    ));
    assert!(accepts(
        &new_staff,
        json!({"id": "abcZ", "name": "A", "age": null})
    ));
    assert!(
        !accepts(&new_staff, json!({"id": "0004", "name": "   ", "age": 1})),
        "blank name"
    );
    assert!(!accepts(
        &new_staff,
        json!({"id": "0004", "name": "x".repeat(101)})
    ));
    assert!(!accepts(
        &new_staff,
        json!({"id": "0004", "name": "A", "age": -1})
    ));

    let update = model("StaffUpdate");
    assert!(accepts(&update, json!({"name": "B"})));
    assert!(accepts(&update, json!({"age": null})));
    assert!(!accepts(&update, json!({})));
    assert!(!accepts(&update, json!({"id": "0001"})));

    let select = model("RedshiftSelectRequest");
    assert!(accepts(&select, json!({"target_table": "flightdata"})));
    assert!(accepts(
        &select,
        json!({"target_table": "flightdata", "schema": "public"})
    ));
    assert!(!accepts(&select, json!({"schema": "public"})));
    assert!(!accepts(&select, json!({"target_table": ""})));
}
