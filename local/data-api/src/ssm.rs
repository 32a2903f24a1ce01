//! SSM GetParameter, GetParameters and PutParameter (awsJson1_1), held in memory and seeded from configuration.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ServiceError;
use crate::fault_injection::Fault;
use crate::lock::lock;
use crate::server::App;

#[derive(Debug, Clone)]
struct Parameter {
    value: String,
    /// What a SecureString reads as without WithDecryption: random bytes standing for KMS's
    /// ciphertext, so the plaintext cannot be derived from it.
    ciphertext: String,
    kind: String,
    version: u64,
    modified: DateTime<Utc>,
}

#[derive(Debug, Default)]
pub struct Parameters {
    by_name: Mutex<HashMap<String, Parameter>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetInput {
    name: Option<String>,
    #[serde(default)]
    with_decryption: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct GetManyInput {
    names: Option<Vec<String>>,
    #[serde(default)]
    with_decryption: bool,
}

const TYPES: [&str; 3] = ["String", "StringList", "SecureString"];

fn constraint(member: &str, value: impl std::fmt::Display, rule: &str) -> ServiceError {
    ServiceError::constraint("ValidationException", member, value, rule)
}

/// Names are 1-2048 characters (botocore's ssm model, `PSParameterName`).
fn check_name(member: &str, name: &str) -> Result<(), ServiceError> {
    ServiceError::check_length("ValidationException", member, name, 1, 2048)
}

fn new_ciphertext() -> String {
    use base64::Engine;
    let bytes = [
        *uuid::Uuid::new_v4().as_bytes(),
        *uuid::Uuid::new_v4().as_bytes(),
    ]
    .concat();
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PutInput {
    name: Option<String>,
    value: Option<String>,
    #[serde(rename = "Type")]
    kind: Option<String>,
    #[serde(default)]
    overwrite: bool,
}

impl Parameters {
    /// Replaces every parameter with `seed` (version 1 each).
    pub fn reset(&self, seed: &[(String, String)]) {
        let mut by_name = lock(&self.by_name);
        by_name.clear();
        for (name, value) in seed {
            by_name.insert(
                name.clone(),
                Parameter {
                    value: value.clone(),
                    ciphertext: new_ciphertext(),
                    kind: "String".into(),
                    version: 1,
                    modified: Utc::now(),
                },
            );
        }
    }
}

fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ServiceError> {
    serde_json::from_slice(body)
        .map_err(|e| ServiceError::bad_request("SerializationException", e.to_string()))
}

fn validation(message: &str) -> ServiceError {
    ServiceError::bad_request("ValidationException", message)
}

/// Dispatches `AmazonSSM.<operation>`.
pub fn handle(app: &App, operation: &str, body: &[u8]) -> Result<Value, ServiceError> {
    if let Some(Fault::Error(code)) = app.faults.on_call("ssm", operation) {
        return Err(ServiceError::injected(&code));
    }
    let result = match operation {
        "GetParameter" => get_parameter(app, parse(body)?),
        "GetParameters" => get_parameters(app, parse(body)?),
        "PutParameter" => put_parameter(app, parse(body)?),
        _ => Err(ServiceError::bad_request(
            "UnknownOperationException",
            format!("The local data API does not implement AmazonSSM.{operation}"),
        )),
    };
    // SSM's model names the member `message` in its own error shapes, `Message` in ValidationException.
    result.map_err(|mut error| {
        if error.code != "ValidationException" {
            error.message_member = "message";
        }
        error
    })
}

fn arn(app: &App, name: &str) -> String {
    let separator = if name.starts_with('/') { "" } else { "/" };
    format!(
        "arn:aws:ssm:{}:000000000000:parameter{separator}{name}",
        app.config.region
    )
}

/// A parameter as GetParameter(s) returns it: a SecureString's value is its ciphertext unless
/// WithDecryption (AWS: "Return decrypted values for secure string parameters. This flag is ignored
/// for String and StringList parameter types").
fn parameter_json(app: &App, name: &str, parameter: &Parameter, with_decryption: bool) -> Value {
    let value = if parameter.kind == "SecureString" && !with_decryption {
        &parameter.ciphertext
    } else {
        &parameter.value
    };
    json!({
        "Name": name,
        "Type": parameter.kind,
        "Value": value,
        "Version": parameter.version,
        "LastModifiedDate": parameter.modified.timestamp_millis() as f64 / 1000.0,
        "ARN": arn(app, name),
        "DataType": "text",
    })
}

fn get_parameter(app: &App, input: GetInput) -> Result<Value, ServiceError> {
    let name = input.name.ok_or_else(|| validation("Name is required"))?;
    check_name("name", &name)?;
    let parameter = lock(&app.parameters.by_name)
        .get(&name)
        .cloned()
        .ok_or_else(|| ServiceError::bad_request("ParameterNotFound", ""))?;
    Ok(json!({ "Parameter": parameter_json(app, &name, &parameter, input.with_decryption) }))
}

/// Up to 10 names; those that do not exist are listed in InvalidParameters, not an error.
fn get_parameters(app: &App, input: GetManyInput) -> Result<Value, ServiceError> {
    let names = input.names.ok_or_else(|| validation("Names is required"))?;
    if names.is_empty() || names.len() > 10 {
        let rule = if names.is_empty() {
            "have length greater than or equal to 1"
        } else {
            "have length less than or equal to 10"
        };
        return Err(constraint("names", format!("{names:?}"), rule));
    }
    for name in &names {
        check_name("names", name)?;
    }
    let by_name = lock(&app.parameters.by_name);
    let mut found = Vec::new();
    let mut invalid = Vec::new();
    for name in names {
        match by_name.get(&name) {
            Some(p) => found.push(parameter_json(app, &name, p, input.with_decryption)),
            None => invalid.push(name),
        }
    }
    Ok(json!({ "Parameters": found, "InvalidParameters": invalid }))
}

fn put_parameter(app: &App, input: PutInput) -> Result<Value, ServiceError> {
    let name = input.name.ok_or_else(|| validation("Name is required"))?;
    let value = input.value.ok_or_else(|| validation("Value is required"))?;
    check_name("name", &name)?;
    if let Some(kind) = input.kind.as_deref() {
        ServiceError::check_enum("ValidationException", "type", kind, &TYPES)?;
    }
    let mut by_name = lock(&app.parameters.by_name);
    let version = match by_name.get(&name) {
        Some(_) if !input.overwrite => {
            return Err(ServiceError::bad_request(
                "ParameterAlreadyExists",
                "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
            ));
        }
        Some(existing) => existing.version + 1,
        None => 1,
    };
    let kind = input
        .kind
        .or_else(|| by_name.get(&name).map(|p| p.kind.clone()))
        .unwrap_or_else(|| "String".into());
    by_name.insert(
        name,
        Parameter {
            value,
            ciphertext: new_ciphertext(),
            kind,
            version,
            modified: Utc::now(),
        },
    );
    Ok(json!({ "Version": version, "Tier": "Standard" }))
}
