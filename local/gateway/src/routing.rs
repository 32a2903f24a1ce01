//! Finds the operation for a method and path; path parameters are percent-decoded, as API Gateway
//! hands them to templates.

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
        for (path, methods) in methods_by_path {
            resources
                .insert(path, methods)
                .map_err(|source| RouteError {
                    path: path.to_owned(),
                    source,
                })?;
        }
        Ok(Self { resources })
    }

    /// The operation for `method` on `path`: the method's own, else the resource's `ANY`; `None`
    /// when the resource or the method is unknown.
    pub fn find(&self, method: &str, path: &str) -> Option<RouteMatch> {
        let found = self.resources.at(path).ok()?;
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
