//! Safety limits: a template is untrusted input for the engine, so every render is bounded.
//! These are local choices (API Gateway documents none of them except its 10 MB payload size).

/// Bounds applied while parsing and rendering.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Maximum size of the rendered output.
    pub max_output_bytes: usize,
    /// Maximum size of any string built during rendering (concatenation, interpolation, replace...).
    pub max_string_bytes: usize,
    /// Maximum iterations of a single `#foreach`.
    pub max_loop_iterations: usize,
    /// Maximum number of elements a range `[a..b]` may produce.
    pub max_range_items: usize,
    /// Evaluation budget: every node, expression, iteration and element visited costs a step.
    pub max_steps: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_output_bytes: 10 * 1024 * 1024,
            max_string_bytes: 10 * 1024 * 1024,
            max_loop_iterations: 10_000,
            max_range_items: 100_000,
            max_steps: 2_000_000,
        }
    }
}

/// Maximum nesting of directives, expressions and interpolated strings in a template.
pub(crate) const MAX_PARSE_DEPTH: usize = 64;

/// Maximum nesting of lists and maps in a value (JSON documents nest at most 128 in serde_json).
pub(crate) const MAX_VALUE_DEPTH: usize = 256;

/// Largest template source accepted. A parsed template takes roughly 100-130 bytes of memory per
/// source byte in the worst case (a template made only of references), so this bounds a parsed
/// template to about 32 MiB. Real mapping templates are a few KiB. A local choice: AWS documents
/// no size for a mapping template here (inferred to be at least this on AWS).
pub const MAX_TEMPLATE_BYTES: usize = 256 * 1024;
