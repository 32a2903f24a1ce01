//! Request validation as API Gateway's request validators do it: required parameters first, then
//! the body against its model (JSON Schema draft 4).

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Debug, thiserror::Error)]
#[error("model {model} is not a valid draft 4 JSON Schema: {message}")]
pub struct ModelError {
    model: String,
    message: String,
}

/// A request model compiled for validation.
pub struct BodyValidator {
    validator: jsonschema::Validator,
}

impl std::fmt::Debug for BodyValidator {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("BodyValidator")
    }
}

impl BodyValidator {
    /// Compiles `schema`; `root` is the whole OpenAPI document, so that `#/components/schemas/...`
    /// references inside the model resolve as they do for API Gateway's imported models.
    pub fn new(model: &str, schema: &Value, root: &Value) -> Result<Self, ModelError> {
        let mut document = serde_json::json!({ "allOf": [schema] });
        if let Some(components) = root.get("components") {
            document["components"] = components.clone();
        }
        let validator = jsonschema::draft4::new(&document).map_err(|error| ModelError {
            model: model.to_owned(),
            message: error.to_string(),
        })?;
        Ok(Self { validator })
    }

    /// Whether `body` is JSON and satisfies the model. API Gateway answers both failures with the
    /// same `Invalid request body`.
    pub fn accepts(&self, body: &[u8]) -> bool {
        serde_json::from_slice::<Value>(body)
            .is_ok_and(|instance| self.validator.is_valid(&instance))
    }
}

/// Where a required parameter is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParameterLocation {
    Path,
    QueryString,
    Header,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequiredParameter {
    pub location: ParameterLocation,
    pub name: String,
}

/// The request's parameters by location (header names lower-case).
pub struct RequestParameters<'a> {
    pub path: &'a BTreeMap<String, String>,
    pub querystring: &'a BTreeMap<String, String>,
    pub header: &'a BTreeMap<String, String>,
}

/// The names of the required parameters the request lacks: headers, then path, then query string,
/// as AWS lists them (AWS-validated recording `test_api_gateway_request_validator`, LocalStack
/// `test_apigateway_common.snapshot.json`: `[x-header-param, issuer, qs1]`); declaration order
/// within a location (inferred). API Gateway treats a present but empty query string or header
/// value as missing.
pub fn missing_parameters(
    required: &[RequiredParameter],
    request: &RequestParameters<'_>,
) -> Vec<String> {
    let mut required: Vec<&RequiredParameter> = required.iter().collect();
    required.sort_by_key(|parameter| match parameter.location {
        ParameterLocation::Header => 0,
        ParameterLocation::Path => 1,
        ParameterLocation::QueryString => 2,
    });
    required
        .into_iter()
        .filter(|parameter| {
            let value = match parameter.location {
                ParameterLocation::Path => request.path.get(&parameter.name),
                ParameterLocation::QueryString => request.querystring.get(&parameter.name),
                ParameterLocation::Header => {
                    request.header.get(&parameter.name.to_ascii_lowercase())
                }
            };
            value.is_none_or(|value| value.is_empty())
        })
        .map(|parameter| parameter.name.clone())
        .collect()
}

/// AWS's message for missing parameters: `Missing required request parameters: [a, b]`.
pub fn missing_parameters_message(missing: &[String]) -> String {
    format!(
        "Missing required request parameters: [{}]",
        missing.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn document() -> Value {
        json!({
            "components": {"schemas": {
                "Staff": {
                    "type": "object",
                    "required": ["id", "name"],
                    "additionalProperties": false,
                    "properties": {
                        "id": {"type": "string", "pattern": "^[A-Za-z0-9]{4}$"},
                        "name": {"type": "string"},
                        "age": {"type": ["integer", "null"], "minimum": 0, "maximum": 150}
                    }
                },
                "Team": {"type": "object", "properties": {"lead": {"$ref": "#/components/schemas/Staff"}}}
            }}
        })
    }

    fn validator(model: &str) -> BodyValidator {
        let root = document();
        let schema = root["components"]["schemas"][model].clone();
        BodyValidator::new(model, &schema, &root).unwrap()
    }

    #[test]
    fn accepts_bodies_that_satisfy_the_model() {
        let staff = validator("Staff");
        assert!(staff.accepts(br#"{"id":"0004","name":"Athena","age":null}"#));
        assert!(staff.accepts(br#"{"id":"0004","name":"Athena"}"#));
    }

    #[test]
    fn rejects_bodies_that_break_the_model_or_are_not_json() {
        let staff = validator("Staff");
        assert!(!staff.accepts(br#"{"id":"0004"}"#), "missing name");
        assert!(!staff.accepts(br#"{"id":"04","name":"x"}"#), "id pattern");
        assert!(
            !staff.accepts(br#"{"id":"0004","name":"x","age":151}"#),
            "age maximum"
        );
        assert!(
            !staff.accepts(br#"{"id":"0004","name":"x","age":"1"}"#),
            "age type"
        );
        assert!(
            !staff.accepts(br#"{"id":"0004","name":"x","extra":1}"#),
            "additional property"
        );
        assert!(!staff.accepts(b"{\"id\":"), "truncated JSON");
        assert!(!staff.accepts(b""), "empty body");
    }

    #[test]
    fn follows_references_between_models() {
        let team = validator("Team");
        assert!(team.accepts(br#"{"lead":{"id":"0001","name":"Aurora"}}"#));
        assert!(!team.accepts(br#"{"lead":{"id":"1","name":"Aurora"}}"#));
    }

    #[test]
    fn reports_missing_headers_first_then_in_declaration_order() {
        let required = vec![
            RequiredParameter {
                location: ParameterLocation::QueryString,
                name: "id".into(),
            },
            RequiredParameter {
                location: ParameterLocation::Header,
                name: "X-Trace".into(),
            },
            RequiredParameter {
                location: ParameterLocation::QueryString,
                name: "limit".into(),
            },
        ];
        let path = BTreeMap::new();
        let querystring = BTreeMap::from([
            ("limit".to_owned(), "5".to_owned()),
            ("id".to_owned(), String::new()),
        ]);
        let header = BTreeMap::new();
        let missing = missing_parameters(
            &required,
            &RequestParameters {
                path: &path,
                querystring: &querystring,
                header: &header,
            },
        );
        assert_eq!(missing, ["X-Trace", "id"]);
        assert_eq!(
            missing_parameters_message(&missing),
            "Missing required request parameters: [X-Trace, id]"
        );
    }
}
