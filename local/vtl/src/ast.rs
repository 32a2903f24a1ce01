//! The syntax tree produced by the parser, with source positions for runtime errors.

use crate::error::Pos;

#[derive(Debug, Clone)]
pub(crate) enum Node {
    Text(String),
    /// A reference rendered into the output; `backslashes` is how many `\` preceded its `$`.
    Reference {
        reference: Reference,
        backslashes: usize,
    },
    Set {
        target: Reference,
        value: Expr,
    },
    If {
        branches: Vec<(Expr, Vec<Node>)>,
        otherwise: Option<Vec<Node>>,
    },
    Foreach {
        variable: String,
        iterable: Expr,
        body: Vec<Node>,
        pos: Pos,
    },
    /// `#break`, or `#break($scope)` to stop an enclosing `#foreach` (`$foreach.parent`).
    Break(Option<Expr>),
}

/// `$root.segment...`, `$!root...` or `${root...}`.
#[derive(Debug, Clone)]
pub(crate) struct Reference {
    pub root: String,
    pub quiet: bool,
    pub segments: Vec<Segment>,
    /// The reference as written, rendered in place of a null value (Velocity's behaviour).
    pub source: String,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub(crate) enum Segment {
    Property(String),
    Method {
        name: String,
        args: Vec<Expr>,
        pos: Pos,
    },
    Index(Expr),
}

#[derive(Debug, Clone)]
pub(crate) struct Expr {
    pub kind: ExprKind,
    pub pos: Pos,
}

#[derive(Debug, Clone)]
pub(crate) enum ExprKind {
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    /// A double-quoted string holding `$` or `#`: rendered as a template.
    Interpolated(Vec<Node>),
    Reference(Reference),
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    Range(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    /// `first op1 e1 op2 e2 ...` of one precedence level, evaluated left to right. Kept flat so
    /// that a chain of thousands of terms evaluates without recursing once per operator.
    Chain(Box<Expr>, Vec<(BinaryOp, Pos, Expr)>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinaryOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}
