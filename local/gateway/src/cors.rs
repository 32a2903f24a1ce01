//! CORS for a stage whose file has `cors` (infra/README.md): what the CDK app deploys
//! (infra/lib/cors.ts), applied to the gateway's answers.
//!
//! On AWS the stage gets an OPTIONS method per resource (a MOCK integration answering 200 with the
//! four `Access-Control-*` headers, no API key), `Access-Control-Allow-Origin` on every method
//! response through static header mappings, and the same header on API Gateway's own errors through
//! the `DEFAULT_4XX` and `DEFAULT_5XX` gateway responses. Every one of those mappings is a static
//! value, so a stage allows `"*"` or exactly one origin (the schema says so) and the header does not
//! depend on the request's `Origin`. Locally the same rules wrap the gateway: OPTIONS on a resource
//! is answered here, and every other answer of the API (Lambda's and the gateway's own) gets the
//! origin header.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, Method, Response, StatusCode};
use axum::middleware::Next;
use serde::Deserialize;

pub const ALLOW_ORIGIN: &str = "access-control-allow-origin";
pub const ALLOW_HEADERS: &str = "access-control-allow-headers";
pub const ALLOW_METHODS: &str = "access-control-allow-methods";
pub const MAX_AGE: &str = "access-control-max-age";

/// The stage file's `cors` object.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CorsSettings {
    /// `["*"]` or one `scheme://host[:port]` (the schema allows one item).
    pub allow_origins: Vec<String>,
    pub allow_headers: Vec<String>,
    pub allow_methods: Vec<String>,
    #[serde(default)]
    pub max_age_seconds: Option<u64>,
}

impl CorsSettings {
    /// The `Access-Control-Allow-Origin` value every answer carries.
    pub fn allow_origin(&self) -> String {
        self.allow_origins.join(",")
    }

    /// The headers of the preflight answer (OPTIONS), in the order the CDK app maps them.
    pub fn preflight_headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            (ALLOW_ORIGIN, self.allow_origin()),
            (ALLOW_HEADERS, self.allow_headers.join(",")),
            (ALLOW_METHODS, self.allow_methods.join(",")),
        ];
        if let Some(seconds) = self.max_age_seconds {
            headers.push((MAX_AGE, seconds.to_string()));
        }
        headers
    }
}

#[derive(Debug, thiserror::Error)]
#[error("CORS: resource path {path:?} cannot be routed: {source}")]
pub struct CorsError {
    path: String,
    source: matchit::InsertError,
}

/// The stage's CORS rules and the resources that answer a preflight.
pub struct Cors {
    preflight: Vec<(HeaderName, HeaderValue)>,
    allow_origin: HeaderValue,
    resources: matchit::Router<()>,
}

impl Cors {
    /// `resource_paths` are the document's (each once an OPTIONS method on AWS).
    pub fn new<'a>(
        settings: &CorsSettings,
        resource_paths: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, CorsError> {
        let mut resources = matchit::Router::new();
        for path in resource_paths.into_iter().collect::<BTreeSet<_>>() {
            resources.insert(path, ()).map_err(|source| CorsError {
                path: path.to_owned(),
                source,
            })?;
        }
        // The schema limits every value to header-safe characters; anything else is left out.
        let preflight = settings
            .preflight_headers()
            .into_iter()
            .filter_map(|(name, value)| {
                Some((
                    HeaderName::from_static(name),
                    HeaderValue::try_from(value).ok()?,
                ))
            })
            .collect();
        let allow_origin = HeaderValue::try_from(settings.allow_origin())
            .unwrap_or_else(|_| HeaderValue::from_static("null"));
        Ok(Self {
            preflight,
            allow_origin,
            resources,
        })
    }

    /// `router` (the API) with the stage's CORS rules, or unchanged when the stage has none.
    pub fn wrap(router: axum::Router, cors: Option<Self>) -> axum::Router {
        match cors {
            Some(cors) => router.layer(axum::middleware::from_fn_with_state(Arc::new(cors), apply)),
            None => router,
        }
    }

    /// The MOCK integration's answer: 200, the preflight headers, an empty JSON body.
    fn preflight_answer(&self) -> Response<Body> {
        let mut answer = Response::new(Body::empty());
        *answer.status_mut() = StatusCode::OK;
        let headers = answer.headers_mut();
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        for (name, value) in &self.preflight {
            headers.insert(name.clone(), value.clone());
        }
        answer
    }
}

async fn apply(State(cors): State<Arc<Cors>>, request: Request, next: Next) -> Response<Body> {
    if request.method() == Method::OPTIONS && cors.resources.at(request.uri().path()).is_ok() {
        return cors.preflight_answer();
    }
    let mut answer = next.run(request).await;
    answer.headers_mut().insert(
        HeaderName::from_static(ALLOW_ORIGIN),
        cors.allow_origin.clone(),
    );
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(max_age: Option<u64>) -> CorsSettings {
        CorsSettings {
            allow_origins: vec!["https://app.example.com".into()],
            allow_headers: vec!["Content-Type".into(), "X-Api-Key".into()],
            allow_methods: vec!["GET".into(), "OPTIONS".into()],
            max_age_seconds: max_age,
        }
    }

    #[test]
    fn preflight_headers_join_the_lists_and_max_age_is_optional() {
        let headers = settings(Some(600)).preflight_headers();
        assert_eq!(
            headers,
            [
                (ALLOW_ORIGIN, "https://app.example.com".to_owned()),
                (ALLOW_HEADERS, "Content-Type,X-Api-Key".to_owned()),
                (ALLOW_METHODS, "GET,OPTIONS".to_owned()),
                (MAX_AGE, "600".to_owned()),
            ]
        );
        assert_eq!(settings(None).preflight_headers().len(), 3);
    }

    #[test]
    fn only_the_documents_resources_answer_a_preflight() {
        let cors = Cors::new(&settings(None), ["/staff", "/staff/{id}", "/staff"]).unwrap();
        assert!(cors.resources.at("/staff/0001").is_ok());
        assert!(cors.resources.at("/staff").is_ok());
        assert!(cors.resources.at("/nope").is_err());
        assert_eq!(cors.preflight.len(), 3);
    }
}
