//! POST /redshift_select: counts the rows of one Redshift table.
//!
//! Input, as the request template produces it (docs/architecture.md):
//! `{"target_table": "<string>", "schema": "<string or empty>"}`; an empty schema means `public`.
//! Output: `{"Status": "success", "result_value": <integer>}`.
//!
//! Table and schema are identifiers, which SQL cannot bind: they are validated to plain names,
//! checked against the optional allow-list and double-quoted.

use api_core::ApiError;
use api_core::config::TableAllowList;
use api_core::identifier::Identifier;
use api_core::redshift::RedshiftRunner;
use aws_sdk_redshiftdata::types::Field;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

pub const DEFAULT_SCHEMA: &str = "public";
const TABLE_NOT_FOUND: &str = "table does not exist";

#[derive(Debug, Deserialize)]
pub struct CountRequest {
    pub target_table: String,
    #[serde(default)]
    pub schema: String,
}

#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct CountResponse {
    #[serde(rename = "Status")]
    pub status: &'static str,
    pub result_value: i64,
}

/// What counting needs, built once at init: the statement runner and the tables it may count.
#[derive(Debug, Clone)]
pub struct Counter {
    pub runner: RedshiftRunner,
    pub allowed_tables: TableAllowList,
}

pub async fn handle(
    counter: &Counter,
    request: CountRequest,
    deadline: Instant,
) -> Result<CountResponse, ApiError> {
    let table = Identifier::parse("target_table", &request.target_table)?;
    let schema = match request.schema.as_str() {
        "" => DEFAULT_SCHEMA,
        schema => schema,
    };
    let schema = Identifier::parse("schema", schema)?;
    if !counter.allowed_tables.allows(&schema, &table) {
        // Answered like a missing table, so the allow-list does not reveal what exists.
        return Err(ApiError::not_found(TABLE_NOT_FOUND).caused_by(format_args!(
            "{}.{} is not in ALLOWED_TABLES",
            schema.as_str(),
            table.as_str()
        )));
    }
    let sql = format!(
        "SELECT count(*) FROM {}.{}",
        schema.quoted(),
        table.quoted()
    );
    let records = counter.runner.run(&sql, Vec::new(), deadline).await?;
    match records.first().and_then(|record| record.first()) {
        Some(Field::LongValue(count)) => Ok(CountResponse {
            status: "success",
            result_value: *count,
        }),
        other => Err(ApiError::internal().caused_by(format_args!(
            "count(*) did not return one integer: {other:?}"
        ))),
    }
}

#[cfg(test)]
mod tests;
