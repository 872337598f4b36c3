//! Listeners, upstreams and `on` blocks.

use std::net::SocketAddr;

use pxy_dsl::ast::{
    Expr, ExprKind, Ident, Item, Listen, OnBlock, ParsedProgram, ServerDecl, Setting, Text,
    UpstreamDecl, UpstreamItem,
};

use super::suggest::closest;
use super::tls::UpstreamTlsLines;
use super::{Checker, Phase, Problem};
use crate::typed::{
    BalancePolicy, TypedDiscovery, TypedHealth, TypedListener, TypedPassive, TypedProgram,
    TypedServer, TypedUpstream, UpstreamSettings,
};

const PROTOCOLS: &[&str] = &["http", "https"];
const POLICIES: &[&str] = &[
    "round_robin",
    "random",
    "least_conn",
    "power_of_two",
    "hash",
];

/// What kind of value an option takes.
#[derive(Debug, Clone, Copy)]
enum OptionKind {
    /// `5s`
    Duration,
    /// `64KiB`
    Size,
    /// A whole number, at least `min`.
    Count { min: u64 },
    /// An HTTP status.
    Status,
    /// A TCP port.
    Port,
    /// One of these words (the value is its index).
    Word(&'static [&'static str]),
    /// A string without interpolation (the caller reads it from the setting).
    Text,
}

impl OptionKind {
    fn describe(self) -> String {
        match self {
            OptionKind::Duration => "a duration (with a unit, like `5s`)".into(),
            OptionKind::Size => "a size (with a unit, like `64KiB`)".into(),
            OptionKind::Count { min } => format!("a whole number, at least {min}"),
            OptionKind::Status => "a status from 100 to 599".into(),
            OptionKind::Port => "a port from 1 to 65535".into(),
            OptionKind::Word(words) => format!("one of: {}", words.join(", ")),
            OptionKind::Text => "a string without `{...}`, like \"api.internal\"".into(),
        }
    }
}

const UPSTREAM_SETTINGS: &[(&str, OptionKind)] = &[
    ("connect_timeout", OptionKind::Duration),
    ("read_timeout", OptionKind::Duration),
    ("write_timeout", OptionKind::Duration),
    ("request_timeout", OptionKind::Duration),
    ("retries", OptionKind::Count { min: 0 }),
    ("retry_body_limit", OptionKind::Size),
    ("max_connections", OptionKind::Count { min: 1 }),
    ("queue_timeout", OptionKind::Duration),
    ("max_idle", OptionKind::Count { min: 0 }),
    ("idle_timeout", OptionKind::Duration),
    (
        "when_all_down",
        OptionKind::Word(&["try_anyway", "unavailable"]),
    ),
    ("protocol", OptionKind::Word(&["http1", "h2"])),
    ("tls", OptionKind::Word(&["off", "on"])),
    ("tls_verify", OptionKind::Word(&["off", "on"])),
    ("tls_sni", OptionKind::Text),
    ("tls_ca", OptionKind::Text),
];
const HTTP_HEALTH_OPTIONS: &[(&str, OptionKind)] = &[
    ("expect", OptionKind::Status),
    ("every", OptionKind::Duration),
    ("timeout", OptionKind::Duration),
    ("rise", OptionKind::Count { min: 1 }),
    ("fall", OptionKind::Count { min: 1 }),
];
const TCP_HEALTH_OPTIONS: &[(&str, OptionKind)] = &[
    ("every", OptionKind::Duration),
    ("timeout", OptionKind::Duration),
    ("rise", OptionKind::Count { min: 1 }),
    ("fall", OptionKind::Count { min: 1 }),
];
const PASSIVE_OPTIONS: &[(&str, OptionKind)] = &[
    ("fails", OptionKind::Count { min: 1 }),
    ("cool_down", OptionKind::Duration),
];
const DNS_OPTIONS: &[(&str, OptionKind)] =
    &[("port", OptionKind::Port), ("every", OptionKind::Duration)];
const FILE_OPTIONS: &[(&str, OptionKind)] = &[("every", OptionKind::Duration)];

fn get(options: &[(&str, u64)], name: &str) -> Option<u64> {
    options.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}
const PHASES: &[&str] = &["request", "response", "error", "log"];

impl Checker<'_> {
    /// Records every upstream name first, so `proxy` may name one declared further down.
    pub(super) fn declare_upstreams(&mut self, parsed: &ParsedProgram) {
        for item in &parsed.items {
            let Item::Upstream(decl) = item else { continue };
            let name = &decl.name;
            if let Some((_, first)) = self.upstream_ids.get(&name.name) {
                self.problems.push(Problem::Duplicate {
                    span: name.span,
                    first: *first,
                    what: "upstream",
                    name: name.name.clone(),
                });
            } else {
                let id = self.used_upstreams.len();
                self.used_upstreams.push(false);
                self.upstream_ids.insert(name.name.clone(), (id, name.span));
            }
        }
    }

    pub(super) fn listener(&mut self, listen: &Listen) -> Option<TypedListener> {
        self.saw_listener = true;
        if !self.option(
            &listen.protocol.name,
            listen.protocol.span,
            "listener protocol",
            PROTOCOLS,
        ) {
            return None;
        }
        let tls = self.listener_tls(listen);
        let addr = self.socket_addr(&listen.addr)?;
        if let Some(first) = self.listener_addrs.get(&addr) {
            self.problems.push(Problem::Duplicate {
                span: listen.addr.span,
                first: *first,
                what: "listener",
                name: addr.to_string(),
            });
            return None;
        }
        self.listener_addrs.insert(addr, listen.addr.span);
        Some(TypedListener { addr, tls: tls? })
    }

    /// Checks that `name` is one of `choices`; reports it with a suggestion otherwise.
    pub(super) fn option(
        &mut self,
        name: &str,
        span: pxy_dsl::Span,
        what: &'static str,
        choices: &'static [&'static str],
    ) -> bool {
        if choices.contains(&name) {
            return true;
        }
        self.problems.push(Problem::UnknownOption {
            span,
            what,
            name: name.to_string(),
            choices: choices.to_vec(),
            suggestion: closest(name, choices.iter().copied()),
        });
        false
    }

    fn socket_addr(&mut self, text: &Text) -> Option<SocketAddr> {
        match text.value.parse::<SocketAddr>() {
            Ok(addr) => Some(addr),
            Err(_) => {
                let reason = if text.value.rsplit_once(':').is_some_and(|(h, _)| {
                    h.parse::<std::net::IpAddr>().is_err() && !h.starts_with('[')
                }) {
                    "host names are not resolved at build time; write an IP address like `127.0.0.1:8080`".to_string()
                } else {
                    "expected an IP address and a port from 0 to 65535".to_string()
                };
                self.problems.push(Problem::InvalidLiteral {
                    span: text.span,
                    what: "address",
                    reason,
                });
                None
            }
        }
    }

    pub(super) fn upstream(&mut self, decl: &UpstreamDecl) -> Option<TypedUpstream> {
        let mut up = TypedUpstream {
            name: decl.name.name.clone(),
            servers: Vec::new(),
            discovery: None,
            balance: BalancePolicy::RoundRobin,
            hash_key: None,
            settings: UpstreamSettings::default(),
            tls: None,
            http2: false,
            health: None,
            passive: None,
        };
        let mut tls_lines = UpstreamTlsLines::default();
        let mut ok = true;
        let mut discover_span = None;
        for item in &decl.items {
            match item {
                UpstreamItem::Server(server) => match self.server(server) {
                    Some(s) => up.servers.push(s),
                    None => ok = false,
                },
                UpstreamItem::Balance { policy, key, span } => {
                    ok &= self.balance(policy, key.as_ref(), *span, &mut up);
                }
                UpstreamItem::Setting(setting) => {
                    let Some(v) = self.option_value(setting, "upstream setting", UPSTREAM_SETTINGS)
                    else {
                        ok = false;
                        continue;
                    };
                    if self.upstream_tls_line(setting, v, &mut tls_lines) {
                        continue;
                    }
                    let st = &mut up.settings;
                    match setting.name.name.as_str() {
                        "connect_timeout" => st.connect_timeout_ms = Some(v),
                        "read_timeout" => st.read_timeout_ms = Some(v),
                        "write_timeout" => st.write_timeout_ms = Some(v),
                        "request_timeout" => st.total_timeout_ms = Some(v),
                        "retries" => st.retries = Some(v),
                        "retry_body_limit" => st.retry_body_limit = Some(v),
                        "max_connections" => st.max_connections = Some(v),
                        "queue_timeout" => st.queue_timeout_ms = Some(v),
                        "max_idle" => st.max_idle = Some(v),
                        "idle_timeout" => st.idle_timeout_ms = Some(v),
                        "protocol" => up.http2 = v == 1,
                        _ => st.all_down_unavailable = Some(v == 1),
                    }
                }
                UpstreamItem::Discover {
                    kind,
                    target,
                    options,
                    span,
                } => {
                    if let Some(first) = discover_span.replace(*span) {
                        self.problems.push(Problem::Duplicate {
                            span: *span,
                            first,
                            what: "discover",
                            name: up.name.clone(),
                        });
                        ok = false;
                        continue;
                    }
                    match self.discovery(kind, target, options) {
                        Some(d) => up.discovery = Some(d),
                        None => ok = false,
                    }
                }
                UpstreamItem::Health {
                    kind,
                    request,
                    options,
                    span,
                } => match self.health(kind, request.as_ref(), options, *span) {
                    Some(h) => up.health = Some(h),
                    None => ok = false,
                },
                UpstreamItem::Passive { options, .. } => {
                    let fails = self.options(options, "passive option", PASSIVE_OPTIONS);
                    match fails {
                        Some(o) => {
                            up.passive = Some(TypedPassive {
                                fails: get(&o, "fails"),
                                cool_down_ms: get(&o, "cool_down"),
                            })
                        }
                        None => ok = false,
                    }
                }
            }
        }
        if let (Some(span), false) = (discover_span, up.servers.is_empty()) {
            self.problems.push(Problem::InvalidLiteral {
                span,
                what: "upstream",
                reason: "an upstream takes either `server` lines or one `discover`, not both"
                    .into(),
            });
            ok = false;
        }
        if up.servers.is_empty() && discover_span.is_none() && ok {
            self.problems.push(Problem::EmptyUpstream {
                span: decl.name.span,
                name: up.name.clone(),
            });
            ok = false;
        }
        up.tls = self.upstream_tls(tls_lines);
        self.retry_algebra(decl, &up.settings);
        let first = self.upstream_ids.get(&up.name).map(|(_, s)| *s);
        (ok && first == Some(decl.name.span)).then_some(up)
    }

    fn server(&mut self, server: &ServerDecl) -> Option<TypedServer> {
        let weight = match server.weight {
            Some(w) if w.value == 0 => {
                self.problems.push(Problem::ZeroWeight { span: w.span });
                return None;
            }
            Some(w) => u32::try_from(w.value).unwrap_or(u32::MAX),
            None => 1,
        };
        let addr = self.socket_addr(&server.addr)?;
        Some(TypedServer {
            addr,
            weight,
            backup: server.backup,
        })
    }

    /// `balance POLICY` or `balance hash(KEY)`; the key is a `str` of the request.
    fn balance(
        &mut self,
        policy: &Ident,
        key: Option<&Expr>,
        span: pxy_dsl::Span,
        up: &mut TypedUpstream,
    ) -> bool {
        if !self.option(&policy.name, policy.span, "balancing policy", POLICIES) {
            return false;
        }
        up.balance = match policy.name.as_str() {
            "random" => BalancePolicy::Random,
            "least_conn" => BalancePolicy::LeastConn,
            "power_of_two" => BalancePolicy::PowerOfTwo,
            "hash" => BalancePolicy::Hash,
            _ => BalancePolicy::RoundRobin,
        };
        match (up.balance, key) {
            (BalancePolicy::Hash, Some(key)) => {
                self.phase = Phase::Request;
                self.scopes.push(Vec::new());
                up.hash_key = self.expect(key, &crate::types::Type::Str);
                self.scopes.pop();
                up.hash_key.is_some()
            }
            (BalancePolicy::Hash, None) => {
                self.problems.push(Problem::InvalidLiteral {
                    span,
                    what: "balancing policy",
                    reason:
                        "`hash` needs a key, like `balance hash(req.cookies[\"session\"] ?? \"\")`"
                            .into(),
                });
                false
            }
            (_, Some(key)) => {
                self.problems.push(Problem::InvalidLiteral {
                    span: key.span,
                    what: "balancing policy",
                    reason: format!("only `hash` takes a key, not `{}`", policy.name),
                });
                false
            }
            (_, None) => true,
        }
    }

    fn discovery(
        &mut self,
        kind: &Ident,
        target: &pxy_dsl::ast::Text,
        options: &[Setting],
    ) -> Option<TypedDiscovery> {
        if !self.option(&kind.name, kind.span, "discovery", &["dns", "file"]) {
            return None;
        }
        if kind.name == "dns" {
            let o = self.options(options, "dns discovery option", DNS_OPTIONS)?;
            let Some(port) = get(&o, "port") else {
                self.problems.push(Problem::InvalidLiteral {
                    span: target.span,
                    what: "discovery",
                    reason: "DNS discovery needs the servers' port: `port 8080`".into(),
                });
                return None;
            };
            Some(TypedDiscovery::Dns {
                name: target.value.clone(),
                port: u16::try_from(port).ok()?,
                every_ms: get(&o, "every"),
            })
        } else {
            let o = self.options(options, "file discovery option", FILE_OPTIONS)?;
            Some(TypedDiscovery::File {
                path: target.value.clone(),
                every_ms: get(&o, "every"),
            })
        }
    }

    fn health(
        &mut self,
        kind: &Ident,
        request: Option<&(Ident, pxy_dsl::ast::Text)>,
        options: &[Setting],
        span: pxy_dsl::Span,
    ) -> Option<TypedHealth> {
        if !self.option(&kind.name, kind.span, "health check", &["http", "tcp"]) {
            return None;
        }
        let table = if kind.name == "http" {
            HTTP_HEALTH_OPTIONS
        } else {
            TCP_HEALTH_OPTIONS
        };
        let o = self.options(options, "health check option", table)?;
        let http = match (kind.name.as_str(), request) {
            ("http", Some((method, path))) => {
                if !path.value.starts_with('/') {
                    self.problems.push(Problem::InvalidLiteral {
                        span: path.span,
                        what: "health check path",
                        reason: "a path starts with `/`".into(),
                    });
                    return None;
                }
                Some((method.name.clone(), path.value.clone()))
            }
            ("http", None) => {
                self.problems.push(Problem::InvalidLiteral {
                    span,
                    what: "health check",
                    reason:
                        "an HTTP check needs a method and a path: `health http GET \"/healthz\"`"
                            .into(),
                });
                return None;
            }
            (_, Some((method, _))) => {
                self.problems.push(Problem::InvalidLiteral {
                    span: method.span,
                    what: "health check",
                    reason: "a TCP check sends no request".into(),
                });
                return None;
            }
            (_, None) => None,
        };
        Some(TypedHealth {
            http,
            expect: get(&o, "expect").and_then(|v| u16::try_from(v).ok()),
            every_ms: get(&o, "every"),
            timeout_ms: get(&o, "timeout"),
            rise: get(&o, "rise"),
            fall: get(&o, "fall"),
        })
    }

    /// Checks each option against `table`; `None` when any is wrong (all are reported).
    fn options(
        &mut self,
        options: &[Setting],
        what: &'static str,
        table: &'static [(&'static str, OptionKind)],
    ) -> Option<Vec<(&'static str, u64)>> {
        let mut out = Vec::new();
        let mut ok = true;
        for o in options {
            match self.option_value(o, what, table) {
                Some(v) => out.push((
                    table
                        .iter()
                        .find(|(n, _)| *n == o.name.name)
                        .map_or("", |(n, _)| *n),
                    v,
                )),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// The value of one `NAME VALUE` option, checked for its name and its kind of value.
    fn option_value(
        &mut self,
        setting: &Setting,
        what: &'static str,
        table: &'static [(&'static str, OptionKind)],
    ) -> Option<u64> {
        let Some((_, kind)) = table.iter().find(|(n, _)| *n == setting.name.name) else {
            let names: Vec<&'static str> = table.iter().map(|(n, _)| *n).collect();
            self.problems.push(Problem::UnknownOption {
                span: setting.name.span,
                what,
                name: setting.name.name.clone(),
                choices: table.iter().map(|(n, _)| *n).collect(),
                suggestion: closest(&setting.name.name, names),
            });
            return None;
        };
        let value = &setting.value;
        let got = match (kind, &value.kind) {
            (OptionKind::Duration, ExprKind::Duration(ms)) => Some(*ms),
            (OptionKind::Size, ExprKind::Size(b)) => Some(*b),
            (OptionKind::Count { min }, ExprKind::Int(n)) if n >= min => Some(*n),
            (OptionKind::Status, ExprKind::Int(n)) if (100..=599).contains(n) => Some(*n),
            (OptionKind::Port, ExprKind::Int(n)) if (1..=65535).contains(n) => Some(*n),
            (OptionKind::Text, ExprKind::Str(parts))
                if parts
                    .iter()
                    .all(|p| matches!(p, pxy_dsl::ast::StrPart::Text(_))) =>
            {
                Some(0)
            }
            (OptionKind::Word(words), ExprKind::Path(p)) if p.len() == 1 => {
                match words.iter().position(|w| *w == p[0].name) {
                    Some(i) => Some(i as u64),
                    None => {
                        self.problems.push(Problem::UnknownOption {
                            span: value.span,
                            what: "value",
                            name: p[0].name.clone(),
                            choices: words.to_vec(),
                            suggestion: closest(&p[0].name, words.iter().copied()),
                        });
                        return None;
                    }
                }
            }
            _ => None,
        };
        if got.is_none() {
            let found = match &value.kind {
                ExprKind::Path(_) => crate::types::Type::Str,
                k => super::exprs::literal_type(k),
            };
            self.problems.push(Problem::TypeMismatch {
                span: value.span,
                expected: kind.describe(),
                found,
            });
        }
        got
    }

    /// Warns when the time for all tries (`connect_timeout` × (`retries` + 1)) exceeds the
    /// `request_timeout`, so the last retries can never run.
    fn retry_algebra(&mut self, decl: &UpstreamDecl, st: &UpstreamSettings) {
        let Some(total) = st.total_timeout_ms else {
            return;
        };
        let per_try = st.connect_timeout_ms.unwrap_or(5_000);
        let needed = per_try.saturating_mul(st.retries.unwrap_or(0).saturating_add(1));
        if st.retries.unwrap_or(0) > 0 && needed > total {
            let span = decl.items.iter().find_map(|i| match i {
                UpstreamItem::Setting(s) if s.name.name == "request_timeout" => Some(s.span),
                _ => None,
            });
            if let Some(span) = span {
                self.problems.push(Problem::RetriesNeverRun {
                    span,
                    needed_ms: needed,
                    total_ms: total,
                });
            }
        }
    }

    pub(super) fn on_block(&mut self, on: &OnBlock, program: &mut TypedProgram) {
        if !self.option(&on.phase.name, on.phase.span, "phase", PHASES) {
            return;
        }
        let (phase, section) = match on.phase.name.as_str() {
            "response" => (Phase::Response, "on response"),
            "error" => (Phase::Error, "on error"),
            "log" => (Phase::Log, "on log"),
            _ => (Phase::Request, "on request"),
        };
        self.phase = phase;
        let stmts = self.block(&on.body, section);
        match phase {
            Phase::Request => program.on_request.extend(stmts),
            Phase::Response => program.on_response.extend(stmts),
            Phase::Error => program.on_error.extend(stmts),
            Phase::Log => program.on_log.extend(stmts),
        }
    }
}
