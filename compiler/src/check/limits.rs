//! `limit` declarations and the statements that enforce limits: `rate_limit NAME` and
//! `max_in_flight N`. Keys are typed once, where they are declared, in the request phase (the
//! only phase these statements run in), and copied into each statement that uses them.

use pxy_dsl::ast::{Expr, ExprKind, Ident, IntLit, Item, LimitDecl, ParsedProgram, Stmt};
use pxy_dsl::Span;

use super::error::{DuplicateKind, Expected, LimitProblem, Statement};
use super::{CheckError, Checker};
use crate::catalog::settings::{self, LimitOption};
use crate::catalog::words::{Phase, Section, WordKind};
use crate::typed::{TypedExpr, TypedInFlight, TypedLimit, TypedStmt, TypedStmtKind};
use crate::types::Type;

/// A declared limit, with its key (`None` if the key had an error, already reported).
#[derive(Debug)]
pub(crate) struct DeclaredLimit {
    pub(crate) limit: TypedLimit,
    key: Option<TypedExpr>,
    name_span: Span,
    used: bool,
}

impl Checker<'_> {
    /// Checks every `limit` first, so a `rate_limit` may name one declared further down.
    pub(super) fn declare_limits(&mut self, parsed: &ParsedProgram) {
        for item in &parsed.items {
            let Item::Limit(decl) = item else { continue };
            if let Some(&first) = self.limit_ids.get(&decl.name.name) {
                self.problems.push(CheckError::Duplicate {
                    span: decl.name.span,
                    first: self.limits[first].name_span,
                    what: DuplicateKind::Limit,
                    name: decl.name.name.clone(),
                });
                continue;
            }
            let declared = self.limit_decl(decl);
            self.limit_ids
                .insert(decl.name.name.clone(), self.limits.len());
            self.limits.push(declared);
        }
    }

    fn limit_decl(&mut self, decl: &LimitDecl) -> DeclaredLimit {
        let requests = self.limit_count(&decl.requests);
        let period_ms = match decl.period.kind {
            ExprKind::Duration(ms) => ms,
            // The grammar only allows a duration literal here.
            _ => 0,
        };
        if let Some(n) = requests {
            // GCRA lets one request through every period / N: at least a nanosecond.
            if u128::from(period_ms) * 1_000_000 < u128::from(n) {
                self.problems.push(CheckError::InvalidLimit {
                    span: decl.requests.span,
                    problem: LimitProblem::PeriodTooShort,
                });
            }
        }
        let mut limit = TypedLimit {
            name: decl.name.name.clone(),
            requests: requests.unwrap_or(1),
            period_ms,
            burst: None,
            keys: None,
        };
        let options = self
            .settings(
                &decl.options,
                WordKind::LimitOption,
                settings::LIMIT_OPTIONS,
            )
            .unwrap_or_default();
        for (option, value) in options {
            let Some(n) = value.number() else { continue };
            match option {
                // The table caps it at u32::MAX.
                LimitOption::Burst => limit.burst = u32::try_from(n).ok(),
                LimitOption::Keys => limit.keys = Some(n),
            }
        }
        DeclaredLimit {
            limit,
            key: self.limit_key(&decl.key),
            name_span: decl.name.span,
            used: false,
        }
    }

    /// N of `N per D` or `max_in_flight N`: 1 to `u32::MAX`.
    fn limit_count(&mut self, n: &IntLit) -> Option<u32> {
        let problem = match u32::try_from(n.value) {
            Ok(0) => LimitProblem::Zero,
            Ok(n) => return Some(n),
            Err(_) => LimitProblem::TooLarge,
        };
        self.problems.push(CheckError::InvalidLimit {
            span: n.span,
            problem,
        });
        None
    }

    /// What a limit counts by: a `str`, `ip` or `int` of the request phase.
    fn limit_key(&mut self, key: &Expr) -> Option<TypedExpr> {
        let phase = std::mem::replace(&mut self.phase, Phase::Request);
        let typed = self.expr(key);
        self.phase = phase;
        let typed = typed?;
        match &typed.ty {
            Type::Str | Type::Ip | Type::Int => return Some(typed),
            ty if ty.is_optional() => self.problems.push(CheckError::OptionalUsed {
                span: key.span,
                ty: typed.ty.clone(),
            }),
            _ => self.problems.push(CheckError::TypeMismatch {
                span: key.span,
                expected: Expected::LimitKey,
                found: typed.ty.clone(),
            }),
        }
        None
    }

    /// `rate_limit NAME [else STMT]`.
    pub(super) fn rate_limit(
        &mut self,
        name: &Ident,
        otherwise: Option<&Stmt>,
        span: Span,
        block: Span,
        section: Section,
    ) -> Option<TypedStmtKind> {
        if self.phase != Phase::Request {
            return self.not_allowed(span, Statement::RateLimit, section);
        }
        let otherwise = self.otherwise(otherwise, block, section);
        let Some(&id) = self.limit_ids.get(&name.name) else {
            let suggestion =
                super::suggest::closest(&name.name, self.limit_ids.keys().map(String::as_str));
            self.problems.push(CheckError::UnknownLimit {
                span: name.span,
                name: name.name.clone(),
                suggestion,
            });
            return None;
        };
        self.limits[id].used = true;
        Some(TypedStmtKind::RateLimit {
            limit: id,
            key: self.limits[id].key.clone()?,
            otherwise: otherwise?,
        })
    }

    /// `max_in_flight N [by KEY] [queue D] [else STMT]`.
    pub(super) fn max_in_flight(
        &mut self,
        (max, key, queue): (&IntLit, Option<&Expr>, Option<&Expr>),
        otherwise: Option<&Stmt>,
        span: Span,
        block: Span,
        section: Section,
    ) -> Option<TypedStmtKind> {
        if self.phase != Phase::Request {
            return self.not_allowed(span, Statement::MaxInFlight, section);
        }
        let max = self.limit_count(max);
        let key = key.map(|k| self.limit_key(k));
        let otherwise = self.otherwise(otherwise, block, section);
        let queue_ms = queue.and_then(|q| match q.kind {
            ExprKind::Duration(ms) => Some(ms),
            // The grammar only allows a duration literal here.
            _ => None,
        });
        let key = match key {
            Some(k) => Some(k?),
            None => None,
        };
        let (max, otherwise) = (max?, otherwise?);
        let index = self.in_flights.len();
        self.in_flights.push(TypedInFlight {
            label: self.place_label("max_in_flight", span),
            max,
            queue_ms,
        });
        Some(TypedStmtKind::MaxInFlight {
            index,
            key,
            otherwise,
        })
    }

    /// The `else` of a limit: one statement that answers (`respond`, `redirect`, `proxy`).
    /// `Some(None)` without one; `None` after a reported problem.
    fn otherwise(
        &mut self,
        otherwise: Option<&Stmt>,
        block: Span,
        section: Section,
    ) -> Option<Option<Box<TypedStmt>>> {
        let Some(stmt) = otherwise else {
            return Some(None);
        };
        if !stmt.kind.ends_request() {
            self.problems
                .push(CheckError::OtherwiseMustAnswer { span: stmt.span });
            return None;
        }
        let typed = self.stmt(&stmt.kind, stmt.span, block, section)?;
        Some(Some(Box::new(typed)))
    }

    /// `WHAT@FILE:LINE`: a stable name for a statement in metrics.
    fn place_label(&self, what: &str, span: Span) -> String {
        let file = self.sources.file_of(span);
        format!("{what}@{}:{}", file.file_name(), file.line_of(span))
    }

    /// Warns about limits no `rate_limit` uses.
    pub(super) fn unused_limits(&mut self) {
        // A misspelled `rate_limit` may have meant any of them.
        if self
            .problems
            .iter()
            .any(|p| matches!(p, CheckError::UnknownLimit { .. }))
        {
            return;
        }
        let unused: Vec<CheckError> = self
            .limits
            .iter()
            .filter(|l| !l.used)
            .map(|l| CheckError::UnusedLimit {
                span: l.name_span,
                name: l.limit.name.clone(),
            })
            .collect();
        self.problems.extend(unused);
    }
}
