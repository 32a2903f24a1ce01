//! `$context.requestOverride` and `$context.responseOverride`, read back from `$context` after a
//! mapping template ran (AWS docs, "Override your API's request and response parameters and status
//! codes for REST APIs in API Gateway").
//!
//! AWS carries `$context` from the request template to the response template, overrides included
//! (AWS-validated recording `test_integration_mock_with_response_override_in_request_template`:
//! a request template setting status 444 and header `foo` answered 444 with `foo: bar`, and the
//! response template read the values back), so the gateway passes the request template's
//! `$context` on to the response template and applies the response overrides after both.

use serde_json::Value;

/// What a request template asked to change in the integration request.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct RequestOverrides {
    /// Sent as headers of the Lambda Invoke call (e.g. `X-Amz-Invocation-Type`), as API Gateway
    /// sends integration request headers to the Lambda service.
    pub header: Vec<(String, String)>,
    /// Sent as the Invoke call's query string (e.g. `Qualifier`).
    pub querystring: Vec<(String, String)>,
}

impl RequestOverrides {
    pub fn from_context(context: &Value) -> Self {
        let map = |key| text_entries(&context["requestOverride"][key]);
        // `path` overrides replace `{name}` in an integration URI; a Lambda URI names its function
        // without placeholders, so they only stay visible in `$context`.
        Self {
            header: map("header"),
            querystring: map("querystring"),
        }
    }
}

/// Applies `$context.responseOverride` (`status`, `header.<name>`) to a method response's status and
/// headers. A status that is not an HTTP status code is ignored (inferred).
pub fn apply_response_overrides(
    context: &Value,
    status: &mut u16,
    headers: &mut Vec<(String, String)>,
) {
    let overrides = &context["responseOverride"];
    let overridden = match &overrides["status"] {
        Value::Number(number) => number.as_u64(),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    };
    if let Some(code) = overridden
        .and_then(|code| u16::try_from(code).ok())
        .filter(|code| (100..600).contains(code))
    {
        *status = code;
    }
    for (name, value) in text_entries(&overrides["header"]) {
        headers.retain(|(existing, _)| !existing.eq_ignore_ascii_case(&name));
        headers.push((name, value));
    }
}

/// The entries of a JSON object as text (numbers and booleans as their JSON text, null skipped).
fn text_entries(map: &Value) -> Vec<(String, String)> {
    map.as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, value)| {
            let text = match value {
                Value::String(text) => text.clone(),
                Value::Null | Value::Array(_) | Value::Object(_) => return None,
                other => other.to_string(),
            };
            Some((name.clone(), text))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn response_overrides_replace_the_status_and_headers() {
        let context = json!({"responseOverride": {"status": 444, "header": {"foo": "bar", "content-type": "text/plain"}}});
        let mut status = 200;
        let mut headers = vec![("Content-Type".to_owned(), "application/json".to_owned())];
        apply_response_overrides(&context, &mut status, &mut headers);
        assert_eq!(status, 444);
        // The map's order depends on serde_json's preserve_order, which another crate of the
        // workspace may turn on; the order of headers means nothing.
        headers.sort();
        assert_eq!(
            headers,
            [
                ("content-type".to_owned(), "text/plain".to_owned()),
                ("foo".to_owned(), "bar".to_owned())
            ]
        );
    }

    #[test]
    fn a_status_that_is_no_http_status_is_ignored() {
        for bad in [json!(99), json!(600), json!("abc"), json!(null), json!(-1)] {
            let mut status = 200;
            apply_response_overrides(
                &json!({"responseOverride": {"status": bad}}),
                &mut status,
                &mut Vec::new(),
            );
            assert_eq!(status, 200, "{bad}");
        }
        let mut status = 200;
        apply_response_overrides(
            &json!({"responseOverride": {"status": "202"}}),
            &mut status,
            &mut Vec::new(),
        );
        assert_eq!(status, 202);
    }

    #[test]
    fn request_overrides_are_read_as_text() {
        let context = json!({"requestOverride": {
            "header": {"X-Amz-Invocation-Type": "RequestResponse"},
            "querystring": {"Qualifier": "live", "n": 1},
            "path": {"body": "x"}
        }});
        let overrides = RequestOverrides::from_context(&context);
        assert_eq!(
            overrides.header,
            [(
                "X-Amz-Invocation-Type".to_owned(),
                "RequestResponse".to_owned()
            )]
        );
        assert_eq!(
            overrides.querystring,
            [
                ("Qualifier".to_owned(), "live".to_owned()),
                ("n".to_owned(), "1".to_owned())
            ]
        );
        assert_eq!(
            RequestOverrides::from_context(&json!({})),
            RequestOverrides::default()
        );
    }
}
