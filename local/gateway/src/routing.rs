//! Finds the operation for a method and path; path parameters are percent-decoded, as API Gateway
//! hands them to templates. A greedy path variable (`{proxy+}`, the last part of a resource path)
//! takes the rest of the path, one segment or more, and is named without the `+`.

use std::collections::{BTreeMap, HashMap};

use percent_encoding::percent_decode_str;

use crate::spec::Operation;

/// The method name of `x-amazon-apigateway-any-method`.
pub const ANY: &str = "ANY";
/// The methods API Gateway serves; `ANY` catches those a resource does not declare itself
/// ("x-amazon-apigateway-any-method object": it "can coexist with other Operation objects and will
/// catch any HTTP method that wasn't explicitly declared").
const HTTP_METHODS: [&str; 7] = ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT"];

#[derive(Debug, thiserror::Error)]
#[error("resource path {path:?} cannot be routed: {source}")]
pub struct RouteError {
    path: String,
    source: matchit::InsertError,
}

/// Resource paths and, for each, the index of its operation per method.
pub struct RouteTable {
    resources: matchit::Router<HashMap<String, usize>>,
    /// The resources with a greedy path variable again, for a path whose most specific resource
    /// lacks the method.
    greedy: matchit::Router<HashMap<String, usize>>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct RouteMatch {
    pub operation: usize,
    pub path_parameters: BTreeMap<String, String>,
}

impl RouteTable {
    pub fn new(operations: &[Operation]) -> Result<Self, RouteError> {
        let mut methods_by_path: BTreeMap<&str, HashMap<String, usize>> = BTreeMap::new();
        for (index, operation) in operations.iter().enumerate() {
            methods_by_path
                .entry(&operation.resource_path)
                .or_default()
                .insert(operation.method.clone(), index);
        }
        let mut resources = matchit::Router::new();
        let mut greedy = matchit::Router::new();
        for (path, methods) in methods_by_path {
            let route = matchit_route(path);
            let insert = |router: &mut matchit::Router<_>, methods| {
                router
                    .insert(route.clone(), methods)
                    .map_err(|source| RouteError {
                        path: path.to_owned(),
                        source,
                    })
            };
            if route != path {
                insert(&mut greedy, methods.clone())?;
            }
            insert(&mut resources, methods)?;
        }
        Ok(Self { resources, greedy })
    }

    /// The operation for `method` on `path`: the method's own, else the resource's `ANY`, on the
    /// most specific resource; when that resource lacks the method, on the greedy resource that
    /// matches (AWS-validated `TestApigatewayRouting::test_proxy_routing_with_hardcoded_resource_sibling`:
    /// OPTIONS on `/test`, which has only POST, was answered by `/{proxy+}`'s OPTIONS). `None` when
    /// no resource has the method.
    pub fn find(&self, method: &str, path: &str) -> Option<RouteMatch> {
        [&self.resources, &self.greedy]
            .into_iter()
            .find_map(|router| Self::find_in(router, method, path))
    }

    fn find_in(
        router: &matchit::Router<HashMap<String, usize>>,
        method: &str,
        path: &str,
    ) -> Option<RouteMatch> {
        let found = router.at(path).ok()?;
        let operation = match found.value.get(method) {
            Some(operation) => *operation,
            None if HTTP_METHODS.contains(&method) => *found.value.get(ANY)?,
            None => return None,
        };
        let path_parameters = found
            .params
            .iter()
            .map(|(name, raw)| {
                (
                    name.to_owned(),
                    percent_decode_str(raw).decode_utf8_lossy().into_owned(),
                )
            })
            .collect();
        Some(RouteMatch {
            operation,
            path_parameters,
        })
    }
}

/// The resource path in matchit's syntax: a greedy `{name+}` becomes the catch-all `{*name}`
/// (matchit refuses one that is not last, as API Gateway does).
fn matchit_route(resource_path: &str) -> String {
    resource_path
        .split('/')
        .map(|segment| {
            match segment
                .strip_prefix('{')
                .and_then(|rest| rest.strip_suffix("+}"))
            {
                Some(name) => format!("{{*{name}}}"),
                None => segment.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::spec::ApiDefinition;

    fn contract() -> ApiDefinition {
        let document = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../schemas/openapi.yaml");
        ApiDefinition::load(&document).unwrap()
    }

    fn routed(
        api: &ApiDefinition,
        method: &str,
        path: &str,
    ) -> Option<(String, BTreeMap<String, String>)> {
        let table = RouteTable::new(&api.operations).unwrap();
        let found = table.find(method, path)?;
        Some((
            api.operations[found.operation].name(),
            found.path_parameters,
        ))
    }

    #[test]
    fn routes_methods_and_path_parameters() {
        let api = contract();
        let id = |value: &str| BTreeMap::from([("id".to_owned(), value.to_owned())]);
        assert_eq!(
            routed(&api, "GET", "/staff/0001"),
            Some(("GET /staff/{id}".into(), id("0001")))
        );
        assert_eq!(
            routed(&api, "PUT", "/staff/0001"),
            Some(("PUT /staff/{id}".into(), id("0001")))
        );
        assert_eq!(
            routed(&api, "GET", "/staff"),
            Some(("GET /staff".into(), BTreeMap::new()))
        );
        assert_eq!(
            routed(&api, "POST", "/staff"),
            Some(("POST /staff".into(), BTreeMap::new()))
        );
        assert_eq!(
            routed(&api, "POST", "/redshift_select"),
            Some(("POST /redshift_select".into(), BTreeMap::new()))
        );
    }

    fn table(paths: &[(&str, &str)]) -> (ApiDefinition, RouteTable) {
        let mut document = serde_json::json!({"openapi": "3.0.3", "paths": {}});
        for (path, method) in paths {
            document["paths"][path][method] = serde_json::json!({
                "x-amazon-apigateway-integration": {
                    "type": "mock",
                    "responses": {"default": {"statusCode": "200"}}
                }
            });
        }
        let api = ApiDefinition::from_document(document, Path::new(".")).unwrap();
        let table = RouteTable::new(&api.operations).unwrap();
        (api, table)
    }

    #[test]
    fn a_greedy_variable_takes_the_rest_of_the_path_and_the_methods_others_lack() {
        let (api, table) = table(&[
            ("/test", "post"),
            ("/test/any", "x-amazon-apigateway-any-method"),
            ("/{proxy+}", "options"),
        ]);
        let routed = |method: &str, path: &str| {
            table.find(method, path).map(|found| {
                let name = api.operations[found.operation].name();
                (name, found.path_parameters.get("proxy").cloned())
            })
        };
        let proxy = |rest: &str| Some(("OPTIONS /{proxy+}".to_owned(), Some(rest.to_owned())));
        assert_eq!(routed("OPTIONS", "/a/b%20c/d"), proxy("a/b c/d"));
        assert_eq!(routed("OPTIONS", "/test"), proxy("test"));
        assert_eq!(
            routed("POST", "/test"),
            Some(("POST /test".to_owned(), None))
        );
        assert_eq!(
            routed("OPTIONS", "/test/any"),
            Some(("ANY /test/any".to_owned(), None))
        );
        assert_eq!(routed("GET", "/a/b"), None);
        assert_eq!(routed("OPTIONS", "/"), None);
    }

    #[test]
    fn a_greedy_variable_must_be_last() {
        let document = serde_json::json!({"openapi": "3.0.3", "paths": {"/{proxy+}/more": {"get": {
            "x-amazon-apigateway-integration": {"type": "mock", "responses": {"default": {"statusCode": "200"}}}
        }}}});
        let api = ApiDefinition::from_document(document, Path::new(".")).unwrap();
        assert!(RouteTable::new(&api.operations).is_err());
    }

    #[test]
    fn path_parameters_are_percent_decoded() {
        let api = contract();
        let (_, parameters) = routed(&api, "GET", "/staff/a%20b%27").unwrap();
        assert_eq!(parameters["id"], "a b'");
    }

    #[test]
    fn unknown_methods_and_resources_find_nothing() {
        let api = contract();
        for (method, path) in [
            ("DELETE", "/staff/0001"),
            ("POST", "/staff/0001"),
            ("GET", "/staff/0001/more"),
            ("GET", "/"),
            ("GET", "/redshift_select"),
            ("get", "/staff"),
        ] {
            assert_eq!(routed(&api, method, path), None, "{method} {path}");
        }
    }
}
