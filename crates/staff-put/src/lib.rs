//! PUT /staff/{id}: updates the name and/or the age of a staff record.
//!
//! Input, as the request template produces it (docs/architecture.md):
//! `{"id": "<path id>", "name"?: <json>, "age"?: <json>, "idempotency_key": "<key>"}`. A key is
//! present only when the body has it, so `"age": null` clears the age while a missing `age` leaves
//! it; the Idempotency-Key header is empty when absent. Output: the updated record.

use api_core::error::{ErrorKind, InvalidInput};
use api_core::idempotency::{IdempotencyKey, KeyedWrite, write_once};
use api_core::rds::{AuroraDatabase, decode_rows, param};
use api_core::staff::{Staff, StaffId, parse_age, parse_name};
use api_core::{ApiError, idempotent_write};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;
use tokio::time::Instant;

/// One statement per combination of provided columns: column names are fixed here, values bound.
const UPDATE_NAME: &str =
    idempotent_write!("UPDATE staff SET name = :name WHERE id = :id RETURNING id, name, age");
const UPDATE_AGE: &str =
    idempotent_write!("UPDATE staff SET age = :age WHERE id = :id RETURNING id, name, age");
const UPDATE_NAME_AND_AGE: &str = idempotent_write!(
    "UPDATE staff SET name = :name, age = :age WHERE id = :id RETURNING id, name, age"
);
/// The operation an Idempotency-Key is bound to.
const OPERATION: &str = "PUT /staff/{id}";

#[derive(Debug, Deserialize)]
pub struct StaffUpdate {
    pub id: String,
    #[serde(default, deserialize_with = "present")]
    pub name: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    pub age: Option<Value>,
    #[serde(default)]
    pub idempotency_key: String,
}

/// A key that is present is `Some`, even when its value is null.
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(deserializer).map(Some)
}

/// The validated change; also what an Idempotency-Key is bound to. `age: Some(None)` clears it.
#[derive(Debug, Serialize)]
struct Change<'a> {
    id: &'a str,
    name: Option<String>,
    age: Option<Option<i64>>,
}

impl Change<'_> {
    fn statement(
        &self,
    ) -> Result<(&'static str, Vec<aws_sdk_rdsdata::types::SqlParameter>), InvalidInput> {
        let mut parameters = vec![param::text("id", self.id)];
        let sql = match (&self.name, self.age) {
            (Some(name), Some(age)) => {
                parameters.push(param::text("name", name.as_str()));
                parameters.push(param::optional_long("age", age));
                UPDATE_NAME_AND_AGE
            }
            (Some(name), None) => {
                parameters.push(param::text("name", name.as_str()));
                UPDATE_NAME
            }
            (None, Some(age)) => {
                parameters.push(param::optional_long("age", age));
                UPDATE_AGE
            }
            (None, None) => {
                return Err(InvalidInput(
                    "at least one of name and age is required".into(),
                ));
            }
        };
        Ok((sql, parameters))
    }
}

pub async fn handle(
    database: &AuroraDatabase,
    request: StaffUpdate,
    deadline: Instant,
) -> Result<Staff, ApiError> {
    let id = StaffId::parse("id", &request.id)?;
    let change = Change {
        id: id.as_str(),
        name: request.name.as_ref().map(parse_name).transpose()?,
        age: request.age.as_ref().map(parse_age).transpose()?,
    };
    let (sql, mut parameters) = change.statement()?;
    let keyed = IdempotencyKey::parse(&request.idempotency_key)?
        .map(|key| KeyedWrite::new(key, OPERATION, &change));
    parameters.extend(KeyedWrite::parameters(keyed.as_ref()));
    let write = || async {
        let rows = database.execute(sql, parameters, deadline).await?;
        decode_rows::<Staff>(&rows)?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::not_found(format!("staff {} not found", change.id)))
    };
    write_once(database, keyed.as_ref(), deadline, write)
        .await
        .map_err(|error| match error.kind() {
            // The only unique index a PUT touches is the key's: another attempt holds it.
            ErrorKind::Conflict => ApiError::unavailable(
                "another request with this Idempotency-Key is in progress; try again",
            ),
            _ => error,
        })
}

#[cfg(test)]
mod tests;
