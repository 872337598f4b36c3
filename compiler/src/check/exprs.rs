//! Typing expressions: fields and their phases, variables, functions, operators, literals.

use std::net::IpAddr;

use pxy_dsl::ast::{BinOp, Expr, ExprKind, Ident, StrPart};
use pxy_dsl::Span;

use super::error::{Expected, Malformed, StatusRange};
use super::suggest::closest;
use super::{CheckError, Checker};
use crate::catalog::fields::Keyed;
use crate::catalog::functions::Param;
use crate::typed::{Field, Func, InterpPart, Side, TypedExpr, TypedExprKind};
use crate::types::Type;

/// The type of a literal expression (used where only literals may appear).
pub(crate) fn literal_type(kind: &ExprKind) -> Type {
    match kind {
        // Not literals: where only literals may appear, they read as words (`tls on`).
        ExprKind::Path(_)
        | ExprKind::Index { .. }
        | ExprKind::List(_)
        | ExprKind::Call { .. }
        | ExprKind::Not(_)
        | ExprKind::Binary { .. } => Type::Str,
        ExprKind::Str(_) => Type::Str,
        ExprKind::Int(_) => Type::Int,
        ExprKind::Duration(_) => Type::Duration,
        ExprKind::Size(_) => Type::Size,
        ExprKind::Bool(_) => Type::Bool,
        ExprKind::Regex(_) => Type::Regex,
        ExprKind::Method(_) => Type::Method,
        ExprKind::Ip(_) => Type::Ip,
        ExprKind::Cidr(_) => Type::Cidr,
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
        BinOp::Ge => ordering != Ordering::Less,
        BinOp::Or
        | BinOp::And
        | BinOp::Coalesce
        | BinOp::StartsWith
        | BinOp::EndsWith
        | BinOp::Contains
        | BinOp::Matches
        | BinOp::In
        | BinOp::Mod => return None,
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

/// A typed expression; [`Checker::expr`] gives it the span of the expression it types.
fn typed(kind: TypedExprKind, ty: Type) -> Option<TypedExpr> {
    Some(TypedExpr {
        kind,
        ty,
        span: Span::default(),
    })
}

impl Checker<'_> {
    /// An expression of exactly type `want` (an `int` literal also serves as a `status`).
    pub(crate) fn expect(&mut self, expr: &Expr, want: &Type) -> Option<TypedExpr> {
        let e = self.expr(expr)?;
        if &e.ty == want {
            return Some(e);
        }
        if e.ty.is_optional() && e.ty.unwrapped() == want {
            self.problems.push(CheckError::OptionalUsed {
                span: expr.span,
                ty: e.ty,
            });
            return None;
        }
        self.problems.push(CheckError::TypeMismatch {
            span: expr.span,
            expected: Expected::Type(want.clone()),
            found: e.ty,
        });
        None
    }

    /// A `str` or `str?` expression.
    fn expect_maybe_str(&mut self, expr: &Expr) -> Option<TypedExpr> {
        let e = self.expr(expr)?;
        if e.ty.unwrapped() == &Type::Str {
            return Some(e);
        }
        self.problems.push(CheckError::TypeMismatch {
            span: expr.span,
            expected: Expected::Type(Type::optional(Type::Str)),
            found: e.ty,
        });
        None
    }

    /// A `str` expression (interpolations of other scalar types are already `str`).
    pub(crate) fn expect_str(&mut self, expr: &Expr, _what: &str) -> Option<TypedExpr> {
        self.expect(expr, &Type::Str)
    }

    /// Types an expression, reporting what is wrong; `None` after a reported problem. The
    /// typed expression carries the span of `expr`.
    pub(crate) fn expr(&mut self, expr: &Expr) -> Option<TypedExpr> {
        let mut typed = self.expr_kind(expr)?;
        typed.span = expr.span;
        Some(typed)
    }

    fn expr_kind(&mut self, expr: &Expr) -> Option<TypedExpr> {
        match &expr.kind {
            ExprKind::Str(parts) => self.string(parts),
            ExprKind::Int(n) => typed(TypedExprKind::Int(*n), Type::Int),
            ExprKind::Duration(ms) => typed(TypedExprKind::Duration(*ms), Type::Duration),
            ExprKind::Size(b) => typed(TypedExprKind::Size(*b), Type::Size),
            ExprKind::Bool(b) => typed(TypedExprKind::Bool(*b), Type::Bool),
            ExprKind::Method(m) => typed(TypedExprKind::Method(m.clone()), Type::Method),
            ExprKind::Regex(_) => {
                self.problems.push(CheckError::TypeMismatch {
                    span: expr.span,
                    expected: Expected::NotRegex,
                    found: Type::Regex,
                });
                None
            }
            ExprKind::Ip(text) => match text.parse::<IpAddr>() {
                Ok(ip) => typed(TypedExprKind::Ip(ip), Type::Ip),
                Err(_) => self.invalid(expr.span, Malformed::Ip),
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

    fn invalid(&mut self, span: Span, reason: Malformed) -> Option<TypedExpr> {
        self.problems
            .push(CheckError::InvalidLiteral { span, reason });
        None
    }

    fn cidr(&mut self, text: &str, span: Span) -> Option<TypedExpr> {
        let (addr, bits) = text.split_once('/')?;
        let Ok(ip) = addr.parse::<IpAddr>() else {
            return self.invalid(span, Malformed::CidrAddress);
        };
        let max = if ip.is_ipv4() { 32 } else { 128 };
        match bits.parse::<u8>() {
            Ok(b) if b <= max => typed(TypedExprKind::Cidr(ip, b), Type::Cidr),
            _ => self.invalid(span, Malformed::CidrPrefix { max }),
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
                        self.problems.push(CheckError::OptionalUsed {
                            span: e.span,
                            ty: v.ty,
                        });
                        ok = false;
                    }
                    Some(v) if !is_scalar(&v.ty) => {
                        self.problems.push(CheckError::TypeMismatch {
                            span: e.span,
                            expected: Expected::Printable,
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
            span: Span::default(),
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
                // A `let` whose value had an error: reported there, nothing more here.
                let (var, ty) = (*var, ty.clone()?);
                if let Some(entry) = self.let_uses.get_mut(&var) {
                    entry.2 = true;
                }
                return typed(TypedExprKind::Var(var), ty);
            }
            if let Some(data) = self.data_ref(&single.name) {
                return data;
            }
            let names: Vec<String> = self
                .scopes
                .iter()
                .flatten()
                .map(|(n, _, _)| n.clone())
                .chain(self.data_names().map(str::to_string))
                .collect();
            let suggestion = closest(
                &single.name,
                names
                    .iter()
                    .map(String::as_str)
                    .chain(["req", "resp", "client", "tls"]),
            );
            self.problems.push(CheckError::UnknownName {
                span,
                name: single.name.clone(),
                suggestion,
            });
            return None;
        }
        let dotted: Vec<&str> = path.iter().map(|i| i.name.as_str()).collect();
        let info = match dotted.as_slice() {
            [object, name] => crate::catalog::field(object, name),
            _ => None,
        };
        let Some(info) = info else {
            let written = dotted.join(".");
            let fields: Vec<String> = crate::catalog::FIELDS.iter().map(|f| f.path()).collect();
            let suggestion = closest(&written, fields.iter().map(String::as_str));
            self.problems.push(CheckError::UnknownField {
                span,
                path: written,
                suggestion,
            });
            return None;
        };
        let Some(field) = info.value_in(self.phase) else {
            // Only meaningful when indexed; `index` handles that case before coming here.
            self.problems.push(CheckError::TypeMismatch {
                span,
                expected: Expected::SingleHeader(info.path()),
                found: Type::Headers,
            });
            return None;
        };
        if !self.available(info, span) {
            return None;
        }
        if field == Field::ClientIp {
            self.read_client_ip(span);
        }
        Some(self.narrow(field, (info.ty)(), span))
    }

    /// Whether the field exists in the current phase; reports it when it does not.
    fn available(&mut self, info: &'static crate::catalog::FieldInfo, span: Span) -> bool {
        if info.available.allows(self.phase) {
            return true;
        }
        self.problems.push(CheckError::FieldNotInPhase {
            span,
            field: info.path(),
            writing: false,
            phase: self.phase,
            available: info.available,
        });
        false
    }

    /// A field access, narrowed from `T?` to `T` inside `if present(field) { ... }`.
    fn narrow(&self, field: Field, ty: Type, span: Span) -> TypedExpr {
        let access = TypedExpr {
            kind: TypedExprKind::Field(field.clone()),
            ty: ty.clone(),
            span,
        };
        if ty.is_optional() && self.present.contains(&field) {
            let inner = ty.unwrapped().clone();
            return TypedExpr {
                kind: TypedExprKind::Present(Box::new(access)),
                ty: inner,
                span,
            };
        }
        access
    }

    /// `req.headers["name"]` / `resp.headers["name"]`.
    fn index(&mut self, base: &Expr, key: &Expr, span: Span) -> Option<TypedExpr> {
        let info = match &base.kind {
            ExprKind::Path(path) => match path.as_slice() {
                [object, name] => crate::catalog::field(&object.name, &name.name),
                _ => None,
            },
            _ => None,
        };
        let Some((info, keyed)) = info.and_then(|i| i.keyed.map(|k| (i, k))) else {
            return self.index_value(base, key);
        };
        if !self.available(info, span) {
            return None;
        }
        let name = match keyed {
            Keyed::Header(Side::Request) | Keyed::HeaderValues => {
                let name = self.literal_header_name(key)?;
                self.read_request_header(&name, span);
                name
            }
            Keyed::Header(Side::Response) => self.literal_header_name(key)?,
            Keyed::QueryParam | Keyed::Cookie | Keyed::JwtClaim => self.literal_key(key)?,
        };
        Some(self.narrow(keyed.field(name), (info.ty)(), span))
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
                    self.problems.push(CheckError::TypeMismatch {
                        span: key.span,
                        expected: Expected::ListPosition,
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
                self.problems.push(CheckError::TypeMismatch {
                    span: base.span,
                    expected: Expected::Indexable,
                    found: found.clone(),
                });
                None
            }
        }
    }

    /// A string literal key (`req.query["page"]`).
    fn literal_key(&mut self, key: &Expr) -> Option<String> {
        let name = key.plain_str();
        if name.is_none() {
            self.problems
                .push(CheckError::KeyNotLiteral { span: key.span });
        }
        name
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
            self.problems.push(CheckError::CaptureOutOfRange {
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
                self.problems.push(CheckError::TypeMismatch {
                    span: item.span,
                    expected: Expected::ListElement,
                    found: t.ty,
                });
                return None;
            }
            match &element {
                Some(e) if *e != t.ty => {
                    self.problems.push(CheckError::TypeMismatch {
                        span: item.span,
                        expected: Expected::Type(e.clone()),
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
            self.problems.push(CheckError::InvalidLiteral {
                span,
                reason: Malformed::EmptyList,
            });
            return None;
        };
        typed(
            TypedExprKind::List(typed_items),
            Type::List(Box::new(element)),
        )
    }

    /// A call, typed by its entry in [`crate::catalog::FUNCTIONS`].
    fn call(&mut self, func: &Ident, args: &[Expr], span: Span) -> Option<TypedExpr> {
        let Some(info) = crate::catalog::function(&func.name) else {
            let suggestion = closest(&func.name, crate::catalog::FUNCTIONS.iter().map(|f| f.name));
            self.problems.push(CheckError::UnknownFunction {
                span: func.span,
                name: func.name.clone(),
                suggestion,
            });
            return None;
        };
        if args.len() != info.params.len() {
            self.problems.push(CheckError::Arity {
                span,
                name: func.name.clone(),
                expected: info.params.len(),
                given: args.len(),
            });
            return None;
        }
        if let (Func::Healthy, [arg]) = (info.func, args) {
            return self.healthy(arg);
        }
        let typed_args: Vec<Option<TypedExpr>> = args
            .iter()
            .zip(info.params)
            .map(|(arg, (_, param))| match param {
                Param::Str => self.expect(arg, &Type::Str),
                // What `present` proves is read from the argument by `if`; any value is taken.
                Param::AnyOptional => self.expr(arg),
                Param::MaybeStr => self.expect_maybe_str(arg),
                // Typed above, by `healthy`.
                Param::Upstream => None,
            })
            .collect();
        let typed_args: Option<Vec<TypedExpr>> = typed_args.into_iter().collect();
        typed(
            TypedExprKind::Call(info.func, typed_args?),
            (info.returns)(),
        )
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
                    self.problems.push(CheckError::TypeMismatch {
                        span: rhs.span,
                        expected: Expected::RegexLiteral,
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
                    self.problems.push(CheckError::InvalidLiteral {
                        span: rhs.span,
                        reason: Malformed::ModByZero,
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
                    self.problems.push(CheckError::TypeMismatch {
                        span: rhs.span,
                        expected: Expected::ListOf(lt.clone()),
                        found: Type::List(element.clone()),
                    });
                    return None;
                }
                if l.ty.is_optional() && lt != Type::Str {
                    self.problems.push(CheckError::OptionalUsed {
                        span: lhs.span,
                        ty: l.ty,
                    });
                    return None;
                }
                typed(TypedExprKind::InList(Box::new(l), items), Type::Bool)
            }
            BinOp::In if self.names_data_list(rhs) => {
                let l = self.expr(lhs);
                let r = self.expr(rhs);
                self.in_data(l?, lhs.span, &r?, rhs.span)
            }
            BinOp::In => {
                let l = self.expect(lhs, &Type::Ip);
                let ExprKind::Cidr(_) = &rhs.kind else {
                    let found = self.expr(rhs)?.ty;
                    self.problems.push(CheckError::TypeMismatch {
                        span: rhs.span,
                        expected: Expected::CidrLiteral,
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
                if !matches!(want, Type::Str | Type::Int | Type::Ip) {
                    self.problems.push(CheckError::TypeMismatch {
                        span: lhs.span,
                        expected: Expected::Defaultable,
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
                    self.problems.push(CheckError::TypeMismatch {
                        span: lhs.span,
                        expected: Expected::Comparable,
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
                    self.problems.push(CheckError::TypeMismatch {
                        span: rhs.span,
                        expected: Expected::Type(lt.clone()),
                        found: r.ty,
                    });
                    return None;
                }
                let ordered = matches!(lt, Type::Int | Type::Status | Type::Duration | Type::Size);
                if !matches!(op, BinOp::Eq | BinOp::Ne) {
                    if !ordered {
                        self.problems.push(CheckError::TypeMismatch {
                            span: lhs.span,
                            expected: Expected::Ordered,
                            found: l.ty,
                        });
                        return None;
                    }
                    for (side, e) in [(lhs, &l), (rhs, &r)] {
                        if e.ty.is_optional() {
                            self.problems.push(CheckError::OptionalUsed {
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
                        self.problems.push(CheckError::InvalidStatus {
                            span: rhs.span,
                            value: *n,
                            allowed: StatusRange::Any,
                        });
                        return None;
                    }
                }
                if let Some(value) = constant_comparison(op, &l, &r) {
                    self.problems.push(CheckError::ConstantComparison {
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
                self.problems
                    .push(CheckError::InvalidRegex { span, reason });
                None
            }
        }
    }
}
