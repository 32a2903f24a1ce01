//! Which of API Gateway's OpenAPI extensions the gateway reproduces, and where. A document using any
//! other (`x-amazon-apigateway-gateway-responses`, `-binary-media-types`, `-policy`, `-cors`,
//! `-authorizer`, `-authtype`, ...) or an authorizer is refused at start: serving it without the
//! extension would silently answer differently from AWS. The members of
//! `x-amazon-apigateway-integration` are checked where it is read (spec.rs).

use serde_json::Value;

const PREFIX: &str = "x-amazon-apigateway-";
const AT_ROOT: [&str; 3] = [
    "x-amazon-apigateway-api-key-source",
    "x-amazon-apigateway-request-validators",
    "x-amazon-apigateway-request-validator",
];
const IN_PATH_ITEM: [&str; 1] = ["x-amazon-apigateway-any-method"];
const IN_OPERATION: [&str; 2] = [
    "x-amazon-apigateway-integration",
    "x-amazon-apigateway-request-validator",
];
/// The path-item members that are operations.
const OPERATIONS: [&str; 8] = [
    "get",
    "put",
    "post",
    "delete",
    "patch",
    "head",
    "options",
    "x-amazon-apigateway-any-method",
];

/// The first extension or security scheme the gateway does not reproduce: where, and what.
pub fn first_unsupported(document: &Value) -> Option<(String, String)> {
    let unknown = |location: String, value: &Value, allowed: &[&str]| {
        value
            .as_object()?
            .keys()
            .find(|key| key.starts_with(PREFIX) && !allowed.contains(&key.as_str()))
            .map(|key| {
                (
                    location,
                    format!("{key} is not supported by the local gateway"),
                )
            })
    };
    if let Some(found) = unknown("the document".to_owned(), document, &AT_ROOT) {
        return Some(found);
    }
    for (path, item) in document["paths"].as_object().into_iter().flatten() {
        if let Some(found) = unknown(format!("paths.{path}"), item, &IN_PATH_ITEM) {
            return Some(found);
        }
        for (method, operation) in item.as_object().into_iter().flatten() {
            if !OPERATIONS.contains(&method.as_str()) {
                continue;
            }
            let location = format!("paths.{path}.{method}");
            if let Some(found) = unknown(location.clone(), operation, &IN_OPERATION) {
                return Some(found);
            }
            if let Some(found) = nested_extension(&location, operation) {
                return Some(found);
            }
        }
    }
    security_schemes(document)
}

/// An extension deeper inside an operation (in a response, a parameter, ...), which the gateway
/// would ignore; the integration object is checked member by member where it is read.
fn nested_extension(location: &str, operation: &Value) -> Option<(String, String)> {
    fn find(value: &Value, path: &str) -> Option<String> {
        match value {
            Value::Object(object) => object.iter().find_map(|(key, child)| {
                if key.starts_with(PREFIX) {
                    Some(format!("{path}.{key}"))
                } else {
                    find(child, &format!("{path}.{key}"))
                }
            }),
            Value::Array(items) => items
                .iter()
                .enumerate()
                .find_map(|(index, child)| find(child, &format!("{path}[{index}]"))),
            _ => None,
        }
    }
    operation
        .as_object()?
        .iter()
        .filter(|(key, _)| !IN_OPERATION.contains(&key.as_str()))
        .find_map(|(key, child)| find(child, key))
        .map(|found| {
            (
                location.to_owned(),
                format!("{found} is not supported by the local gateway"),
            )
        })
}

/// Security schemes other than an API key in a header (authorizers, IAM, Cognito) are refused.
fn security_schemes(document: &Value) -> Option<(String, String)> {
    let schemes = document["components"]["securitySchemes"].as_object()?;
    schemes.iter().find_map(|(name, scheme)| {
        let api_key_header = scheme["type"] == "apiKey"
            && scheme["in"] == "header"
            && scheme["name"]
                .as_str()
                .is_some_and(|header| header.eq_ignore_ascii_case("x-api-key"));
        let extension = scheme
            .as_object()
            .and_then(|object| object.keys().find(|key| key.starts_with(PREFIX)));
        let problem = match extension {
            Some(key) => format!("{key} (an authorizer) is not supported by the local gateway"),
            None if !api_key_header => {
                "only an apiKey scheme in the x-api-key header is supported by the local gateway"
                    .to_owned()
            }
            None => return None,
        };
        Some((format!("components.securitySchemes.{name}"), problem))
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn with_operation(operation: Value) -> Value {
        json!({"paths": {"/x": {"get": operation}}})
    }

    #[test]
    fn the_supported_extensions_pass() {
        let document = json!({
            "x-amazon-apigateway-api-key-source": "HEADER",
            "x-amazon-apigateway-request-validators": {},
            "components": {"securitySchemes": {"api_key": {"type": "apiKey", "in": "header", "name": "x-api-key"}}},
            "paths": {"/x": {
                "get": {"x-amazon-apigateway-integration": {}, "x-amazon-apigateway-request-validator": "all"},
                "x-amazon-apigateway-any-method": {"x-amazon-apigateway-integration": {}}
            }}
        });
        assert_eq!(first_unsupported(&document), None);
    }

    #[test]
    fn unknown_extensions_are_named_with_their_place() {
        let root = json!({"x-amazon-apigateway-gateway-responses": {}, "paths": {}});
        assert_eq!(
            first_unsupported(&root).unwrap().1,
            "x-amazon-apigateway-gateway-responses is not supported by the local gateway"
        );
        let operation = with_operation(json!({"x-amazon-apigateway-auth": {"type": "AWS_IAM"}}));
        assert_eq!(first_unsupported(&operation).unwrap().0, "paths./x.get");
        let nested = with_operation(json!({"responses": {"200": {"x-amazon-apigateway-x": 1}}}));
        assert!(
            first_unsupported(&nested)
                .unwrap()
                .1
                .starts_with("responses.200.x-amazon-apigateway-x")
        );
    }

    #[test]
    fn authorizers_are_refused() {
        let authorizer = json!({"paths": {}, "components": {"securitySchemes": {"auth": {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "x-amazon-apigateway-authtype": "custom"
        }}}});
        let (location, problem) = first_unsupported(&authorizer).unwrap();
        assert_eq!(location, "components.securitySchemes.auth");
        assert!(problem.contains("authorizer"), "{problem}");
        let query_key = json!({"paths": {}, "components": {"securitySchemes": {"k": {
            "type": "apiKey", "in": "query", "name": "key"
        }}}});
        assert!(first_unsupported(&query_key).is_some());
    }
}
