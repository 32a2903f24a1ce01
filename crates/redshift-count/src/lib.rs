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
use api_core::lambda::parse_event;
use api_core::redshift::RedshiftRunner;
use aws_sdk_redshiftdata::types::Field;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;

pub const DEFAULT_SCHEMA: &str = "public";
const TABLE_NOT_FOUND: &str = "table does not exist";

#[derive(Debug, Deserialize)]
struct CountRequest {
    target_table: String,
    #[serde(default)]
    schema: String,
}

#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct CountResponse {
    #[serde(rename = "Status")]
    pub status: &'static str,
    pub result_value: i64,
}

/// The endpoint, with its clients and settings built once at init.
#[derive(Debug, Clone)]
pub struct CountService {
    runner: RedshiftRunner,
    allowed_tables: TableAllowList,
}

impl CountService {
    pub fn new(runner: RedshiftRunner, allowed_tables: TableAllowList) -> Self {
        Self {
            runner,
            allowed_tables,
        }
    }

    pub async fn handle(&self, event: Value, deadline: Instant) -> Result<CountResponse, ApiError> {
        let request: CountRequest = parse_event(event)?;
        let table = Identifier::parse("target_table", &request.target_table)?;
        let schema = match request.schema.as_str() {
            "" => DEFAULT_SCHEMA,
            schema => schema,
        };
        let schema = Identifier::parse("schema", schema)?;
        if !self.allowed_tables.allows(&schema, &table) {
            // Answered like a missing table, so the allow-list does not reveal what exists.
            tracing::info!(
                schema = schema.as_str(),
                table = table.as_str(),
                "table not in ALLOWED_TABLES"
            );
            return Err(ApiError::not_found(TABLE_NOT_FOUND));
        }
        let sql = format!(
            "SELECT count(*) FROM {}.{}",
            schema.quoted(),
            table.quoted()
        );
        let rows = self.runner.run(&sql, Vec::new(), deadline).await?;
        match rows.first().and_then(|row| row.first()) {
            Some(Field::LongValue(count)) => Ok(CountResponse {
                status: "success",
                result_value: *count,
            }),
            other => {
                tracing::error!(first_field = ?other, "count(*) did not return one integer");
                Err(ApiError::internal())
            }
        }
    }
}

#[cfg(test)]
mod tests;
