//! The request and response templates of schemas/templates rendered on their own: each request
//! template yields exactly its handler's input shape, as valid JSON, for any text a client sends.

use std::collections::BTreeMap;
use std::path::Path;

use local_gateway::mapping::{MappingInput, MappingTemplate};
use proptest::prelude::*;
use serde_json::{Value, json};

fn template(name: &str) -> MappingTemplate {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../schemas/templates")
        .join(name);
    MappingTemplate::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[derive(Default)]
struct Request {
    body: String,
    path: BTreeMap<String, String>,
    querystring: BTreeMap<String, String>,
    header: BTreeMap<String, String>,
}

impl Request {
    fn body(body: Value) -> Self {
        Self {
            body: body.to_string(),
            ..Self::default()
        }
    }

    fn path_id(mut self, id: &str) -> Self {
        self.path.insert("id".into(), id.into());
        self
    }

    fn query(mut self, name: &str, value: &str) -> Self {
        self.querystring.insert(name.into(), value.into());
        self
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.header.insert(name.into(), value.into());
        self
    }
}

/// Renders `name` and parses the output, which must be JSON.
fn render(name: &str, request: &Request) -> Value {
    let context = json!({"requestId": "r", "stage": "test"});
    let stage_variables = BTreeMap::new();
    let input = MappingInput {
        body: &request.body,
        path: &request.path,
        querystring: &request.querystring,
        header: &request.header,
        context: &context,
        stage_variables: &stage_variables,
    };
    let output = template(name).render(&input).unwrap();
    serde_json::from_str(&output)
        .unwrap_or_else(|error| panic!("{name} rendered {output:?}: {error}"))
}

#[test]
fn staff_get_sends_empty_strings_for_absent_parameters() {
    assert_eq!(
        render("staff-get-request.vtl", &Request::default()),
        json!({"id": "", "limit": "", "after": ""})
    );
    let query = Request::default()
        .query("id", "0002")
        .query("limit", "10")
        .query("after", "0001");
    assert_eq!(
        render("staff-get-request.vtl", &query),
        json!({"id": "0002", "limit": "10", "after": "0001"})
    );
}

#[test]
fn staff_get_prefers_the_path_id() {
    let both = Request::default().path_id("0001").query("id", "0002");
    assert_eq!(render("staff-get-request.vtl", &both)["id"], "0001");
}

#[test]
fn staff_post_sends_null_for_an_absent_age_and_keeps_json_values() {
    let without_age = Request::body(json!({"id": "0004", "name": "Athena \"A\""}));
    assert_eq!(
        render("staff-post-request.vtl", &without_age),
        json!({"id": "0004", "name": "Athena \"A\"", "age": null, "idempotency_key": ""})
    );
    let with_age = Request::body(json!({"id": "0004", "name": "Athena", "age": 30}));
    assert_eq!(
        render("staff-post-request.vtl", &with_age),
        json!({"id": "0004", "name": "Athena", "age": 30, "idempotency_key": ""})
    );
}

#[test]
fn the_writes_pass_the_idempotency_key_header_as_json_text() {
    let key = r#"k-'1"\"#;
    let post =
        Request::body(json!({"id": "0004", "name": "Athena"})).header("Idempotency-Key", key);
    assert_eq!(
        render("staff-post-request.vtl", &post)["idempotency_key"],
        key
    );
    let put = Request::body(json!({"age": 3}))
        .path_id("0001")
        .header("idempotency-key", key);
    assert_eq!(
        render("staff-put-request.vtl", &put)["idempotency_key"],
        key
    );
}

#[test]
fn staff_put_sends_only_the_keys_present() {
    let cases = [
        (
            json!({"name": "B"}),
            json!({"id": "0001", "idempotency_key": "", "name": "B"}),
        ),
        (
            json!({"age": null}),
            json!({"id": "0001", "idempotency_key": "", "age": null}),
        ),
        (
            json!({"age": 5, "name": "B"}),
            json!({"id": "0001", "idempotency_key": "", "name": "B", "age": 5}),
        ),
    ];
    for (body, event) in cases {
        assert_eq!(
            render(
                "staff-put-request.vtl",
                &Request::body(body).path_id("0001")
            ),
            event
        );
    }
}

#[test]
fn redshift_count_defaults_the_schema_to_empty() {
    let cases = [
        (
            json!({"target_table": "flightdata"}),
            json!({"target_table": "flightdata", "schema": ""}),
        ),
        (
            json!({"target_table": "t", "schema": "sales"}),
            json!({"target_table": "t", "schema": "sales"}),
        ),
        (
            json!({"target_table": "t", "schema": ""}),
            json!({"target_table": "t", "schema": ""}),
        ),
    ];
    for (body, event) in cases {
        assert_eq!(
            render("redshift-count-request.vtl", &Request::body(body)),
            event
        );
    }
}

#[test]
fn response_templates_return_the_result_or_the_envelope() {
    let record = json!({"id": "0001", "name": "Aurora", "age": 12});
    assert_eq!(
        render("success-response.vtl", &Request::body(record.clone())),
        record
    );

    let error =
        json!({"errorType": "E", "errorMessage": "{\"Status\":404,\"ErrorReason\":\"gone\"}"});
    assert_eq!(
        render("error-response.vtl", &Request::body(error)),
        json!({"Status": 404, "ErrorReason": "gone"})
    );
}

#[test]
fn the_catch_all_passes_only_a_500_envelope_through() {
    let safe = json!({"Status": 500, "ErrorReason": "Internal server error"});
    let handler_500 =
        json!({"errorMessage": "{\"Status\":500,\"ErrorReason\":\"database unavailable\"}"});
    assert_eq!(
        render("unexpected-error-response.vtl", &Request::body(handler_500)),
        json!({"Status": 500, "ErrorReason": "database unavailable"})
    );
    let leaks = [
        json!({"errorType": "Runtime.ExitError", "errorMessage": "Runtime exited with error: signal: killed"}),
        json!({"errorMessage": "panicked at 'SELECT * FROM staff' src/main.rs:3"}),
        json!({"errorMessage": null}),
        json!({"errorType": "Sandbox.Timedout"}),
    ];
    for payload in leaks {
        assert_eq!(
            render(
                "unexpected-error-response.vtl",
                &Request::body(payload.clone())
            ),
            safe,
            "{payload}"
        );
    }
}

proptest! {
    #[test]
    fn any_parameter_text_reaches_staff_get_and_staff_put_unchanged(id in any::<String>(), limit in "\\PC*", key in "\\PC*") {
        let get = Request::default().path_id(&id).query("limit", &limit);
        prop_assert_eq!(render("staff-get-request.vtl", &get), json!({"id": id, "limit": limit, "after": ""}));
        let put = Request::body(json!({"name": "B"})).path_id(&id).header("Idempotency-Key", &key);
        prop_assert_eq!(render("staff-put-request.vtl", &put), json!({"id": id, "idempotency_key": key, "name": "B"}));
    }

    #[test]
    fn any_body_text_reaches_staff_post_unchanged(name in any::<String>(), id in any::<String>()) {
        let post = Request::body(json!({"id": id, "name": name, "age": 1}));
        prop_assert_eq!(render("staff-post-request.vtl", &post), json!({"id": id, "name": name, "age": 1, "idempotency_key": ""}));
    }
}
