//! `$context` for mapping templates, filled as API Gateway fills it for a REST API.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::api_keys::ApiKey;

/// Stand-ins for the account and API ids a deployed API has.
const LOCAL_ACCOUNT_ID: &str = "000000000000";
const LOCAL_API_ID: &str = "local";
/// Common Log Format time, as in `$context.requestTime`.
pub const CLF_TIME: &str = "%d/%b/%Y:%H:%M:%S %z";

/// The facts about one request that `$context` exposes.
pub struct RequestFacts<'a> {
    pub request_id: &'a str,
    pub extended_request_id: &'a str,
    pub stage: &'a str,
    pub resource_path: &'a str,
    pub http_method: &'a str,
    /// The request path as the client sent it.
    pub path: &'a str,
    pub domain_name: &'a str,
    pub source_ip: &'a str,
    pub user_agent: Option<&'a str>,
    pub api_key: Option<&'a ApiKey>,
    pub received_at: DateTime<Utc>,
}

pub fn context(facts: &RequestFacts<'_>) -> Value {
    json!({
        "accountId": LOCAL_ACCOUNT_ID,
        "apiId": LOCAL_API_ID,
        "domainName": facts.domain_name,
        "domainPrefix": facts.domain_name.split('.').next().unwrap_or_default(),
        "extendedRequestId": facts.extended_request_id,
        "httpMethod": facts.http_method,
        "identity": {
            "accountId": null,
            "apiKey": facts.api_key.map(|key| key.value.as_str()),
            "apiKeyId": facts.api_key.map(|key| key.id.as_str()),
            "caller": null,
            "sourceIp": facts.source_ip,
            "user": null,
            "userAgent": facts.user_agent,
            "userArn": null,
        },
        "path": facts.path,
        "protocol": "HTTP/1.1",
        "requestId": facts.request_id,
        "requestTime": facts.received_at.format(CLF_TIME).to_string(),
        "requestTimeEpoch": facts.received_at.timestamp_millis(),
        "resourceId": resource_id(facts.resource_path),
        "resourcePath": facts.resource_path,
        "stage": facts.stage,
    })
}

/// A stable 6-character id per resource path, like API Gateway's resource ids.
fn resource_id(resource_path: &str) -> String {
    let hash = resource_path
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("{:06x}", hash & 0xff_ffff)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn fills_the_fields_templates_use() {
        let key = ApiKey {
            id: "abcdefghij".into(),
            value: "k".repeat(40),
        };
        let facts = RequestFacts {
            request_id: "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            extended_request_id: "AbCdEfGhIjKlMnO=",
            stage: "dev",
            resource_path: "/staff/{id}",
            http_method: "GET",
            path: "/staff/0001",
            domain_name: "127.0.0.1",
            source_ip: "127.0.0.1",
            user_agent: Some("curl/8"),
            api_key: Some(&key),
            received_at: Utc.with_ymd_and_hms(2026, 1, 7, 9, 5, 3).unwrap(),
        };
        let context = context(&facts);
        assert_eq!(context["requestId"], "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
        assert_eq!(context["stage"], "dev");
        assert_eq!(context["resourcePath"], "/staff/{id}");
        assert_eq!(context["httpMethod"], "GET");
        assert_eq!(context["identity"]["sourceIp"], "127.0.0.1");
        assert_eq!(context["identity"]["apiKey"], key.value);
        assert_eq!(context["identity"]["apiKeyId"], "abcdefghij");
        assert_eq!(context["requestTime"], "07/Jan/2026:09:05:03 +0000");
        assert_eq!(context["requestTimeEpoch"], 1_767_776_703_000_i64);
        assert_eq!(context["resourceId"].as_str().unwrap().len(), 6);
    }
}
