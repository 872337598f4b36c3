//! Blocks and statements: scoping of `let`, which statements each section allows, writable
//! places, and statements that can never run.

use pxy_dsl::ast::{Block, Else, Expr, ExprKind, Place, StmtKind, StrPart};
use pxy_dsl::Span;

use super::{Checker, Phase, Problem};

/// Headers that belong to one connection or to message framing (RFC 9110 §7.6.1, RFC 9112 §6):
/// the proxy removes and recomputes them, so a program must not write them.
const MANAGED_HEADERS: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
];
use crate::typed::{Field, Side, TypedExpr, TypedExprKind, TypedStmt};
use crate::types::Type;

impl Checker<'_> {
    /// Checks a block in its own `let` scope. `section` names where it is, for messages.
    pub(crate) fn block(&mut self, block: &Block, section: &'static str) -> Vec<TypedStmt> {
        self.scopes.push(Vec::new());
        let log_fields = self.log_fields.len();
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
        self.log_fields.truncate(log_fields);
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
        let responding = matches!(self.phase, Phase::Request | Phase::Error);
        let rewriting = self.phase == Phase::Request;
        match kind {
            StmtKind::Set { place, value } if is_log_place(place) => {
                if self.phase != Phase::Log {
                    return self.not_allowed(span, "set log[...]", section);
                }
                self.log_field(place, value)
            }
            StmtKind::Set { .. } | StmtKind::Add { .. } | StmtKind::Remove { .. }
                if matches!(self.phase, Phase::Error | Phase::Log) =>
            {
                let stmt = match kind {
                    StmtKind::Set { .. } => "set",
                    StmtKind::Add { .. } => "add",
                    _ => "remove",
                };
                self.not_allowed(span, stmt, section)
            }
            StmtKind::Set { place, value } | StmtKind::Add { place, value } => {
                let (side, name) = self.header_place(place);
                let value = self.header_value(value);
                if let (Some(n), Some(key)) = (&name, &place.key) {
                    if MANAGED_HEADERS.contains(&n.as_str()) {
                        self.problems.push(Problem::HopByHopWrite {
                            span: key.span,
                            name: n.clone(),
                        });
                        return None;
                    }
                }
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
                let status = match status {
                    pxy_dsl::ast::Status::Literal(lit) => self
                        .status(lit.value, lit.span, "100 to 599", |s| {
                            (100..=599).contains(&s)
                        })
                        .map(crate::typed::StatusValue::Literal),
                    pxy_dsl::ast::Status::Field(e) => self
                        .expect(e, &Type::Status)
                        .map(crate::typed::StatusValue::Expr),
                };
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
                if !rewriting {
                    return self.not_allowed(span, "strip_prefix", section);
                }
                Some(TypedStmt::StripPrefix(self.expect_str(prefix, "str")?))
            }
            StmtKind::RewritePath(path) => {
                if !rewriting {
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
            StmtKind::If {
                cond: cond_expr,
                captures,
                then,
                else_,
            } => {
                let mut cond = self.expect(cond_expr, &Type::Bool);
                let proven = cond.as_ref().map(proven_present).unwrap_or_default();
                let before = self.present.len();
                self.present.extend(proven);
                let mut binding = None;
                let then = match (captures, cond.as_mut()) {
                    (Some(name), Some(c)) => match take_single_match(c, self.variables) {
                        Some((subject, regex)) => {
                            let matched = self.new_variable();
                            let source = self.regexes[regex].clone();
                            let (stmts, groups) =
                                self.with_captures(name, &source, |cx| cx.block(then, section));
                            binding = Some(crate::typed::CaptureBinding {
                                subject,
                                regex,
                                matched,
                                groups,
                            });
                            stmts
                        }
                        None => {
                            self.problems.push(Problem::CapturesNeedOneMatch {
                                span: cond_expr.span,
                            });
                            // Bind the name anyway (to nothing), so its uses are not reported too.
                            self.with_captures(name, "(", |cx| cx.block(then, section))
                                .0
                        }
                    },
                    _ => self.block(then, section),
                };
                self.present.truncate(before);
                let else_ = match else_.as_deref() {
                    None => Vec::new(),
                    Some(Else::Block(b)) => self.block(b, section),
                    Some(Else::If(stmt)) => self
                        .stmt(&stmt.kind, stmt.span, section)
                        .into_iter()
                        .collect(),
                };
                if captures.is_some() && binding.is_none() {
                    return None;
                }
                Some(TypedStmt::If {
                    captures: binding,
                    cond: cond?,
                    then,
                    else_,
                })
            }
            StmtKind::Let { name, value: expr } => {
                let value = self.expr(expr)?;
                if matches!(value.ty, Type::Cidr | Type::List(_) | Type::Captures) {
                    self.problems.push(Problem::TypeMismatch {
                        span: expr.span,
                        expected: "a value that can be named (CIDRs and lists are written where they are used)".into(),
                        found: value.ty,
                    });
                    return None;
                }
                // A second `let` of the same name shadows the first, as in Rust.
                let var = self.new_variable();
                self.let_uses
                    .insert(var, (name.span, name.name.clone(), false));
                let scope = self.scopes.last_mut().expect("a block pushed a scope");
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
                    place: self.text(place.span),
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
            Phase::Error => "on error",
            Phase::Log => "on log",
        }
    }

    /// `set log["name"] = VALUE` in `on log`: a literal, valid and new field name, and a `str`.
    fn log_field(&mut self, place: &Place, value: &Expr) -> Option<TypedStmt> {
        let key = place.key.as_ref()?;
        let name = match &key.kind {
            ExprKind::Str(parts) => match parts.as_slice() {
                [] => Some(String::new()),
                [StrPart::Text(t)] => Some(t.clone()),
                _ => None,
            },
            _ => None,
        };
        let value = self.expect_str(value, "str");
        let Some(name) = name else {
            let _ = self.expr(key);
            self.problems
                .push(Problem::LogFieldNotLiteral { span: key.span });
            return None;
        };
        if let Some(reason) = log_field_name_error(&name) {
            self.problems.push(Problem::InvalidLogField {
                span: key.span,
                name,
                reason,
            });
            return None;
        }
        if let Some((_, first)) = self.log_fields.iter().find(|(n, _)| *n == name) {
            self.problems.push(Problem::Duplicate {
                span: key.span,
                first: *first,
                what: "log field",
                name,
            });
            return None;
        }
        self.log_fields.push((name.clone(), key.span));
        Some(TypedStmt::SetLogField {
            name,
            value: value?,
        })
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
                // Typed anyway, so the names it uses count as used and mistakes in it show.
                let _ = self.expr(key);
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

/// The runtime's one list of the names it writes on access log lines (the compiler does
/// not link the runtime, so it includes the dependency-free file itself).
#[path = "../../../runtime/src/log/reserved.rs"]
mod reserved;

/// The fields the runtime writes on access log lines (`pxy_runtime::log::reserved`); a
/// program's own fields must not shadow them.
pub const ACCESS_LOG_FIELDS: &[&str] = reserved::RESERVED_FIELDS;

/// `log["name"]`: the place `on log` writes.
fn is_log_place(place: &Place) -> bool {
    matches!(place.path.as_slice(), [object] if object.name == "log") && place.key.is_some()
}

/// Why `name` cannot be a log field, if it cannot: it must be a simple token (a letter or `_`,
/// then letters, digits, `_`, `-` or `.`, at most 64 bytes) so that `name="value"` stays one
/// unambiguous pair on the line, and not one of the line's own fields.
fn log_field_name_error(name: &str) -> Option<&'static str> {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    if !first_ok || !rest_ok || name.len() > 64 {
        Some("a letter or `_`, then letters, digits, `_`, `-` or `.` (at most 64)")
    } else if ACCESS_LOG_FIELDS.contains(&name) {
        Some("the access log line already has this field")
    } else {
        None
    }
}

/// Finds the one `matches` in `cond` whose success the condition implies (at the top or under
/// `&&`), replaces it with the variable the generated code will set (`matched`, numbered
/// `next_var`), and returns its subject and regex. `None` when there is not exactly one such
/// `matches`, or another `matches` hides under `||` or `!`.
fn take_single_match(cond: &mut TypedExpr, next_var: usize) -> Option<(TypedExpr, usize)> {
    fn count(e: &TypedExpr) -> usize {
        match &e.kind {
            TypedExprKind::Matches(..) => 1,
            TypedExprKind::Not(a) | TypedExprKind::Present(a) | TypedExprKind::ListIndex(a, _) => {
                count(a)
            }
            TypedExprKind::Binary(_, a, b) => count(a) + count(b),
            TypedExprKind::Call(_, args) => args.iter().map(count).sum(),
            _ => 0,
        }
    }
    fn take(e: &mut TypedExpr, var: usize) -> Option<(TypedExpr, usize)> {
        match &mut e.kind {
            TypedExprKind::Matches(subject, regex) => {
                let found = ((**subject).clone(), *regex);
                *e = TypedExpr {
                    kind: TypedExprKind::Var(var),
                    ty: Type::Bool,
                };
                Some(found)
            }
            TypedExprKind::Binary(pxy_dsl::ast::BinOp::And, a, b) => {
                take(a, var).or_else(|| take(b, var))
            }
            _ => None,
        }
    }
    if count(cond) != 1 {
        return None;
    }
    take(cond, next_var)
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
