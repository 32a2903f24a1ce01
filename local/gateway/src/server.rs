//! The HTTP side: axum receives every request (one fallback handler, since routing follows API
//! Gateway's rules, not axum's), runs it through the [`Gateway`] and writes one access-log line.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Response, Uri};
use chrono::Utc;
use futures_util::StreamExt;

use crate::access_log::AccessLogLine;
use crate::api_keys::ApiKey;
use crate::context::{CLF_TIME, RequestFacts, context};
use crate::gateway::{ContextSource, Gateway, MethodRequest, MethodResponse, Trace};
use crate::gateway_response::GatewayResponse;
use crate::headers;

/// API Gateway's payload limit (10 MB, "API Gateway quotas for configuring and running a REST API").
const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
/// How much of a too-large body is read and discarded before answering 413, so that the client
/// reads the answer instead of a reset connection; beyond it the connection is closed.
const MAX_DRAINED_BYTES: usize = 4 * MAX_BODY_BYTES;

pub struct ServerState {
    pub gateway: Gateway,
    pub stage: String,
    pub access_log: bool,
}

pub fn router(state: Arc<ServerState>) -> axum::Router {
    axum::Router::new().fallback(serve).with_state(state)
}

async fn serve(
    State(state): State<Arc<ServerState>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response<Body> {
    let started = Instant::now();
    let received_at = Utc::now();
    let request_id = uuid::Uuid::new_v4().to_string();
    let extended_request_id = extended_request_id(&request_id);
    let (body, unreadable) = match read_body(body).await {
        Ok(body) => (body, None),
        Err(rejection) => (Vec::new(), Some(rejection)),
    };
    let request = MethodRequest {
        method: method.as_str().to_owned(),
        path: uri.path().to_owned(),
        querystring: query_parameters(uri.query()),
        header: header_parameters(&headers),
        body,
    };
    let source_ip = peer.ip().to_string();
    let facts = Facts {
        request: &request,
        request_id: &request_id,
        extended_request_id: &extended_request_id,
        stage: &state.stage,
        source_ip: &source_ip,
        received_at,
    };
    let mut trace = Trace::default();
    let response = match unreadable {
        Some(rejection) => rejection.into(),
        None => state.gateway.handle(&request, &facts, &mut trace).await,
    };

    if state.access_log {
        AccessLogLine {
            request_id: &request_id,
            ip: &source_ip,
            request_time: &received_at.format(CLF_TIME).to_string(),
            http_method: &request.method,
            path: &request.path,
            resource_path: trace.resource_path,
            status: response.status,
            response_length: response.body.len(),
            latency: started.elapsed(),
            integration_latency: trace.integration_latency,
            api_key_id: trace.api_key.map(|key| key.id.as_str()),
        }
        .write();
    }
    http_response(response, &request_id, &extended_request_id)
}

/// The body, up to API Gateway's payload limit: a larger one is 413 `Request Too Long` (not
/// axum's text/plain answer), a body the client stops sending midway is 400 `Invalid request body`.
async fn read_body(body: Body) -> Result<Vec<u8>, GatewayResponse> {
    let mut chunks = body.into_data_stream();
    let mut body = Vec::new();
    let mut received = 0_usize;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.map_err(|_| GatewayResponse::BadRequestBody)?;
        received = received.saturating_add(chunk.len());
        if received <= MAX_BODY_BYTES {
            body.extend_from_slice(&chunk);
        } else if received > MAX_DRAINED_BYTES {
            break;
        }
    }
    if received > MAX_BODY_BYTES {
        return Err(GatewayResponse::RequestTooLarge);
    }
    Ok(body)
}

/// The request's facts, turned into `$context` when the gateway asks.
struct Facts<'a> {
    request: &'a MethodRequest,
    request_id: &'a str,
    extended_request_id: &'a str,
    stage: &'a str,
    source_ip: &'a str,
    received_at: chrono::DateTime<Utc>,
}

impl ContextSource for Facts<'_> {
    fn context(&self, resource_path: &str, api_key: Option<&ApiKey>) -> serde_json::Value {
        let host = self
            .request
            .header
            .get("host")
            .map(String::as_str)
            .unwrap_or("localhost");
        let domain_name = host.rsplit_once(':').map_or(host, |(name, _port)| name);
        context(&RequestFacts {
            request_id: self.request_id,
            extended_request_id: self.extended_request_id,
            stage: self.stage,
            resource_path,
            http_method: &self.request.method,
            path: &self.request.path,
            domain_name,
            source_ip: self.source_ip,
            user_agent: self.request.header.get("user-agent").map(String::as_str),
            api_key,
            received_at: self.received_at,
        })
    }
}

/// Query string parameters, decoded; the last value wins for a repeated name, as in API Gateway's
/// non-proxy `$input.params()`.
fn query_parameters(query: Option<&str>) -> BTreeMap<String, String> {
    form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .map(|(name, value)| (name.into_owned(), value.into_owned()))
        .collect()
}

/// Header parameters by lower-case name (HTTP/1.1 names are case-insensitive and hyper lower-cases
/// them); the last value wins for a repeated header.
fn header_parameters(headers: &HeaderMap) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// API Gateway's `x-amz-apigw-id` is a short id distinct from the request id.
fn extended_request_id(request_id: &str) -> String {
    let compact: String = request_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect();
    format!("{}=", &compact[..15])
}

fn http_response(
    response: MethodResponse,
    request_id: &str,
    extended_request_id: &str,
) -> Response<Body> {
    let mut http = Response::new(Body::from(response.body));
    *http.status_mut() = axum::http::StatusCode::from_u16(response.status)
        .unwrap_or(axum::http::StatusCode::INTERNAL_SERVER_ERROR);
    let headers = http.headers_mut();
    let standard = [
        ("x-amzn-RequestId", request_id),
        ("x-amz-apigw-id", extended_request_id),
    ];
    let standard = standard
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value));
    // Mapped headers go out under API Gateway's names, so none can break the HTTP framing.
    let mapped = response
        .headers
        .iter()
        .filter_map(|(name, value)| headers::sent_as(name).map(|name| (name, value.as_str())));
    for (name, value) in standard.chain(mapped) {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            headers.insert(name, value);
        }
    }
    http
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters_are_decoded_and_the_last_value_wins() {
        let parameters = query_parameters(Some("id=0001&name=a%20b+c&id=0002&flag"));
        assert_eq!(parameters["id"], "0002");
        assert_eq!(parameters["name"], "a b c");
        assert_eq!(parameters["flag"], "");
        assert!(query_parameters(None).is_empty());
    }

    #[test]
    fn extended_request_ids_are_short_and_derived_from_the_request_id() {
        assert_eq!(
            extended_request_id("c6af9ac6-7b61-11e6-9a41-93e8deadbeef"),
            "c6af9ac67b6111e="
        );
    }
}
