//! One request through API Gateway's stages, in AWS's order: route (403 Missing Authentication
//! Token), API key (403 Forbidden), usage plan (429), request validation (400), request template
//! (415 when passthrough `never` finds none), Lambda invocation, integration-response selection,
//! response template and header mappings.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::api_keys::{ApiKey, ApiKeys};
use crate::gateway_response::GatewayResponse;
use crate::headers;
use crate::invoke::{Invocation, InvokeError, LambdaClient};
use crate::mapping::{MappingInput, MappingTemplate};
use crate::overrides::{RequestOverrides, apply_response_overrides};
use crate::routing::RouteTable;
use crate::selection::LambdaResult;
use crate::spec::{ApiDefinition, Backend, IntegrationResponse, Operation, PassthroughBehavior};
use crate::trace_id::trace_header;
use crate::usage_plan::UsagePlan;
use crate::validation::{self, RequestParameters};

/// API Gateway's content type for requests that name none.
const DEFAULT_CONTENT_TYPE: &str = "application/json";

/// A method request, as received.
pub struct MethodRequest {
    pub method: String,
    /// The path as sent (percent-encoded).
    pub path: String,
    pub querystring: BTreeMap<String, String>,
    /// Lower-case names; the last value of a repeated header.
    pub header: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

/// The method response.
#[derive(Debug)]
pub struct MethodResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl From<GatewayResponse> for MethodResponse {
    fn from(response: GatewayResponse) -> Self {
        let mut headers = vec![("Content-Type".to_owned(), DEFAULT_CONTENT_TYPE.to_owned())];
        if let Some(error_type) = response.error_type() {
            headers.push(("x-amzn-ErrorType".to_owned(), error_type.to_owned()));
        }
        Self {
            status: response.status(),
            headers,
            body: response.body(),
        }
    }
}

/// What the access log records beyond the request line.
#[derive(Debug, Default)]
pub struct Trace<'a> {
    pub resource_path: Option<&'a str>,
    pub api_key: Option<&'a ApiKey>,
    pub integration_latency: Option<Duration>,
}

/// Builds `$context` once the route and key are known.
pub trait ContextSource {
    fn context(&self, resource_path: &str, api_key: Option<&ApiKey>) -> serde_json::Value;
}

/// The API for one stage.
pub struct Gateway {
    api: ApiDefinition,
    routes: RouteTable,
    keys: ApiKeys,
    usage_plan: UsagePlan,
    lambda: LambdaClient,
    stage_variables: BTreeMap<String, String>,
}

impl Gateway {
    pub fn new(
        api: ApiDefinition,
        routes: RouteTable,
        keys: ApiKeys,
        usage_plan: UsagePlan,
        lambda: LambdaClient,
        stage_variables: BTreeMap<String, String>,
    ) -> Self {
        Self {
            api,
            routes,
            keys,
            usage_plan,
            lambda,
            stage_variables,
        }
    }

    pub async fn handle<'g>(
        &'g self,
        request: &MethodRequest,
        context: &(dyn ContextSource + Sync),
        trace: &mut Trace<'g>,
    ) -> MethodResponse {
        match self.run(request, context, trace).await {
            Ok(response) => response,
            Err(gateway_response) => gateway_response.into(),
        }
    }

    async fn run<'g>(
        &'g self,
        request: &MethodRequest,
        context_source: &(dyn ContextSource + Sync),
        trace: &mut Trace<'g>,
    ) -> Result<MethodResponse, GatewayResponse> {
        let route = self
            .routes
            .find(&request.method, &request.path)
            .ok_or(GatewayResponse::MissingAuthenticationToken)?;
        let operation = &self.api.operations[route.operation];
        trace.resource_path = Some(&operation.resource_path);

        let api_key = request
            .header
            .get("x-api-key")
            .and_then(|value| self.keys.find(value));
        if operation.api_key_required && api_key.is_none() {
            return Err(GatewayResponse::InvalidApiKey);
        }
        trace.api_key = api_key;
        self.usage_plan
            .admit(api_key.map(|key| key.id.as_str()), &operation.name())?;

        let parameters = RequestParameters {
            path: &route.path_parameters,
            querystring: &request.querystring,
            header: &request.header,
        };
        let content_type = media_type(request.header.get("content-type"));
        validate(operation, &parameters, &content_type, &request.body)?;

        let context = context_source.context(&operation.resource_path, api_key);
        let body = String::from_utf8_lossy(&request.body);
        let template_headers: BTreeMap<String, String> = request
            .header
            .iter()
            .filter(|(name, _)| !headers::hidden_from_templates(name))
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        let input = |body, context| MappingInput {
            body,
            path: &route.path_parameters,
            querystring: &request.querystring,
            header: &template_headers,
            context,
            stage_variables: &self.stage_variables,
        };
        // `$context` as the request template leaves it is what the response template sees.
        let (event, context) = request_event(operation, &content_type, &input(&body, &context))?;

        let integration = &operation.integration;
        let (payload, selected, trace_id) = match &integration.backend {
            Backend::Lambda { function_name } => {
                let overrides = RequestOverrides::from_context(&context);
                let invocation = self
                    .invoke(operation, function_name, event, &overrides, trace)
                    .await?;
                let trace_id = trace_header(
                    request.header.get("x-amzn-trace-id").map(String::as_str),
                    chrono::Utc::now().timestamp(),
                );
                let (payload, selected) = match invocation {
                    Invocation::Success { payload } => {
                        (payload, integration.responses.select(LambdaResult::Success))
                    }
                    Invocation::FunctionError {
                        payload,
                        error_message,
                    } => {
                        let selected = integration.responses.select(LambdaResult::Error {
                            error_message: error_message.as_deref(),
                        });
                        (payload, selected)
                    }
                };
                (payload, selected, Some(trace_id))
            }
            // A MOCK answer has no body; the recording with no response template answered "".
            Backend::Mock => (
                String::new(),
                integration.responses.select_text(&mock_status(&event)?),
                None,
            ),
        };
        let selected = selected.ok_or(GatewayResponse::IntegrationFailure)?;
        let (mut response, context) = method_response(selected, &input(&payload, &context))?;
        apply_response_overrides(&context, &mut response.status, &mut response.headers);
        if let Some(trace_id) = trace_id {
            response
                .headers
                .push(("X-Amzn-Trace-Id".to_owned(), trace_id));
        }
        Ok(response)
    }

    /// Calls the function; a failed call is API Gateway's 504 (timeout) or 500, and the reason only
    /// goes to the gateway's own log, as to API Gateway's execution log.
    async fn invoke(
        &self,
        operation: &Operation,
        function_name: &str,
        event: String,
        overrides: &RequestOverrides,
        trace: &mut Trace<'_>,
    ) -> Result<Invocation, GatewayResponse> {
        let started = Instant::now();
        let invocation = self
            .lambda
            .invoke(
                function_name,
                event,
                operation.integration.timeout,
                overrides,
            )
            .await;
        trace.integration_latency = Some(started.elapsed());
        invocation.map_err(|error| {
            eprintln!("{}: invoking {function_name}: {error}", operation.name());
            match error {
                InvokeError::TimedOut(_) => GatewayResponse::IntegrationTimeout,
                // "If the Lambda API rejects the invocation request, API Gateway returns a 500"
                // (Lambda developer guide, services-apigateway-errors); a throttle is such a rejection.
                InvokeError::Unreachable(_)
                | InvokeError::Refused { .. }
                | InvokeError::Throttled(_) => GatewayResponse::IntegrationFailure,
            }
        })
    }
}

/// `application/json` from `Application/JSON; charset=utf-8`; absent means application/json.
fn media_type(content_type: Option<&String>) -> String {
    content_type
        .and_then(|value| value.split(';').next())
        .map(|media_type| media_type.trim().to_ascii_lowercase())
        .filter(|media_type| !media_type.is_empty())
        .unwrap_or_else(|| DEFAULT_CONTENT_TYPE.to_owned())
}

fn validate(
    operation: &Operation,
    parameters: &RequestParameters<'_>,
    content_type: &str,
    body: &[u8],
) -> Result<(), GatewayResponse> {
    let missing = validation::missing_parameters(&operation.required_parameters, parameters);
    if !missing.is_empty() {
        return Err(GatewayResponse::BadRequestParameters(
            validation::missing_parameters_message(&missing),
        ));
    }
    match &operation.body_validator {
        Some(validator) if content_type == DEFAULT_CONTENT_TYPE && !validator.accepts(body) => {
            Err(GatewayResponse::BadRequestBody)
        }
        _ => Ok(()),
    }
}

/// The integration request: the request template's output and `$context` as it left it, or the
/// body itself (and `$context` unchanged) where passthrough allows.
fn request_event(
    operation: &Operation,
    content_type: &str,
    input: &MappingInput<'_>,
) -> Result<(String, Value), GatewayResponse> {
    let integration = &operation.integration;
    let passed_through = || Ok((input.body.to_owned(), input.context.clone()));
    match integration.request_templates.get(content_type) {
        Some(template) => render(template, input),
        None => match integration.passthrough {
            PassthroughBehavior::WhenNoMatch => passed_through(),
            PassthroughBehavior::WhenNoTemplates if integration.request_templates.is_empty() => {
                passed_through()
            }
            PassthroughBehavior::WhenNoTemplates | PassthroughBehavior::Never => {
                Err(GatewayResponse::UnsupportedMediaType)
            }
        },
    }
}

/// The status code a MOCK integration answers: its request's `statusCode` (AWS docs, "Set up mock
/// integrations"). AWS also read the unquoted `{statusCode: 200}` (AWS-validated recording
/// `test_integration_mock_with_path_param`), so the number after the name is read without a JSON
/// parser. An empty request is 200 and a request without `statusCode` a 500 (both inferred).
fn mock_status(event: &str) -> Result<String, GatewayResponse> {
    if event.trim().is_empty() {
        return Ok("200".to_owned());
    }
    let after_name = event
        .split_once("statusCode")
        .map(|(_, rest)| {
            rest.trim_start_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace())
        })
        .and_then(|rest| rest.strip_prefix(':'))
        .map(|rest| rest.trim_start_matches(|c: char| c == '"' || c == '\'' || c.is_whitespace()))
        .ok_or(GatewayResponse::IntegrationFailure)?;
    let digits: String = after_name
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    if digits.is_empty() {
        return Err(GatewayResponse::IntegrationFailure);
    }
    Ok(digits)
}

/// The selected integration response: its template (application/json, else the only one), or the
/// payload unchanged when it has none, and its header mappings.
fn method_response(
    response: &IntegrationResponse,
    input: &MappingInput<'_>,
) -> Result<(MethodResponse, Value), GatewayResponse> {
    let template = response
        .templates
        .get(DEFAULT_CONTENT_TYPE)
        .or_else(|| response.templates.values().next());
    let (body, context) = match template {
        Some(template) => render(template, input)?,
        None => (input.body.to_owned(), input.context.clone()),
    };
    let mut headers = response.headers.clone();
    if !headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
    {
        headers.push(("Content-Type".to_owned(), DEFAULT_CONTENT_TYPE.to_owned()));
    }
    Ok((
        MethodResponse {
            status: response.status,
            headers,
            body,
        },
        context,
    ))
}

/// The template's output and `$context` as it left it. A template that fails at run time is API
/// Gateway's 500 (the details only reach its logs).
fn render(
    template: &MappingTemplate,
    input: &MappingInput<'_>,
) -> Result<(String, Value), GatewayResponse> {
    template
        .render_with_context(input)
        .map(|rendered| (rendered.body, rendered.context))
        .map_err(|error| {
            eprintln!("mapping template failed: {error}");
            GatewayResponse::IntegrationFailure
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_ignore_parameters_and_case() {
        let header = |value: &str| Some(value.to_owned());
        assert_eq!(
            media_type(header("Application/JSON; charset=utf-8").as_ref()),
            "application/json"
        );
        assert_eq!(media_type(header("text/plain").as_ref()), "text/plain");
        assert_eq!(media_type(None), "application/json");
        assert_eq!(media_type(header("").as_ref()), "application/json");
    }

    #[test]
    fn mock_status_codes_are_read_from_json_and_unquoted_names() {
        assert_eq!(mock_status(r#"{"statusCode": 200}"#).unwrap(), "200");
        assert_eq!(mock_status("{statusCode: 404}").unwrap(), "404");
        assert_eq!(
            mock_status("\n{ \"statusCode\" : \"201\" }").unwrap(),
            "201"
        );
        assert_eq!(mock_status("").unwrap(), "200");
        assert!(mock_status(r#"{"other": 1}"#).is_err());
        assert!(mock_status(r#"{"statusCode": "x"}"#).is_err());
    }
}
