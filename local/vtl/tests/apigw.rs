//! API Gateway's variables: `$input`, `$util`, `$context`, `$stageVariables`.

use std::collections::BTreeMap;

use serde_json::json;
use vtl::apigw::{MappingInput, RenderOptions, render, render_with};
use vtl::{ErrorKind, NullRendering, Template, VtlError};

struct Request {
    body: String,
    path: BTreeMap<String, String>,
    query: BTreeMap<String, String>,
    header: BTreeMap<String, String>,
    context: serde_json::Value,
    stage: BTreeMap<String, String>,
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Request {
    fn new(body: &str) -> Self {
        Self {
            body: body.to_string(),
            path: map(&[("id", "from-path")]),
            query: map(&[("id", "from-query"), ("q", "query-only")]),
            header: map(&[
                ("X-Api-Key", "secret"),
                ("q", "header-q"),
                ("Accept", "*/*"),
            ]),
            context: json!({
                "requestId": "req-1", "stage": "dev", "httpMethod": "PUT",
                "resourcePath": "/staff/{id}",
                "identity": {"sourceIp": "127.0.0.1", "apiKey": "secret"}
            }),
            stage: map(&[("env", "local")]),
        }
    }

    fn input(&self) -> MappingInput<'_> {
        MappingInput {
            body: &self.body,
            path: &self.path,
            querystring: &self.query,
            header: &self.header,
            context: &self.context,
            stage_variables: &self.stage,
        }
    }

    fn try_render(&self, source: &str) -> Result<String, VtlError> {
        render(&Template::parse(source)?, &self.input())
    }

    fn render(&self, source: &str) -> String {
        self.try_render(source)
            .unwrap_or_else(|e| panic!("{source:?}: {e}"))
    }
}

const BODY: &str = r#"{"name": "Aurora", "age": 12, "tags": ["a", "b"], "nested": {"x": [1, {"y": null}]}, "ratio": 0.5}"#;

#[test]
fn input_body_is_the_raw_body() {
    assert_eq!(Request::new("raw text").render("$input.body"), "raw text");
    assert_eq!(Request::new(BODY).render("$input.body"), BODY);
    assert_eq!(Request::new("").render("$input.body"), "{}");
}

#[test]
fn input_json_yields_json_text() {
    let request = Request::new(BODY);
    assert_eq!(
        request.render("$input.json('$')"),
        r#"{"name":"Aurora","age":12,"tags":["a","b"],"nested":{"x":[1,{"y":null}]},"ratio":0.5}"#
    );
    assert_eq!(request.render("$input.json('$.name')"), r#""Aurora""#);
    assert_eq!(request.render("$input.json('$.age')"), "12");
    assert_eq!(request.render("$input.json('$.tags[1]')"), r#""b""#);
    assert_eq!(
        request.render("$input.json('$.nested.x[1]')"),
        r#"{"y":null}"#
    );
    assert_eq!(request.render("$input.json('$.tags[*]')"), r#"["a","b"]"#);
    assert_eq!(request.render("$input.json('name')"), r#""Aurora""#);
    assert_eq!(request.render("[$input.json('$.missing')]"), "[]");
    assert_eq!(Request::new("").render("$input.json('$')"), "{}");
}

#[test]
fn input_path_yields_navigable_values() {
    let request = Request::new(BODY);
    assert_eq!(request.render("$input.path('$.name')"), "Aurora");
    assert_eq!(request.render("$input.path('$.name').length()"), "6");
    assert_eq!(
        request.render("#set($b = $input.path('$'))$b.name is $b.age"),
        "Aurora is 12"
    );
    assert_eq!(
        request.render("$input.path('$').tags.size() $input.path('$.tags').get(0)"),
        "2 a"
    );
    assert_eq!(
        request.render("#if($input.path('$.age') > 10)old#end"),
        "old"
    );
    assert_eq!(request.render("$input.path('$.ratio')"), "0.5");
    assert_eq!(
        request.render("$input.path('$').containsKey('age')"),
        "true"
    );
    assert_eq!(
        request.render("$input.path('$.nested')"),
        r#"{x=[1,{"y":null}]}"#
    );
    assert_eq!(request.render("[$input.path('$.missing')]"), "[]");
}

#[test]
fn a_body_that_is_not_json_fails_only_when_read_as_json() {
    let request = Request::new("{not json");
    assert_eq!(
        request.render("$input.body|$input.params('id')"),
        "{not json|from-path"
    );
    let error = request.try_render("x\n $input.json('$')").unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidJson);
    assert_eq!((error.line(), error.column()), (2, 9));
    assert!(
        error
            .message()
            .starts_with("Could not parse request body into json")
    );
}

#[test]
fn input_params_searches_path_then_query_then_headers() {
    let request = Request::new("");
    assert_eq!(request.render("$input.params('id')"), "from-path");
    assert_eq!(request.render("$input.params('q')"), "query-only");
    assert_eq!(request.render("$input.params('x-api-key')"), "secret");
    assert_eq!(request.render("$input.params('ACCEPT')"), "*/*");
    assert_eq!(request.render("[$input.params('absent')]"), "[]");
}

#[test]
fn input_params_lists_every_parameter() {
    let request = Request::new("");
    assert_eq!(request.render("$input.params().path"), "{id=from-path}");
    assert_eq!(
        request.render("$input.params().querystring.get('q')"),
        "query-only"
    );
    assert_eq!(
        request.render("$input.params().header.keySet()"),
        "[Accept, X-Api-Key, q]"
    );
    let source = "#foreach($type in $input.params().keySet())$type:#foreach($name in $input.params().get($type).keySet())$name#if($foreach.hasNext),#end#end;#end";
    assert_eq!(
        request.render(source),
        "path:id;querystring:id,q;header:Accept,X-Api-Key,q;"
    );
}

#[test]
fn context_and_stage_variables() {
    let request = Request::new("");
    assert_eq!(
        request.render("$context.requestId $context.stage $context.httpMethod $context.resourcePath $context.identity.sourceIp $context.identity.apiKey"),
        "req-1 dev PUT /staff/{id} 127.0.0.1 secret"
    );
    assert_eq!(
        request.render("$stageVariables.env [$stageVariables.nope]"),
        "local []"
    );
}

#[test]
fn util_escape_javascript_escapes_as_aws() {
    let request = Request::new(r#"{"s": "it's \"q\" a\\b\n\t/é"}"#);
    assert_eq!(
        request.render("$util.escapeJavaScript($input.path('$.s'))"),
        r#"it\'s \"q\" a\\b\n\t\/\u00E9"#
    );
    // The idiom that keeps the result valid JSON.
    assert_eq!(
        request.render(r#"$util.escapeJavaScript($input.path('$.s')).replace("\'", "'")"#),
        r#"it's \"q\" a\\b\n\t\/\u00E9"#
    );
}

#[test]
fn util_parse_json_url_and_base64() {
    let request = Request::new(r#"{"doc": "{\"a\": [1, 2]}", "u": "a b&c=d/é"}"#);
    assert_eq!(
        request.render("$util.parseJson($input.path('$.doc')).a[1]"),
        "2"
    );
    assert_eq!(
        request.render("$util.urlEncode($input.path('$.u'))"),
        "a+b%26c%3Dd%2F%C3%A9"
    );
    assert_eq!(
        request.render("$util.urlDecode('a+b%26c%3Dd%2F%C3%A9')"),
        "a b&c=d/é"
    );
    assert_eq!(
        request.render("$util.base64Encode('hello é')"),
        "aGVsbG8gw6k="
    );
    assert_eq!(
        request.render("$util.base64Decode('aGVsbG8gw6k=')"),
        "hello é"
    );
    let bad_json = request.try_render("$util.parseJson('{')").unwrap_err();
    assert_eq!(bad_json.kind(), ErrorKind::InvalidJson);
    let bad_escape = request.try_render("$util.urlDecode('%zz')").unwrap_err();
    assert_eq!(bad_escape.kind(), ErrorKind::Runtime);
    let bad_base64 = request.try_render("$util.base64Decode('***')").unwrap_err();
    assert_eq!(bad_base64.kind(), ErrorKind::Runtime);
}

#[test]
fn nulls_render_empty_unless_velocity_rendering_is_asked_for() {
    let request = Request::new("{}");
    let template = Template::parse("[$input.path('$.x')][$nope]").unwrap();
    assert_eq!(render(&template, &request.input()).unwrap(), "[][]");
    let velocity = RenderOptions {
        nulls: Some(NullRendering::SourceText),
        ..RenderOptions::default()
    };
    assert_eq!(
        render_with(&template, &request.input(), &velocity).unwrap(),
        "[$input.path('$.x')][$nope]"
    );
}

#[test]
fn templates_are_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Template>();
    let template = std::sync::Arc::new(Template::parse("$input.params('id')").unwrap());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let template = template.clone();
            std::thread::spawn(move || render(&template, &Request::new("").input()).unwrap())
        })
        .collect();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), "from-path");
    }
}
