//! Name resolution and type checking: [`ParsedProgram`] in, [`TypedProgram`] or problems out.
//!
//! The checker keeps going after a mistake so that one run reports everything it can; a program
//! is only handed on when no error was found. Warnings ride along either way.

mod basic;
mod caches;
mod client_address;
mod compress;
mod data;
mod error;
mod exprs;
mod files;
mod forward_auth;
mod items;
mod jwt;
mod limits;
mod named;
mod retry;
mod routes;
mod server;
mod stmts;
mod suggest;
mod test_blocks;
mod test_request;
mod tls;
mod unused_declarations;

pub use error::{
    BasicAuthProblem, CacheProblem, CheckError, Declaration, DuplicateKind, Expected, FileKind,
    ForwardAuthProblem, JwtProblem, LimitProblem, LogFieldProblem, Malformed, NeverRetries,
    Statement, StatusRange, TestProblem, TlsFix, WriteHint,
};
pub use stmts::ACCESS_LOG_FIELDS;

use std::collections::{HashMap, HashSet};

use pxy_dsl::ast::{Item, ParsedProgram};
use pxy_dsl::Span;

use crate::catalog::words::Phase;
use crate::files::FileLoader;
use crate::sources::SourceMap;
use crate::typed::{TypedProgram, TypedRoute};

/// The result of checking: what could be typed, and every problem found.
#[derive(Debug)]
pub struct Checked {
    /// The whole program when `problems` holds no error; otherwise the declarations and
    /// statements that could be typed (the rest is left out), for editors.
    pub program: TypedProgram,
    /// Errors and warnings, in source order.
    pub problems: Vec<CheckError>,
}

/// Checks a parsed program whose includes are expanded (see [`crate::include`]); `sources`
/// holds the text its spans point into, and `files` says whether the certificates and other
/// files it names exist (relative paths are relative to the file that names them).
pub fn check(parsed: &ParsedProgram, sources: &SourceMap, files: &dyn FileLoader) -> Checked {
    let mut cx = Checker::new(sources, files);
    cx.declare_upstreams(parsed);
    cx.declare_limits(parsed);
    cx.declare_data(parsed);
    cx.declare_caches(parsed);
    cx.declare_jwts(parsed);
    cx.declare_basic_auths(parsed);
    cx.declare_forward_auths(parsed);
    let mut program = TypedProgram {
        server: Vec::new(),
        listeners: Vec::new(),
        upstreams: Vec::new(),
        on_request: Vec::new(),
        routes: Vec::new(),
        on_response: Vec::new(),
        on_error: Vec::new(),
        on_log: Vec::new(),
        regexes: Vec::new(),
        variables: 0,
        bindings: Vec::new(),
        limits: Vec::new(),
        in_flights: Vec::new(),
        data: Vec::new(),
        caches: Vec::new(),
        jwts: Vec::new(),
        basic_auths: Vec::new(),
        forward_auths: Vec::new(),
        tests: Vec::new(),
    };
    // Routes without errors, and their heads: only these are compared for reachability.
    let mut route_heads = Vec::new();
    let mut checked_routes = Vec::new();
    let mut server_block: Option<Span> = None;
    for item in &parsed.items {
        match item {
            Item::Server(block) => {
                let settings = cx.server_block(block, server_block);
                server_block.get_or_insert(Span::new(block.span.start, block.span.start + 6));
                program.server.extend(settings);
            }
            Item::Listen(listen) => {
                if let Some(listener) = cx.listener(listen) {
                    program.listeners.push(listener);
                }
            }
            Item::Upstream(decl) => {
                if let Some(up) = cx.upstream(decl) {
                    program.upstreams.push(up);
                }
            }
            // Checked by the `declare_*` passes above, before any statement or expression
            // refers to them.
            Item::Limit(_)
            | Item::Data(_)
            | Item::Cache(_)
            | Item::Jwt(_)
            | Item::BasicAuth(_)
            | Item::ForwardAuth(_) => {}
            Item::On(on) => cx.on_block(on, &mut program),
            // The include pass replaces includes by the included items (or reports them).
            Item::Include(_) => {}
            // Checked last, against the checked upstreams and routes.
            Item::Test(_) => {}
            Item::Route(route) => {
                let (typed, ok) = cx.route(route);
                if ok {
                    checked_routes.push(program.routes.len());
                    route_heads.push(route);
                }
                program.routes.push(typed);
            }
        }
    }
    if program.listeners.is_empty() && !cx.saw_listener {
        cx.problems.push(CheckError::NoListener);
    }
    let checked: Vec<&TypedRoute> = checked_routes.iter().map(|&i| &program.routes[i]).collect();
    cx.unreachable_routes(&route_heads, &checked);
    cx.unused_lets();
    cx.unused_upstreams(parsed);
    cx.unused_limits();
    cx.untrusted_client_address();
    cx.access_log_settings(parsed);
    program.limits = cx.limits.iter().map(|l| l.limit.clone()).collect();
    program.in_flights = std::mem::take(&mut cx.in_flights);
    program.data = cx.checked_data();
    program.caches = cx.caches.iter().map(|c| c.cache.clone()).collect();
    cx.unchecked_purges(&program.on_request);
    program.jwts = cx.jwts.values();
    program.basic_auths = cx.basic_auths.values();
    program.forward_auths = cx.forward_auths.values();
    program.regexes = std::mem::take(&mut cx.regexes);
    cx.unused_declarations();
    cx.shared_cache_keys();
    program.tests = cx.tests(parsed, &program);
    program.variables = cx.variables;
    program.bindings = std::mem::take(&mut cx.bindings);
    program.bindings.sort_by_key(|b| b.name_span.start);
    program
        .upstreams
        .sort_by_key(|u| cx.upstream_ids.get(&u.name).map(|(id, _)| *id));

    let mut problems = cx.problems;
    problems.sort_by_key(|p| p.span().map(|s| s.start));
    Checked { program, problems }
}

/// The capture groups of one `as NAME` binding, while its block is checked.
#[derive(Debug)]
pub(crate) struct CaptureScope {
    /// Number of groups, not counting group 0 (the whole match).
    pub(crate) groups: usize,
    /// Group names, by group index (index 0 is the whole match, never named).
    pub(crate) names: Vec<Option<String>>,
    /// Groups used so far, with the variable holding each.
    pub(crate) used: Vec<(usize, usize)>,
    /// The binding itself was in error (already reported): references to it say nothing more.
    pub(crate) poisoned: bool,
}

/// What the checker carries while walking a program.
pub(crate) struct Checker<'src> {
    sources: &'src SourceMap,
    /// Where the files a program names (certificates) are looked for.
    files: &'src dyn FileLoader,
    pub(crate) problems: Vec<CheckError>,
    /// Upstream name → (index, declaration span).
    upstream_ids: HashMap<String, (usize, Span)>,
    used_upstreams: Vec<bool>,
    regexes: Vec<String>,
    /// `let` scopes, innermost last: name → (variable index, type). For a `captures` name the
    /// index is into `capture_scopes`. The type is `None` for a `let` whose value had an error
    /// (already reported): the name is known, and its uses report nothing more.
    scopes: Vec<Vec<(String, usize, Option<crate::types::Type>)>>,
    /// Capture bindings (`as m`), indexed from `scopes`.
    capture_scopes: Vec<CaptureScope>,
    /// Every `let` variable: its name, where it is declared, and whether it is read.
    let_uses: HashMap<usize, (Span, String, bool)>,
    variables: usize,
    /// Optionals proven present by an enclosing `if present(...)`.
    present: Vec<crate::typed::Field>,
    phase: Phase,
    /// Every `let` checked so far, for editors.
    bindings: Vec<crate::typed::Binding>,
    /// Log fields set so far in the blocks enclosing the current statement of `on log`.
    log_fields: Vec<(String, Span)>,
    saw_listener: bool,
    /// Route names (`route "api"`) → where first given.
    route_names: HashMap<String, Span>,
    listener_addrs: HashMap<std::net::SocketAddr, Span>,
    /// Limit name → index into `limits`.
    limit_ids: HashMap<String, usize>,
    /// Every limit declared without error, in source order.
    limits: Vec<limits::DeclaredLimit>,
    /// Cache name → index into `caches`.
    cache_ids: HashMap<String, usize>,
    /// Every cache declared, in source order.
    caches: Vec<caches::DeclaredCache>,
    /// Every `jwt` declared without error.
    jwts: named::Declared<crate::typed::TypedJwt>,
    /// Every `basic_auth` declared without error.
    basic_auths: named::Declared<crate::typed::TypedBasicAuth>,
    /// Every `forward_auth` declared without error.
    forward_auths: named::Declared<crate::typed::TypedForwardAuth>,
    /// Every route that caches, for W1105 once all are checked.
    caching_routes: Vec<caches::CachingRoute>,
    /// The verifiers and caches some statement names (even one with another error).
    named: HashSet<(Declaration, usize)>,
    /// Every `max_in_flight` checked so far.
    in_flights: Vec<crate::typed::TypedInFlight>,
    /// List or flag name → index into `data`.
    data_ids: HashMap<String, usize>,
    /// Every list and flag declared, in source order.
    data: Vec<data::DeclaredData>,
    /// The `proxy_protocol` lines of listeners that trust no proxy.
    untrusted_proxy_protocol: Vec<Span>,
    /// The first read of `client.ip` that can decide something (outside `on log`).
    client_ip_rule: Option<Span>,
}

impl<'src> Checker<'src> {
    /// Reports `name` as an upstream no declaration names, with the closest declared name.
    pub(crate) fn unknown_upstream(&mut self, name: &str, span: Span) {
        let suggestion = suggest::closest(name, self.upstream_ids.keys().map(String::as_str));
        self.problems.push(CheckError::UnknownUpstream {
            span,
            name: name.to_string(),
            suggestion,
        });
    }

    fn new(sources: &'src SourceMap, files: &'src dyn FileLoader) -> Self {
        Checker {
            sources,
            files,
            problems: Vec::new(),
            upstream_ids: HashMap::new(),
            used_upstreams: Vec::new(),
            regexes: Vec::new(),
            scopes: Vec::new(),
            capture_scopes: Vec::new(),
            let_uses: HashMap::new(),
            variables: 0,
            present: Vec::new(),
            phase: Phase::Request,
            bindings: Vec::new(),
            log_fields: Vec::new(),
            saw_listener: false,
            route_names: HashMap::new(),
            listener_addrs: HashMap::new(),
            limit_ids: HashMap::new(),
            limits: Vec::new(),
            in_flights: Vec::new(),
            data_ids: HashMap::new(),
            data: Vec::new(),
            cache_ids: HashMap::new(),
            caches: Vec::new(),
            jwts: named::Declared::default(),
            basic_auths: named::Declared::default(),
            forward_auths: named::Declared::default(),
            caching_routes: Vec::new(),
            named: HashSet::new(),
            untrusted_proxy_protocol: Vec::new(),
            client_ip_rule: None,
        }
    }

    /// The source text of `span`, as written.
    pub(crate) fn text(&self, span: Span) -> String {
        let file = self.sources.file_of(span);
        let local = file.local(span);
        file.text
            .get(local.start..local.end)
            .unwrap_or_default()
            .to_string()
    }

    /// Registers a regex (already validated) and returns its id, sharing identical sources.
    pub(crate) fn regex_id(&mut self, source: &str) -> usize {
        if let Some(i) = self.regexes.iter().position(|r| r == source) {
            return i;
        }
        self.regexes.push(source.to_string());
        self.regexes.len() - 1
    }

    /// A new variable of the generated code.
    pub(crate) fn new_variable(&mut self) -> usize {
        self.variables += 1;
        self.variables - 1
    }

    /// Checks `block` with `name` bound to the capture groups of `regex` (already validated),
    /// and returns the statements and the groups used.
    pub(crate) fn with_captures(
        &mut self,
        name: &pxy_dsl::ast::Ident,
        regex_source: &str,
        check_block: impl FnOnce(&mut Self) -> Vec<crate::typed::TypedStmt>,
    ) -> (Vec<crate::typed::TypedStmt>, Vec<(usize, usize)>) {
        let re = regex::Regex::new(regex_source).ok();
        let names: Vec<Option<String>> = re
            .as_ref()
            .map(|r| r.capture_names().map(|n| n.map(str::to_string)).collect())
            .unwrap_or_default();
        let index = self.capture_scopes.len();
        self.capture_scopes.push(CaptureScope {
            groups: names.len().saturating_sub(1),
            poisoned: re.is_none(),
            names,
            used: Vec::new(),
        });
        self.scopes.push(vec![(
            name.name.clone(),
            index,
            Some(crate::types::Type::Captures),
        )]);
        let stmts = check_block(self);
        self.scopes.pop();
        let used = std::mem::take(&mut self.capture_scopes[index].used);
        (stmts, used)
    }

    fn unused_lets(&mut self) {
        // A name a misspelled reference was probably meant for is not reported as unused too.
        let meant: Vec<&str> = self
            .problems
            .iter()
            .filter_map(|p| match p {
                CheckError::UnknownName {
                    suggestion: Some(s),
                    ..
                } => Some(s.as_str()),
                _ => None,
            })
            .collect();
        let mut unused: Vec<_> = self
            .let_uses
            .values()
            .filter(|(_, name, used)| {
                !used && !name.starts_with('_') && !meant.contains(&name.as_str())
            })
            .map(|(span, name, _)| CheckError::UnusedLet {
                span: *span,
                name: name.clone(),
            })
            .collect();
        unused.sort_by_key(|p| p.span().map(|s| s.start));
        self.problems.extend(unused);
    }

    fn unused_upstreams(&mut self, parsed: &ParsedProgram) {
        // A `proxy` that failed to resolve may have meant any upstream: saying they are unused
        // too would be noise.
        if self
            .problems
            .iter()
            .any(|p| matches!(p, CheckError::UnknownUpstream { .. }))
        {
            return;
        }
        for item in &parsed.items {
            if let Item::Upstream(decl) = item {
                if let Some((id, first)) = self.upstream_ids.get(&decl.name.name) {
                    if *first == decl.name.span && !self.used_upstreams[*id] {
                        self.problems.push(CheckError::UnusedUpstream {
                            span: decl.name.span,
                            name: decl.name.name.clone(),
                        });
                    }
                }
            }
        }
    }
}
