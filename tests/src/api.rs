//! The API as a client sees it: method, path, body in; status and JSON body out.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::E2eError;

#[derive(Debug, Clone)]
pub struct Api {
    pub base_url: String,
    pub api_key: Option<String>,
    /// Sent with every request (e.g. `Idempotency-Key`).
    headers: Vec<(String, String)>,
    client: reqwest::Client,
}

/// A response: status, headers that matter, and the body (JSON when it parses).
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub text: String,
    pub json: Value,
    pub error_type: Option<String>,
}

impl Reply {
    /// `{"Status": n, "ErrorReason": "..."}`: the API's error envelope.
    pub fn envelope_status(&self) -> Option<u64> {
        self.json.get("ErrorReason")?;
        self.json.get("Status")?.as_u64()
    }

    /// API Gateway's own answers: `{"message": "..."}`.
    pub fn gateway_message(&self) -> Option<&str> {
        self.json.get("message")?.as_str()
    }
}

impl std::fmt::Display for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.text)
    }
}

impl Api {
    pub fn new(base_url: &str, api_key: Option<&str>) -> Self {
        let client = reqwest::Client::builder()
            // Loopback must never go through a proxy from the environment; a deployed stage may.
            .no_proxy()
            .timeout(Duration::from_secs(120))
            .build()
            .expect("the HTTP client builds");
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            api_key: api_key.map(str::to_owned),
            headers: Vec::new(),
            client,
        }
    }

    /// The same API, sending this header with every request too.
    pub fn with_header(&self, name: &str, value: &str) -> Self {
        let mut api = self.clone();
        api.headers.push((name.to_owned(), value.to_owned()));
        api
    }

    /// The same API with another key (or none).
    pub fn with_key(&self, api_key: Option<&str>) -> Self {
        Self {
            api_key: api_key.map(str::to_owned),
            ..self.clone()
        }
    }

    /// Sends `body` as raw JSON text (so invalid JSON can be sent too).
    pub async fn send_raw(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<&str>,
    ) -> Result<Reply, E2eError> {
        let body = body.map(|body| ("application/json", body));
        self.send(method, path_and_query, body).await
    }

    /// Sends `body` with another content type.
    pub async fn send_raw_with_type(
        &self,
        method: &str,
        path_and_query: &str,
        content_type: &str,
        body: &str,
    ) -> Result<Reply, E2eError> {
        self.send(method, path_and_query, Some((content_type, body)))
            .await
    }

    async fn send(
        &self,
        method: &str,
        path_and_query: &str,
        body: Option<(&str, &str)>,
    ) -> Result<Reply, E2eError> {
        let url = format!("{}{}", self.base_url, path_and_query);
        let method = Method::from_bytes(method.as_bytes()).expect("a valid HTTP method");
        let mut request = self.client.request(method, &url);
        if let Some(key) = &self.api_key {
            request = request.header("x-api-key", key);
        }
        for (name, value) in &self.headers {
            request = request.header(name, value);
        }
        if let Some((content_type, body)) = body {
            request = request
                .header("content-type", content_type)
                .body(body.to_owned());
        }
        let response = request.send().await.map_err(|source| E2eError::Http {
            url: url.clone(),
            source,
        })?;
        let status = response.status().as_u16();
        let error_type = response
            .headers()
            .get("x-amzn-errortype")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let text = response
            .text()
            .await
            .map_err(|source| E2eError::Http { url, source })?;
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(Reply {
            status,
            text,
            json,
            error_type,
        })
    }

    pub async fn get(&self, path_and_query: &str) -> Result<Reply, E2eError> {
        self.send_raw("GET", path_and_query, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Result<Reply, E2eError> {
        self.send_raw("POST", path, Some(&body.to_string())).await
    }

    pub async fn put(&self, path: &str, body: &Value) -> Result<Reply, E2eError> {
        self.send_raw("PUT", path, Some(&body.to_string())).await
    }
}
