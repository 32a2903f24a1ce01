//! redshift-data's wire shapes (awsJson1_1): the inputs as the SDKs send them, their validation, and
//! the answers built from a statement.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
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
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
    pub status: Option<String>,
    pub statement_name: Option<String>,
    pub database: Option<String>,
    pub workgroup_name: Option<String>,
    pub cluster_identifier: Option<String>,
}

const STATUSES: [&str; 7] = [
    "SUBMITTED",
    "PICKED",
    "STARTED",
    "FINISHED",
    "ABORTED",
    "FAILED",
    "ALL",
];

impl ListInput {
    /// The model's constraints: MaxResults 0-100, Status one of the enum, the name filters' patterns.
    pub fn validate(&self) -> Result<(), ServiceError> {
        if let Some(max) = self.max_results.filter(|m| !(0..=100).contains(m)) {
            let rule = if max < 0 {
                "have value greater than or equal to 0"
            } else {
                "have value less than or equal to 100"
            };
            return Err(constraint("maxResults", max, rule));
        }
        if let Some(status) = self.status.as_deref() {
            ServiceError::check_enum("ValidationException", "status", status, &STATUSES)?;
        }
        if let Some(name) = &self.statement_name {
            check_length("statementName", name, 0, 2048)?;
        }
        validate_names(
            self.workgroup_name.as_deref(),
            self.cluster_identifier.as_deref(),
        )
    }
}

fn constraint(member: &str, value: impl std::fmt::Display, rule: &str) -> ServiceError {
    ServiceError::constraint("ValidationException", member, value, rule)
}

fn check_length(member: &str, value: &str, min: usize, max: usize) -> Result<(), ServiceError> {
    ServiceError::check_length("ValidationException", member, value, min, max)
}

const CLUSTER_PATTERN: &str = "[a-z][a-z0-9]*(-[a-z0-9]+)*";
const WORKGROUP_PATTERN: &str = r".*((^[a-z0-9-]{3,63}$)|^(arn:(aws(-[a-z]+)*):redshift-serverless:[a-z]{2}(-gov|(-iso[a-z]?))?-[a-z]+-\d{1}:\d{12}:workgroup/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}))";

/// `pattern` as the whole value must match it (AWS checks model patterns against the full value).
fn full_match(pattern: &str, value: &str) -> bool {
    regex::Regex::new(&format!("^(?:{pattern})$")).is_ok_and(|re| re.is_match(value))
}

/// WorkgroupName (3-128, a name or a workgroup ARN) and ClusterIdentifier (1-63, lowercase words
/// joined by hyphens), as botocore's redshift-data model constrains them.
fn validate_names(workgroup: Option<&str>, cluster: Option<&str>) -> Result<(), ServiceError> {
    if let Some(workgroup) = workgroup {
        check_length("workgroupName", workgroup, 3, 128)?;
        if !full_match(WORKGROUP_PATTERN, workgroup) {
            return Err(constraint(
                "workgroupName",
                workgroup,
                &format!("satisfy regular expression pattern: {WORKGROUP_PATTERN}"),
            ));
        }
    }
    if let Some(cluster) = cluster {
        check_length("clusterIdentifier", cluster, 1, 63)?;
        if !full_match(CLUSTER_PATTERN, cluster) {
            return Err(constraint(
                "clusterIdentifier",
                cluster,
                &format!("satisfy regular expression pattern: {CLUSTER_PATTERN}"),
            ));
        }
    }
    Ok(())
}

pub fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ServiceError> {
    serde_json::from_slice(body)
        .map_err(|e| ServiceError::bad_request("SerializationException", e.to_string()))
}

pub fn validation(message: impl Into<String>) -> ServiceError {
    ServiceError::bad_request("ValidationException", message)
}

/// WaitTimeSeconds: absent is no wait; given, 1-30 (Redshift API reference, ExecuteStatement:
/// "Valid Range: Minimum value of 1. Maximum value of 30").
pub fn validate_wait(seconds: Option<i64>) -> Result<i64, ServiceError> {
    match seconds {
        None => Ok(0),
        Some(s @ 1..=MAX_WAIT_SECONDS) => Ok(s),
        Some(s) if s < 1 => Err(constraint(
            "waitTimeSeconds",
            s,
            "have value greater than or equal to 1",
        )),
        Some(s) => Err(constraint(
            "waitTimeSeconds",
            s,
            "have value less than or equal to 30",
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
            // Wording as users report it from AWS; the 100 KB limit itself is documented.
            return Err(validation("Cannot process query string larger than 100kB"));
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
        validate_names(
            self.workgroup_name.as_deref(),
            self.cluster_identifier.as_deref(),
        )?;
        if let Some(token) = &self.client_token {
            check_length("clientToken", token, 1, 64)?;
        }
        if let Some(name) = &self.statement_name {
            check_length("statementName", name, 0, 2048)?;
        }
        if let Some(format) = self.result_format.as_deref() {
            ServiceError::check_enum(
                "ValidationException",
                "resultFormat",
                format,
                &["JSON", "CSV"],
            )?;
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

/// A NextToken for GetStatementResult: random, meaningful only to the server that minted it.
pub fn opaque_token() -> String {
    let bytes = [
        *uuid::Uuid::new_v4().as_bytes(),
        *uuid::Uuid::new_v4().as_bytes(),
    ]
    .concat();
    BASE64.encode(bytes)
}

/// ListStatements' NextToken: the offset, encoded so that it reads as no number.
pub fn list_token(offset: usize) -> String {
    BASE64.encode(format!("list-statements:{offset}"))
}

pub fn list_offset(token: &str) -> Option<usize> {
    let decoded = BASE64.decode(token).ok()?;
    String::from_utf8(decoded)
        .ok()?
        .strip_prefix("list-statements:")?
        .parse()
        .ok()
}

pub fn epoch_seconds(t: chrono::DateTime<chrono::Utc>) -> f64 {
    t.timestamp_millis() as f64 / 1000.0
}

/// The optional names a statement echoes in ExecuteStatement and DescribeStatement.
fn add_names(out: &mut Value, statement: &Statement) {
    let names = [
        ("WorkgroupName", &statement.submitted.workgroup_name),
        ("ClusterIdentifier", &statement.submitted.cluster_identifier),
        ("SecretArn", &statement.submitted.secret_arn),
        ("DbUser", &statement.submitted.db_user),
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
        "Database": statement.submitted.database,
    });
    add_names(&mut out, statement);
    if with_status {
        let status = statement.status();
        out["Status"] = status.name().into();
        let progress = statement.progress();
        if status == Status::Finished {
            out["HasResultSet"] = progress.result.is_some().into();
        }
        if let Some(pid) = progress.backend_pid {
            out["RedshiftPid"] = pid.into();
        }
    }
    out
}

pub fn describe_output(statement: &Statement) -> Value {
    let status = statement.status();
    let progress = statement.progress();
    let mut out = json!({
        "Id": statement.id.to_string(),
        "QueryString": statement.submitted.query,
        "Status": status.name(),
        "Database": statement.submitted.database,
        "CreatedAt": epoch_seconds(statement.created_at),
        "UpdatedAt": epoch_seconds(progress.updated_at),
        "Duration": progress.duration_ns,
        "HasResultSet": progress.result.is_some(),
        "ResultRows": progress.result_rows,
        "ResultSize": progress.result_size,
        "RedshiftPid": progress.backend_pid.unwrap_or(0),
        "RedshiftQueryId": statement.query_id,
        "ResultFormat": "JSON",
    });
    if let Some(error) = &progress.error {
        out["Error"] = error.clone().into();
    }
    if !statement.submitted.parameters.is_empty() {
        out["QueryParameters"] =
            serde_json::to_value(&statement.submitted.parameters).unwrap_or_default();
    }
    add_names(&mut out, statement);
    out
}

pub fn list_item(statement: &Statement) -> Value {
    let mut item = json!({
        "Id": statement.id.to_string(),
        "QueryString": statement.submitted.query,
        "Status": statement.status().name(),
        "CreatedAt": epoch_seconds(statement.created_at),
        "UpdatedAt": epoch_seconds(statement.progress().updated_at),
        "IsBatchStatement": false,
        "ResultFormat": "JSON",
    });
    if let Some(name) = &statement.submitted.statement_name {
        item["StatementName"] = name.clone().into();
    }
    item
}

/// PostgreSQL cannot be reached. The model's DatabaseConnectionException ("Connection to a database
/// failed", a server fault) is listed for the operations that connect while the call waits
/// (DescribeTable, ListDatabases, ..., CancelStatement); answering it on ExecuteStatement too, with
/// status 500 for a fault, is **inferred**.
pub fn database_connection_failed() -> ServiceError {
    ServiceError::new(
        axum::http::StatusCode::INTERNAL_SERVER_ERROR,
        "DatabaseConnectionException",
        "Connection to a database failed.",
    )
}

/// Only the configured workgroup or cluster is served (when configured): another is the model's
/// ResourceNotFoundException ("failed due to a missing resource", with ResourceId); the message
/// text is **inferred**.
pub fn check_target(
    config: &crate::Config,
    workgroup: Option<&str>,
    cluster: Option<&str>,
) -> Result<(), ServiceError> {
    let unknown = [
        (&config.redshift_workgroup, workgroup, "Workgroup"),
        (&config.redshift_cluster, cluster, "Cluster"),
    ]
    .into_iter()
    .find(|(expected, given, _)| {
        given.is_some_and(|g| expected.as_deref().is_some_and(|e| e != g))
    });
    match unknown {
        Some((_, Some(given), kind)) => Err(ServiceError::bad_request(
            "ResourceNotFoundException",
            format!("{kind} {given} not found."),
        )
        .with("ResourceId", given)),
        _ => Ok(()),
    }
}
