//! POST /staff: creates a staff record; the gateway answers 201 with the stored record.
//!
//! Input, as the request template produces it (docs/architecture.md): the body's values as JSON,
//! `{"id": <json>, "name": <json>, "age": <json>}`. Output: the stored `{"id","name","age"}`.

use api_core::ApiError;
use api_core::lambda::parse_event;
use api_core::rds::{AuroraDatabase, decode_rows, param};
use api_core::staff::{Staff, StaffId, parse_age, parse_name};
use serde::Deserialize;
use serde_json::Value;
use tokio::time::Instant;

const INSERT: &str =
    "INSERT INTO staff (id, name, age) VALUES (:id, :name, :age) RETURNING id, name, age";

/// Values stay JSON until validated, so a wrong type is a precise 400 rather than a parse error.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NewStaff {
    id: Value,
    name: Value,
    age: Value,
}

pub async fn handle(
    database: &AuroraDatabase,
    event: Value,
    deadline: Instant,
) -> Result<Staff, ApiError> {
    let request: NewStaff = parse_event(event)?;
    let id = StaffId::from_json("id", &request.id)?;
    let name = parse_name(&request.name)?;
    let age = parse_age(&request.age)?;
    let parameters = vec![
        param::text("id", id.as_str()),
        param::text("name", name),
        param::optional_long("age", age),
    ];
    let rows = database
        .execute(INSERT, parameters, deadline)
        .await
        .map_err(|error| match error {
            ApiError::Conflict(_) => {
                ApiError::conflict(format!("staff {} already exists", id.as_str()))
            }
            other => other,
        })?;
    decode_rows::<Staff>(&rows)?
        .into_iter()
        .next()
        .ok_or_else(|| {
            tracing::error!("INSERT ... RETURNING returned no row");
            ApiError::internal()
        })
}

#[cfg(test)]
mod tests;
