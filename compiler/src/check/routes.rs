//! Routes: matchers, the rule that every route ends in a terminal action, and routes that an
//! earlier route makes unreachable.

use pxy_dsl::ast::{Else, MatcherKind, OnBlock, Route, Stmt, StmtKind};

use super::error::{DuplicateKind, Malformed};
use super::{CheckError, Checker};
use crate::catalog::words::{self, Phase, Section, WordKind};
use crate::routing::covers;
use crate::typed::{TypedRoute, TypedStmt};

/// Whether every path through `stmts` ends in `respond`, `redirect` or `proxy`. Judged on the
/// source, so a terminal statement with a mistake in it still counts as terminal.
pub(crate) fn terminates(stmts: &[Stmt]) -> bool {
    stmts.iter().any(stmt_terminates)
}

pub(crate) fn stmt_terminates(stmt: &Stmt) -> bool {
    if let StmtKind::If { then, else_, .. } = &stmt.kind {
        return terminates(&then.stmts)
            && match else_.as_deref() {
                None => false,
                Some(Else::Block(b)) => terminates(&b.stmts),
                Some(Else::If(s)) => stmt_terminates(s),
            };
    }
    stmt.kind.ends_request()
}

impl Checker<'_> {
    /// Checks a route: the typed route (what could be typed, for editors) and whether it is
    /// free of errors.
    /// The route's name, checked to be unique, or where it starts.
    fn route_label(&mut self, route: &Route) -> String {
        if let Some(name) = &route.name {
            if let Some(first) = self.route_names.get(&name.value) {
                self.problems.push(CheckError::Duplicate {
                    span: name.span,
                    first: *first,
                    what: DuplicateKind::Route,
                    name: name.value.clone(),
                });
            } else {
                self.route_names.insert(name.value.clone(), name.span);
            }
            return name.value.clone();
        }
        let file = self.sources.file_of(route.span);
        let start = file.local(route.span).start;
        let line = 1 + file
            .text
            .get(..start)
            .unwrap_or_default()
            .matches('\n')
            .count();
        let name = std::path::Path::new(&file.path)
            .file_name()
            .map_or_else(|| file.path.clone(), |n| n.to_string_lossy().into_owned());
        format!("{name}:{line}")
    }

    pub(super) fn route(&mut self, route: &Route) -> (TypedRoute, bool) {
        self.phase = Phase::Request;
        let mut typed = TypedRoute {
            label: self.route_label(route),
            host: None,
            path_prefix: None,
            path_regex: None,
            methods: Vec::new(),
            headers: Vec::new(),
            captures: None,
            body: Vec::new(),
            on_response: Vec::new(),
        };
        let mut capture_name = None;
        let mut ok = true;
        for m in &route.matchers {
            match &m.kind {
                MatcherKind::Host(h) => typed.host = Some(h.value.to_ascii_lowercase()),
                MatcherKind::PathPrefix(p) => {
                    if !p.value.starts_with('/') {
                        self.problems.push(CheckError::InvalidLiteral {
                            span: p.span,
                            reason: Malformed::PathPrefix,
                        });
                        ok = false;
                    }
                    typed.path_prefix = Some(p.value.clone());
                }
                MatcherKind::PathRegex { regex: r, captures } => match self.regex(&r.value, r.span)
                {
                    Some(id) => {
                        typed.path_regex = Some(id);
                        capture_name = captures.as_ref().map(|c| (c, id));
                    }
                    None => ok = false,
                },
                MatcherKind::Method(methods) => {
                    typed.methods.extend(methods.iter().map(|m| m.name.clone()))
                }
                MatcherKind::Header { name, value } => {
                    match self.header_name(&name.value, name.span) {
                        Some(n) => typed
                            .headers
                            .push((n, value.as_ref().map(|v| v.value.clone()))),
                        None => ok = false,
                    }
                }
            }
        }
        typed.body = match capture_name {
            Some((name, regex)) => {
                let matched = self.new_variable();
                let source = self.regexes[regex].clone();
                let (body, groups) =
                    self.with_captures(name, &source, |cx| cx.block(&route.body, Section::Route));
                let subject = crate::typed::TypedExpr {
                    kind: crate::typed::TypedExprKind::Field(crate::typed::Field::ReqPath),
                    ty: crate::types::Type::Str,
                    span: route.head_span,
                };
                typed.captures = Some(crate::typed::CaptureBinding {
                    subject,
                    regex,
                    matched,
                    groups,
                });
                body
            }
            None => self.block(&route.body, Section::Route),
        };
        for on in &route.on {
            match self.route_phase(on) {
                Some(stmts) => typed.on_response.extend(stmts),
                None => ok = false,
            }
        }

        self.cache_warnings(&typed, route.head_span);
        if !terminates(&route.body.stmts) {
            let end = pxy_dsl::Span::new(route.body.span.end - 1, route.body.span.end);
            self.problems.push(CheckError::MissingTerminal {
                span: route.head_span,
                end,
            });
            ok = false;
        }
        (typed, ok)
    }

    /// An `on` block inside a route: `on response` is checked as the program's own is; any
    /// other phase is refused (E0404).
    fn route_phase(&mut self, on: &OnBlock) -> Option<Vec<TypedStmt>> {
        let section = self.word(
            &on.phase.name,
            on.phase.span,
            WordKind::Phase,
            words::PHASES,
        )?;
        match section {
            Section::OnResponse => {
                self.phase = section.phase();
                let stmts = self.block(&on.body, section);
                self.phase = Phase::Request;
                Some(stmts)
            }
            Section::OnRequest | Section::Route | Section::OnError | Section::OnLog => {
                self.problems.push(CheckError::PhaseInRoute {
                    span: on.phase.span,
                    section,
                });
                None
            }
        }
    }

    /// Warns about each route whose every request an earlier route already takes, about pairs
    /// whose order silently decides where shared requests go, and about a program whose
    /// routes leave some requests to the built-in 404.
    pub(super) fn unreachable_routes(&mut self, parsed: &[&Route], typed: &[&TypedRoute]) {
        for (later, later_route) in typed.iter().enumerate() {
            if let Some(earlier) = (0..later).find(|&e| covers(typed[e], later_route)) {
                self.problems.push(CheckError::UnreachableRoute {
                    span: parsed[later].head_span,
                    shadowed_by: parsed[earlier].head_span,
                });
                continue;
            }
            let overlapping = (0..later).find(|&e| {
                let a = typed[e];
                intersects(a, later_route) && !covers(later_route, a) && a.body != later_route.body
            });
            if let Some(earlier) = overlapping {
                self.problems.push(CheckError::OverlappingRoutes {
                    span: parsed[later].head_span,
                    earlier: parsed[earlier].head_span,
                    example: example_request(typed[earlier], later_route),
                });
            }
        }
        let has_fallback = typed.iter().any(|r| {
            r.host.is_none()
                && r.path_prefix.as_deref().is_none_or(|p| p == "/")
                && r.path_regex.is_none()
                && r.methods.is_empty()
                && r.headers.is_empty()
        });
        if let (false, Some(last)) = (has_fallback, parsed.last()) {
            self.problems.push(CheckError::NoFallbackRoute {
                span: last.head_span,
            });
        }
    }
}

/// Whether some request matches both routes. Regexes are not compared (a regex route is never
/// reported as overlapping: saying nothing beats a false alarm).
fn intersects(a: &TypedRoute, b: &TypedRoute) -> bool {
    if a.path_regex.is_some() || b.path_regex.is_some() {
        return false;
    }
    let host = a.host.is_none() || b.host.is_none() || a.host == b.host;
    let path = match (&a.path_prefix, &b.path_prefix) {
        (Some(pa), Some(pb)) => pa.starts_with(pb.as_str()) || pb.starts_with(pa.as_str()),
        _ => true,
    };
    let methods = a.methods.is_empty()
        || b.methods.is_empty()
        || a.methods.iter().any(|m| b.methods.contains(m));
    let headers = a.headers.iter().all(|(name, value)| {
        b.headers
            .iter()
            .all(|(n, v)| n != name || value.is_none() || v.is_none() || v == value)
    });
    host && path && methods && headers
}

/// A request both routes match, described for people.
fn example_request(a: &TypedRoute, b: &TypedRoute) -> String {
    let host = a
        .host
        .as_ref()
        .or(b.host.as_ref())
        .map_or("any host".to_string(), |h| format!("host {h}"));
    let path = match (&a.path_prefix, &b.path_prefix) {
        (Some(pa), Some(pb)) if pa.len() >= pb.len() => format!("path {pa}..."),
        (_, Some(p)) | (Some(p), None) => format!("path {p}..."),
        (None, None) => "any path".to_string(),
    };
    format!("{host}, {path}")
}
