//! One working example request per operation of schemas/openapi.yaml, printed as curl lines.
//! A unit test keeps this list and the document's operations in step.

/// An example request against one documented operation.
#[derive(Debug, Clone, Copy)]
pub struct Example {
    pub method: &'static str,
    /// The operation's path as documented (`/staff/{id}`).
    pub documented_path: &'static str,
    /// The concrete path and query string sent.
    pub path: &'static str,
    pub body: Option<&'static str>,
}

pub const EXAMPLES: [Example; 6] = [
    Example {
        method: "POST",
        documented_path: "/redshift_select",
        path: "/redshift_select",
        body: Some(r#"{"target_table":"flightdata"}"#),
    },
    Example {
        method: "GET",
        documented_path: "/staff",
        path: "/staff?limit=2",
        body: None,
    },
    Example {
        method: "GET",
        documented_path: "/staff",
        path: "/staff?id=0001",
        body: None,
    },
    Example {
        method: "GET",
        documented_path: "/staff/{id}",
        path: "/staff/0002",
        body: None,
    },
    Example {
        method: "POST",
        documented_path: "/staff",
        path: "/staff",
        body: Some(r#"{"id":"0004","name":"Athena","age":7}"#),
    },
    Example {
        method: "PUT",
        documented_path: "/staff/{id}",
        path: "/staff/0003",
        body: Some(r#"{"age":57}"#),
    },
];

impl Example {
    /// A shell line that sends this request and prints the body and the status.
    pub fn curl_line(&self, base_url: &str, api_key: &str) -> String {
        let mut line = format!("curl -sS -w ' -> %{{http_code}}\\n' -H 'x-api-key: {api_key}'");
        // curl sends GET, or POST with -d; anything else is explicit.
        if !matches!(self.method, "GET" | "POST") {
            line.push_str(&format!(" -X {}", self.method));
        }
        if let Some(body) = self.body {
            line.push_str(&format!(" -H 'content-type: application/json' -d '{body}'"));
        }
        line.push_str(&format!(" '{base_url}{}'", self.path));
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_lines_are_complete_commands() {
        let post = EXAMPLES[0].curl_line("http://127.0.0.1:3000", "KEY");
        assert_eq!(
            post,
            "curl -sS -w ' -> %{http_code}\\n' -H 'x-api-key: KEY' -H 'content-type: application/json' \
             -d '{\"target_table\":\"flightdata\"}' 'http://127.0.0.1:3000/redshift_select'"
        );
        let put = EXAMPLES[5].curl_line("http://h", "K");
        assert!(put.contains(" -X PUT "), "{put}");
    }

    #[test]
    fn every_documented_operation_has_an_example_and_every_example_is_documented() {
        let text =
            std::fs::read_to_string(crate::workspace_root().join("schemas/openapi.yaml")).unwrap();
        let document: serde_json::Value = serde_yaml_ng::from_str(&text).unwrap();
        let mut documented = Vec::new();
        for (path, operations) in document["paths"].as_object().unwrap() {
            for method in operations.as_object().unwrap().keys() {
                if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                    documented.push((method.to_uppercase(), path.clone()));
                }
            }
        }
        for (method, path) in &documented {
            assert!(
                EXAMPLES
                    .iter()
                    .any(|e| e.method == method && e.documented_path == path),
                "no curl example for {method} {path}"
            );
        }
        for example in EXAMPLES {
            assert!(
                documented
                    .iter()
                    .any(|(m, p)| m == example.method && p == example.documented_path),
                "{} {} is not in schemas/openapi.yaml",
                example.method,
                example.documented_path
            );
        }
    }
}
