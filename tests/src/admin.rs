//! The local Data API's admin endpoint (`/_local/`, documented in local/data-api/README.md): statement
//! duration, injected faults, reset, the statements with their PostgreSQL backend state, call counters.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};

use crate::E2eError;

#[derive(Debug, Clone)]
pub struct Admin {
    url: String,
    /// Sent as `Authorization: Bearer <token>`.
    token: String,
    client: reqwest::Client,
}

/// One redshift-data statement as the admin endpoint lists it.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatementState {
    pub id: String,
    pub status: String,
    /// Whether its PostgreSQL backend is still running the SQL.
    #[serde(rename = "backendActive")]
    pub running: bool,
    #[serde(default)]
    pub query_string: String,
}

impl Admin {
    /// The admin endpoint of the Data API at `data_api_url`, which wants `token`.
    pub fn new(data_api_url: &str, token: &str) -> Self {
        Self {
            url: format!("{}/_local", data_api_url.trim_end_matches('/')),
            token: token.to_owned(),
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("the HTTP client builds"),
        }
    }

    /// Every redshift-data statement runs at least this long from now on.
    pub async fn set_statement_duration(&self, duration: Duration) -> Result<(), E2eError> {
        let millis = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        self.send(
            reqwest::Method::POST,
            "/statement-duration",
            Some(json!({ "millis": millis })),
        )
        .await
        .map(drop)
    }

    /// The next `count` calls of `service` `operation` fail with `error` (an AWS error code).
    pub async fn inject_fault(
        &self,
        service: &str,
        operation: &str,
        error: &str,
        count: u32,
    ) -> Result<(), E2eError> {
        self.send(
            reqwest::Method::POST,
            "/faults",
            Some(json!({
                "service": service,
                "operation": operation,
                "error": error,
                "count": count,
            })),
        )
        .await
        .map(drop)
    }

    /// Clears duration, faults and counters (and restores the seeded data).
    pub async fn reset(&self) -> Result<(), E2eError> {
        self.send(reqwest::Method::POST, "/reset", None)
            .await
            .map(drop)
    }

    pub async fn statements(&self) -> Result<Vec<StatementState>, E2eError> {
        let listed = self.send(reqwest::Method::GET, "/statements", None).await?;
        let list = listed.get("statements").cloned().unwrap_or(listed);
        serde_json::from_value(list.clone()).map_err(|_| E2eError::Unexpected {
            what: "admin statements".to_owned(),
            status: 200,
            body: list.to_string(),
        })
    }

    /// Calls per `service.Operation` since the last reset.
    pub async fn calls(&self) -> Result<BTreeMap<String, u64>, E2eError> {
        let calls = self.send(reqwest::Method::GET, "/calls", None).await?;
        let calls = calls.get("calls").cloned().unwrap_or(calls);
        serde_json::from_value(calls.clone()).map_err(|_| E2eError::Unexpected {
            what: "admin calls".to_owned(),
            status: 200,
            body: calls.to_string(),
        })
    }

    async fn send(
        &self,
        method: reqwest::Method,
        route: &str,
        body: Option<Value>,
    ) -> Result<Value, E2eError> {
        let url = format!("{}{route}", self.url);
        let mut request = self.client.request(method, &url).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|source| E2eError::Http {
            url: url.clone(),
            source,
        })?;
        let status = response.status().as_u16();
        let text = response
            .text()
            .await
            .map_err(|source| E2eError::Http { url, source })?;
        if !(200..300).contains(&status) {
            return Err(E2eError::Unexpected {
                what: format!("admin {route}"),
                status,
                body: text,
            });
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}
