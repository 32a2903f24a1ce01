//! What the gateway does not reproduce makes it refuse the document at start, with a message naming
//! the place and the feature, instead of serving something that would answer differently on AWS.

use std::path::Path;

use local_gateway::spec::ApiDefinition;
use serde_json::{Value, json};

fn refusal(document: Value) -> String {
    ApiDefinition::from_document(document, Path::new("."))
        .expect_err("the document must be refused")
        .to_string()
}

fn with_integration(integration: Value) -> Value {
    json!({"paths": {"/x": {"get": {"x-amazon-apigateway-integration": integration}}}})
}

#[test]
fn the_repository_contract_is_accepted() {
    let document = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/openapi.yaml");
    ApiDefinition::load(&document).expect("schemas/openapi.yaml uses only what the gateway serves");
}

#[test]
fn integration_types_other_than_aws_and_mock_are_refused() {
    for kind in ["aws_proxy", "http", "http_proxy"] {
        let message = refusal(with_integration(
            json!({"type": kind, "uri": "${Function:f}", "responses": {"default": {"statusCode": "200"}}}),
        ));
        assert!(
            message.contains("only aws (non-proxy Lambda) and mock"),
            "{message}"
        );
    }
}

#[test]
fn integration_members_the_gateway_does_not_reproduce_are_refused() {
    for member in [
        json!({"requestParameters": {"integration.request.header.X": "'v'"}}),
        json!({"contentHandling": "CONVERT_TO_TEXT"}),
        json!({"credentials": "arn:aws:iam::1:role/r"}),
        json!({"cacheKeyParameters": []}),
    ] {
        let mut integration = json!({"type": "aws", "uri": "${Function:f}", "responses": {"default": {"statusCode": "200"}}});
        let name = member.as_object().unwrap().keys().next().unwrap().clone();
        integration[&name] = member[&name].clone();
        let message = refusal(with_integration(integration));
        assert!(
            message.contains(&format!("unknown field `{name}`")),
            "{message}"
        );
        assert!(
            message.contains("paths./x.get.x-amazon-apigateway-integration"),
            "{message}"
        );
    }
    let response_member = with_integration(json!({"type": "aws", "uri": "${Function:f}",
        "responses": {"default": {"statusCode": "200", "contentHandling": "CONVERT_TO_BINARY"}}}));
    assert!(refusal(response_member).contains("unknown field `contentHandling`"));
}

#[test]
fn unknown_extensions_are_refused_where_they_appear() {
    let mut root =
        with_integration(json!({"type": "mock", "responses": {"default": {"statusCode": "200"}}}));
    root["x-amazon-apigateway-binary-media-types"] = json!(["image/png"]);
    assert_eq!(
        refusal(root),
        "the document: x-amazon-apigateway-binary-media-types is not supported by the local gateway"
    );

    let mut gateway_responses =
        with_integration(json!({"type": "mock", "responses": {"default": {"statusCode": "200"}}}));
    gateway_responses["x-amazon-apigateway-gateway-responses"] = json!({"DEFAULT_4XX": {}});
    assert!(refusal(gateway_responses).contains("x-amazon-apigateway-gateway-responses"));

    let operation = json!({"paths": {"/x": {"get": {
        "x-amazon-apigateway-auth": {"type": "AWS_IAM"},
        "x-amazon-apigateway-integration": {"type": "mock", "responses": {"default": {"statusCode": "200"}}}
    }}}});
    assert_eq!(
        refusal(operation),
        "paths./x.get: x-amazon-apigateway-auth is not supported by the local gateway"
    );
}

#[test]
fn authorizers_are_refused() {
    let mut document =
        with_integration(json!({"type": "mock", "responses": {"default": {"statusCode": "200"}}}));
    document["components"] = json!({"securitySchemes": {"lambda_auth": {
        "type": "apiKey", "name": "Authorization", "in": "header",
        "x-amazon-apigateway-authtype": "custom",
        "x-amazon-apigateway-authorizer": {"type": "token", "authorizerUri": "arn:..."}
    }}});
    let message = refusal(document);
    assert!(
        message.starts_with("components.securitySchemes.lambda_auth:"),
        "{message}"
    );
    assert!(message.contains("authorizer"), "{message}");
}

#[test]
fn templates_with_directives_the_engine_does_not_reproduce_are_refused() {
    for (template, directive) in [
        ("#macro(m)x#end", "#macro"),
        ("#include('a.vtl')", "#include"),
        ("{\n  #parse('b.vtl')\n}", "#parse"),
        ("#evaluate('$x')", "#evaluate"),
    ] {
        let message = refusal(with_integration(json!({
            "type": "aws",
            "uri": "${Function:f}",
            "requestTemplates": {"application/json": template},
            "responses": {"default": {"statusCode": "200"}}
        })));
        assert!(
            message.contains(directive) && message.contains("not supported"),
            "{template}: {message}"
        );
    }
}
