//! Recursive-descent parser for Velocity 1.7 templates.
//!
//! No crate implements Velocity, so this follows Velocity 1.7's `Parser.jjt` by hand:
//! - text passes through; `##` comments run to and include the newline; `#* *#` and `#** *#` are
//!   block comments; `#[[ ]]#` is unparsed text;
//! - whitespace gobbling (1.7 defaults): a directive's closing `)`, and `#else`/`#end`, eat the
//!   spaces/tabs and the newline that follow them; `#set` also eats the spaces/tabs before it;
//!   indentation before other directives is kept;
//! - identifiers are `[a-zA-Z_][a-zA-Z0-9_-]*` (1.7 allows `-`, so `$a-1` is the reference `a-1`);
//! - method arguments, list/map elements, range bounds and `#foreach`'s list are Velocity's
//!   "parameters" (literals and references, no operators), as in 1.7;
//! - inferred, not Velocity: `-1` is a negative literal only where an operand is expected, so
//!   `$a - 1` and `$a -1` both subtract (1.7's lexer would mis-tokenize the latter).

use std::cell::Cell;

use crate::UnsupportedDirective;
use crate::ast::{Expr, Node, Reference, Segment};
use crate::error::{ErrorKind, Pos, VtlError};
use crate::limits::MAX_PARSE_DEPTH;

mod expression;

type Result<T> = std::result::Result<T, VtlError>;

/// Parses a whole template.
/// Parses a whole template; also returns the unsupported directives it uses, where.
pub(crate) fn parse_template(source: &str) -> Result<(Vec<Node>, Vec<UnsupportedDirective>)> {
    let mut parser = Parser::new(source, Pos { line: 1, column: 1 }, 0);
    let (nodes, end) = parser.block()?;
    match end {
        BlockEnd::Eof => Ok((nodes, parser.unsupported)),
        BlockEnd::End(pos) => match parser.unsupported.first() {
            // A #macro or #define body ends with #end too: name the real cause.
            Some(at) => Err(syntax(
                pos,
                format!(
                    "#end without a matching #if or #foreach (#{} at line {}, column {} is not supported)",
                    at.name, at.line, at.column
                ),
            )),
            None => Err(syntax(pos, "#end without a matching #if or #foreach")),
        },
        BlockEnd::Else(pos) => Err(syntax(pos, "#else without a matching #if")),
        BlockEnd::ElseIf(_, pos) => Err(syntax(pos, "#elseif without a matching #if")),
    }
}

fn syntax(pos: Pos, message: impl Into<String>) -> VtlError {
    VtlError::new(pos, ErrorKind::Syntax, message)
}

/// Why a block of statements stopped.
enum BlockEnd {
    Eof,
    End(Pos),
    Else(Pos),
    ElseIf(Expr, Pos),
}

/// Velocity 1.7 directives this engine does not implement: they render as text, so a host can
/// refuse a template that uses them ([`crate::Template::unsupported_directives`]).
pub(crate) const UNSUPPORTED: &[&str] = &[
    "stop", "include", "parse", "evaluate", "define", "macro", "literal",
];

/// Directive names whose escaped form `\#name` renders as text.
const DIRECTIVES: &[&str] = &[
    "set", "if", "elseif", "else", "end", "foreach", "break", "stop", "include", "parse",
    "evaluate", "define", "macro",
];

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    /// Position of the first character, for templates nested in string literals.
    origin: Pos,
    line_starts: Vec<usize>,
    /// Last (offset, line index, column) computed: positions are asked for in increasing order,
    /// so counting columns from here keeps long single-line templates linear.
    last_position: Cell<(usize, usize, u32)>,
    /// Unsupported directives met (name, position), in source order.
    unsupported: Vec<UnsupportedDirective>,
}

fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_ident_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_word_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'@'
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, origin: Pos, depth: usize) -> Self {
        let line_starts = std::iter::once(0)
            .chain(src.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Self {
            src,
            bytes: src.as_bytes(),
            pos: 0,
            depth,
            origin,
            line_starts,
            last_position: Cell::new((0, 0, 1)),
            unsupported: Vec::new(),
        }
    }

    fn pos_at(&self, offset: usize) -> Pos {
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let (last_offset, last_line, last_column) = self.last_position.get();
        let (from, base) = if last_line == line && last_offset <= offset {
            (last_offset, last_column)
        } else {
            (self.line_starts.get(line).copied().unwrap_or(0), 1)
        };
        let column = base + self.src.get(from..offset).map_or(0, |s| s.chars().count()) as u32;
        self.last_position.set((offset, line, column));
        let line = line as u32;
        if line == 0 {
            Pos {
                line: self.origin.line,
                column: self.origin.column + column - 1,
            }
        } else {
            Pos {
                line: self.origin.line + line,
                column,
            }
        }
    }

    fn here(&self) -> Pos {
        self.pos_at(self.pos)
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn starts_with(&self, s: &str) -> bool {
        self.bytes[self.pos..].starts_with(s.as_bytes())
    }

    fn enter(&mut self) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_PARSE_DEPTH {
            return Err(VtlError::new(
                self.here(),
                ErrorKind::Limit,
                format!("template nests deeper than {MAX_PARSE_DEPTH} levels"),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    /// Statements up to `#end`, `#else`, `#elseif` or the end of input.
    fn block(&mut self) -> Result<(Vec<Node>, BlockEnd)> {
        self.enter()?;
        let result = self.block_inner();
        self.leave();
        result
    }

    fn block_inner(&mut self) -> Result<(Vec<Node>, BlockEnd)> {
        let mut nodes = Vec::new();
        let mut text = String::new();
        while let Some(b) = self.peek() {
            match b {
                b'$' => match self.reference()? {
                    Some(reference) => {
                        flush(&mut text, &mut nodes);
                        nodes.push(Node::Reference {
                            reference,
                            backslashes: 0,
                        });
                    }
                    None => {
                        text.push('$');
                        self.pos += 1;
                    }
                },
                b'\\' => self.backslashes(&mut text, &mut nodes)?,
                b'#' => {
                    if let Some(end) = self.hash(&mut text, &mut nodes)? {
                        flush(&mut text, &mut nodes);
                        return Ok((nodes, end));
                    }
                }
                _ => {
                    let start = self.pos;
                    while self
                        .peek()
                        .is_some_and(|b| !matches!(b, b'$' | b'#' | b'\\'))
                    {
                        self.pos += 1;
                    }
                    text.push_str(&self.src[start..self.pos]);
                }
            }
        }
        flush(&mut text, &mut nodes);
        Ok((nodes, BlockEnd::Eof))
    }

    /// A run of backslashes: escapes a following reference or directive (Velocity 1.7 rules).
    fn backslashes(&mut self, text: &mut String, nodes: &mut Vec<Node>) -> Result<()> {
        let start = self.pos;
        while self.peek() == Some(b'\\') {
            self.pos += 1;
        }
        let count = self.pos - start;
        match self.peek() {
            Some(b'$') => {
                if let Some(reference) = self.reference()? {
                    flush(text, nodes);
                    nodes.push(Node::Reference {
                        reference,
                        backslashes: count,
                    });
                } else {
                    text.push_str(&self.src[start..self.pos]);
                }
            }
            Some(b'#') => match self.directive_word(self.pos + 1) {
                Some((name, end)) if DIRECTIVES.contains(&name) => {
                    text.push_str(&"\\".repeat(count / 2));
                    if count % 2 == 1 {
                        text.push_str(&self.src[self.pos..end]);
                        self.pos = end;
                    }
                }
                _ => text.push_str(&self.src[start..self.pos]),
            },
            _ => text.push_str(&self.src[start..self.pos]),
        }
        Ok(())
    }

    /// `name` or `{name}` starting at `at`; returns the name and the offset after it.
    fn directive_word(&self, at: usize) -> Option<(&'a str, usize)> {
        let bracketed = self.bytes.get(at) == Some(&b'{');
        let start = if bracketed { at + 1 } else { at };
        let first = *self.bytes.get(start)?;
        if !(first.is_ascii_alphabetic() || first == b'_' || (!bracketed && first == b'@')) {
            return None;
        }
        let mut end = start + 1;
        while self.bytes.get(end).is_some_and(|&b| is_word_char(b)) {
            end += 1;
        }
        let name = &self.src[start..end];
        if bracketed {
            if self.bytes.get(end) != Some(&b'}') {
                return None;
            }
            end += 1;
        }
        Some((name, end))
    }

    /// Something starting with `#`: a comment, a directive, or plain text.
    fn hash(&mut self, text: &mut String, nodes: &mut Vec<Node>) -> Result<Option<BlockEnd>> {
        let start = self.pos;
        let start_pos = self.here();
        if self.starts_with("##") {
            flush(text, nodes);
            match self.src[self.pos..].find('\n') {
                Some(i) => self.pos += i + 1,
                None => self.pos = self.bytes.len(),
            }
            return Ok(None);
        }
        if self.starts_with("#*") {
            flush(text, nodes);
            match self.src[self.pos + 2..].find("*#") {
                Some(i) => self.pos += 2 + i + 2,
                None => return Err(syntax(start_pos, "unterminated #* comment")),
            }
            return Ok(None);
        }
        if self.starts_with("#[[") {
            match self.src[self.pos + 3..].find("]]#") {
                Some(i) => {
                    text.push_str(&self.src[self.pos + 3..self.pos + 3 + i]);
                    self.pos += 3 + i + 3;
                }
                None => return Err(syntax(start_pos, "unterminated #[[ text block")),
            }
            return Ok(None);
        }
        let Some((name, after)) = self.directive_word(start + 1) else {
            text.push('#');
            self.pos += 1;
            return Ok(None);
        };
        match name {
            "set" => {
                let mut paren = after;
                while self.bytes.get(paren) == Some(&b' ') {
                    paren += 1;
                }
                if self.bytes.get(paren) != Some(&b'(') {
                    return self.literal_directive(text, after);
                }
                // Velocity 1.7's #set token starts with the spaces and tabs before it, so it
                // swallows them when they begin a token: after another construct (a reference, a
                // directive, a comment) or at the start. After plain text on the same run they
                // belong to that text and stay (`2 - 1 = #set(...)` keeps its space).
                if text.bytes().all(|b| b == b' ' || b == b'\t') {
                    text.clear();
                }
                flush(text, nodes);
                self.pos = paren + 1;
                let node = self.set_body()?;
                nodes.push(node);
            }
            "if" => {
                self.pos = after;
                let condition = self.directive_condition("#if", start_pos)?;
                flush(text, nodes);
                let node = self.if_rest(condition, start_pos)?;
                nodes.push(node);
            }
            "elseif" => {
                self.pos = after;
                let condition = self.directive_condition("#elseif", start_pos)?;
                return Ok(Some(BlockEnd::ElseIf(condition, start_pos)));
            }
            "else" => {
                self.pos = after;
                self.gobble_newline();
                return Ok(Some(BlockEnd::Else(start_pos)));
            }
            "end" => {
                self.pos = after;
                self.gobble_newline();
                return Ok(Some(BlockEnd::End(start_pos)));
            }
            "foreach" => {
                let mut paren = after;
                while matches!(self.bytes.get(paren), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                    paren += 1;
                }
                if self.bytes.get(paren) != Some(&b'(') {
                    return self.literal_directive(text, after);
                }
                self.pos = paren + 1;
                flush(text, nodes);
                let node = self.foreach_rest(start_pos)?;
                nodes.push(node);
            }
            "break" => {
                self.pos = after;
                flush(text, nodes);
                let scope = self.break_scope()?;
                nodes.push(Node::Break(scope));
            }
            _ => {
                if UNSUPPORTED.contains(&name) {
                    self.unsupported.push(UnsupportedDirective {
                        name: name.to_string(),
                        line: start_pos.line,
                        column: start_pos.column,
                    });
                }
                return self.literal_directive(text, after);
            }
        }
        Ok(None)
    }

    /// `#word` that is not a directive here: plain text.
    fn literal_directive(&mut self, text: &mut String, after: usize) -> Result<Option<BlockEnd>> {
        text.push_str(&self.src[self.pos..after]);
        self.pos = after;
        Ok(None)
    }

    /// After `#break`: an optional `( $scope )`, as in `#break($foreach.parent)`.
    fn break_scope(&mut self) -> Result<Option<Expr>> {
        let mut paren = self.pos;
        while matches!(self.bytes.get(paren), Some(b' ' | b'\t')) {
            paren += 1;
        }
        if self.bytes.get(paren) != Some(&b'(') {
            return Ok(None);
        }
        self.pos = paren + 1;
        let scope = self.parameter()?;
        self.expect(b')', "to close #break")?;
        self.gobble_newline();
        Ok(Some(scope))
    }

    /// The directive's closing `)` eats trailing spaces/tabs and one newline.
    fn gobble_newline(&mut self) {
        let mut i = self.pos;
        while matches!(self.bytes.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        match self.bytes.get(i) {
            Some(b'\n') => self.pos = i + 1,
            Some(b'\r') => {
                self.pos = if self.bytes.get(i + 1) == Some(&b'\n') {
                    i + 2
                } else {
                    i + 1
                }
            }
            _ => {}
        }
    }

    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, byte: u8, context: &str) -> Result<()> {
        self.skip_ws();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(syntax(
                self.here(),
                format!("expected '{}' {context}", byte as char),
            ))
        }
    }

    /// `[ws] ( expr )` after `#if` / `#elseif`.
    fn directive_condition(&mut self, directive: &str, at: Pos) -> Result<Expr> {
        self.skip_ws();
        if self.peek() != Some(b'(') {
            return Err(syntax(at, format!("expected '(' after {directive}")));
        }
        self.pos += 1;
        let condition = self.expr()?;
        self.expect(b')', &format!("to close {directive}"))?;
        self.gobble_newline();
        Ok(condition)
    }

    fn if_rest(&mut self, condition: Expr, at: Pos) -> Result<Node> {
        let mut branches = Vec::new();
        let mut condition = condition;
        loop {
            let (body, end) = self.block()?;
            branches.push((condition, body));
            match end {
                BlockEnd::End(_) => {
                    return Ok(Node::If {
                        branches,
                        otherwise: None,
                    });
                }
                BlockEnd::ElseIf(next, _) => condition = next,
                BlockEnd::Else(_) => {
                    let (body, end) = self.block()?;
                    return match end {
                        BlockEnd::End(_) => Ok(Node::If {
                            branches,
                            otherwise: Some(body),
                        }),
                        BlockEnd::Eof => Err(missing_end("#if", at)),
                        BlockEnd::Else(pos) | BlockEnd::ElseIf(_, pos) => {
                            Err(syntax(pos, "#else or #elseif after #else"))
                        }
                    };
                }
                BlockEnd::Eof => return Err(missing_end("#if", at)),
            }
        }
    }

    /// After `#set(`: `$ref = expr )`.
    fn set_body(&mut self) -> Result<Node> {
        self.skip_ws();
        let target = match self.peek() {
            Some(b'$') => self.reference()?,
            _ => None,
        };
        let Some(target) = target else {
            return Err(syntax(self.here(), "expected a reference after #set("));
        };
        self.expect(b'=', "after the #set target")?;
        let value = self.expr()?;
        self.expect(b')', "to close #set")?;
        self.gobble_newline();
        Ok(Node::Set { target, value })
    }

    /// After `#foreach(`: `$var in list ) body #end`.
    fn foreach_rest(&mut self, at: Pos) -> Result<Node> {
        self.skip_ws();
        let variable = match self.peek() {
            Some(b'$') => self.reference()?,
            _ => None,
        };
        let variable = match variable {
            Some(r) if r.segments.is_empty() => r.root,
            _ => {
                return Err(syntax(
                    self.here(),
                    "expected a loop variable after #foreach(",
                ));
            }
        };
        self.skip_ws();
        if !self.operator_ahead("in") {
            return Err(syntax(self.here(), "expected 'in' in #foreach"));
        }
        self.pos += 2;
        let iterable = self.parameter()?;
        self.expect(b')', "to close #foreach")?;
        self.gobble_newline();
        let (body, end) = self.block()?;
        match end {
            BlockEnd::End(_) => Ok(Node::Foreach {
                variable,
                iterable,
                body,
                pos: at,
            }),
            BlockEnd::Eof => Err(missing_end("#foreach", at)),
            BlockEnd::Else(pos) | BlockEnd::ElseIf(_, pos) => {
                Err(syntax(pos, "#else or #elseif inside #foreach without #if"))
            }
        }
    }

    /// A reference at `$`, or `None` when the `$` does not start one (then it is text).
    fn reference(&mut self) -> Result<Option<Reference>> {
        let start = self.pos;
        let pos = self.here();
        let mut i = start + 1;
        let quiet = self.bytes.get(i) == Some(&b'!');
        if quiet {
            i += 1;
        }
        let formal = self.bytes.get(i) == Some(&b'{');
        if formal {
            i += 1;
        }
        if !self.bytes.get(i).is_some_and(|&b| is_ident_start(b)) {
            return Ok(None);
        }
        self.enter()?;
        self.pos = i;
        let result = self.reference_rest(start, pos, quiet, formal);
        self.leave();
        result.map(Some)
    }

    /// The reference after its `$`, `!` and `{`: name, then properties, methods and indexes.
    fn reference_rest(
        &mut self,
        start: usize,
        pos: Pos,
        quiet: bool,
        formal: bool,
    ) -> Result<Reference> {
        let root = self.identifier();
        let mut segments = Vec::new();
        loop {
            match self.peek() {
                Some(b'[') => {
                    self.pos += 1;
                    segments.push(Segment::Index(self.index_parameter()?));
                    self.expect(b']', "to close the index")?;
                }
                Some(b'.') if self.peek_at(1).is_some_and(|b| b.is_ascii_alphabetic()) => {
                    let method_pos = self.pos_at(self.pos + 1);
                    self.pos += 1;
                    let name = self.identifier();
                    if self.peek() != Some(b'(') {
                        segments.push(Segment::Property(name));
                        continue;
                    }
                    let paren = self.pos;
                    self.pos += 1;
                    match self.arguments() {
                        Ok(args) => segments.push(Segment::Method {
                            name,
                            args,
                            pos: method_pos,
                        }),
                        // Velocity 1.7 reads `$a.b(` with no valid argument list as the
                        // property `$a.b` followed by the text `(`.
                        Err(e) if e.kind() == ErrorKind::Syntax => {
                            self.pos = paren;
                            segments.push(Segment::Property(name));
                            break;
                        }
                        Err(e) => return Err(e),
                    }
                }
                _ => break,
            }
        }
        if formal {
            if self.peek() != Some(b'}') {
                return Err(syntax(self.here(), "expected '}' to close ${"));
            }
            self.pos += 1;
        }
        Ok(Reference {
            root,
            quiet,
            segments,
            source: self.src[start..self.pos].to_string(),
            pos,
        })
    }

    fn identifier(&mut self) -> String {
        let start = self.pos;
        while self.peek().is_some_and(is_ident_char) {
            self.pos += 1;
        }
        self.src[start..self.pos].to_string()
    }

    /// Method arguments after `(`, up to and including `)`.
    fn arguments(&mut self) -> Result<Vec<Expr>> {
        let mut args = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b')') {
            self.pos += 1;
            return Ok(args);
        }
        loop {
            args.push(self.parameter()?);
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b')') => {
                    self.pos += 1;
                    return Ok(args);
                }
                _ => {
                    return Err(syntax(
                        self.here(),
                        "expected ',' or ')' in method arguments",
                    ));
                }
            }
        }
    }

    /// Index contents: a string, integer, boolean or reference.
    fn index_parameter(&mut self) -> Result<Expr> {
        self.skip_ws();
        match self.peek() {
            Some(b'"' | b'\'' | b'$' | b'-' | b'0'..=b'9' | b't' | b'f') => self.parameter(),
            _ => Err(syntax(self.here(), "expected an index")),
        }
    }
}

fn missing_end(directive: &str, at: Pos) -> VtlError {
    syntax(
        at,
        format!("{directive} is missing its #end (reached the end of the template)"),
    )
}

fn flush(text: &mut String, nodes: &mut Vec<Node>) {
    if !text.is_empty() {
        nodes.push(Node::Text(std::mem::take(text)));
    }
}
