//! The HTTP headers API Gateway keeps for itself, on both sides of a method.
//!
//! Evidence: the AWS-validated recording `test_apigateway_header_remapping_aws[AWS]` (LocalStack
//! `tests/aws/services/apigateway/test_apigateway_integrations.snapshot.json`, recorded
//! 2024-12-11): a request template reading these headers with `$input.params('X')` got `""` for
//! the reserved request headers below, and integration-response mappings to the reserved response
//! headers came back as `x-amzn-Remapped-<name>`, with Transfer-Encoding absent.

/// Request headers a mapping template cannot see (`$input.params('Connection')` is `""`). The
/// recording sent each of them with a value and read back `""`.
const RESERVED_REQUEST_HEADERS: [&str; 11] = [
    "connection",
    "content-md5",
    "expect",
    "max-forwards",
    "proxy-authenticate",
    "server",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "www-authenticate",
];

/// Response headers a mapping cannot set: they are sent as `x-amzn-Remapped-<name>` instead.
const REMAPPED_RESPONSE_HEADERS: [&str; 14] = [
    "authorization",
    "connection",
    "content-length",
    "content-md5",
    "date",
    "expect",
    "host",
    "max-forwards",
    "proxy-authenticate",
    "server",
    "trailer",
    "upgrade",
    "user-agent",
    "www-authenticate",
];

/// Response headers a mapping cannot set at all (the recording's answer had none).
const DROPPED_RESPONSE_HEADERS: [&str; 1] = ["transfer-encoding"];

/// Whether a request header (any case) is hidden from mapping templates.
pub fn hidden_from_templates(name: &str) -> bool {
    RESERVED_REQUEST_HEADERS
        .iter()
        .any(|reserved| reserved.eq_ignore_ascii_case(name))
}

/// The name a mapped response header is sent under: itself, `x-amzn-Remapped-<name>` for a
/// reserved one (spelled as mapped), or `None` when API Gateway drops it. Remapping also keeps a
/// mapping from corrupting the HTTP framing (a wrong Content-Length would hang the client).
pub fn sent_as(name: &str) -> Option<String> {
    let is = |list: &[&str]| list.iter().any(|header| header.eq_ignore_ascii_case(name));
    if is(&DROPPED_RESPONSE_HEADERS) {
        None
    } else if is(&REMAPPED_RESPONSE_HEADERS) {
        Some(format!("x-amzn-Remapped-{name}"))
    } else {
        Some(name.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_response_headers_are_remapped_and_transfer_encoding_dropped() {
        assert_eq!(
            sent_as("Content-Length").as_deref(),
            Some("x-amzn-Remapped-Content-Length")
        );
        assert_eq!(
            sent_as("WWW-Authenticate").as_deref(),
            Some("x-amzn-Remapped-WWW-Authenticate")
        );
        assert_eq!(sent_as("transfer-encoding"), None);
        assert_eq!(sent_as("Content-Type").as_deref(), Some("Content-Type"));
        assert_eq!(sent_as("TE").as_deref(), Some("TE"), "TE is passed on");
    }

    #[test]
    fn reserved_request_headers_are_hidden_in_any_case() {
        assert!(hidden_from_templates("Max-Forwards"));
        assert!(hidden_from_templates("te"));
        assert!(!hidden_from_templates("Authorization"));
        assert!(!hidden_from_templates("User-Agent"));
    }
}
