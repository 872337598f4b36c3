//! Blocks and statements: scoping of `let`, which statements each section allows, writable
//! places, and statements that can never run.

use pxy_dsl::ast::{Block, Else, Expr, Place, StmtKind};
use pxy_dsl::Span;

use super::error::{DuplicateKind, Expected, LogFieldProblem, Statement, StatusRange, WriteHint};
use super::named::Verifier;
use super::{CheckError, Checker};
use crate::catalog::fields::Availability;
use crate::catalog::headers::MANAGED_HEADERS;
use crate::catalog::words::{Phase, Section};

use crate::typed::visit::{walk_expr, Visit};
use crate::typed::{Field, Side, TypedExpr, TypedExprKind, TypedStmt, TypedStmtKind};
use crate::types::Type;

impl Checker<'_> {
    /// Checks a block in its own `let` scope. `section` is where it is written.
    pub(crate) fn block(&mut self, block: &Block, section: Section) -> Vec<TypedStmt> {
        self.scopes.push(Vec::new());
        let log_fields = self.log_fields.len();
        let mut out = Vec::new();
        let mut terminal: Option<Span> = None;
        for stmt in &block.stmts {
            if let Some(after) = terminal {
                self.problems.push(CheckError::UnreachableStatement {
                    span: stmt.span,
                    after,
                });
                break;
            }
            if let Some(typed) = self.stmt(&stmt.kind, stmt.span, block.span, section) {
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

    pub(super) fn not_allowed(
        &mut self,
        span: Span,
        stmt: Statement,
        section: Section,
    ) -> Option<TypedStmtKind> {
        self.problems.push(CheckError::StatementNotAllowed {
            span,
            stmt,
            section,
        });
        None
    }

    /// Checks one statement of a block that ends at `block.end`.
    pub(super) fn stmt(
        &mut self,
        kind: &StmtKind,
        span: Span,
        block: Span,
        section: Section,
    ) -> Option<TypedStmt> {
        let kind = self.stmt_kind(kind, span, block, section)?;
        Some(TypedStmt { kind, span })
    }

    fn stmt_kind(
        &mut self,
        kind: &StmtKind,
        span: Span,
        block: Span,
        section: Section,
    ) -> Option<TypedStmtKind> {
        let in_route = section == Section::Route;
        let responding = matches!(self.phase, Phase::Request | Phase::Error);
        let rewriting = self.phase == Phase::Request;
        match kind {
            StmtKind::Set { place, value } if is_log_place(place) => {
                if self.phase != Phase::Log {
                    return self.not_allowed(span, Statement::SetLog, section);
                }
                self.log_field(place, value)
            }
            StmtKind::Set { .. } if matches!(self.phase, Phase::Error | Phase::Log) => {
                self.not_allowed(span, Statement::Set, section)
            }
            StmtKind::Add { .. } if matches!(self.phase, Phase::Error | Phase::Log) => {
                self.not_allowed(span, Statement::Add, section)
            }
            StmtKind::Remove { .. } if matches!(self.phase, Phase::Error | Phase::Log) => {
                self.not_allowed(span, Statement::Remove, section)
            }
            StmtKind::Set { place, value } | StmtKind::Add { place, value } => {
                let (side, name) = self.header_place(place);
                let value = self.header_value(value);
                if let (Some(n), Some(key)) = (&name, &place.key) {
                    if MANAGED_HEADERS.contains(&n.as_str()) {
                        self.problems.push(CheckError::HopByHopWrite {
                            span: key.span,
                            name: n.clone(),
                        });
                        return None;
                    }
                }
                let (side, name, value) = (side?, name?, value?);
                Some(if matches!(kind, StmtKind::Set { .. }) {
                    TypedStmtKind::SetHeader { side, name, value }
                } else {
                    TypedStmtKind::AddHeader { side, name, value }
                })
            }
            StmtKind::Remove { place } => {
                let (side, name) = self.header_place(place);
                Some(TypedStmtKind::RemoveHeader {
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
                    return self.not_allowed(span, Statement::Respond, section);
                }
                let status = match status {
                    pxy_dsl::ast::Status::Literal(lit) => self
                        .status(lit.value, lit.span, StatusRange::Any, |s| {
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
                    // The same rule as `set`: the proxy frames its own answers too.
                    if let Some(n) = name
                        .as_ref()
                        .filter(|n| MANAGED_HEADERS.contains(&n.as_str()))
                    {
                        self.problems.push(CheckError::HopByHopWrite {
                            span: entry.name.span,
                            name: n.clone(),
                        });
                        continue;
                    }
                    if let (Some(name), Some(value)) = (name, value) {
                        typed_headers.push((name, value));
                    }
                }
                let body = match body {
                    Some(None) => return None,
                    Some(Some(b)) => Some(b),
                    None => None,
                };
                Some(TypedStmtKind::Respond {
                    status: status?,
                    body,
                    headers: typed_headers,
                })
            }
            StmtKind::Redirect { status, location } => {
                if !responding {
                    return self.not_allowed(span, Statement::Redirect, section);
                }
                let status = match status {
                    Some(s) => self.status(s.value, s.span, StatusRange::Redirect, |s| {
                        matches!(s, 301 | 302 | 303 | 307 | 308)
                    }),
                    None => Some(302),
                };
                let location = self.header_value(location);
                Some(TypedStmtKind::Redirect {
                    status: status?,
                    location: location?,
                })
            }
            StmtKind::StripPrefix(prefix) => {
                if !rewriting {
                    return self.not_allowed(span, Statement::StripPrefix, section);
                }
                Some(TypedStmtKind::StripPrefix(self.expect_str(prefix, "str")?))
            }
            StmtKind::RewritePath(path) => {
                if !rewriting {
                    return self.not_allowed(span, Statement::RewritePath, section);
                }
                Some(TypedStmtKind::RewritePath(self.expect_str(path, "str")?))
            }
            StmtKind::Proxy(name) => {
                if !in_route {
                    return self.not_allowed(span, Statement::Proxy, section);
                }
                match self.upstream_ids.get(&name.name) {
                    Some((id, _)) => {
                        let id = *id;
                        self.used_upstreams[id] = true;
                        Some(TypedStmtKind::Proxy {
                            upstream: id,
                            name_span: crate::typed::SourceSpan(name.span),
                        })
                    }
                    None => {
                        self.unknown_upstream(&name.name, name.span);
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
                            self.problems.push(CheckError::CapturesNeedOneMatch {
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
                        .stmt(&stmt.kind, stmt.span, block, section)
                        .into_iter()
                        .collect(),
                };
                if captures.is_some() && binding.is_none() {
                    return None;
                }
                Some(TypedStmtKind::If {
                    captures: binding,
                    cond: cond?,
                    then,
                    else_,
                })
            }
            StmtKind::VerifyJwt(name) => {
                (self.verifier(name, span, section, Verifier::Jwt)).map(TypedStmtKind::VerifyJwt)
            }
            StmtKind::VerifyBasic(name) => (self.verifier(name, span, section, Verifier::Basic))
                .map(TypedStmtKind::VerifyBasic),
            StmtKind::VerifyForward(name) => self.verify_forward(name, span, section),
            StmtKind::Compress(settings) => self.compress_stmt(settings, span, section),
            StmtKind::RateLimit { limit, otherwise } => {
                self.rate_limit(limit, otherwise.as_deref(), span, block, section)
            }
            StmtKind::Cache { cache, settings } => self.cache_stmt(cache, settings, span, section),
            StmtKind::Purge { cache, scope } => {
                self.purge_stmt(cache, scope.as_ref(), span, section)
            }
            StmtKind::MaxInFlight {
                max,
                key,
                queue,
                otherwise,
            } => self.max_in_flight(
                (max, key.as_ref(), queue.as_ref()),
                otherwise.as_deref(),
                span,
                block,
                section,
            ),
            StmtKind::Let { name, value: expr } => {
                let value = self.expr(expr).filter(|value| {
                    let nameable = !matches!(value.ty, Type::Cidr | Type::List(_) | Type::Captures);
                    if !nameable {
                        self.problems.push(CheckError::TypeMismatch {
                            span: expr.span,
                            expected: Expected::Nameable,
                            found: value.ty.clone(),
                        });
                    }
                    nameable
                });
                // A second `let` of the same name shadows the first, as in Rust.
                let var = self.new_variable();
                let scope = self.scopes.last_mut().expect("a block pushed a scope");
                let Some(value) = value else {
                    // Known, with no type: its uses raise nothing on top of the value's error.
                    scope.push((name.name.clone(), var, None));
                    return None;
                };
                scope.push((name.name.clone(), var, Some(value.ty.clone())));
                self.let_uses
                    .insert(var, (name.span, name.name.clone(), false));
                self.bindings.push(crate::typed::Binding {
                    var,
                    name: name.name.clone(),
                    name_span: name.span,
                    ty: value.ty.clone(),
                    visible: Span::new(span.end, block.end),
                });
                Some(TypedStmtKind::Let { var, value })
            }
        }
    }

    /// Checks a status literal against the allowed set.
    fn status(
        &mut self,
        value: u64,
        span: Span,
        allowed: StatusRange,
        ok: impl Fn(u64) -> bool,
    ) -> Option<u16> {
        if ok(value) {
            return u16::try_from(value).ok();
        }
        self.problems.push(CheckError::InvalidStatus {
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
                    ["req", "path"] => Some(WriteHint::RewritePath),
                    _ => None,
                };
                self.problems.push(CheckError::NotWritable {
                    span: place.span,
                    place: self.text(place.span),
                    hint,
                });
                return (None, None);
            }
        };
        let wrong_phase = match (side, self.phase) {
            (Side::Request, Phase::Response) => Some(("req.headers", Availability::RequestOnly)),
            (Side::Response, Phase::Request) => Some(("resp.headers", Availability::ResponseOnly)),
            (Side::Request, Phase::Request | Phase::Error | Phase::Log)
            | (Side::Response, Phase::Response | Phase::Error | Phase::Log) => None,
        };
        let side = match wrong_phase {
            Some((field, available)) => {
                self.problems.push(CheckError::FieldNotInPhase {
                    span: place.span,
                    field: field.into(),
                    writing: true,
                    phase: self.phase,
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

    /// `set log["name"] = VALUE` in `on log`: a literal, valid and new field name, and a `str`.
    fn log_field(&mut self, place: &Place, value: &Expr) -> Option<TypedStmtKind> {
        let key = place.key.as_ref()?;
        let name = key.plain_str();
        let value = self.expect_str(value, "str");
        let Some(name) = name else {
            let _ = self.expr(key);
            self.problems
                .push(CheckError::LogFieldNotLiteral { span: key.span });
            return None;
        };
        if let Some(reason) = log_field_name_error(&name) {
            self.problems.push(CheckError::InvalidLogField {
                span: key.span,
                name,
                reason,
            });
            return None;
        }
        if let Some((_, first)) = self.log_fields.iter().find(|(n, _)| *n == name) {
            self.problems.push(CheckError::Duplicate {
                span: key.span,
                first: *first,
                what: DuplicateKind::LogField,
                name,
            });
            return None;
        }
        self.log_fields.push((name.clone(), key.span));
        Some(TypedStmtKind::SetLogField {
            name,
            value: value?,
        })
    }

    /// A header key: must be a plain string literal holding a valid header name.
    pub(crate) fn literal_header_name(&mut self, key: &Expr) -> Option<String> {
        match key.plain_str() {
            Some(text) => self.header_name(&text, key.span),
            None => {
                // Typed anyway, so the names it uses count as used and mistakes in it show.
                let _ = self.expr(key);
                self.problems
                    .push(CheckError::KeyNotLiteral { span: key.span });
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
            self.problems.push(CheckError::InvalidHeaderName {
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
        let bad = breaks_a_header;
        let invalid = match &value.kind {
            TypedExprKind::Str(t) => bad(t),
            TypedExprKind::Interp(parts) => parts
                .iter()
                .any(|p| matches!(p, crate::typed::InterpPart::Text(t) if bad(t))),
            _ => false,
        };
        if invalid {
            self.problems
                .push(CheckError::InvalidHeaderValue { span: expr.span });
            return None;
        }
        Some(value)
    }
}

/// Whether `text` holds a control character other than tab (CR and LF would split the
/// header), so cannot be (part of) a header value.
pub(crate) fn breaks_a_header(text: &str) -> bool {
    text.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f)
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
fn log_field_name_error(name: &str) -> Option<LogFieldProblem> {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    let rest_ok = bytes.all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    if !first_ok || !rest_ok || name.len() > 64 {
        Some(LogFieldProblem::NotAToken)
    } else if ACCESS_LOG_FIELDS.contains(&name) {
        Some(LogFieldProblem::Reserved)
    } else {
        None
    }
}

/// Finds the one `matches` in `cond` whose success the condition implies (at the top or under
/// `&&`), replaces it with the variable the generated code will set (`matched`, numbered
/// `next_var`), and returns its subject and regex. `None` when there is not exactly one such
/// `matches`, or another `matches` hides under `||` or `!`.
fn take_single_match(cond: &mut TypedExpr, next_var: usize) -> Option<(TypedExpr, usize)> {
    /// Counts the `matches` in an expression.
    struct Count(usize);
    impl<'a> Visit<'a> for Count {
        fn visit_expr(&mut self, expr: &'a TypedExpr) {
            if let TypedExprKind::Matches(..) = expr.kind {
                self.0 += 1;
            }
            walk_expr(self, expr);
        }
    }
    fn take(e: &mut TypedExpr, var: usize) -> Option<(TypedExpr, usize)> {
        match &mut e.kind {
            TypedExprKind::Matches(subject, regex) => {
                let found = ((**subject).clone(), *regex);
                *e = TypedExpr {
                    kind: TypedExprKind::Var(var),
                    ty: Type::Bool,
                    span: e.span,
                };
                Some(found)
            }
            TypedExprKind::Binary(pxy_dsl::ast::BinOp::And, a, b) => {
                take(a, var).or_else(|| take(b, var))
            }
            _ => None,
        }
    }
    let mut count = Count(0);
    count.visit_expr(cond);
    if count.0 != 1 {
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
