//! An Apache Velocity 1.7 (VTL) engine covering what API Gateway mapping templates use, with
//! API Gateway's `$input`, `$util`, `$context` and `$stageVariables` in [`apigw`].
//!
//! ```
//! let template = vtl::Template::parse("#set($n = 2)#foreach($i in [1..$n])$i#end").unwrap();
//! assert_eq!(template.render_json(&serde_json::Map::new()).unwrap(), "12");
//! ```
//!
//! A [`Template`] is parsed once and rendered many times (it is `Send + Sync`); every render is
//! bounded by [`Limits`], so no template or input makes it panic or run without end.

pub mod apigw;
mod ast;
mod error;
mod eval;
mod java;
mod jsonpath;
mod limits;
mod methods;
mod parser;
mod value;

use std::collections::HashMap;

pub use error::{ErrorKind, VtlError};
pub use eval::NullRendering;
pub use limits::{Limits, MAX_TEMPLATE_BYTES};

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    nodes: Vec<ast::Node>,
    unsupported: Vec<UnsupportedDirective>,
}

/// A Velocity 1.7 directive the engine does not implement (`#macro`, `#include`, `#parse`,
/// `#evaluate`, `#define`, `#stop`, `#literal`): it renders as plain text here, where Velocity
/// (and API Gateway) would run it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnsupportedDirective {
    /// Without the `#`, e.g. `macro`.
    pub name: String,
    pub line: u32,
    pub column: u32,
}

impl Template {
    /// Parses `source`; errors carry the line and column of the offending construct.
    pub fn parse(source: &str) -> Result<Template, VtlError> {
        if source.len() > MAX_TEMPLATE_BYTES {
            return Err(VtlError::new(
                error::Pos { line: 1, column: 1 },
                ErrorKind::Limit,
                format!(
                    "template is {} bytes, more than the {MAX_TEMPLATE_BYTES} accepted",
                    source.len()
                ),
            ));
        }
        let (nodes, unsupported) = parser::parse_template(source)?;
        Ok(Template { nodes, unsupported })
    }

    /// Renders with plain JSON values as variables (`{"a": 1}` provides `$a`), Velocity's own
    /// null rendering and the default limits.
    pub fn render_json(
        &self,
        variables: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<String, VtlError> {
        self.render_json_with(variables, &Limits::default(), NullRendering::SourceText)
    }

    /// [`Template::render_json`] with explicit limits and null rendering.
    pub fn render_json_with(
        &self,
        variables: &serde_json::Map<String, serde_json::Value>,
        limits: &Limits,
        nulls: NullRendering,
    ) -> Result<String, VtlError> {
        let mut vars = HashMap::with_capacity(variables.len());
        for (name, json) in variables {
            let value = value::Value::from_json(json).map_err(|value::TooDeep| {
                VtlError::new(
                    error::Pos { line: 1, column: 1 },
                    ErrorKind::Limit,
                    format!("variable {name} nests too deep"),
                )
            })?;
            vars.insert(name.clone(), value);
        }
        eval::Renderer::new(vars, limits, nulls).render(&self.nodes)
    }

    /// The unsupported directives the template uses, in source order: a host that must behave
    /// as API Gateway refuses such a template instead of rendering the directive as text.
    pub fn unsupported_directives(&self) -> &[UnsupportedDirective] {
        &self.unsupported
    }

    pub(crate) fn nodes(&self) -> &[ast::Node] {
        &self.nodes
    }
}
