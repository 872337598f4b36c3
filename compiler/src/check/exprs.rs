//! Typing expressions: fields and their phases, variables, functions, operators, literals.

use std::net::IpAddr;

use pxy_dsl::ast::{BinOp, Expr, ExprKind, Ident, StrPart};
use pxy_dsl::Span;

use super::suggest::closest;
use super::{Checker, Phase, Problem};
use crate::typed::{Field, Func, InterpPart, TypedExpr, TypedExprKind};
use crate::types::Type;

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

/// The value of a comparison between two literals, which never depends on the request.
fn constant_comparison(op: BinOp, l: &TypedExpr, r: &TypedExpr) -> Option<bool> {
    use std::cmp::Ordering;
    let ordering = match (&l.kind, &r.kind) {
        (TypedExprKind::Int(a), TypedExprKind::Int(b))
        | (TypedExprKind::Duration(a), TypedExprKind::Duration(b))
        | (TypedExprKind::Size(a), TypedExprKind::Size(b)) => a.cmp(b),
        (TypedExprKind::Str(a), TypedExprKind::Str(b))
        | (TypedExprKind::Method(a), TypedExprKind::Method(b)) => {
            if a == b {
                Ordering::Equal
            } else {
                Ordering::Less
            }
        }
        (TypedExprKind::Bool(a), TypedExprKind::Bool(b)) => {
            if a == b {
                Ordering::Equal
            } else {
                Ordering::Less
            }
        }
        _ => return None,
    };
    Some(match op {
        BinOp::Eq => ordering == Ordering::Equal,
        BinOp::Ne => ordering != Ordering::Equal,
        BinOp::Lt => ordering == Ordering::Less,
        BinOp::Le => ordering != Ordering::Greater,
        BinOp::Gt => ordering == Ordering::Greater,
        _ => ordering != Ordering::Less,
    })
}

/// Types with one value that can be compared and written as text.
fn is_scalar(ty: &Type) -> bool {
    matches!(
        ty,
        Type::Bool
            | Type::Int
            | Type::Str
            | Type::Duration
            | Type::Size
            | Type::Ip
            | Type::Method
            | Type::Status
    )
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
            ExprKind::List(items) => self.list(items, expr.span),
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
                    Some(v) if !is_scalar(&v.ty) => {
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
                let (var, ty) = (*var, ty.clone());
                if let Some(entry) = self.let_uses.get_mut(&var) {
                    entry.2 = true;
                }
                return typed(TypedExprKind::Var(var), ty);
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
                    .chain(["req", "resp", "client", "tls"]),
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
            ["resp", "status"] if self.phase == Phase::Log => (Field::SentStatus, Type::Status),
            ["req", "upgrade"] => (Field::ReqUpgrade, Type::optional(Type::Str)),
            ["resp", "status"] => (Field::RespStatus, Type::Status),
            ["upstream", "name"] => (Field::UpstreamName, Type::optional(Type::Str)),
            ["upstream", "addr"] => (Field::UpstreamAddr, Type::optional(Type::Str)),
            ["client", "ip"] => (Field::ClientIp, Type::Ip),
            ["client", "port"] => (Field::ClientPort, Type::Int),
            ["error", "status"] => (Field::ErrorStatus, Type::Status),
            ["error", "kind"] => (Field::ErrorKind, Type::Str),
            ["tls", "sni"] => (Field::TlsSni, Type::optional(Type::Str)),
            ["tls", "version"] => (Field::TlsVersion, Type::optional(Type::Str)),
            ["tls", "client_subject"] => (Field::TlsClientSubject, Type::optional(Type::Str)),
            ["req", "headers"] | ["resp", "headers"] | ["req", "cookies"] => {
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
                let fields: Vec<String> = crate::catalog::FIELDS
                    .iter()
                    .map(|f| format!("{}.{}", f.object, f.name))
                    .collect();
                let suggestion = closest(&written, fields.iter().map(String::as_str));
                self.problems.push(Problem::UnknownField {
                    span,
                    path: written,
                    suggestion,
                });
                return None;
            }
        };
        let available = match dotted[0] {
            "resp" if !matches!(self.phase, Phase::Response | Phase::Log) => {
                Some("on response or on log")
            }
            "error" if self.phase != Phase::Error => Some("on error"),
            "upstream" if self.phase == Phase::Request => Some("on response, on error or on log"),
            _ => None,
        };
        if let Some(available) = available {
            self.problems.push(Problem::FieldNotInPhase {
                span,
                field: dotted.join("."),
                phase: self.phase_name(),
                available,
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
        let dotted: Vec<&str> = match &base.kind {
            ExprKind::Path(path) => path.iter().map(|i| i.name.as_str()).collect(),
            _ => Vec::new(),
        };
        let response = match dotted.as_slice() {
            ["req", "headers"] => false,
            ["resp", "headers"] => true,
            ["req", "query"] | ["req", "cookies"] => {
                let name = self.literal_key(key)?;
                let field = if dotted[1] == "query" {
                    Field::QueryParam(name)
                } else {
                    Field::Cookie(name)
                };
                return Some(self.narrow(field, Type::optional(Type::Str)));
            }
            _ => return self.index_value(base, key),
        };
        if response && self.phase != Phase::Response {
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

    /// Indexing a value: capture groups (`m[1]`) or the pieces of `split(...)` (`[0]`).
    fn index_value(&mut self, base: &Expr, key: &Expr) -> Option<TypedExpr> {
        let base_typed = self.expr(base)?;
        match &base_typed.ty {
            Type::Captures => self.capture_ref(&base_typed, key),
            Type::List(inner) if matches!(base_typed.kind, TypedExprKind::Call(Func::Split, _)) => {
                let inner = (**inner).clone();
                let ExprKind::Int(n) = key.kind else {
                    let found = self.expr(key)?.ty;
                    self.problems.push(Problem::TypeMismatch {
                        span: key.span,
                        expected: "a number literal (a position in the list)".into(),
                        found,
                    });
                    return None;
                };
                let n = usize::try_from(n).unwrap_or(usize::MAX);
                typed(
                    TypedExprKind::ListIndex(Box::new(base_typed), n),
                    Type::optional(inner),
                )
            }
            found => {
                self.problems.push(Problem::TypeMismatch {
                    span: base.span,
                    expected: "headers, captures or split(...)".into(),
                    found: found.clone(),
                });
                None
            }
        }
    }

    /// A string literal key (`req.query["page"]`).
    fn literal_key(&mut self, key: &Expr) -> Option<String> {
        match &key.kind {
            ExprKind::Str(parts) => match parts.as_slice() {
                [] => Some(String::new()),
                [StrPart::Text(t)] => Some(t.clone()),
                _ => {
                    self.problems
                        .push(Problem::KeyNotLiteral { span: key.span });
                    None
                }
            },
            _ => {
                self.problems
                    .push(Problem::KeyNotLiteral { span: key.span });
                None
            }
        }
    }

    /// `m[1]` or `m["name"]` for captures `m`: the variable holding that group's text.
    fn capture_ref(&mut self, base: &TypedExpr, key: &Expr) -> Option<TypedExpr> {
        let TypedExprKind::Var(scope) = base.kind else {
            return None;
        };
        let cs = &self.capture_scopes[scope];
        if cs.poisoned {
            return None;
        }
        let group = match &key.kind {
            ExprKind::Int(n) => usize::try_from(*n).ok().filter(|n| *n <= cs.groups),
            ExprKind::Str(parts) => match parts.as_slice() {
                [StrPart::Text(name)] => cs
                    .names
                    .iter()
                    .position(|n| n.as_deref() == Some(name.as_str())),
                _ => None,
            },
            _ => None,
        };
        let Some(group) = group else {
            let names = cs.names.iter().flatten().cloned().collect();
            let available = cs.groups;
            self.problems.push(Problem::CaptureOutOfRange {
                span: key.span,
                group: self.text(key.span),
                available,
                names,
            });
            return None;
        };
        let existing = self.capture_scopes[scope]
            .used
            .iter()
            .find(|(g, _)| *g == group)
            .map(|(_, v)| *v);
        let var = match existing {
            Some(v) => v,
            None => {
                let v = self.new_variable();
                self.capture_scopes[scope].used.push((group, v));
                v
            }
        };
        typed(TypedExprKind::Var(var), Type::Str)
    }

    /// `[a, b]`: literal elements of one type.
    fn list(&mut self, items: &[Expr], span: Span) -> Option<TypedExpr> {
        let mut typed_items = Vec::new();
        let mut element: Option<Type> = None;
        for item in items {
            let is_literal = matches!(
                item.kind,
                ExprKind::Str(_)
                    | ExprKind::Int(_)
                    | ExprKind::Method(_)
                    | ExprKind::Cidr(_)
                    | ExprKind::Ip(_)
                    | ExprKind::Bool(_)
            ) && !matches!(&item.kind, ExprKind::Str(p) if p.iter().any(|x| matches!(x, StrPart::Interp(_))));
            let t = self.expr(item)?;
            if !is_literal {
                self.problems.push(Problem::TypeMismatch {
                    span: item.span,
                    expected: "a literal (lists hold values known at compile time)".into(),
                    found: t.ty,
                });
                return None;
            }
            match &element {
                Some(e) if *e != t.ty => {
                    self.problems.push(Problem::TypeMismatch {
                        span: item.span,
                        expected: e.to_string(),
                        found: t.ty,
                    });
                    return None;
                }
                None => element = Some(t.ty.clone()),
                _ => {}
            }
            typed_items.push(t);
        }
        let Some(element) = element else {
            self.problems.push(Problem::InvalidLiteral {
                span,
                what: "list",
                reason: "a list needs at least one element".into(),
            });
            return None;
        };
        typed(
            TypedExprKind::List(typed_items),
            Type::List(Box::new(element)),
        )
    }

    fn call(&mut self, func: &Ident, args: &[Expr], span: Span) -> Option<TypedExpr> {
        let (f, arity) = match func.name.as_str() {
            "request_id" => (Func::RequestId, 0),
            "lower" => (Func::Lower, 1),
            "upper" => (Func::Upper, 1),
            "present" => (Func::Present, 1),
            "replace" => (Func::Replace, 3),
            "url_encode" => (Func::UrlEncode, 1),
            "url_decode" => (Func::UrlDecode, 1),
            "base64_encode" => (Func::Base64Encode, 1),
            "base64_decode" => (Func::Base64Decode, 1),
            "now" => (Func::Now, 0),
            "hash" => (Func::Hash, 1),
            "split" => (Func::Split, 2),
            other => {
                let suggestion = closest(other, crate::catalog::FUNCTIONS.iter().map(|f| f.name));
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
            Func::Lower | Func::Upper | Func::UrlEncode | Func::UrlDecode | Func::Base64Encode => {
                let arg = self.expect(&args[0], &Type::Str)?;
                typed(TypedExprKind::Call(f, vec![arg]), Type::Str)
            }
            Func::Base64Decode => {
                let arg = self.expect(&args[0], &Type::Str)?;
                typed(TypedExprKind::Call(f, vec![arg]), Type::optional(Type::Str))
            }
            Func::Hash => {
                let arg = self.expect(&args[0], &Type::Str)?;
                typed(TypedExprKind::Call(f, vec![arg]), Type::Int)
            }
            Func::Now => typed(TypedExprKind::Call(f, Vec::new()), Type::Int),
            Func::Replace | Func::Split => {
                let typed_args: Vec<_> = args.iter().map(|a| self.expect(a, &Type::Str)).collect();
                let typed_args: Option<Vec<_>> = typed_args.into_iter().collect();
                let ty = if f == Func::Split {
                    Type::List(Box::new(Type::Str))
                } else {
                    Type::Str
                };
                typed(TypedExprKind::Call(f, typed_args?), ty)
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
            BinOp::Mod => {
                let l = self.expect(lhs, &Type::Int);
                let r = self.expect(rhs, &Type::Int);
                if matches!(rhs.kind, ExprKind::Int(0)) {
                    self.problems.push(Problem::InvalidLiteral {
                        span: rhs.span,
                        what: "divisor",
                        reason: "`% 0` has no value".into(),
                    });
                    return None;
                }
                typed(
                    TypedExprKind::Binary(op, Box::new(l?), Box::new(r?)),
                    Type::Int,
                )
            }
            BinOp::In if matches!(rhs.kind, ExprKind::List(_)) => {
                let l = self.expr(lhs);
                let r = self.expr(rhs);
                let (l, r) = (l?, r?);
                let (Type::List(element), TypedExprKind::List(items)) = (&r.ty, r.kind) else {
                    return None;
                };
                let lt = l.ty.unwrapped().clone();
                let fits = **element == lt || (lt == Type::Ip && **element == Type::Cidr);
                if !fits {
                    self.problems.push(Problem::TypeMismatch {
                        span: rhs.span,
                        expected: format!("a list of {lt}"),
                        found: Type::List(element.clone()),
                    });
                    return None;
                }
                if l.ty.is_optional() && lt != Type::Str {
                    self.problems.push(Problem::OptionalUsed {
                        span: lhs.span,
                        ty: l.ty,
                    });
                    return None;
                }
                typed(TypedExprKind::InList(Box::new(l), items), Type::Bool)
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
                if want != Type::Str {
                    self.problems.push(Problem::TypeMismatch {
                        span: lhs.span,
                        expected:
                            "an optional str (`??` gives a default to a value that may be absent)"
                                .into(),
                        found: l.ty,
                    });
                    return None;
                }
                let r = self.expect(rhs, &want)?;
                typed(TypedExprKind::Binary(op, Box::new(l), Box::new(r)), want)
            }
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let l = self.expr(lhs);
                let r = self.expr(rhs);
                let (l, r) = (l?, r?);
                let (lt, rt) = (l.ty.unwrapped(), r.ty.unwrapped());
                if !is_scalar(lt) {
                    self.problems.push(Problem::TypeMismatch {
                        span: lhs.span,
                        expected: "a value that can be compared".into(),
                        found: l.ty,
                    });
                    return None;
                }
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
                if let Some(value) = constant_comparison(op, &l, &r) {
                    self.problems.push(Problem::ConstantComparison {
                        span: lhs.span.to(rhs.span),
                        value,
                    });
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
