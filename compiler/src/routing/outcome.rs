//! What a route can do with a request: the leaves of the routing tree. Collected from the typed
//! statements with the typed visitor, so an `if` or a limit's `else` contributes its own.

use std::fmt;

use crate::typed::visit::{walk_stmt, Visit};
use crate::typed::{StatusValue, TypedProgram, TypedRoute, TypedStmt, TypedStmtKind};

/// One way a route ends a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome<'p> {
    /// `proxy NAME`.
    Proxy(&'p str),
    /// `respond STATUS`; `None` for a status computed at run time (`error.status`).
    Respond(Option<u16>),
    /// `redirect STATUS "..."`.
    Redirect(u16),
    /// `cache NAME`: a hit is answered from it.
    Cache(&'p str),
    /// `purge NAME`.
    Purge(&'p str),
    /// `rate_limit NAME` with no `else`: the 429 error page.
    RateLimited(&'p str),
    /// `max_in_flight N` with no `else`: the 503 error page.
    TooManyInFlight(&'p str),
    /// `verify_jwt NAME`: 401 for a request without an accepted token.
    NoValidToken(&'p str),
    /// `verify_basic NAME`: 401 for a request without a known user and password.
    NoValidUser(&'p str),
    /// `verify_forward NAME`: the auth service's answer when it is not a `2xx`.
    AuthServiceRefused(&'p str),
}

impl fmt::Display for Outcome<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Proxy(name) => write!(f, "proxy {name}"),
            Outcome::Respond(Some(status)) => write!(f, "respond {status}"),
            Outcome::Respond(None) => write!(f, "respond (computed status)"),
            Outcome::Redirect(status) => write!(f, "redirect {status}"),
            Outcome::Cache(name) => write!(f, "hit in cache {name}"),
            Outcome::Purge(name) => write!(f, "purge {name}"),
            Outcome::RateLimited(name) => write!(f, "429 (rate_limit {name})"),
            Outcome::TooManyInFlight(label) => write!(f, "503 ({label})"),
            Outcome::NoValidToken(name) => write!(f, "401 (verify_jwt {name})"),
            Outcome::NoValidUser(name) => write!(f, "401 (verify_basic {name})"),
            Outcome::AuthServiceRefused(name) => {
                write!(f, "the auth service's refusal (verify_forward {name})")
            }
        }
    }
}

/// The ways `route` ends a request, in source order, each once.
pub fn outcomes<'p>(program: &'p TypedProgram, route: &'p TypedRoute) -> Vec<Outcome<'p>> {
    let mut collector = Collector {
        program,
        found: Vec::new(),
    };
    crate::typed::visit::walk_stmts(&mut collector, &route.body);
    collector.found
}

struct Collector<'p> {
    program: &'p TypedProgram,
    found: Vec<Outcome<'p>>,
}

impl<'p> Visit<'p> for Collector<'p> {
    fn visit_stmt(&mut self, stmt: &'p TypedStmt) {
        let program = self.program;
        let outcome = match &stmt.kind {
            TypedStmtKind::Proxy { upstream, .. } => {
                Some(Outcome::Proxy(&program.upstreams[*upstream].name))
            }
            TypedStmtKind::Respond { status, .. } => Some(Outcome::Respond(match status {
                StatusValue::Literal(s) => Some(*s),
                StatusValue::Expr(_) => None,
            })),
            TypedStmtKind::Redirect { status, .. } => Some(Outcome::Redirect(*status)),
            TypedStmtKind::Cache { cache, .. } => {
                Some(Outcome::Cache(&program.caches[*cache].name))
            }
            TypedStmtKind::Purge { cache, .. } => {
                Some(Outcome::Purge(&program.caches[*cache].name))
            }
            TypedStmtKind::RateLimit {
                limit,
                otherwise: None,
                ..
            } => Some(Outcome::RateLimited(&program.limits[*limit].name)),
            TypedStmtKind::MaxInFlight {
                index,
                otherwise: None,
                ..
            } => Some(Outcome::TooManyInFlight(&program.in_flights[*index].label)),
            TypedStmtKind::VerifyJwt(jwt) => Some(Outcome::NoValidToken(&program.jwts[*jwt].name)),
            TypedStmtKind::VerifyForward { verifier, .. } => Some(Outcome::AuthServiceRefused(
                &program.forward_auths[*verifier].name,
            )),
            TypedStmtKind::VerifyBasic(basic) => {
                Some(Outcome::NoValidUser(&program.basic_auths[*basic].name))
            }
            TypedStmtKind::RateLimit {
                otherwise: Some(_), ..
            }
            | TypedStmtKind::MaxInFlight {
                otherwise: Some(_), ..
            }
            | TypedStmtKind::SetHeader { .. }
            | TypedStmtKind::AddHeader { .. }
            | TypedStmtKind::RemoveHeader { .. }
            | TypedStmtKind::StripPrefix(_)
            | TypedStmtKind::RewritePath(_)
            | TypedStmtKind::SetLogField { .. }
            | TypedStmtKind::If { .. }
            | TypedStmtKind::Let { .. }
            | TypedStmtKind::Compress(_) => None,
        };
        if let Some(outcome) = outcome.filter(|o| !self.found.contains(o)) {
            self.found.push(outcome);
        }
        walk_stmt(self, stmt);
    }
}
