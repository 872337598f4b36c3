//! Blocks and statements: scoping of `let`, which statements each section allows, writable
//! places, and statements that can never run.

use pxy_dsl::ast::{Block, Else, Expr, ExprKind, Place, StmtKind, StrPart};
use pxy_dsl::Span;

use super::{Checker, Phase, Problem};
use crate::typed::{Field, Side, TypedExpr, TypedExprKind, TypedStmt};
use crate::types::Type;

impl Checker<'_> {
    /// Checks a block in its own `let` scope. `section` names where it is, for messages.
    pub(crate) fn block(&mut self, block: &Block, section: &'static str) -> Vec<TypedStmt> {
        self.scopes.push(Vec::new());
        let mut out = Vec::new();
        let mut terminal: Option<Span> = None;
        for stmt in &block.stmts {
            if let Some(after) = terminal {
                self.problems.push(Problem::UnreachableStatement {
                    span: stmt.span,
                    after,
                });
                break;
            }
            if let Some(typed) = self.stmt(&stmt.kind, stmt.span, section) {
                out.push(typed);
            }
            if super::routes::stmt_terminates(stmt) {
                terminal = Some(stmt.span);
            }
        }
        self.scopes.pop();
        out
    }

    fn not_allowed(
        &mut self,
        span: Span,
        stmt: &'static str,
        section: &'static str,
    ) -> Option<TypedStmt> {
        self.problems.push(Problem::StatementNotAllowed {
            span,
            stmt,
            section,
        });
        None
    }

    fn stmt(&mut self, kind: &StmtKind, span: Span, section: &'static str) -> Option<TypedStmt> {
        let in_route = section == "route";
        let responding = self.phase == Phase::Request;
        match kind {
            StmtKind::Set { place, value } | StmtKind::Add { place, value } => {
                let (side, name) = self.header_place(place);
                let value = self.header_value(value);
                let (side, name, value) = (side?, name?, value?);
                Some(if matches!(kind, StmtKind::Set { .. }) {
                    TypedStmt::SetHeader { side, name, value }
                } else {
                    TypedStmt::AddHeader { side, name, value }
                })
            }
            StmtKind::Remove { place } => {
                let (side, name) = self.header_place(place);
                Some(TypedStmt::RemoveHeader {
                    side: side?,
                    name: name?,
                })
            }
            StmtKind::Respond {
                status,
                body,
                headers,
            } => {
                if !responding {
                    return self.not_allowed(span, "respond", section);
                }
                let status = self.status(status.value, status.span, "100 to 599", |s| {
                    (100..=599).contains(&s)
                });
                let body = body.as_ref().map(|b| self.expect_str(b, "str"));
                let mut typed_headers = Vec::new();
                for entry in headers {
                    let name = self.header_name(&entry.name.value, entry.name.span);
                    let value = self.header_value(&entry.value);
                    if let (Some(name), Some(value)) = (name, value) {
                        typed_headers.push((name, value));
                    }
                }
                let body = match body {
                    Some(None) => return None,
                    Some(Some(b)) => Some(b),
                    None => None,
                };
                Some(TypedStmt::Respond {
                    status: status?,
                    body,
                    headers: typed_headers,
                })
            }
            StmtKind::Redirect { status, location } => {
                if !responding {
                    return self.not_allowed(span, "redirect", section);
                }
                let status = match status {
                    Some(s) => self.status(s.value, s.span, "301, 302, 303, 307 or 308", |s| {
                        matches!(s, 301 | 302 | 303 | 307 | 308)
                    }),
                    None => Some(302),
                };
                let location = self.header_value(location);
                Some(TypedStmt::Redirect {
                    status: status?,
                    location: location?,
                })
            }
            StmtKind::StripPrefix(prefix) => {
                if !responding {
                    return self.not_allowed(span, "strip_prefix", section);
                }
                Some(TypedStmt::StripPrefix(self.expect_str(prefix, "str")?))
            }
            StmtKind::RewritePath(path) => {
                if !responding {
                    return self.not_allowed(span, "rewrite path", section);
                }
                Some(TypedStmt::RewritePath(self.expect_str(path, "str")?))
            }
            StmtKind::Proxy(name) => {
                if !in_route {
                    return self.not_allowed(span, "proxy", section);
                }
                match self.upstream_ids.get(&name.name) {
                    Some((id, _)) => {
                        let id = *id;
                        self.used_upstreams[id] = true;
                        Some(TypedStmt::Proxy(id))
                    }
                    None => {
                        let suggestion = super::suggest::closest(
                            &name.name,
                            self.upstream_ids.keys().map(String::as_str),
                        );
                        self.problems.push(Problem::UnknownUpstream {
                            span: name.span,
                            name: name.name.clone(),
                            suggestion,
                        });
                        None
                    }
                }
            }
            StmtKind::If { cond, then, else_ } => {
                let cond = self.expect(cond, &Type::Bool);
                let proven = cond.as_ref().map(proven_present).unwrap_or_default();
                let before = self.present.len();
                self.present.extend(proven);
                let then = self.block(then, section);
                self.present.truncate(before);
                let else_ = match else_.as_deref() {
                    None => Vec::new(),
                    Some(Else::Block(b)) => self.block(b, section),
                    Some(Else::If(stmt)) => self
                        .stmt(&stmt.kind, stmt.span, section)
                        .into_iter()
                        .collect(),
                };
                Some(TypedStmt::If {
                    cond: cond?,
                    then,
                    else_,
                })
            }
            StmtKind::Let { name, value: expr } => {
                let value = self.expr(expr)?;
                if value.ty == Type::Cidr {
                    self.problems.push(Problem::TypeMismatch {
                        span: expr.span,
                        expected: "a value that can be named (a CIDR is written where it is used, after `in`)".into(),
                        found: value.ty,
                    });
                    return None;
                }
                // A second `let` of the same name shadows the first, as in Rust.
                let scope = self.scopes.last_mut().expect("a block pushed a scope");
                let var = self.variables;
                self.variables += 1;
                scope.push((name.name.clone(), var, value.ty.clone()));
                Some(TypedStmt::Let { var, value })
            }
        }
    }

    /// Checks a status literal against the allowed set.
    fn status(
        &mut self,
        value: u64,
        span: Span,
        allowed: &'static str,
        ok: impl Fn(u64) -> bool,
    ) -> Option<u16> {
        if ok(value) {
            return u16::try_from(value).ok();
        }
        self.problems.push(Problem::InvalidStatus {
            span,
            value,
            allowed,
        });
        None
    }

    /// `req.headers["x"]` / `resp.headers["x"]` as a writable place: which side and which name.
    fn header_place(&mut self, place: &Place) -> (Option<Side>, Option<String>) {
        let path: Vec<&str> = place.path.iter().map(|i| i.name.as_str()).collect();
        let side = match (path.as_slice(), &place.key) {
            (["req", "headers"], Some(_)) => Side::Request,
            (["resp", "headers"], Some(_)) => Side::Response,
            _ => {
                let hint = match path.as_slice() {
                    ["req", "path"] => Some("rewrite path = \"/new/path\""),
                    _ => None,
                };
                self.problems.push(Problem::NotWritable {
                    span: place.span,
                    place: self.source[place.span.start..place.span.end].to_string(),
                    hint,
                });
                return (None, None);
            }
        };
        let wrong_phase = match (side, self.phase) {
            (Side::Request, Phase::Response) => Some(("req.headers", "on request and routes")),
            (Side::Response, Phase::Request) => Some(("resp.headers", "on response")),
            _ => None,
        };
        let side = match wrong_phase {
            Some((field, available)) => {
                self.problems.push(Problem::FieldNotInPhase {
                    span: place.span,
                    field: format!("writing {field}"),
                    phase: self.phase_name(),
                    available,
                });
                None
            }
            None => Some(side),
        };
        let name = place
            .key
            .as_ref()
            .and_then(|key| self.literal_header_name(key));
        (side, name)
    }

    pub(crate) fn phase_name(&self) -> &'static str {
        match self.phase {
            Phase::Request => "the request phase",
            Phase::Response => "on response",
        }
    }

    /// A header key: must be a plain string literal holding a valid header name.
    pub(crate) fn literal_header_name(&mut self, key: &Expr) -> Option<String> {
        match &key.kind {
            ExprKind::Str(parts) if parts.iter().all(|p| matches!(p, StrPart::Text(_))) => {
                let text: String = parts
                    .iter()
                    .map(|p| match p {
                        StrPart::Text(t) => t.as_str(),
                        StrPart::Interp(_) => "",
                    })
                    .collect();
                self.header_name(&text, key.span)
            }
            _ => {
                self.problems
                    .push(Problem::KeyNotLiteral { span: key.span });
                None
            }
        }
    }

    /// Validates an RFC 9110 field name and returns it in lower case.
    pub(crate) fn header_name(&mut self, name: &str, span: Span) -> Option<String> {
        let is_tchar = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
        if !name.is_empty() && name.bytes().all(is_tchar) {
            Some(name.to_ascii_lowercase())
        } else {
            self.problems.push(Problem::InvalidHeaderName {
                span,
                name: name.to_string(),
            });
            None
        }
    }

    /// A `str` expression used as a header value: its literal parts must be visible ASCII,
    /// spaces or tabs (no CR/LF, which would split the header).
    fn header_value(&mut self, expr: &Expr) -> Option<TypedExpr> {
        let value = self.expect_str(expr, "str")?;
        let bad = |t: &str| t.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f);
        let invalid = match &value.kind {
            TypedExprKind::Str(t) => bad(t),
            TypedExprKind::Interp(parts) => parts
                .iter()
                .any(|p| matches!(p, crate::typed::InterpPart::Text(t) if bad(t))),
            _ => false,
        };
        if invalid {
            self.problems
                .push(Problem::InvalidHeaderValue { span: expr.span });
            return None;
        }
        Some(value)
    }
}

/// Optional fields that a condition proves present: `present(x)` and conjunctions of them.
fn proven_present(cond: &TypedExpr) -> Vec<Field> {
    match &cond.kind {
        TypedExprKind::Call(crate::typed::Func::Present, args) => {
            match args.first().map(|a| &a.kind) {
                Some(TypedExprKind::Field(f)) => vec![f.clone()],
                _ => Vec::new(),
            }
        }
        TypedExprKind::Binary(pxy_dsl::ast::BinOp::And, l, r) => {
            let mut v = proven_present(l);
            v.extend(proven_present(r));
            v
        }
        _ => Vec::new(),
    }
}
