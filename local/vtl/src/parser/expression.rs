//! Expressions inside directives: operators by precedence (Velocity 1.7's grammar), and the
//! "parameters" (literals, lists, maps, ranges, references) they are built from.

use super::{BlockEnd, Parser, Result, is_word_char, syntax};
use crate::ast::{BinaryOp, Expr, ExprKind};
use crate::error::Pos;

impl Parser<'_> {
    pub(super) fn expr(&mut self) -> Result<Expr> {
        self.enter()?;
        let result = self.or_expr();
        self.leave();
        result
    }

    fn binary_level(
        &mut self,
        operand: fn(&mut Self) -> Result<Expr>,
        operators: &[(&str, BinaryOp)],
    ) -> Result<Expr> {
        let first = operand(self)?;
        let mut rest = Vec::new();
        loop {
            self.skip_ws();
            let pos = self.here();
            let Some(op) = operators
                .iter()
                .find(|(token, _)| self.operator_ahead(token))
                .map(|&(token, op)| {
                    self.pos += token.len();
                    op
                })
            else {
                break;
            };
            rest.push((op, pos, operand(self)?));
        }
        if rest.is_empty() {
            return Ok(first);
        }
        let pos = first.pos;
        Ok(Expr {
            kind: ExprKind::Chain(Box::new(first), rest),
            pos,
        })
    }

    /// Symbolic operators match as written; word operators need a word boundary.
    pub(super) fn operator_ahead(&self, token: &str) -> bool {
        if !self.starts_with(token) {
            return false;
        }
        let next = self.peek_at(token.len());
        if token.as_bytes()[0].is_ascii_alphabetic() {
            !next.is_some_and(is_word_char)
        } else if token == "!" || token == "=" || token == "<" || token == ">" {
            next != Some(b'=')
        } else {
            true
        }
    }

    fn or_expr(&mut self) -> Result<Expr> {
        self.binary_level(
            Self::and_expr,
            &[("||", BinaryOp::Or), ("or", BinaryOp::Or)],
        )
    }

    fn and_expr(&mut self) -> Result<Expr> {
        self.binary_level(
            Self::equality_expr,
            &[("&&", BinaryOp::And), ("and", BinaryOp::And)],
        )
    }

    fn equality_expr(&mut self) -> Result<Expr> {
        self.binary_level(
            Self::relational_expr,
            &[
                ("==", BinaryOp::Eq),
                ("eq", BinaryOp::Eq),
                ("!=", BinaryOp::Ne),
                ("ne", BinaryOp::Ne),
            ],
        )
    }

    fn relational_expr(&mut self) -> Result<Expr> {
        self.binary_level(
            Self::additive_expr,
            &[
                ("<=", BinaryOp::Le),
                ("le", BinaryOp::Le),
                (">=", BinaryOp::Ge),
                ("ge", BinaryOp::Ge),
                ("<", BinaryOp::Lt),
                ("lt", BinaryOp::Lt),
                (">", BinaryOp::Gt),
                ("gt", BinaryOp::Gt),
            ],
        )
    }

    fn additive_expr(&mut self) -> Result<Expr> {
        self.binary_level(
            Self::multiplicative_expr,
            &[("+", BinaryOp::Add), ("-", BinaryOp::Sub)],
        )
    }

    fn multiplicative_expr(&mut self) -> Result<Expr> {
        self.binary_level(
            Self::unary_expr,
            &[
                ("*", BinaryOp::Mul),
                ("/", BinaryOp::Div),
                ("%", BinaryOp::Mod),
            ],
        )
    }

    fn unary_expr(&mut self) -> Result<Expr> {
        self.skip_ws();
        let pos = self.here();
        let negation = if self.operator_ahead("!") {
            1
        } else if self.operator_ahead("not") {
            3
        } else {
            0
        };
        if negation == 0 {
            return self.primary();
        }
        self.pos += negation;
        self.enter()?;
        let operand = self.unary_expr();
        self.leave();
        Ok(Expr {
            kind: ExprKind::Not(Box::new(operand?)),
            pos,
        })
    }

    fn primary(&mut self) -> Result<Expr> {
        self.skip_ws();
        if self.peek() == Some(b'(') {
            self.pos += 1;
            let inner = self.expr()?;
            self.expect(b')', "to close the parenthesis")?;
            return Ok(inner);
        }
        self.parameter()
    }

    /// A literal, list, map, range or reference (Velocity's `Parameter`).
    pub(super) fn parameter(&mut self) -> Result<Expr> {
        self.skip_ws();
        self.enter()?;
        let result = self.parameter_inner();
        self.leave();
        result
    }

    fn parameter_inner(&mut self) -> Result<Expr> {
        let pos = self.here();
        let kind = match self.peek() {
            Some(quote @ (b'"' | b'\'')) => self.string_literal(quote)?,
            Some(b'$') => match self.reference()? {
                Some(reference) => ExprKind::Reference(reference),
                None => return Err(syntax(pos, "expected a reference after '$'")),
            },
            Some(b'[') => {
                self.pos += 1;
                self.list_or_range()?
            }
            Some(b'{') => {
                self.pos += 1;
                self.map_literal()?
            }
            Some(b'0'..=b'9' | b'-' | b'.') => self.number()?,
            _ if self.operator_ahead("true") => {
                self.pos += 4;
                ExprKind::Bool(true)
            }
            _ if self.operator_ahead("false") => {
                self.pos += 5;
                ExprKind::Bool(false)
            }
            _ => return Err(syntax(pos, "expected an expression")),
        };
        Ok(Expr { kind, pos })
    }

    fn list_or_range(&mut self) -> Result<ExprKind> {
        self.skip_ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(ExprKind::List(Vec::new()));
        }
        let first = self.parameter()?;
        self.skip_ws();
        if self.starts_with("..") {
            self.pos += 2;
            let last = self.parameter()?;
            self.expect(b']', "to close the range")?;
            return Ok(ExprKind::Range(Box::new(first), Box::new(last)));
        }
        let mut items = vec![first];
        loop {
            self.skip_ws();
            match self.peek() {
                Some(b',') => {
                    self.pos += 1;
                    items.push(self.parameter()?);
                }
                Some(b']') => {
                    self.pos += 1;
                    return Ok(ExprKind::List(items));
                }
                _ => return Err(syntax(self.here(), "expected ',' or ']' in the list")),
            }
        }
    }

    fn map_literal(&mut self) -> Result<ExprKind> {
        let mut entries = Vec::new();
        self.skip_ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(ExprKind::Map(entries));
        }
        loop {
            let key = self.parameter()?;
            self.expect(b':', "between a map key and its value")?;
            let value = self.parameter()?;
            entries.push((key, value));
            self.skip_ws();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(b'}') => {
                    self.pos += 1;
                    return Ok(ExprKind::Map(entries));
                }
                _ => return Err(syntax(self.here(), "expected ',' or '}' in the map")),
            }
        }
    }

    /// Integer (`-?[0-9]+`) or floating point literal; `1..3` is an integer then `..`.
    fn number(&mut self) -> Result<ExprKind> {
        let start = self.pos;
        let pos = self.here();
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        let digits_start = self.pos;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.pos += 1;
        }
        let has_int_digits = self.pos > digits_start;
        let mut is_float = false;
        if self.peek() == Some(b'.') && self.peek_at(1) != Some(b'.') {
            let after_dot = self.peek_at(1).is_some_and(|b| b.is_ascii_digit());
            if has_int_digits || after_dot {
                is_float = true;
                self.pos += 1;
                while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    self.pos += 1;
                }
            }
        }
        if !has_int_digits && !is_float {
            return Err(syntax(pos, "expected an expression"));
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            let mut i = self.pos + 1;
            if matches!(self.bytes.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if self.bytes.get(i).is_some_and(|b| b.is_ascii_digit()) {
                is_float = true;
                self.pos = i;
                while self.peek().is_some_and(|b| b.is_ascii_digit()) {
                    self.pos += 1;
                }
            }
        }
        let literal = &self.src[start..self.pos];
        if is_float {
            literal
                .parse::<f64>()
                .map(ExprKind::Float)
                .map_err(|_| syntax(pos, "invalid number"))
        } else {
            literal
                .parse::<i64>()
                .map(ExprKind::Int)
                .map_err(|_| syntax(pos, "integer literal out of range"))
        }
    }

    /// `"..."` (interpolated when it holds `$` or `#`) or `'...'` (verbatim).
    /// A doubled quote stands for one quote; `\uXXXX` is unescaped (as Velocity 1.7 does).
    pub(super) fn string_literal(&mut self, quote: u8) -> Result<ExprKind> {
        let pos = self.here();
        self.pos += 1;
        let mut raw = String::new();
        loop {
            let start = self.pos;
            while self.peek().is_some_and(|b| b != quote) {
                self.pos += 1;
            }
            raw.push_str(&self.src[start..self.pos]);
            if self.peek().is_none() {
                return Err(syntax(pos, "unterminated string literal"));
            }
            self.pos += 1;
            if self.peek() == Some(quote) {
                raw.push(quote as char);
                self.pos += 1;
            } else {
                break;
            }
        }
        let content = unescape_unicode(&raw);
        if quote == b'"' && (content.contains('$') || content.contains('#')) {
            let inner_origin = Pos {
                line: pos.line,
                column: pos.column + 1,
            };
            let mut inner = Parser::new(&content, inner_origin, self.depth);
            let (nodes, end) = inner.block()?;
            self.unsupported.append(&mut inner.unsupported);
            return match end {
                BlockEnd::Eof => Ok(ExprKind::Interpolated(nodes)),
                BlockEnd::End(p) | BlockEnd::Else(p) | BlockEnd::ElseIf(_, p) => {
                    Err(syntax(p, "unbalanced directive inside a string literal"))
                }
            };
        }
        Ok(ExprKind::Str(content))
    }
}

/// Replaces `\uXXXX` escapes (Java's unicode escapes) with the character.
fn unescape_unicode(raw: &str) -> String {
    if !raw.contains("\\u") {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut units: Vec<u16> = Vec::new();
    let mut rest = raw;
    while let Some(i) = rest.find("\\u") {
        let hex = rest.get(i + 2..i + 6);
        match hex.and_then(|h| {
            h.bytes()
                .all(|b| b.is_ascii_hexdigit())
                .then(|| u16::from_str_radix(h, 16).ok())
                .flatten()
        }) {
            Some(unit) => {
                if i > 0 {
                    out.push_str(&String::from_utf16_lossy(&units));
                    units.clear();
                    out.push_str(&rest[..i]);
                }
                units.push(unit);
                rest = &rest[i + 6..];
            }
            None => {
                out.push_str(&String::from_utf16_lossy(&units));
                units.clear();
                out.push_str(&rest[..i + 2]);
                rest = &rest[i + 2..];
            }
        }
    }
    out.push_str(&String::from_utf16_lossy(&units));
    out.push_str(rest);
    out
}
