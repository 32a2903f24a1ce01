//! SSM GetParameter and PutParameter (awsJson1_1), held in memory and seeded from configuration.

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
    match operation {
        "GetParameter" => get_parameter(app, parse(body)?),
        "PutParameter" => put_parameter(app, parse(body)?),
        _ => Err(ServiceError::bad_request(
            "UnknownOperationException",
            format!("The local data API does not implement AmazonSSM.{operation}"),
        )),
    }
}

fn arn(app: &App, name: &str) -> String {
    let separator = if name.starts_with('/') { "" } else { "/" };
    format!(
        "arn:aws:ssm:{}:000000000000:parameter{separator}{name}",
        app.config.region
    )
}

fn get_parameter(app: &App, input: GetInput) -> Result<Value, ServiceError> {
    let name = input.name.ok_or_else(|| validation("Name is required"))?;
    let parameter = lock(&app.parameters.by_name)
        .get(&name)
        .cloned()
        .ok_or_else(|| ServiceError::bad_request("ParameterNotFound", ""))?;
    Ok(json!({
        "Parameter": {
            "Name": name,
            "Type": parameter.kind,
            "Value": parameter.value,
            "Version": parameter.version,
            "LastModifiedDate": parameter.modified.timestamp_millis() as f64 / 1000.0,
            "ARN": arn(app, &name),
            "DataType": "text",
        }
    }))
}

fn put_parameter(app: &App, input: PutInput) -> Result<Value, ServiceError> {
    let name = input.name.ok_or_else(|| validation("Name is required"))?;
    let value = input.value.ok_or_else(|| validation("Value is required"))?;
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
            kind,
            version,
            modified: Utc::now(),
        },
    );
    Ok(json!({ "Version": version, "Tier": "Standard" }))
}
