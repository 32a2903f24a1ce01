//! The one error type of the crate: where in the template, what kind, and a safe message.

/// Broad class of a [`VtlError`], so callers can map errors to responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The template does not parse.
    Syntax,
    /// Evaluation failed, as a Java method throwing inside Velocity would (bad index, bad regex...).
    Runtime,
    /// A JSON document ($input body, `$util.parseJson` argument) does not parse.
    InvalidJson,
    /// A safety limit (output size, loop iterations, nesting, evaluation steps) was reached.
    Limit,
}

/// A parse or render error, positioned in the template source (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct VtlError {
    line: u32,
    column: u32,
    kind: ErrorKind,
    message: String,
}

impl VtlError {
    pub(crate) fn new(pos: Pos, kind: ErrorKind, message: impl Into<String>) -> Self {
        Self {
            line: pos.line,
            column: pos.column,
            kind,
            message: message.into(),
        }
    }

    /// 1-based line of the construct that failed.
    pub fn line(&self) -> u32 {
        self.line
    }

    /// 1-based column (in characters) of the construct that failed.
    pub fn column(&self) -> u32 {
        self.column
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message without the position prefix.
    pub fn message(&self) -> &str {
        &self.message
    }
}

/// A position in the template source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Pos {
    pub line: u32,
    pub column: u32,
}
