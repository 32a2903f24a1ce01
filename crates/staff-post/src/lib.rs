//! POST /staff: creates a staff record; the gateway answers 201 with the stored record.
//!
//! Input, as the request template produces it (docs/architecture.md): the body's values as JSON and
//! the `Idempotency-Key` header as a string (empty when absent),
//! `{"id": <json>, "name": <json>, "age": <json>, "idempotency_key": "<key>"}`.
//! Output: the stored `{"id","name","age"}`.

use api_core::idempotency::{IdempotencyKey, KeyedWrite, write_once};
use api_core::rds::{AuroraDatabase, decode_rows, param};
use api_core::staff::{Staff, StaffId, parse_age, parse_name};
use api_core::{ApiError, idempotent_write};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;

const INSERT: &str = idempotent_write!(
    "INSERT INTO staff (id, name, age) VALUES (:id, :name, :age) RETURNING id, name, age"
);
/// The operation an Idempotency-Key is bound to.
const OPERATION: &str = "POST /staff";

/// Values stay JSON until validated, so a wrong type is a precise 400 rather than a parse error.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewStaff {
    pub id: Value,
    pub name: Value,
    pub age: Value,
    pub idempotency_key: String,
}

/// The validated record to insert; also what an Idempotency-Key is bound to.
#[derive(Debug, Serialize)]
struct Insert<'a> {
    id: &'a str,
    name: &'a str,
    age: Option<i64>,
}

pub async fn handle(
    database: &AuroraDatabase,
    request: NewStaff,
    deadline: Instant,
) -> Result<Staff, ApiError> {
    let id = StaffId::from_json("id", &request.id)?;
    let name = parse_name(&request.name)?;
    let age = parse_age(&request.age)?;
    let insert = Insert {
        id: id.as_str(),
        name: &name,
        age,
    };
    let keyed = IdempotencyKey::parse(&request.idempotency_key)?
        .map(|key| KeyedWrite::new(key, OPERATION, &insert));
    let mut parameters = vec![
        param::text("id", insert.id),
        param::text("name", insert.name),
        param::optional_long("age", insert.age),
    ];
    parameters.extend(KeyedWrite::parameters(keyed.as_ref()));
    let write = || async {
        let rows = database
            .execute(INSERT, parameters, deadline)
            .await
            .map_err(|error| match error.kind() {
                api_core::error::ErrorKind::Conflict => {
                    ApiError::conflict(format!("staff {} already exists", insert.id))
                }
                _ => error,
            })?;
        decode_rows::<Staff>(&rows)?
            .into_iter()
            .next()
            .ok_or_else(|| ApiError::internal().caused_by("INSERT ... RETURNING returned no row"))
    };
    write_once(database, keyed.as_ref(), deadline, write).await
}

#[cfg(test)]
mod tests;
