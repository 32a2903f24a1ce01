//! The stage's API keys. Each key has a value (what clients send in `x-api-key`), an id (what logs
//! and `$context.identity.apiKeyId` show) and the client whose usage plan it belongs to. The one
//! generator of key values for the whole local cloud is [`generate_key`].

use std::collections::{BTreeMap, HashMap};
use std::hash::{Hash, Hasher};
use std::path::Path;

use rand::Rng;
use rand::distr::Alphanumeric;

/// API Gateway refuses key values shorter than this.
pub const MIN_KEY_LENGTH: usize = 20;
const GENERATED_KEY_LENGTH: usize = 40;
const KEY_ID_LENGTH: usize = 10;

#[derive(Debug, thiserror::Error)]
pub enum ApiKeyError {
    #[error("an API key must be at least {MIN_KEY_LENGTH} characters (got {length})")]
    TooShort { length: usize },
    #[error("the API key file names the client `{0}`, which the stage does not have")]
    UnknownClient(String),
    #[error("cannot read the API key file {path}: {detail}")]
    File { path: String, detail: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct ApiKeys {
    by_value: HashMap<String, ApiKey>,
    /// In the order the keys were given.
    in_order: Vec<ApiKey>,
    /// The client of each key in `in_order`.
    clients: Vec<String>,
}

impl ApiKeys {
    /// The given key values for one client, or one generated key when none is given.
    pub fn new(values: Vec<String>) -> Result<Self, ApiKeyError> {
        let client = crate::stage::DEFAULT_CLIENT.to_owned();
        Self::for_clients(std::slice::from_ref(&client), values, &BTreeMap::new())
    }

    /// Keys for each of `clients`: the one `by_client` names, else a generated one; `extra_values`
    /// are further keys of the first client (several keys may share a usage plan, as on AWS).
    pub fn for_clients(
        clients: &[String],
        extra_values: Vec<String>,
        by_client: &BTreeMap<String, String>,
    ) -> Result<Self, ApiKeyError> {
        if let Some(unknown) = by_client.keys().find(|name| !clients.contains(name)) {
            return Err(ApiKeyError::UnknownClient(unknown.clone()));
        }
        let mut assigned: Vec<(String, String)> = Vec::new();
        for (index, client) in clients.iter().enumerate() {
            let extras = if index == 0 {
                extra_values.clone()
            } else {
                Vec::new()
            };
            let mut values: Vec<String> = by_client.get(client).cloned().into_iter().collect();
            values.extend(extras);
            if values.is_empty() {
                values.push(generate_key());
            }
            assigned.extend(values.into_iter().map(|value| (client.clone(), value)));
        }
        let mut in_order = Vec::new();
        let mut key_clients = Vec::new();
        for (client, value) in assigned {
            let length = value.chars().count();
            if length < MIN_KEY_LENGTH {
                return Err(ApiKeyError::TooShort { length });
            }
            in_order.push(ApiKey {
                id: key_id(&value),
                value,
            });
            key_clients.push(client);
        }
        let by_value = in_order
            .iter()
            .map(|key| (key.value.clone(), key.clone()))
            .collect();
        Ok(Self {
            by_value,
            in_order,
            clients: key_clients,
        })
    }

    pub fn find(&self, value: &str) -> Option<&ApiKey> {
        self.by_value.get(value)
    }

    /// Every key, in order.
    pub fn all(&self) -> &[ApiKey] {
        &self.in_order
    }

    /// (client, key) pairs, in order.
    pub fn by_client(&self) -> impl Iterator<Item = (&str, &ApiKey)> {
        self.clients.iter().map(String::as_str).zip(&self.in_order)
    }
}

/// A new key shaped like API Gateway's generated ones: 40 letters and digits from the thread's
/// cryptographically secure generator.
pub fn generate_key() -> String {
    random_text(GENERATED_KEY_LENGTH)
}

/// Reads a key file: a JSON object of client name to key value. Keys travel in files (or the
/// environment), never on a command line, where any local user could read them.
pub fn read_key_file(path: &Path) -> Result<BTreeMap<String, String>, ApiKeyError> {
    let file_error = |detail: String| ApiKeyError::File {
        path: path.display().to_string(),
        detail,
    };
    let text = std::fs::read_to_string(path).map_err(|error| file_error(error.to_string()))?;
    serde_json::from_str(&text).map_err(|error| {
        file_error(format!(
            "expected {{\"<client>\": \"<key>\", ...}} ({error})"
        ))
    })
}

/// A key's id, derived from its value so that it stays the same across restarts (the persisted
/// quota counts are kept per id). Ten lowercase letters and digits, like API Gateway's ids; not a
/// secret, and too short a digest to recover the value from.
fn key_id(value: &str) -> String {
    let mut hasher = std::hash::DefaultHasher::new();
    value.hash(&mut hasher);
    let mut digest = hasher.finish();
    let alphabet = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..KEY_ID_LENGTH)
        .map(|_| {
            let digit = alphabet[(digest % 36) as usize];
            digest /= 36;
            char::from(digit)
        })
        .collect()
}

fn random_text(length: usize) -> String {
    rand::rng()
        .sample_iter(&Alphanumeric)
        .take(length)
        .map(char::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_one_40_character_key_when_none_is_given() {
        let keys = ApiKeys::new(Vec::new()).unwrap();
        let [key] = keys.all() else {
            panic!("expected one key")
        };
        assert_eq!(key.value.len(), 40);
        assert!(key.value.chars().all(|c| c.is_ascii_alphanumeric()));
        assert_eq!(keys.find(&key.value), Some(key));
        assert_ne!(ApiKeys::new(Vec::new()).unwrap().all()[0].value, key.value);
    }

    #[test]
    fn finds_given_keys_by_value_only() {
        let keys = ApiKeys::new(vec!["a".repeat(20), "b".repeat(30)]).unwrap();
        assert_eq!(keys.find(&"b".repeat(30)).unwrap().value, "b".repeat(30));
        assert!(keys.find(&"c".repeat(30)).is_none());
        assert!(keys.find(&keys.all()[0].id).is_none(), "an id is not a key");
    }

    #[test]
    fn refuses_short_keys() {
        let error = ApiKeys::new(vec!["short".into()]).unwrap_err();
        assert!(error.to_string().contains("at least 20"), "{error}");
    }

    #[test]
    fn ids_are_stable_per_value_and_shaped_like_api_gateway_ids() {
        let value = "k".repeat(40);
        let first = ApiKeys::new(vec![value.clone()]).unwrap().all()[0]
            .id
            .clone();
        let again = ApiKeys::new(vec![value]).unwrap().all()[0].id.clone();
        assert_eq!(first, again);
        assert_eq!(first.len(), 10);
        assert!(
            first
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        );
        let other = ApiKeys::new(vec!["j".repeat(40)]).unwrap().all()[0]
            .id
            .clone();
        assert_ne!(first, other);
    }

    #[test]
    fn every_client_gets_its_named_or_a_generated_key() {
        let clients = ["mobile".to_owned(), "partner".to_owned()];
        let named = BTreeMap::from([("partner".to_owned(), "p".repeat(25))]);
        let keys = ApiKeys::for_clients(&clients, vec!["x".repeat(20)], &named).unwrap();
        let pairs: Vec<(&str, &str)> = keys
            .by_client()
            .map(|(client, key)| (client, key.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("mobile", "x".repeat(20).as_str()),
                ("partner", "p".repeat(25).as_str())
            ]
        );
        let generated = ApiKeys::for_clients(&clients, Vec::new(), &BTreeMap::new()).unwrap();
        assert_eq!(generated.all().len(), 2, "one generated key per client");
        assert!(generated.all().iter().all(|key| key.value.len() == 40));
    }

    #[test]
    fn a_key_for_a_client_the_stage_lacks_is_refused() {
        let named = BTreeMap::from([("ghost".to_owned(), "g".repeat(25))]);
        let error = ApiKeys::for_clients(&["default".to_owned()], Vec::new(), &named).unwrap_err();
        assert!(error.to_string().contains("ghost"), "{error}");
    }

    #[test]
    fn key_files_are_json_objects_of_client_to_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("keys.json");
        std::fs::write(&path, r#"{"default": "0123456789abcdefghijXYZ"}"#).unwrap();
        let keys = read_key_file(&path).unwrap();
        assert_eq!(keys["default"], "0123456789abcdefghijXYZ");
        std::fs::write(&path, r#"["not", "an object"]"#).unwrap();
        let error = read_key_file(&path).unwrap_err().to_string();
        assert!(error.contains("expected"), "{error}");
    }
}
