//! SigV4 verification: the received request is signed again (by the `aws-sigv4` crate, as the SDKs
//! sign) with the configured secret key and the client's own scope, date and signed headers, and
//! the two signatures are compared in constant time.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use axum::http::{HeaderMap, Method, StatusCode, Uri};

use crate::error::ServiceError;

/// The access key pair the server accepts.
#[derive(Debug, Clone)]
pub struct AccessKey {
    pub id: String,
    pub secret: String,
}

impl Default for AccessKey {
    /// The pair the local stack gives every function (`AWS_ACCESS_KEY_ID=local`, secret `local`).
    fn default() -> Self {
        Self {
            id: "local".into(),
            secret: "local".into(),
        }
    }
}

/// Why a request was refused; `status` is what the protocol answers (awsJson1_1 400, restJson1 403).
/// Codes and texts as AWS's JSON services answer them (Common Errors of the AWS API references:
/// MissingAuthenticationToken, InvalidSignature, UnrecognizedClient); the statuses per protocol
/// are **inferred**.
pub fn verify(
    key: &AccessKey,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
    status: StatusCode,
) -> Result<(), ServiceError> {
    let refuse = |code: &str, message: &str| Err(ServiceError::new(status, code, message));
    let Some(authorization) = headers.get("authorization").and_then(|v| v.to_str().ok()) else {
        return refuse(
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        );
    };
    let Some(parts) = Authorization::parse(authorization) else {
        return refuse(
            "IncompleteSignatureException",
            "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.",
        );
    };
    if parts.access_key != key.id {
        return refuse(
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
        );
    }
    let time = headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::NaiveDateTime::parse_from_str(v, "%Y%m%dT%H%M%SZ").ok())
        .map(|t| SystemTime::from(t.and_utc()));
    let expected =
        time.and_then(|time| expected_signature(key, &parts, time, method, uri, headers, body));
    let given = parts.signature.as_bytes();
    match expected {
        Some(expected) if bool::from(subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), given)) => {
            Ok(())
        }
        _ => refuse(
            "InvalidSignatureException",
            "The request signature we calculated does not match the signature you provided. \
             Check your AWS Secret Access Key and signing method. Consult the service \
             documentation for details.",
        ),
    }
}

fn expected_signature(
    key: &AccessKey,
    parts: &Authorization<'_>,
    time: SystemTime,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: &[u8],
) -> Option<String> {
    let token = headers
        .get("x-amz-security-token")
        .and_then(|v| v.to_str().ok());
    let credentials = Credentials::new(
        &key.id,
        &key.secret,
        token.map(str::to_string),
        None,
        "local-data-api",
    );
    let identity = credentials.into();
    let mut settings = SigningSettings::default();
    // Sign exactly what the client signed.
    settings.excluded_headers = Some(vec!["authorization".into()]);
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(parts.region)
        .name(parts.service)
        .time(time)
        .settings(settings)
        .build()
        .ok()?
        .into();
    let signed: Vec<(&str, &str)> = parts
        .signed_headers
        .split(';')
        .filter(|name| *name != "x-amz-security-token")
        .map(|name| {
            let value = headers.get(name).and_then(|v| v.to_str().ok());
            value.map(|v| (name, v))
        })
        .collect::<Option<_>>()?;
    let path = uri.path_and_query().map_or("/", |p| p.as_str());
    let host = headers.get("host").and_then(|v| v.to_str().ok())?;
    let url = format!("http://{host}{path}");
    let request = SignableRequest::new(
        method.as_str(),
        url,
        signed.into_iter(),
        SignableBody::Bytes(body),
    )
    .ok()?;
    let output = sign(request, &params).ok()?;
    Some(output.signature().to_string())
}

/// `AWS4-HMAC-SHA256 Credential=AK/DATE/REGION/SERVICE/aws4_request, SignedHeaders=a;b, Signature=hex`.
struct Authorization<'a> {
    access_key: &'a str,
    region: &'a str,
    service: &'a str,
    signed_headers: &'a str,
    signature: &'a str,
}

impl<'a> Authorization<'a> {
    fn parse(header: &'a str) -> Option<Self> {
        let rest = header.strip_prefix("AWS4-HMAC-SHA256 ")?;
        let (mut credential, mut signed_headers, mut signature) = (None, None, None);
        for part in rest.split(',').map(str::trim) {
            let (name, value) = part.split_once('=')?;
            match name {
                "Credential" => credential = Some(value),
                "SignedHeaders" => signed_headers = Some(value),
                "Signature" => signature = Some(value),
                _ => {}
            }
        }
        let mut scope = credential?.split('/');
        let access_key = scope.next()?;
        let _date = scope.next()?;
        Some(Self {
            access_key,
            region: scope.next()?,
            service: scope.next()?,
            signed_headers: signed_headers?,
            signature: signature?,
        })
    }
}
