//! The usage plan's API keys. Each key has a value (what clients send in `x-api-key`) and an id (what
//! logs and `$context.identity.apiKeyId` show).

use std::collections::HashMap;

use rand::Rng;
use rand::distr::Alphanumeric;

/// API Gateway refuses key values shorter than this.
pub const MIN_KEY_LENGTH: usize = 20;
const GENERATED_KEY_LENGTH: usize = 40;
const KEY_ID_LENGTH: usize = 10;

#[derive(Debug, thiserror::Error)]
#[error("an API key must be at least {MIN_KEY_LENGTH} characters (got {length})")]
pub struct ApiKeyError {
    length: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    pub id: String,
    pub value: String,
}

#[derive(Debug, Clone)]
pub struct ApiKeys {
    by_value: HashMap<String, ApiKey>,
    in_order: Vec<ApiKey>,
}

impl ApiKeys {
    /// The given key values, or one generated key when none is given.
    pub fn new(values: Vec<String>) -> Result<Self, ApiKeyError> {
        let values = if values.is_empty() {
            vec![random_text(GENERATED_KEY_LENGTH)]
        } else {
            values
        };
        let mut in_order = Vec::new();
        for value in values {
            if value.chars().count() < MIN_KEY_LENGTH {
                return Err(ApiKeyError {
                    length: value.chars().count(),
                });
            }
            in_order.push(ApiKey {
                id: random_text(KEY_ID_LENGTH).to_ascii_lowercase(),
                value,
            });
        }
        let by_value = in_order
            .iter()
            .map(|key| (key.value.clone(), key.clone()))
            .collect();
        Ok(Self { by_value, in_order })
    }

    pub fn find(&self, value: &str) -> Option<&ApiKey> {
        self.by_value.get(value)
    }

    pub fn all(&self) -> &[ApiKey] {
        &self.in_order
    }
}

/// Letters and digits from the thread's cryptographically secure generator.
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
}
