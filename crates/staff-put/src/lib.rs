//! PUT /staff/{id}: updates the name and/or the age of a staff record.
//!
//! Input, as the request template produces it (docs/architecture.md):
//! `{"id": "<path id>", "name"?: <json>, "age"?: <json>}`. A key is present only when the body has
//! it, so `"age": null` clears the age while a missing `age` leaves it. Output: the updated record.

use api_core::ApiError;
use api_core::lambda::parse_event;
use api_core::rds::{AuroraDatabase, decode_rows, param};
use api_core::staff::{Staff, StaffId, parse_age, parse_name};
use serde::{Deserialize, Deserializer};
use serde_json::Value;
use tokio::time::Instant;

/// One statement per combination of provided columns: column names are fixed here, values bound.
const UPDATE_NAME: &str = "UPDATE staff SET name = :name WHERE id = :id RETURNING id, name, age";
const UPDATE_AGE: &str = "UPDATE staff SET age = :age WHERE id = :id RETURNING id, name, age";
const UPDATE_NAME_AND_AGE: &str =
    "UPDATE staff SET name = :name, age = :age WHERE id = :id RETURNING id, name, age";

#[derive(Debug, Deserialize)]
struct StaffUpdate {
    id: String,
    #[serde(default, deserialize_with = "present")]
    name: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    age: Option<Value>,
}

/// A key that is present is `Some`, even when its value is null.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

pub async fn handle(
    database: &AuroraDatabase,
    event: Value,
    deadline: Instant,
) -> Result<Staff, ApiError> {
    let request: StaffUpdate = parse_event(event)?;
    let id = StaffId::parse("id", &request.id)?;
    let name = request.name.as_ref().map(parse_name).transpose()?;
    let age = request.age.as_ref().map(parse_age).transpose()?;
    let mut parameters = vec![param::text("id", id.as_str())];
    let sql = match (name, age) {
        (Some(name), Some(age)) => {
            parameters.push(param::text("name", name));
            parameters.push(param::optional_long("age", age));
            UPDATE_NAME_AND_AGE
        }
        (Some(name), None) => {
            parameters.push(param::text("name", name));
            UPDATE_NAME
        }
        (None, Some(age)) => {
            parameters.push(param::optional_long("age", age));
            UPDATE_AGE
        }
        (None, None) => {
            return Err(ApiError::bad_request(
                "at least one of name and age is required",
            ));
        }
    };
    let rows = database.execute(sql, parameters, deadline).await?;
    decode_rows::<Staff>(&rows)?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found(format!("staff {} not found", id.as_str())))
}

#[cfg(test)]
mod tests;
