//! redshift-data's wire shapes (awsJson1_1): the inputs as the SDKs send them, their validation, and
//! the answers built from a statement.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::statements::{Statement, Status};
use crate::error::ServiceError;

pub const MAX_SQL_BYTES: usize = 100 * 1024;
pub const MAX_WAIT_SECONDS: i64 = 30;

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct SqlParameter {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ExecuteInput {
    pub sql: Option<String>,
    pub database: Option<String>,
    pub workgroup_name: Option<String>,
    pub cluster_identifier: Option<String>,
    pub secret_arn: Option<String>,
    pub db_user: Option<String>,
    #[serde(default)]
    pub parameters: Vec<SqlParameter>,
    pub statement_name: Option<String>,
    pub client_token: Option<String>,
    pub result_format: Option<String>,
    pub wait_time_seconds: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct IdInput {
    pub id: Option<String>,
    pub next_token: Option<String>,
    pub wait_time_seconds: Option<i64>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListInput {
    pub max_results: Option<usize>,
    pub next_token: Option<String>,
    pub status: Option<String>,
    pub statement_name: Option<String>,
}

pub fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ServiceError> {
    serde_json::from_slice(body)
        .map_err(|e| ServiceError::bad_request("SerializationException", e.to_string()))
}

pub fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::bad_request("ValidationException", message)
}

pub fn validate_wait(seconds: Option<i64>) -> Result<i64, ServiceError> {
    match seconds.unwrap_or(0) {
        s @ 0..=MAX_WAIT_SECONDS => Ok(s),
        _ => Err(validation(
            "WaitTimeSeconds must be between 0 and 30 seconds.",
        )),
    }
}

impl ExecuteInput {
    /// The checks AWS makes before accepting a statement.
    pub fn validate(&self) -> Result<(), ServiceError> {
        let sql = self.sql.as_deref().unwrap_or_default();
        if sql.is_empty() {
            return Err(validation("Sql is required"));
        }
        if sql.len() > MAX_SQL_BYTES {
            return Err(validation("Sql must be at most 100 KB"));
        }
        if self.workgroup_name.is_none() && self.cluster_identifier.is_none() {
            return Err(validation(
                "Either WorkgroupName or ClusterIdentifier must be specified.",
            ));
        }
        if self.workgroup_name.is_some() && self.cluster_identifier.is_some() {
            return Err(validation(
                "WorkgroupName and ClusterIdentifier cannot both be specified.",
            ));
        }
        if self.result_format.as_deref().is_some_and(|f| f != "JSON") {
            return Err(validation(
                "The local data API supports ResultFormat JSON only.",
            ));
        }
        for p in &self.parameters {
            let valid_name = !p.name.is_empty()
                && p.name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid_name || p.value.is_empty() {
                return Err(validation(
                    "Parameter names must match [0-9a-zA-Z_]+ and values must not be empty.",
                ));
            }
        }
        validate_wait(self.wait_time_seconds)?;
        Ok(())
    }
}

pub fn epoch_seconds(t: chrono::DateTime<chrono::Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

/// The optional names a statement echoes in ExecuteStatement and DescribeStatement.
fn add_names(out: &mut Value, statement: &Statement) {
    let names = [
        ("WorkgroupName", &statement.workgroup_name),
        ("ClusterIdentifier", &statement.cluster_identifier),
        ("SecretArn", &statement.secret_arn),
        ("DbUser", &statement.db_user),
    ];
    for (key, value) in names {
        if let Some(value) = value {
            out[key] = value.clone().into();
        }
    }
}

pub fn execute_output(statement: &Statement, with_status: bool) -> Value {
    let mut out = json!({
        "Id": statement.id.to_string(),
        "CreatedAt": epoch_seconds(statement.created_at),
        "Database": statement.database,
    });
    add_names(&mut out, statement);
    if with_status {
        let status = statement.status();
        out["Status"] = status.name().into();
        if status == Status::Finished {
            out["HasResultSet"] = statement.progress().result.is_some().into();
        }
    }
    out
}

pub fn describe_output(statement: &Statement) -> Value {
    let status = statement.status();
    let progress = statement.progress();
    let mut out = json!({
        "Id": statement.id.to_string(),
        "QueryString": statement.query,
        "Status": status.name(),
        "Database": statement.database,
        "CreatedAt": epoch_seconds(statement.created_at),
        "UpdatedAt": epoch_seconds(progress.updated_at),
        "Duration": progress.duration_ns,
        "HasResultSet": progress.result.is_some(),
        "ResultRows": progress.result_rows,
        "ResultSize": progress.result_size,
        "RedshiftPid": progress.backend_pid.unwrap_or(0),
        "RedshiftQueryId": 0,
        "ResultFormat": "JSON",
    });
    if let Some(error) = &progress.error {
        out["Error"] = error.clone().into();
    }
    if !statement.parameters.is_empty() {
        out["QueryParameters"] = serde_json::to_value(&statement.parameters).unwrap_or_default();
    }
    add_names(&mut out, statement);
    out
}

pub fn list_item(statement: &Statement) -> Value {
    let mut item = json!({
        "Id": statement.id.to_string(),
        "QueryString": statement.query,
        "Status": statement.status().name(),
        "CreatedAt": epoch_seconds(statement.created_at),
        "UpdatedAt": epoch_seconds(statement.progress().updated_at),
        "IsBatchStatement": false,
        "ResultFormat": "JSON",
    });
    if let Some(name) = &statement.statement_name {
        item["StatementName"] = name.clone().into();
    }
    item
}
