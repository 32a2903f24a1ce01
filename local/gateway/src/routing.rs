//! Finds the operation for a method and path; path parameters are percent-decoded, as API Gateway
//! hands them to templates.

use std::collections::{BTreeMap, HashMap};

use percent_encoding::percent_decode_str;

use crate::spec::Operation;

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

    /// The operation for `method` on `path`; `None` when the resource or the method is unknown.
    pub fn find(&self, method: &str, path: &str) -> Option<RouteMatch> {
        let found = self.resources.at(path).ok()?;
        let operation = *found.value.get(method)?;
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
