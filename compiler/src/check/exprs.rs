//! Typing expressions: fields and their phases, variables, functions, operators, literals.

use std::net::IpAddr;

use pxy_dsl::ast::{BinOp, Expr, ExprKind, Ident, StrPart};
use pxy_dsl::Span;

use super::suggest::closest;
use super::{Checker, Phase, Problem};
use crate::typed::{Field, Func, InterpPart, TypedExpr, TypedExprKind};
use crate::types::Type;

/// Every field of the request model, for "did you mean".
const FIELDS: &[&str] = &[
    "req.method",
    "req.path",
    "req.query",
    "req.host",
    "req.scheme",
    "req.headers",
    "resp.status",
    "resp.headers",
    "client.ip",
    "client.port",
];
const FUNCTIONS: &[&str] = &["request_id", "lower", "upper", "present"];

/// The type of a literal expression (used where only literals may appear).
pub(crate) fn literal_type(kind: &ExprKind) -> Type {
    match kind {
        ExprKind::Str(_) => Type::Str,
        ExprKind::Int(_) => Type::Int,
        ExprKind::Duration(_) => Type::Duration,
        ExprKind::Size(_) => Type::Size,
        ExprKind::Bool(_) => Type::Bool,
        ExprKind::Regex(_) => Type::Regex,
        ExprKind::Method(_) => Type::Method,
        ExprKind::Ip(_) => Type::Ip,
        ExprKind::Cidr(_) => Type::Cidr,
        _ => Type::Str,
    }
}

fn typed(kind: TypedExprKind, ty: Type) -> Option<TypedExpr> {
    Some(TypedExpr { kind, ty })
}

impl Checker<'_> {
    /// An expression of exactly type `want` (an `int` literal also serves as a `status`).
    pub(crate) fn expect(&mut self, expr: &Expr, want: &Type) -> Option<TypedExpr> {
        let e = self.expr(expr)?;
        if &e.ty == want {
            return Some(e);
        }
        if e.ty.is_optional() && e.ty.unwrapped() == want {
            self.problems.push(Problem::OptionalUsed {
                span: expr.span,
                ty: e.ty,
            });
            return None;
        }
        self.problems.push(Problem::TypeMismatch {
            span: expr.span,
            expected: want.to_string(),
            found: e.ty,
        });
        None
    }

    /// A `str` expression (interpolations of other scalar types are already `str`).
    pub(crate) fn expect_str(&mut self, expr: &Expr, _what: &str) -> Option<TypedExpr> {
        self.expect(expr, &Type::Str)
    }

    /// Types an expression, reporting what is wrong; `None` after a reported problem.
    pub(crate) fn expr(&mut self, expr: &Expr) -> Option<TypedExpr> {
        match &expr.kind {
            ExprKind::Str(parts) => self.string(parts),
            ExprKind::Int(n) => typed(TypedExprKind::Int(*n), Type::Int),
            ExprKind::Duration(ms) => typed(TypedExprKind::Duration(*ms), Type::Duration),
            ExprKind::Size(b) => typed(TypedExprKind::Size(*b), Type::Size),
            ExprKind::Bool(b) => typed(TypedExprKind::Bool(*b), Type::Bool),
            ExprKind::Method(m) => typed(TypedExprKind::Method(m.clone()), Type::Method),
            ExprKind::Regex(_) => {
                self.problems.push(Problem::TypeMismatch {
                    span: expr.span,
                    expected: "a value (a regex can only follow `matches`)".into(),
                    found: Type::Regex,
                });
                None
            }
            ExprKind::Ip(text) => match text.parse::<IpAddr>() {
                Ok(ip) => typed(TypedExprKind::Ip(ip), Type::Ip),
                Err(_) => self.invalid(
                    expr.span,
                    "IP address",
                    "each part of an IPv4 address is 0 to 255",
                ),
            },
            ExprKind::Cidr(text) => self.cidr(text, expr.span),
            ExprKind::Path(path) => self.path(path, expr.span),
            ExprKind::Index { base, key } => self.index(base, key, expr.span),
            ExprKind::Call { func, args } => self.call(func, args, expr.span),
            ExprKind::Not(inner) => {
                let inner = self.expect(inner, &Type::Bool)?;
                typed(TypedExprKind::Not(Box::new(inner)), Type::Bool)
            }
            ExprKind::Binary { op, lhs, rhs, .. } => self.binary(*op, lhs, rhs),
        }
    }

    fn invalid(&mut self, span: Span, what: &'static str, reason: &str) -> Option<TypedExpr> {
        self.problems.push(Problem::InvalidLiteral {
            span,
            what,
            reason: reason.to_string(),
        });
        None
    }

    fn cidr(&mut self, text: &str, span: Span) -> Option<TypedExpr> {
        let (addr, bits) = text.split_once('/')?;
        let Ok(ip) = addr.parse::<IpAddr>() else {
            return self.invalid(span, "CIDR", "the address part is not a valid IP address");
        };
        let max = if ip.is_ipv4() { 32 } else { 128 };
        match bits.parse::<u8>() {
            Ok(b) if b <= max => typed(TypedExprKind::Cidr(ip, b), Type::Cidr),
            _ => self.invalid(
                span,
                "CIDR",
                &format!("the prefix length must be 0 to {max}"),
            ),
        }
    }

    fn string(&mut self, parts: &[StrPart]) -> Option<TypedExpr> {
        if let [StrPart::Text(t)] = parts {
            return typed(TypedExprKind::Str(t.clone()), Type::Str);
        }
        if parts.is_empty() {
            return typed(TypedExprKind::Str(String::new()), Type::Str);
        }
        let mut out = Vec::new();
        let mut ok = true;
        for part in parts {
            match part {
                StrPart::Text(t) => out.push(InterpPart::Text(t.clone())),
                StrPart::Interp(e) => match self.expr(e) {
                    Some(v) if v.ty.is_optional() => {
                        self.problems.push(Problem::OptionalUsed {
                            span: e.span,
                            ty: v.ty,
                        });
                        ok = false;
                    }
                    Some(v) if matches!(v.ty, Type::Headers | Type::Regex) => {
                        self.problems.push(Problem::TypeMismatch {
                            span: e.span,
                            expected: "a value that can be written as text".into(),
                            found: v.ty,
                        });
                        ok = false;
                    }
                    Some(v) => out.push(InterpPart::Value(v)),
                    None => ok = false,
                },
            }
        }
        ok.then_some(TypedExpr {
            kind: TypedExprKind::Interp(out),
            ty: Type::Str,
        })
    }

    /// `req.path`, `client.ip`, or a `let` variable.
    fn path(&mut self, path: &[Ident], span: Span) -> Option<TypedExpr> {
        if let [single] = path {
            let found = self
                .scopes
                .iter()
                .rev()
                .flat_map(|s| s.iter().rev())
                .find(|(n, _, _)| *n == single.name);
            if let Some((_, var, ty)) = found {
                return typed(TypedExprKind::Var(*var), ty.clone());
            }
            let names: Vec<String> = self
                .scopes
                .iter()
                .flatten()
                .map(|(n, _, _)| n.clone())
                .collect();
            let suggestion = closest(
                &single.name,
                names
                    .iter()
                    .map(String::as_str)
                    .chain(["req", "resp", "client"]),
            );
            self.problems.push(Problem::UnknownName {
                span,
                name: single.name.clone(),
                suggestion,
            });
            return None;
        }
        let dotted: Vec<&str> = path.iter().map(|i| i.name.as_str()).collect();
        let (field, ty) = match dotted.as_slice() {
            ["req", "method"] => (Field::ReqMethod, Type::Method),
            ["req", "path"] => (Field::ReqPath, Type::Str),
            ["req", "query"] => (Field::ReqQuery, Type::optional(Type::Str)),
            ["req", "host"] => (Field::ReqHost, Type::optional(Type::Str)),
            ["req", "scheme"] => (Field::ReqScheme, Type::Str),
            ["resp", "status"] => (Field::RespStatus, Type::Status),
            ["client", "ip"] => (Field::ClientIp, Type::Ip),
            ["client", "port"] => (Field::ClientPort, Type::Int),
            ["req", "headers"] | ["resp", "headers"] => {
                // Only meaningful when indexed; `index` handles that case before coming here.
                self.problems.push(Problem::TypeMismatch {
                    span,
                    expected: format!("a single header, like `{}[\"x-id\"]`", dotted.join(".")),
                    found: Type::Headers,
                });
                return None;
            }
            _ => {
                let written = dotted.join(".");
                let suggestion = closest(&written, FIELDS.iter().copied());
                self.problems.push(Problem::UnknownField {
                    span,
                    path: written,
                    suggestion,
                });
                return None;
            }
        };
        if dotted[0] == "resp" && self.phase == Phase::Request {
            self.problems.push(Problem::FieldNotInPhase {
                span,
                field: dotted.join("."),
                phase: self.phase_name(),
                available: "on response",
            });
            return None;
        }
        Some(self.narrow(field, ty))
    }

    /// A field access, narrowed from `T?` to `T` inside `if present(field) { ... }`.
    fn narrow(&self, field: Field, ty: Type) -> TypedExpr {
        let access = TypedExpr {
            kind: TypedExprKind::Field(field.clone()),
            ty: ty.clone(),
        };
        if ty.is_optional() && self.present.contains(&field) {
            let inner = ty.unwrapped().clone();
            return TypedExpr {
                kind: TypedExprKind::Present(Box::new(access)),
                ty: inner,
            };
        }
        access
    }

    /// `req.headers["name"]` / `resp.headers["name"]`.
    fn index(&mut self, base: &Expr, key: &Expr, span: Span) -> Option<TypedExpr> {
        let ExprKind::Path(path) = &base.kind else {
            let found = self.expr(base)?.ty;
            self.problems.push(Problem::TypeMismatch {
                span: base.span,
                expected: "headers".into(),
                found,
            });
            return None;
        };
        let dotted: Vec<&str> = path.iter().map(|i| i.name.as_str()).collect();
        let response = match dotted.as_slice() {
            ["req", "headers"] => false,
            ["resp", "headers"] => true,
            _ => {
                let found = self.expr(base)?.ty;
                self.problems.push(Problem::TypeMismatch {
                    span: base.span,
                    expected: "headers".into(),
                    found,
                });
                return None;
            }
        };
        if response && self.phase == Phase::Request {
            self.problems.push(Problem::FieldNotInPhase {
                span,
                field: "resp.headers".into(),
                phase: self.phase_name(),
                available: "on response",
            });
            return None;
        }
        let name = self.literal_header_name(key)?;
        let field = if response {
            Field::RespHeader(name)
        } else {
            Field::ReqHeader(name)
        };
        Some(self.narrow(field, Type::optional(Type::Str)))
    }

    fn call(&mut self, func: &Ident, args: &[Expr], span: Span) -> Option<TypedExpr> {
        let (f, arity) = match func.name.as_str() {
            "request_id" => (Func::RequestId, 0),
            "lower" => (Func::Lower, 1),
            "upper" => (Func::Upper, 1),
            "present" => (Func::Present, 1),
            other => {
                let suggestion = closest(other, FUNCTIONS.iter().copied());
                self.problems.push(Problem::UnknownFunction {
                    span: func.span,
                    name: other.to_string(),
                    suggestion,
                });
                return None;
            }
        };
        if args.len() != arity {
            self.problems.push(Problem::Arity {
                span,
                name: func.name.clone(),
                expected: arity,
                given: args.len(),
            });
            return None;
        }
        match f {
            Func::RequestId => typed(TypedExprKind::Call(f, Vec::new()), Type::Str),
            Func::Lower | Func::Upper => {
                let arg = self.expect(&args[0], &Type::Str)?;
                typed(TypedExprKind::Call(f, vec![arg]), Type::Str)
            }
            Func::Present => {
                let arg = self.expr(&args[0])?;
                typed(TypedExprKind::Call(f, vec![arg]), Type::Bool)
            }
        }
    }

    fn binary(&mut self, op: BinOp, lhs: &Expr, rhs: &Expr) -> Option<TypedExpr> {
        let bool_ = |l: TypedExpr, r: TypedExpr| {
            typed(
                TypedExprKind::Binary(op, Box::new(l), Box::new(r)),
                Type::Bool,
            )
        };
        match op {
            BinOp::And | BinOp::Or => {
                let l = self.expect(lhs, &Type::Bool);
                let r = self.expect(rhs, &Type::Bool);
                bool_(l?, r?)
            }
            BinOp::StartsWith | BinOp::EndsWith | BinOp::Contains => {
                let l = self.expect(lhs, &Type::Str);
                let r = self.expect(rhs, &Type::Str);
                bool_(l?, r?)
            }
            BinOp::Matches => {
                let l = self.expect(lhs, &Type::Str);
                let ExprKind::Regex(source) = &rhs.kind else {
                    let found = self.expr(rhs)?.ty;
                    self.problems.push(Problem::TypeMismatch {
                        span: rhs.span,
                        expected: "a regex literal like `/^\\/api/`".into(),
                        found,
                    });
                    return None;
                };
                let id = self.regex(source, rhs.span)?;
                typed(TypedExprKind::Matches(Box::new(l?), id), Type::Bool)
            }
            BinOp::In => {
                let l = self.expect(lhs, &Type::Ip);
                let ExprKind::Cidr(_) = &rhs.kind else {
                    let found = self.expr(rhs)?.ty;
                    self.problems.push(Problem::TypeMismatch {
                        span: rhs.span,
                        expected: "a CIDR literal like `10.0.0.0/8`".into(),
                        found,
                    });
                    return None;
                };
                let r = self.expr(rhs);
                bool_(l?, r?)
            }
            BinOp::Coalesce => {
                let l = self.expr(lhs)?;
                let want = l.ty.unwrapped().clone();
                let r = self.expect(rhs, &want)?;
                typed(TypedExprKind::Binary(op, Box::new(l), Box::new(r)), want)
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let l = self.expr(lhs);
                let r = self.expr(rhs);
                let (l, r) = (l?, r?);
                let (lt, rt) = (l.ty.unwrapped(), r.ty.unwrapped());
                let same = lt == rt
                    || matches!(
                        (lt, rt),
                        (Type::Status, Type::Int) | (Type::Int, Type::Status)
                    );
                if !same {
                    self.problems.push(Problem::TypeMismatch {
                        span: rhs.span,
                        expected: lt.to_string(),
                        found: r.ty,
                    });
                    return None;
                }
                let ordered = matches!(lt, Type::Int | Type::Status | Type::Duration | Type::Size);
                if !matches!(op, BinOp::Eq | BinOp::Ne) {
                    if !ordered {
                        self.problems.push(Problem::TypeMismatch {
                            span: lhs.span,
                            expected: "a number, duration, size or status".into(),
                            found: l.ty,
                        });
                        return None;
                    }
                    for (side, e) in [(lhs, &l), (rhs, &r)] {
                        if e.ty.is_optional() {
                            self.problems.push(Problem::OptionalUsed {
                                span: side.span,
                                ty: e.ty.clone(),
                            });
                            return None;
                        }
                    }
                }
                if let (TypedExprKind::Int(n), Type::Status) | (TypedExprKind::Int(n), Type::Int) =
                    (&r.kind, lt)
                {
                    if *lt == Type::Status && !(100..=599).contains(n) {
                        self.problems.push(Problem::InvalidStatus {
                            span: rhs.span,
                            value: *n,
                            allowed: "100 to 599",
                        });
                        return None;
                    }
                }
                bool_(l, r)
            }
        }
    }

    /// Compiles a regex to validate it (the same engine the runtime uses) and registers it.
    pub(crate) fn regex(&mut self, source: &str, span: Span) -> Option<usize> {
        match regex::Regex::new(source) {
            Ok(_) => Some(self.regex_id(source)),
            Err(e) => {
                let reason = match e {
                    regex::Error::Syntax(msg) => msg
                        .lines()
                        .last()
                        .unwrap_or_default()
                        .trim_start_matches("error: ")
                        .to_string(),
                    other => other.to_string(),
                };
                self.problems.push(Problem::InvalidRegex { span, reason });
                None
            }
        }
    }
}
