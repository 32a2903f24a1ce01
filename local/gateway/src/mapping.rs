//! Mapping templates (VTL) rendered with API Gateway's `$input`, `$context` and `$stageVariables`
//! by the `vtl` crate. A request template sees the method request; a response template sees the
//! Lambda's answer as the body and still the method request's parameters.

pub use vtl::VtlError as TemplateError;
pub use vtl::apigw::{MappingInput, Rendered};

/// A parsed mapping template.
pub struct MappingTemplate {
    template: vtl::Template,
}

impl std::fmt::Debug for MappingTemplate {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("MappingTemplate")
    }
}

impl MappingTemplate {
    pub fn parse(text: &str) -> Result<Self, TemplateError> {
        Ok(Self {
            template: vtl::Template::parse(text)?,
        })
    }

    /// Directives the engine parses but does not reproduce (`#macro`, `#include`, ...).
    pub fn unsupported_directives(&self) -> &[vtl::UnsupportedDirective] {
        self.template.unsupported_directives()
    }

    pub fn render(&self, input: &MappingInput<'_>) -> Result<String, TemplateError> {
        vtl::apigw::render(&self.template, input)
    }

    /// The output and `$context` as the template left it (its `requestOverride` and
    /// `responseOverride`).
    pub fn render_with_context(&self, input: &MappingInput<'_>) -> Result<Rendered, TemplateError> {
        vtl::apigw::render_with_context(&self.template, input, &Default::default())
    }
}
