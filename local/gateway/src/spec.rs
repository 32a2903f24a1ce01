//! Loads the OpenAPI document with API Gateway's extensions into the operations the gateway serves.
//!
//! Conventions (docs/architecture.md): an integration `uri` names its function as
//! `${Function:<crate>}`; `{"$ref": "templates/<file>.vtl"}` stands for that file's text, relative to
//! the document. Everything is compiled here (patterns, models, templates), so a document the gateway
//! starts with cannot fail later for a reason it could have found at start.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::extensions;
use crate::file_refs::{FileRefError, inline_file_refs};
use crate::mapping::{MappingTemplate, TemplateError};
use crate::routing;
use crate::selection::{PatternError, SelectionPattern, Selector};
use crate::validation::{BodyValidator, ModelError, ParameterLocation, RequiredParameter};

const HTTP_METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];
/// The path-item key of API Gateway's catch-all `ANY` method.
const ANY_METHOD: &str = "x-amazon-apigateway-any-method";
/// API Gateway's maximum (and default) integration timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_millis(29_000);

#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path} is not valid YAML: {source}")]
    Yaml {
        path: PathBuf,
        source: serde_yaml_ng::Error,
    },
    #[error("{location}: {problem}")]
    Invalid { location: String, problem: String },
    #[error(transparent)]
    FileRef(#[from] FileRefError),
    #[error(transparent)]
    Pattern(#[from] PatternError),
    #[error(transparent)]
    Model(#[from] ModelError),
    #[error("{location}: {source}")]
    Template {
        location: String,
        source: TemplateError,
    },
}

fn invalid(location: &str, problem: impl Into<String>) -> SpecError {
    SpecError::Invalid {
        location: location.to_owned(),
        problem: problem.into(),
    }
}

/// Every operation of the document.
#[derive(Debug)]
pub struct ApiDefinition {
    pub operations: Vec<Operation>,
    /// The document itself, file references inlined: the client contract and API page's source.
    pub document: Value,
}

#[derive(Debug)]
pub struct Operation {
    /// Upper case, e.g. `GET`; `ANY` for `x-amazon-apigateway-any-method`.
    pub method: String,
    /// The resource path template, e.g. `/staff/{id}`.
    pub resource_path: String,
    pub api_key_required: bool,
    pub required_parameters: Vec<RequiredParameter>,
    /// The `application/json` model, when the operation's validator checks bodies.
    pub body_validator: Option<BodyValidator>,
    pub integration: Integration,
}

impl Operation {
    /// `GET /staff/{id}`: the key of the method's stage-level throttle bucket and log lines.
    pub fn name(&self) -> String {
        format!("{} {}", self.method, self.resource_path)
    }
}

/// What to do with a request whose content type has no request template.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassthroughBehavior {
    WhenNoMatch,
    WhenNoTemplates,
    Never,
}

/// Where an integration sends the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Backend {
    /// A Lambda custom (non-proxy) integration: the Invoke API of the function `<crate>`.
    Lambda { function_name: String },
    /// A MOCK integration: the request template's `statusCode` selects the response, which has no
    /// body of its own.
    Mock,
}

#[derive(Debug)]
pub struct Integration {
    pub backend: Backend,
    pub passthrough: PassthroughBehavior,
    pub timeout: Duration,
    /// By lower-case content type.
    pub request_templates: BTreeMap<String, MappingTemplate>,
    pub responses: Selector<IntegrationResponse>,
}

#[derive(Debug)]
pub struct IntegrationResponse {
    pub status: u16,
    /// By lower-case content type.
    pub templates: BTreeMap<String, MappingTemplate>,
    /// Static response headers (`method.response.header.X: "'value'"`).
    pub headers: Vec<(String, String)>,
}

impl ApiDefinition {
    /// Reads the YAML document at `path`.
    pub fn load(path: &Path) -> Result<Self, SpecError> {
        let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
            path: path.to_owned(),
            source,
        })?;
        let document: Value = serde_yaml_ng::from_str(&text).map_err(|source| SpecError::Yaml {
            path: path.to_owned(),
            source,
        })?;
        Self::from_document(document, path.parent().unwrap_or(Path::new(".")))
    }

    /// The functions its Lambda integrations invoke (crate names), each once.
    pub fn lambda_functions(&self) -> Vec<&str> {
        let mut functions: Vec<&str> = self
            .operations
            .iter()
            .filter_map(|operation| match &operation.integration.backend {
                Backend::Lambda { function_name } => Some(function_name.as_str()),
                Backend::Mock => None,
            })
            .collect();
        functions.sort_unstable();
        functions.dedup();
        functions
    }

    /// What the document does on AWS that its author probably did not mean, for the gateway to
    /// print at start: selection patterns that match the empty string capture every success.
    pub fn warnings(&self) -> Vec<String> {
        self.operations
            .iter()
            .flat_map(|operation| {
                let name = operation.name();
                operation
                    .integration
                    .responses
                    .patterns_capturing_success()
                    .into_iter()
                    .map(move |pattern| {
                        format!(
                            "{name}: selection pattern {pattern:?} matches the empty string, so \
                             it selects every successful invocation (as on AWS)"
                        )
                    })
            })
            .collect()
    }

    /// Builds the operations from a parsed document whose file references are relative to `base`.
    pub fn from_document(mut document: Value, base: &Path) -> Result<Self, SpecError> {
        inline_file_refs(&mut document, base)?;
        if let Some((location, problem)) = extensions::first_unsupported(&document) {
            return Err(invalid(&location, problem));
        }
        let document = &document;
        let key_source = document
            .get("x-amazon-apigateway-api-key-source")
            .and_then(Value::as_str)
            .unwrap_or("HEADER");
        if key_source != "HEADER" {
            return Err(invalid(
                "x-amazon-apigateway-api-key-source",
                "only HEADER is supported",
            ));
        }
        let paths = document
            .get("paths")
            .and_then(Value::as_object)
            .ok_or_else(|| invalid("paths", "missing"))?;
        let mut operations = Vec::new();
        for (resource_path, path_item) in paths {
            let methods = HTTP_METHODS.iter().map(|method| (*method, *method));
            for (key, method) in methods.chain([(ANY_METHOD, routing::ANY)]) {
                if let Some(operation) = path_item.get(key) {
                    let location = format!("paths.{resource_path}.{key}");
                    operations.push(read_operation(
                        document,
                        resource_path,
                        method,
                        path_item,
                        operation,
                        &location,
                    )?);
                }
            }
        }
        Ok(Self {
            operations,
            document: document.clone(),
        })
    }
}

fn read_operation(
    document: &Value,
    resource_path: &str,
    method: &str,
    path_item: &Value,
    operation: &Value,
    location: &str,
) -> Result<Operation, SpecError> {
    let validator_name = operation
        .get("x-amazon-apigateway-request-validator")
        .or_else(|| document.get("x-amazon-apigateway-request-validator"))
        .and_then(Value::as_str);
    let (validate_body, validate_parameters) = match validator_name {
        None => (false, false),
        Some(name) => {
            let validator = document
                .pointer(&format!("/x-amazon-apigateway-request-validators/{name}"))
                .ok_or_else(|| invalid(location, format!("unknown request validator {name:?}")))?;
            let validator: RequestValidatorObject = typed(
                validator,
                &format!("x-amazon-apigateway-request-validators.{name}"),
            )?;
            (
                validator.validate_request_body,
                validator.validate_request_parameters,
            )
        }
    };
    let required_parameters = if validate_parameters {
        required_parameters(document, path_item, operation, location)?
    } else {
        Vec::new()
    };
    let body_validator = match operation.pointer("/requestBody/content/application~1json/schema") {
        Some(schema) if validate_body => {
            let schema = resolve_local(document, schema, location)?;
            Some(BodyValidator::new(location, schema, document)?)
        }
        _ => None,
    };
    let integration = operation
        .get("x-amazon-apigateway-integration")
        .ok_or_else(|| invalid(location, "no x-amazon-apigateway-integration"))?;
    Ok(Operation {
        method: method.to_ascii_uppercase(),
        resource_path: resource_path.to_owned(),
        api_key_required: api_key_required(document, operation),
        required_parameters,
        body_validator,
        integration: read_integration(
            integration,
            &format!("{location}.x-amazon-apigateway-integration"),
        )?,
    })
}

/// Whether the operation's security (or the document's) names an `apiKey` scheme.
fn api_key_required(document: &Value, operation: &Value) -> bool {
    let security = operation
        .get("security")
        .or_else(|| document.get("security"));
    let requirements = security.and_then(Value::as_array).into_iter().flatten();
    requirements
        .filter_map(Value::as_object)
        .flat_map(|requirement| requirement.keys())
        .any(|scheme| {
            document
                .pointer(&format!("/components/securitySchemes/{scheme}/type"))
                .and_then(Value::as_str)
                == Some("apiKey")
        })
}

fn required_parameters(
    document: &Value,
    path_item: &Value,
    operation: &Value,
    location: &str,
) -> Result<Vec<RequiredParameter>, SpecError> {
    let declared = [path_item, operation]
        .into_iter()
        .filter_map(|item| item.get("parameters").and_then(Value::as_array))
        .flatten();
    let mut required = Vec::new();
    for parameter in declared {
        let parameter = resolve_local(document, parameter, location)?;
        let parameter = ParameterObject::deserialize(parameter)
            .map_err(|error| invalid(location, format!("a parameter: {error}")))?;
        if !parameter.required {
            continue;
        }
        let parameter_location = match parameter.location.as_str() {
            "path" => ParameterLocation::Path,
            "query" => ParameterLocation::QueryString,
            "header" => ParameterLocation::Header,
            other => {
                return Err(invalid(
                    location,
                    format!(
                        "parameter {:?} in {other:?} is not supported",
                        parameter.name
                    ),
                ));
            }
        };
        required.push(RequiredParameter {
            location: parameter_location,
            name: parameter.name,
        });
    }
    Ok(required)
}

/// One of `x-amazon-apigateway-request-validators`; another member is refused at start.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RequestValidatorObject {
    #[serde(default)]
    validate_request_body: bool,
    #[serde(default)]
    validate_request_parameters: bool,
}

/// The members of an OpenAPI Parameter Object a request validator reads (the others, such as
/// `schema` and `description`, document the parameter).
#[derive(Deserialize)]
struct ParameterObject {
    name: String,
    #[serde(rename = "in")]
    location: String,
    #[serde(default)]
    required: bool,
}

/// `x-amazon-apigateway-integration`, the subset the gateway reproduces. Any other member
/// (`requestParameters`, `contentHandling`, `credentials`, `cacheKeyParameters`, ...) is refused at
/// start: serving without it would differ from AWS.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IntegrationObject {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    uri: Option<String>,
    /// The method of the call to the backend (POST for Lambda); nothing else to reproduce locally.
    #[serde(default)]
    #[allow(dead_code)]
    http_method: Option<String>,
    #[serde(default)]
    passthrough_behavior: Option<String>,
    #[serde(default)]
    timeout_in_millis: Option<u64>,
    #[serde(default)]
    request_templates: BTreeMap<String, String>,
    /// Selection pattern (or `default`) to response, in document order.
    #[serde(default)]
    responses: serde_json::Map<String, Value>,
}

/// One of `responses`, keyed by its selection pattern.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IntegrationResponseObject {
    status_code: Value,
    #[serde(default)]
    response_parameters: BTreeMap<String, String>,
    #[serde(default)]
    response_templates: BTreeMap<String, String>,
}

fn typed<T: serde::de::DeserializeOwned>(value: &Value, location: &str) -> Result<T, SpecError> {
    T::deserialize(value).map_err(|error| {
        invalid(
            location,
            format!("{error} (the local gateway serves only what it reproduces as AWS does)"),
        )
    })
}

fn read_integration(integration: &Value, location: &str) -> Result<Integration, SpecError> {
    let integration: IntegrationObject = typed(integration, location)?;
    let backend = match integration.kind.to_ascii_lowercase().as_str() {
        "aws" => {
            let uri = integration.uri.as_deref().unwrap_or_default();
            let function_name = function_name(uri).ok_or_else(|| {
                invalid(
                    location,
                    format!("uri {uri:?} names no ${{Function:<crate>}}"),
                )
            })?;
            Backend::Lambda {
                function_name: function_name.to_owned(),
            }
        }
        "mock" => Backend::Mock,
        other => {
            return Err(invalid(
                location,
                format!(
                    "integration type {other:?}: only aws (non-proxy Lambda) and mock are supported"
                ),
            ));
        }
    };
    let passthrough = match integration
        .passthrough_behavior
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None | Some("when_no_match") => PassthroughBehavior::WhenNoMatch,
        Some("when_no_templates") => PassthroughBehavior::WhenNoTemplates,
        Some("never") => PassthroughBehavior::Never,
        Some(other) => {
            return Err(invalid(
                location,
                format!("unknown passthroughBehavior {other:?}"),
            ));
        }
    };
    let timeout = integration
        .timeout_in_millis
        .map_or(DEFAULT_TIMEOUT, Duration::from_millis);
    let request_templates = templates(
        &integration.request_templates,
        &format!("{location}.requestTemplates"),
    )?;

    if integration.responses.is_empty() {
        return Err(invalid(location, "no responses"));
    }
    let mut default = None;
    let mut patterned = Vec::new();
    for (key, response) in &integration.responses {
        let response_location = format!("{location}.responses[{key:?}]");
        let response = read_response(response, &response_location)?;
        if key == "default" {
            default = Some(response);
        } else {
            patterned.push((SelectionPattern::new(key)?, response));
        }
    }
    Ok(Integration {
        backend,
        passthrough,
        timeout,
        request_templates,
        responses: Selector::new(default, patterned),
    })
}

/// `<crate>` from `...functions/${Function:<crate>}/invocations`.
fn function_name(uri: &str) -> Option<&str> {
    let start = uri.find("${Function:")? + "${Function:".len();
    let length = uri[start..].find('}')?;
    Some(&uri[start..start + length]).filter(|name| !name.is_empty())
}

fn read_response(response: &Value, location: &str) -> Result<IntegrationResponse, SpecError> {
    let response: IntegrationResponseObject = typed(response, location)?;
    let status = match &response.status_code {
        Value::String(text) => text.parse().ok(),
        Value::Number(number) => number.as_u64().and_then(|code| u16::try_from(code).ok()),
        _ => None,
    }
    .filter(|status| (100..600).contains(status))
    .ok_or_else(|| invalid(location, "statusCode is not an HTTP status"))?;
    let mut headers = Vec::new();
    for (target, source) in &response.response_parameters {
        let header = target
            .strip_prefix("method.response.header.")
            .ok_or_else(|| {
                invalid(
                    location,
                    format!("{target}: only method.response.header.* is supported"),
                )
            })?;
        let value = source
            .strip_prefix('\'')
            .and_then(|text| text.strip_suffix('\''))
            .ok_or_else(|| {
                invalid(
                    location,
                    format!("{target}: only static 'values' are supported"),
                )
            })?;
        headers.push((header.to_owned(), value.to_owned()));
    }
    Ok(IntegrationResponse {
        status,
        templates: templates(
            &response.response_templates,
            &format!("{location}.responseTemplates"),
        )?,
        headers,
    })
}

fn templates(
    texts: &BTreeMap<String, String>,
    location: &str,
) -> Result<BTreeMap<String, MappingTemplate>, SpecError> {
    let mut templates = BTreeMap::new();
    for (content_type, text) in texts {
        let template_location = format!("{location}[{content_type:?}]");
        let template = MappingTemplate::parse(text).map_err(|source| SpecError::Template {
            location: template_location.clone(),
            source,
        })?;
        // The engine does not reproduce these; refusing is better than rendering them as text.
        if let Some(directive) = template.unsupported_directives().first() {
            return Err(invalid(
                &template_location,
                format!(
                    "#{} (line {}, column {}) is not supported by the local gateway",
                    directive.name, directive.line, directive.column
                ),
            ));
        }
        templates.insert(content_type.to_ascii_lowercase(), template);
    }
    Ok(templates)
}

/// Follows a `#/...` reference inside the document (one level, as components refer to components).
fn resolve_local<'a>(
    document: &'a Value,
    value: &'a Value,
    location: &str,
) -> Result<&'a Value, SpecError> {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix('#')
            .and_then(|pointer| document.pointer(pointer))
            .ok_or_else(|| invalid(location, format!("unresolved reference {reference:?}"))),
        None => Ok(value),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_names_come_from_the_uri_placeholder() {
        let uri = "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Function:staff-get}/invocations";
        assert_eq!(function_name(uri), Some("staff-get"));
        assert_eq!(function_name("arn:aws:lambda:us-east-1:1:function:x"), None);
        assert_eq!(function_name("functions/${Function:}/invocations"), None);
    }

    #[test]
    fn static_header_mappings_are_read_and_others_refused() {
        let response = serde_json::json!({
            "statusCode": "201",
            "responseParameters": {"method.response.header.Content-Type": "'application/json'"}
        });
        let read = read_response(&response, "test").unwrap();
        assert_eq!(read.status, 201);
        assert_eq!(
            read.headers,
            [("Content-Type".to_owned(), "application/json".to_owned())]
        );

        let mapped = serde_json::json!({
            "statusCode": "200",
            "responseParameters": {"method.response.header.X": "integration.response.body.x"}
        });
        assert!(read_response(&mapped, "test").is_err());
    }

    #[test]
    fn validators_are_typed_and_unknown_members_refused() {
        let document = |validator: Value| {
            serde_json::json!({
                "x-amazon-apigateway-request-validators": {"v": validator},
                "paths": {"/x": {"get": {
                    "x-amazon-apigateway-request-validator": "v",
                    "parameters": [{"name": "q", "in": "query", "required": true, "schema": {"type": "string"}}],
                    "x-amazon-apigateway-integration": {"type": "mock", "responses": {"default": {"statusCode": "200"}}}
                }}}
            })
        };
        let api = ApiDefinition::from_document(
            document(serde_json::json!({"validateRequestParameters": true})),
            Path::new("."),
        )
        .unwrap();
        assert_eq!(api.operations[0].required_parameters[0].name, "q");
        let error = ApiDefinition::from_document(
            document(serde_json::json!({"validateRequestBody": true, "validateEverything": true})),
            Path::new("."),
        )
        .unwrap_err();
        assert!(
            error
                .to_string()
                .contains("unknown field `validateEverything`"),
            "{error}"
        );
    }

    #[test]
    fn unknown_validators_and_proxy_integrations_are_refused() {
        let document = serde_json::json!({
            "paths": {"/x": {"get": {
                "x-amazon-apigateway-request-validator": "nope",
                "x-amazon-apigateway-integration": {"type": "aws", "uri": "${Function:f}", "responses": {}}
            }}}
        });
        let error = ApiDefinition::from_document(document, Path::new(".")).unwrap_err();
        assert!(
            error.to_string().contains("unknown request validator"),
            "{error}"
        );

        let proxy = serde_json::json!({
            "paths": {"/x": {"get": {
                "x-amazon-apigateway-integration": {"type": "aws_proxy", "uri": "${Function:f}", "responses": {}}
            }}}
        });
        let error = ApiDefinition::from_document(proxy, Path::new(".")).unwrap_err();
        assert!(error.to_string().contains("only aws"), "{error}");
    }
}
