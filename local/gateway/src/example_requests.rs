//! Example requests, one or more per operation of schemas/openapi.yaml: the curl lines the gateway
//! and the local stack print at start. The end-to-end suite runs every one of them against the stack,
//! and a unit test keeps this list and the document's operations in step.

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
        path: "/staff/0001",
        body: Some(r#"{"age":13}"#),
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
        line.push_str(&format!(
            " {}",
            shell_word(&format!("{base_url}{}", self.path))
        ));
        line
    }

    /// The first example of each operation, in list order (the gateway's banner: one per route).
    pub fn first_per_operation() -> impl Iterator<Item = &'static Example> {
        EXAMPLES.iter().enumerate().filter_map(|(index, example)| {
            let seen_before = EXAMPLES[..index].iter().any(|earlier| {
                earlier.method == example.method
                    && earlier.documented_path == example.documented_path
            });
            (!seen_before).then_some(example)
        })
    }
}

/// `url` as one shell word: quoted only when it holds a character the shell would interpret.
fn shell_word(url: &str) -> String {
    let plain = url
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || ":/._-".contains(c));
    if plain {
        url.to_owned()
    } else {
        format!("'{url}'")
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
             -d '{\"target_table\":\"flightdata\"}' http://127.0.0.1:3000/redshift_select"
        );
        let put = EXAMPLES[5].curl_line("http://h", "K");
        assert!(put.contains(" -X PUT "), "{put}");
        let query = EXAMPLES[1].curl_line("http://h", "K");
        assert!(query.ends_with(" 'http://h/staff?limit=2'"), "{query}");
    }

    #[test]
    fn one_example_per_operation_for_the_banner() {
        let firsts: Vec<_> = Example::first_per_operation()
            .map(|example| (example.method, example.path))
            .collect();
        assert_eq!(firsts.len(), 5);
        assert!(firsts.contains(&("GET", "/staff?limit=2")));
        assert!(!firsts.contains(&("GET", "/staff?id=0001")));
    }

    #[test]
    fn every_documented_operation_has_an_example_and_every_example_is_documented() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/openapi.yaml");
        let text = std::fs::read_to_string(path).unwrap();
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
