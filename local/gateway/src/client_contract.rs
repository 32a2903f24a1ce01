//! The contract for the API's clients: the OpenAPI document without API Gateway's extensions, as
//! API Gateway's own export gives it when no extensions are asked for (`GetExport` with
//! `exportType=oas30` and no `extensions` parameter). Code generators and API tools read this one;
//! the document with extensions stays the gateway's and the CDK app's.
//!
//! Every `x-amazon-apigateway-*` key goes, wherever it is: the integrations (and their template
//! references), the request validators, the key source. What clients need stays: paths,
//! parameters, bodies, responses, schemas and the `x-api-key` security scheme.

use serde_json::{Value, json};

/// The prefix of every API Gateway extension (AWS documentation, "Working with API Gateway
/// extensions to OpenAPI").
pub const EXTENSION_PREFIX: &str = "x-amazon-apigateway-";

/// `document` without API Gateway's extensions, and with `servers` naming `server_url` when given
/// (the document itself names none: the stage's URL is only known once it is deployed or running).
pub fn client_contract(document: &Value, server_url: Option<&str>) -> Value {
    let mut contract = document.clone();
    remove_extensions(&mut contract);
    if let (Some(url), Some(root)) = (server_url, contract.as_object_mut()) {
        root.insert("servers".to_owned(), json!([{ "url": url }]));
    }
    contract
}

fn remove_extensions(value: &mut Value) {
    match value {
        Value::Object(object) => {
            object.retain(|key, _| !key.starts_with(EXTENSION_PREFIX));
            object.values_mut().for_each(remove_extensions);
        }
        Value::Array(items) => items.iter_mut().for_each(remove_extensions),
        _ => {}
    }
}

/// The name of the `apiKey` security scheme sent in a header: the one the API page pre-fills with
/// the stage's key.
pub fn header_api_key_scheme(contract: &Value) -> Option<&str> {
    contract
        .pointer("/components/securitySchemes")?
        .as_object()?
        .iter()
        .find_map(|(name, scheme)| {
            let field = |key| scheme.get(key).and_then(Value::as_str);
            (field("type") == Some("apiKey") && field("in") == Some("header"))
                .then_some(name.as_str())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn document() -> Value {
        json!({
            "openapi": "3.0.3",
            "x-amazon-apigateway-api-key-source": "HEADER",
            "x-amazon-apigateway-request-validators": {"all": {"validateRequestBody": true}},
            "x-internal": "kept: not API Gateway's",
            "paths": {
                "/staff/{id}": {
                    "get": {
                        "x-amazon-apigateway-request-validator": "all",
                        "x-amazon-apigateway-integration": {
                            "requestTemplates": {"application/json": {"$ref": "templates/a.vtl"}}
                        },
                        "parameters": [{"name": "id", "in": "path", "required": true,
                                        "x-amazon-apigateway-example": 1}],
                        "responses": {"200": {"description": "ok"}}
                    }
                }
            },
            "components": {
                "securitySchemes": {
                    "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header",
                                "x-amazon-apigateway-authtype": "custom"}
                }
            }
        })
    }

    #[test]
    fn every_api_gateway_extension_is_removed_at_any_depth_and_the_rest_is_kept() {
        let contract = client_contract(&document(), None);
        assert_eq!(
            contract,
            json!({
                "openapi": "3.0.3",
                "x-internal": "kept: not API Gateway's",
                "paths": {
                    "/staff/{id}": {
                        "get": {
                            "parameters": [{"name": "id", "in": "path", "required": true}],
                            "responses": {"200": {"description": "ok"}}
                        }
                    }
                },
                "components": {
                    "securitySchemes": {
                        "api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}
                    }
                }
            })
        );
    }

    #[test]
    fn a_server_url_becomes_the_only_server() {
        let mut with_servers = document();
        with_servers["servers"] = json!([{"url": "https://example.com/prod"}]);
        let contract = client_contract(&with_servers, Some("http://127.0.0.1:3000"));
        assert_eq!(
            contract["servers"],
            json!([{"url": "http://127.0.0.1:3000"}])
        );
        let unchanged = client_contract(&with_servers, None);
        assert_eq!(unchanged["servers"], with_servers["servers"]);
    }

    #[test]
    fn the_header_api_key_scheme_is_found_by_type_and_location() {
        let contract = client_contract(&document(), None);
        assert_eq!(header_api_key_scheme(&contract), Some("api_key"));
        let query_key = json!({"components": {"securitySchemes": {
            "q": {"type": "apiKey", "name": "key", "in": "query"},
            "b": {"type": "http", "scheme": "bearer"}
        }}});
        assert_eq!(header_api_key_scheme(&query_key), None);
        assert_eq!(header_api_key_scheme(&json!({})), None);
    }
}
