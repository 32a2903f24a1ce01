//! GET /staff/{id}, GET /staff?id={id} (one record) and GET /staff (a page of records).
//!
//! Input, as the request template produces it (docs/architecture.md), all strings, empty when
//! absent: `{"id": "<path or query id>", "limit": "<1-100>", "after": "<last id of previous page>"}`.
//! Output: `{"id","name","age"}` for one record; `{"items": [...], "next": "<id>" | null}` for a page.

use api_core::ApiError;
use api_core::error::InvalidInput;
use api_core::rds::{AuroraDatabase, decode_rows, param};
use api_core::staff::{Staff, StaffId};
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

pub const DEFAULT_LIMIT: i64 = 50;
pub const MAX_LIMIT: i64 = 100;

const SELECT_ONE: &str = "SELECT id, name, age FROM staff WHERE id = :id";
/// Keyset pagination: `:after` is the previous page's last id ('' for the first page) and
/// `:limit` one more than the page size, to learn whether a next page exists.
const SELECT_PAGE: &str =
    "SELECT id, name, age FROM staff WHERE id > :after ORDER BY id LIMIT :limit";

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct StaffQuery {
    pub id: String,
    pub limit: String,
    pub after: String,
}

#[derive(Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum StaffGetResponse {
    One(Staff),
    Page(StaffPage),
}

#[derive(Debug, PartialEq, Eq, Serialize)]
pub struct StaffPage {
    pub items: Vec<Staff>,
    pub next: Option<String>,
}

pub async fn handle(
    database: &AuroraDatabase,
    query: StaffQuery,
    deadline: Instant,
) -> Result<StaffGetResponse, ApiError> {
    if query.id.is_empty() {
        let limit = parse_limit(&query.limit)?;
        let after = match query.after.as_str() {
            "" => None,
            after => Some(StaffId::parse("after", after)?),
        };
        list(database, limit, after, deadline)
            .await
            .map(StaffGetResponse::Page)
    } else {
        let id = StaffId::parse("id", &query.id)?;
        get_one(database, &id, deadline)
            .await
            .map(StaffGetResponse::One)
    }
}

async fn get_one(
    database: &AuroraDatabase,
    id: &StaffId,
    deadline: Instant,
) -> Result<Staff, ApiError> {
    let rows = database
        .execute(SELECT_ONE, vec![param::text("id", id.as_str())], deadline)
        .await?;
    decode_rows::<Staff>(&rows)?
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::not_found(format!("staff {} not found", id.as_str())))
}

async fn list(
    database: &AuroraDatabase,
    limit: i64,
    after: Option<StaffId>,
    deadline: Instant,
) -> Result<StaffPage, ApiError> {
    let after = after.as_ref().map_or("", StaffId::as_str);
    let parameters = vec![param::text("after", after), param::long("limit", limit + 1)];
    let rows = database.execute(SELECT_PAGE, parameters, deadline).await?;
    let mut items = decode_rows::<Staff>(&rows)?;
    let has_more = items.len() as i64 > limit;
    items.truncate(limit as usize);
    let next = has_more
        .then(|| items.last().map(|staff| staff.id.clone()))
        .flatten();
    Ok(StaffPage { items, next })
}

fn parse_limit(limit: &str) -> Result<i64, InvalidInput> {
    if limit.is_empty() {
        return Ok(DEFAULT_LIMIT);
    }
    match limit.parse::<i64>() {
        Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => Ok(limit),
        _ => Err(InvalidInput(format!(
            "limit must be an integer from 1 to {MAX_LIMIT}"
        ))),
    }
}

#[cfg(test)]
mod tests;
