//! `Idempotency-Key` for the writes (POST /staff, PUT /staff/{id}): a client told 504 cannot know
//! whether its write committed (an RDS Data API call the function abandons keeps running and may
//! still commit), so it may send the same request again with the same key and learn the outcome.
//!
//! The first successful outcome is stored in `idempotency_keys` by the write statement itself (one
//! statement, so the record and the write commit together or not at all: see [`idempotent_write!`]).
//! A retry with the same key and the same request gets that outcome back without writing again; the
//! same key with a different request is 422. A retry that arrives while the first attempt is still
//! running waits on the key's unique index and then sees its outcome. Failed attempts wrote
//! nothing and record nothing, so their retry simply runs again. Keys expire after
//! [`KEY_LIFETIME_HOURS`] hours.

use std::future::Future;

use aws_sdk_rdsdata::types::SqlParameter;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::error::{ApiError, ErrorKind, InvalidInput};
use crate::rds::{AuroraDatabase, Row, param};

/// How long a key's outcome is kept and replayed.
pub const KEY_LIFETIME_HOURS: u32 = 24;
/// Longest key accepted (a UUID is 36).
pub const MAX_KEY_CHARS: usize = 255;

/// The outcome of a keyed write stays unknown past the deadline; the retry with the same key tells.
pub const UNKNOWN_OUTCOME_WITH_KEY: &str = "the database did not answer in time; the write may \
    still complete: repeat the request with the same Idempotency-Key to learn its outcome";
/// The same for a write sent without a key.
pub const UNKNOWN_OUTCOME: &str = "the database did not answer in time; the write may still \
    complete: read the record before retrying, or send an Idempotency-Key header";

/// The outcome recorded under a key, if still fresh. Drops the key's expired record first, so
/// that the write that follows can record the key anew.
const LOOKUP: &str = "WITH expired AS (\
        DELETE FROM idempotency_keys WHERE key = :idempotency_key \
        AND created_at <= now() - interval '24 hours') \
    SELECT fingerprint, response FROM idempotency_keys WHERE key = :idempotency_key \
    AND created_at > now() - interval '24 hours'";

/// Wraps a write statement (`INSERT ... RETURNING ...` or `UPDATE ... RETURNING ...`) so that, when
/// `:idempotency_key` is not null, the returned row is recorded under the key in the same
/// statement. The statement answers the write's rows, as the bare write would.
#[macro_export]
macro_rules! idempotent_write {
    ($write:literal) => {
        concat!(
            "WITH written AS (",
            $write,
            "), recorded AS (INSERT INTO idempotency_keys (key, fingerprint, response) \
             SELECT :idempotency_key, :fingerprint, row_to_json(written)::text FROM written \
             WHERE CAST(:idempotency_key AS TEXT) IS NOT NULL) SELECT * FROM written"
        )
    };
}

/// A client's key: 1 to 255 printable ASCII characters (a UUID is the usual choice).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    /// The header's value as the request template passes it: empty when the header is absent.
    pub fn parse(header: &str) -> Result<Option<Self>, InvalidInput> {
        if header.is_empty() {
            return Ok(None);
        }
        let printable = header.bytes().all(|byte| byte.is_ascii_graphic());
        if printable && header.len() <= MAX_KEY_CHARS {
            Ok(Some(Self(header.to_owned())))
        } else {
            Err(InvalidInput(format!(
                "Idempotency-Key must be 1 to {MAX_KEY_CHARS} printable ASCII characters"
            )))
        }
    }
}

/// A write a client may repeat: its key, and the request the key was first used for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyedWrite {
    key: IdempotencyKey,
    /// The operation and its validated input as compact JSON; a retry must match it exactly.
    fingerprint: String,
}

/// What a key is bound to. Structs serialise their fields in declaration order, so the text is
/// the same in every build.
#[derive(Serialize)]
struct Fingerprint<'a, Input> {
    operation: &'a str,
    input: &'a Input,
}

impl KeyedWrite {
    pub fn new(key: IdempotencyKey, operation: &str, input: &impl Serialize) -> Self {
        let fingerprint = serde_json::to_string(&Fingerprint { operation, input })
            .expect("a request's validated fields always serialise");
        Self { key, fingerprint }
    }

    /// `:idempotency_key` and `:fingerprint` for an [`idempotent_write!`] statement: null without
    /// a key, so the statement records nothing.
    pub fn parameters(write: Option<&Self>) -> [SqlParameter; 2] {
        match write {
            Some(write) => [
                param::text("idempotency_key", write.key.0.as_str()),
                param::text("fingerprint", write.fingerprint.as_str()),
            ],
            None => [param::null("idempotency_key"), param::null("fingerprint")],
        }
    }

    /// The first outcome recorded under this key: `Some` for the same request, 422 for another.
    async fn recorded<T: DeserializeOwned>(
        &self,
        database: &AuroraDatabase,
        deadline: Instant,
    ) -> Result<Option<T>, ApiError> {
        let key = [param::text("idempotency_key", self.key.0.as_str())];
        let rows = database.execute(LOOKUP, key.to_vec(), deadline).await?;
        let Some(fields) = rows.first() else {
            return Ok(None);
        };
        let row = Row::new(fields);
        let decoded = row
            .text(0, "fingerprint")
            .and_then(|fingerprint| Ok((fingerprint, row.text(1, "response")?)));
        let (fingerprint, response) = decoded.map_err(|error| {
            ApiError::internal().caused_by(format_args!("idempotency record: {error}"))
        })?;
        if fingerprint != self.fingerprint {
            return Err(ApiError::unprocessable(
                "this Idempotency-Key was used with a different request",
            ));
        }
        serde_json::from_str(response).map(Some).map_err(|error| {
            ApiError::internal().caused_by(format_args!("idempotency response: {error}"))
        })
    }
}

/// Runs `write` at most once per key: a recorded outcome is answered without writing; a conflict
/// (the key's unique index, taken by an attempt that committed meanwhile) is looked up again; a
/// timeout says the outcome is unknown and how to learn it.
pub async fn write_once<T, Write, Written>(
    database: &AuroraDatabase,
    keyed: Option<&KeyedWrite>,
    deadline: Instant,
    write: Write,
) -> Result<T, ApiError>
where
    T: DeserializeOwned,
    Write: FnOnce() -> Written,
    Written: Future<Output = Result<T, ApiError>>,
{
    let Some(keyed) = keyed else {
        return write()
            .await
            .map_err(|error| unknown_outcome(error, UNKNOWN_OUTCOME));
    };
    if let Some(first) = keyed.recorded(database, deadline).await? {
        return Ok(first);
    }
    match write().await {
        Err(error) if error.kind() == ErrorKind::Conflict => {
            match keyed.recorded(database, deadline).await? {
                Some(first) => Ok(first),
                None => Err(error),
            }
        }
        other => other.map_err(|error| unknown_outcome(error, UNKNOWN_OUTCOME_WITH_KEY)),
    }
}

fn unknown_outcome(error: ApiError, reason: &str) -> ApiError {
    if error.kind() != ErrorKind::GatewayTimeout {
        return error;
    }
    let cause = error.cause().unwrap_or(error.reason()).to_owned();
    ApiError::timeout(reason).caused_by(cause)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_printable_ascii_up_to_255_characters() {
        assert_eq!(IdempotencyKey::parse("").unwrap(), None);
        let uuid = "9b2f6c1e-0d5a-4c8e-9f53-7c1a2b3d4e5f";
        assert_eq!(
            IdempotencyKey::parse(uuid).unwrap(),
            Some(IdempotencyKey(uuid.into()))
        );
        assert!(IdempotencyKey::parse(&"k".repeat(MAX_KEY_CHARS)).is_ok());
        for bad in ["a b", "é", "tab\t", &"k".repeat(MAX_KEY_CHARS + 1)] {
            assert!(IdempotencyKey::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn the_write_statement_records_the_key_in_the_same_statement() {
        let sql = idempotent_write!("INSERT INTO t (a) VALUES (:a) RETURNING a");
        assert!(sql.starts_with("WITH written AS (INSERT INTO t (a) VALUES (:a) RETURNING a)"));
        assert!(sql.contains("INSERT INTO idempotency_keys"));
        assert!(sql.ends_with("SELECT * FROM written"));
    }

    #[derive(Serialize)]
    struct Input {
        id: &'static str,
        age: Option<i64>,
    }

    #[test]
    fn the_fingerprint_names_the_operation_and_its_input() {
        let key = || IdempotencyKey::parse("k-1").unwrap().unwrap();
        let input = Input {
            id: "0001",
            age: None,
        };
        let post = KeyedWrite::new(key(), "POST /staff", &input);
        let put = KeyedWrite::new(key(), "PUT /staff/{id}", &input);
        assert_ne!(post, put);
        let [key_parameter, fingerprint] = KeyedWrite::parameters(Some(&post));
        assert_eq!(key_parameter, param::text("idempotency_key", "k-1"));
        assert_eq!(
            fingerprint,
            param::text(
                "fingerprint",
                r#"{"operation":"POST /staff","input":{"id":"0001","age":null}}"#
            )
        );
        let [no_key, no_fingerprint] = KeyedWrite::parameters(None);
        assert_eq!(no_key, param::null("idempotency_key"));
        assert_eq!(no_fingerprint, param::null("fingerprint"));
    }
}
