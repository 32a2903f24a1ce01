//! Any bytes as a template, rendered with plain variables and through API Gateway's variables:
//! parse and render may fail, never panic or hang.
#![no_main]

use std::collections::BTreeMap;

use libfuzzer_sys::fuzz_target;
use vtl::apigw::{MappingInput, RenderOptions, render_with};
use vtl::{Limits, NullRendering, Template};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(template) = Template::parse(source) else {
        return;
    };
    let limits = Limits {
        max_output_bytes: 64 * 1024,
        max_string_bytes: 64 * 1024,
        max_loop_iterations: 100,
        max_range_items: 1_000,
        max_steps: 50_000,
    };
    let vars = serde_json::json!({"a": "text", "n": 3, "l": [1, "two", null], "m": {"k": "v"}});
    let _ = template.render_json_with(
        vars.as_object().unwrap(),
        &limits,
        NullRendering::SourceText,
    );
    let params: BTreeMap<String, String> = [("id".to_string(), "0001".to_string())].into();
    let context = serde_json::json!({"requestId": "r"});
    let input = MappingInput {
        body: r#"{"id": "0001", "list": [1, {"a": 2}]}"#,
        path: &params,
        querystring: &params,
        header: &params,
        context: &context,
        stage_variables: &params,
    };
    let options = RenderOptions {
        limits,
        nulls: None,
    };
    let _ = render_with(&template, &input, &options);
});
