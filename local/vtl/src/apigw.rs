//! What API Gateway exposes to a mapping template: `$input`, `$util`, `$context`,
//! `$stageVariables`.
//!
//! Behaviour taken from AWS's mapping-template reference and from what AWS answered in
//! LocalStack's AWS-validated tests (each listed in docs/aws-fidelity.md, "VTL engine"):
//! - null references render as nothing, as if quiet, and a null equals `""`
//!   (`test_input_path_template_formatting`); use [`render_with`] for Velocity's own rendering;
//! - `$input.body` of an empty body is `{}`, and `$input.json`/`$input.path` read an empty body as
//!   `{}` (`test_input_body_formatting`);
//! - JSON arrays from `$input.path`/`$util.parseJson` render as compact JSON, objects as Java maps
//!   `{k=v}` (`test_input_path_template_formatting`);
//! - `$context`'s maps render as `""`, and `requestOverride{path,header,querystring}` and
//!   `responseOverride{header}` always exist (`test_sqs_amz_json_protocol`); what a template
//!   stores there is returned by [`render_with_context`];
//! - inferred: `$input.json` of a path that selects nothing is the empty string;
//! - a body that is not JSON makes `$input.json`/`$input.path` fail with
//!   [`ErrorKind::InvalidJson`] (API Gateway answers 400
//!   "Could not parse request body into json" for request templates).

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

use base64::Engine as _;
use indexmap::IndexMap;

use crate::Template;
use crate::error::{ErrorKind, Pos, VtlError};
use crate::eval::{NullRendering, Renderer};
use crate::java;
use crate::jsonpath;
use crate::limits::Limits;
use crate::value::{BoundedString, Budget, CallError, HostObject, TooDeep, TooLong, Value};

/// Most values `$context` may hold when read back after a render.
const MAX_CONTEXT_NODES: usize = 100_000;

/// What API Gateway exposes to a mapping template.
pub struct MappingInput<'a> {
    /// Raw request body, or the Lambda result for response templates.
    pub body: &'a str,
    pub path: &'a BTreeMap<String, String>,
    pub querystring: &'a BTreeMap<String, String>,
    /// Header names as sent; `$input.params('x')` looks them up case-insensitively, as AWS.
    pub header: &'a BTreeMap<String, String>,
    /// `$context` (requestId, stage, httpMethod, resourcePath, identity{sourceIp, apiKey}, ...).
    pub context: &'a serde_json::Value,
    pub stage_variables: &'a BTreeMap<String, String>,
}

/// How to render: limits, and what a null reference renders as.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub limits: Limits,
    pub nulls: Option<NullRendering>,
}

/// What a render produced: the body, and `$context` as the template left it.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub body: String,
    /// `$context` after the template ran: what it stored in `requestOverride` (`header`,
    /// `querystring`, `path`) and `responseOverride` (`status`, `header`) is here. AWS carries
    /// these from the request template to the response template (AWS-validated recording
    /// `test_integration_mock_with_response_override_in_request_template`), so pass this value
    /// as the next render's `MappingInput::context`.
    pub context: serde_json::Value,
}

/// Renders `template` as API Gateway would, with the default limits.
pub fn render(template: &Template, input: &MappingInput<'_>) -> Result<String, VtlError> {
    render_with(template, input, &RenderOptions::default())
}

/// Renders with explicit options; `nulls: None` means API Gateway's behaviour (render nothing).
pub fn render_with(
    template: &Template,
    input: &MappingInput<'_>,
    options: &RenderOptions,
) -> Result<String, VtlError> {
    render_with_context(template, input, options).map(|rendered| rendered.body)
}

/// [`render_with`], also returning `$context` as the template left it (for the overrides).
pub fn render_with_context(
    template: &Template,
    input: &MappingInput<'_>,
    options: &RenderOptions,
) -> Result<Rendered, VtlError> {
    let start = Pos { line: 1, column: 1 };
    let too_deep = |TooDeep| VtlError::new(start, ErrorKind::Limit, "$context nests too deep");
    let context = Value::from_json_opaque(&with_override_maps(input.context)).map_err(too_deep)?;
    let mut vars = HashMap::new();
    vars.insert(
        "input".to_string(),
        Value::Object(Rc::new(InputObject::new(input))),
    );
    vars.insert("util".to_string(), Value::Object(Rc::new(UtilObject)));
    vars.insert("context".to_string(), context.clone());
    vars.insert(
        "stageVariables".to_string(),
        string_map(input.stage_variables),
    );
    let nulls = options.nulls.unwrap_or(NullRendering::Empty);
    let body = Renderer::new(vars, &options.limits, nulls)
        .null_equals_empty_string()
        .render(template.nodes())?;
    let context = context.to_json(MAX_CONTEXT_NODES).map_err(|_| {
        VtlError::new(
            start,
            ErrorKind::Limit,
            "$context grew too large to read back",
        )
    })?;
    Ok(Rendered { body, context })
}

/// `$context` with the override maps a template writes into: `requestOverride` with `path`,
/// `header`, `querystring`, and `responseOverride` with `header`, each empty unless given (the
/// keys AWS shows, recording `test_sqs_amz_json_protocol`).
fn with_override_maps(context: &serde_json::Value) -> serde_json::Value {
    let mut context = context.clone();
    if let Some(object) = context.as_object_mut() {
        for (name, keys) in [
            ("requestOverride", &["path", "header", "querystring"][..]),
            ("responseOverride", &["header"][..]),
        ] {
            let entry = object
                .entry(name)
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
            if let Some(map) = entry.as_object_mut() {
                for key in keys {
                    map.entry(*key)
                        .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()));
                }
            }
        }
    }
    context
}

fn string_map(map: &BTreeMap<String, String>) -> Value {
    Value::map(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::str(v)))
            .collect::<IndexMap<_, _>>(),
    )
}

/// `$input`.
struct InputObject {
    body: Rc<str>,
    document: OnceCell<Result<jsonpath::Document, String>>,
    /// `{path: {...}, querystring: {...}, header: {...}}`.
    params: Value,
    /// Lookup order of `$input.params('x')`, headers last and case-insensitive.
    path: Vec<(String, String)>,
    querystring: Vec<(String, String)>,
    header: Vec<(String, String)>,
}

impl InputObject {
    fn new(input: &MappingInput<'_>) -> Self {
        let mut params = IndexMap::new();
        params.insert("path".to_string(), string_map(input.path));
        params.insert("querystring".to_string(), string_map(input.querystring));
        params.insert("header".to_string(), string_map(input.header));
        let pairs = |m: &BTreeMap<String, String>| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<Vec<_>>()
        };
        Self {
            body: Rc::from(input.body),
            document: OnceCell::new(),
            params: Value::map(params),
            path: pairs(input.path),
            querystring: pairs(input.querystring),
            header: pairs(input.header),
        }
    }

    /// The body as JSON, parsed once; an empty body reads as `{}`.
    fn document(&self) -> Result<&jsonpath::Document, CallError> {
        self.document
            .get_or_init(|| {
                let text = if self.body.trim().is_empty() {
                    "{}"
                } else {
                    &self.body
                };
                jsonpath::Document::parse(text).map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|message| CallError {
                kind: ErrorKind::InvalidJson,
                message: format!("Could not parse request body into json: {message}"),
            })
    }

    fn select(&self, path: &str) -> Result<Option<Value>, CallError> {
        jsonpath::select(self.document()?, path).map_err(CallError::runtime)
    }

    fn param(&self, name: &str) -> String {
        let exact = |pairs: &[(String, String)]| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        exact(&self.path)
            .or_else(|| exact(&self.querystring))
            .or_else(|| {
                self.header
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(name))
                    .map(|(_, v)| v.clone())
            })
            .unwrap_or_default()
    }
}

impl HostObject for InputObject {
    fn name(&self) -> &'static str {
        "$input"
    }

    fn call(
        &self,
        name: &str,
        args: &[Value],
        budget: &Budget,
    ) -> Result<Option<Value>, CallError> {
        let arg = args.first().and_then(Value::as_str);
        Ok(match (name, args.len(), arg) {
            ("getBody", 0, _) if self.body.is_empty() => Some(Value::str("{}")),
            ("getBody", 0, _) => Some(Value::Str(self.body.clone())),
            ("json", 1, Some(path)) => {
                let mut out = BoundedString::new(budget.max_string_bytes);
                if let Some(value) = self.select(path)? {
                    value.write_json(&mut out)?;
                }
                let text = out.into_string();
                budget.spend(text.len() as u64 / 64)?;
                Some(Value::str(&text))
            }
            ("path", 1, Some(path)) => Some(self.select(path)?.unwrap_or(Value::Null)),
            ("params", 0, _) => Some(self.params.clone()),
            ("params", 1, Some(name)) => Some(Value::str(&self.param(name))),
            _ => None,
        })
    }
}

/// `$util`.
struct UtilObject;

impl HostObject for UtilObject {
    fn name(&self) -> &'static str {
        "$util"
    }

    fn call(
        &self,
        name: &str,
        args: &[Value],
        budget: &Budget,
    ) -> Result<Option<Value>, CallError> {
        let [Value::Str(s)] = args else {
            return Ok(None);
        };
        let result = match name {
            "escapeJavaScript" => java::escape_javascript(s),
            "parseJson" => {
                return Value::parse_json(s).map(Some).map_err(|e| CallError {
                    kind: ErrorKind::InvalidJson,
                    message: format!("$util.parseJson: invalid JSON: {e}"),
                });
            }
            "urlEncode" => form_urlencoded::byte_serialize(s.as_bytes()).collect(),
            "urlDecode" => url_decode(s)?,
            "base64Encode" => base64::engine::general_purpose::STANDARD.encode(s.as_bytes()),
            "base64Decode" => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(s.as_bytes())
                    .map_err(|_| CallError::runtime("$util.base64Decode: invalid base64"))?;
                String::from_utf8_lossy(&bytes).into_owned()
            }
            _ => return Ok(None),
        };
        if result.len() > budget.max_string_bytes {
            return Err(TooLong.into());
        }
        budget.spend(result.len() as u64 / 64)?;
        Ok(Some(Value::str(&result)))
    }
}

/// Java's `URLDecoder.decode(s, "UTF-8")`: `+` is a space; a malformed `%` escape throws.
fn url_decode(s: &str) -> Result<String, CallError> {
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let valid = bytes
                .get(i + 1..i + 3)
                .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit));
            if !valid {
                return Err(CallError::runtime(
                    "$util.urlDecode: incomplete or invalid % escape",
                ));
            }
            i += 3;
        } else {
            i += 1;
        }
    }
    let spaced = s.replace('+', " ");
    Ok(percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned())
}
