//! `proxyc diff`: what changes for traffic between two versions of a program, in the terms an
//! operator reviews before a deploy.
//!
//! Text diffs show edits; this shows consequences: listeners and upstreams (servers, weights,
//! policy, timeouts) added, removed or changed; routes added or removed; and, most useful,
//! *requests that now go elsewhere*. For that, every route of both versions contributes a probe
//! request built from its matchers (host, a path under its prefix, its first method, its
//! required headers); each probe is routed through both versions with the same first-match
//! rule the proxy uses, and the outcomes ("proxy api", "respond 404", ...) are compared.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::typed::{
    BalancePolicy, ListElement, StatusValue, TypedData, TypedDataKind, TypedLimit, TypedProgram,
    TypedRoute, TypedStmt, TypedStmtKind, TypedUpstream,
};

/// One difference, already in words.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// `+` added, `-` removed, `~` changed.
    pub sign: char,
    /// What changed.
    pub text: String,
}

/// The differences from `old` to `new`; empty when they route and answer every request alike
/// (as far as their declarations and the probes can tell).
pub fn diff(old: &TypedProgram, new: &TypedProgram) -> Vec<Change> {
    let mut changes = Vec::new();
    server(old, new, &mut changes);
    listeners(old, new, &mut changes);
    upstreams(old, new, &mut changes);
    limits(old, new, &mut changes);
    data(old, new, &mut changes);
    caches(old, new, &mut changes);
    jwts(old, new, &mut changes);
    basic_auths(old, new, &mut changes);
    forward_auths(old, new, &mut changes);
    routes(old, new, &mut changes);
    for (name, a, b) in [
        ("on request", &old.on_request, &new.on_request),
        ("on response", &old.on_response, &new.on_response),
        ("on error", &old.on_error, &new.on_error),
        ("on log", &old.on_log, &new.on_log),
    ] {
        if a != b {
            changes.push(Change {
                sign: '~',
                text: format!("`{name}` changed"),
            });
        }
    }
    changes
}

/// The changes as lines, `~ upstream api: server 127.0.0.1:9002 removed`.
pub fn render(changes: &[Change]) -> String {
    let mut out = String::new();
    for c in changes {
        let _ = writeln!(out, "{} {}", c.sign, c.text);
    }
    out
}

/// `~ server: grace_period changed` for each setting of `server { }` set, removed or changed.
fn server(old: &TypedProgram, new: &TypedProgram, out: &mut Vec<Change>) {
    for word in crate::catalog::settings::SERVER_SETTINGS {
        let value = |p: &TypedProgram| {
            p.server
                .iter()
                .find(|(s, _)| *s == word.value.0)
                .map(|(_, v)| v.clone())
        };
        if value(old) != value(new) {
            out.push(Change {
                sign: '~',
                text: format!("server: {} changed", word.word),
            });
        }
    }
}

fn listeners(old: &TypedProgram, new: &TypedProgram, out: &mut Vec<Change>) {
    for addr in old.listeners.iter().filter(|a| !new.listeners.contains(a)) {
        out.push(Change {
            sign: '-',
            text: format!("listener {addr}"),
        });
    }
    for addr in new.listeners.iter().filter(|a| !old.listeners.contains(a)) {
        out.push(Change {
            sign: '+',
            text: format!("listener {addr}"),
        });
    }
}

/// JWT verifiers added, removed, or changed (keys, issuer, audience, leeway, cookie).
fn jwts(old: &TypedProgram, new: &TypedProgram, out: &mut Vec<Change>) {
    declarations("jwt", &old.jwts, &new.jwts, |j| &j.name, out);
}

/// Basic authentication verifiers added, removed, or changed (users file, realm).
fn basic_auths(old: &TypedProgram, new: &TypedProgram, out: &mut Vec<Change>) {
    declarations(
        "basic_auth",
        &old.basic_auths,
        &new.basic_auths,
        |b| &b.name,
        out,
    );
}

/// Forward authentication verifiers added, removed, or changed (service, uri, headers,
/// timeout). The service is compared by name: upstream indexes differ between programs.
fn forward_auths(old: &TypedProgram, new: &TypedProgram, out: &mut Vec<Change>) {
    let by_name = |p: &TypedProgram| -> Vec<(crate::typed::TypedForwardAuth, String)> {
        (p.forward_auths.iter())
            .map(|f| {
                let service = p.upstreams[f.service].name.clone();
                (
                    crate::typed::TypedForwardAuth {
                        service: 0,
                        ..f.clone()
                    },
                    service,
                )
            })
            .collect()
    };
    declarations(
        "forward_auth",
        &by_name(old),
        &by_name(new),
        |(f, _)| &f.name,
        out,
    );
}

/// Named declarations (`WORD NAME { ... }`) added, removed, or changed.
fn declarations<T: PartialEq>(
    word: &str,
    old: &[T],
    new: &[T],
    name: fn(&T) -> &str,
    out: &mut Vec<Change>,
) {
    let find = |all: &'_ [T], wanted: &str| all.iter().position(|d| name(d) == wanted);
    for d in old {
        match find(new, name(d)) {
            None => out.push(Change {
                sign: '-',
                text: format!("{word} {}", name(d)),
            }),
            Some(i) if new[i] != *d => out.push(Change {
                sign: '~',
                text: format!("{word} {} changed", name(d)),
            }),
            Some(_) => {}
        }
    }
    for d in new.iter().filter(|d| find(old, name(d)).is_none()) {
        out.push(Change {
            sign: '+',
            text: format!("{word} {}", name(d)),
        });
    }
}

/// Caches added, removed, or resized (what routes cache is compared with the routes).
fn caches(old: &TypedProgram, new: &TypedProgram, out: &mut Vec<Change>) {
    let by_name = |p: &TypedProgram| -> BTreeMap<String, (u64, u64)> {
        p.caches
            .iter()
            .map(|c| (c.name.clone(), (c.size, c.max_object)))
            .collect()
    };
    let (a, b) = (by_name(old), by_name(new));
    let show = |(size, max): (u64, u64)| format!("size {size}B max_object {max}B");
    for (name, sizes) in &a {
        match b.get(name) {
            None => out.push(Change {
                sign: '-',
                text: format!("cache {name}"),
            }),
            Some(m) if m != sizes => out.push(Change {
                sign: '~',
                text: format!("cache {name}: {} → {}", show(*sizes), show(*m)),
            }),
            Some(_) => {}
        }
    }
    for (name, sizes) in b.iter().filter(|(n, _)| !a.contains_key(*n)) {
        out.push(Change {
            sign: '+',
            text: format!("cache {name}: {}", show(*sizes)),
        });
    }
}

/// Limits added, removed, or whose numbers changed (`max_in_flight` statements are route
/// statements, compared with the routes).
fn limits(old: &TypedProgram, new: &TypedProgram, out: &mut Vec<Change>) {
    let by_name = |p: &TypedProgram| -> BTreeMap<String, TypedLimit> {
        p.limits
            .iter()
            .map(|l| (l.name.clone(), l.clone()))
            .collect()
    };
    let (a, b) = (by_name(old), by_name(new));
    let show = |l: &TypedLimit| {
        let mut text = format!("{} per {}ms", l.requests, l.period_ms);
        if let Some(burst) = l.burst {
            let _ = write!(text, " burst {burst}");
        }
        if let Some(keys) = l.keys {
            let _ = write!(text, " keys {keys}");
        }
        text
    };
    for (name, l) in &a {
        match b.get(name) {
            None => out.push(Change {
                sign: '-',
                text: format!("limit {name}"),
            }),
            Some(m) if m != l => out.push(Change {
                sign: '~',
                text: format!("limit {name}: {} → {}", show(l), show(m)),
            }),
            Some(_) => {}
        }
    }
    for name in b.keys().filter(|n| !a.contains_key(*n)) {
        out.push(Change {
            sign: '+',
            text: format!("limit {name}"),
        });
    }
}

/// Lists and flags added, removed, or read from another file or as another type (their
/// contents are run-time data: a changed file is no change of the program).
fn data(old: &TypedProgram, new: &TypedProgram, out: &mut Vec<Change>) {
    let by_name = |p: &TypedProgram| -> BTreeMap<String, TypedData> {
        p.data.iter().map(|d| (d.name.clone(), d.clone())).collect()
    };
    let (a, b) = (by_name(old), by_name(new));
    let show = |d: &TypedData| {
        let kind = match d.kind {
            TypedDataKind::Flag => "flag",
            TypedDataKind::List(ListElement::Str) => "list of str",
            TypedDataKind::List(ListElement::Int) => "list of int",
            TypedDataKind::List(ListElement::Cidr) => "list of cidr",
        };
        format!("{kind} from {}", d.path)
    };
    for (name, d) in &a {
        match b.get(name) {
            None => out.push(Change {
                sign: '-',
                text: format!("{} {name}", d.kind_word()),
            }),
            Some(e) if e != d => out.push(Change {
                sign: '~',
                text: format!("{name}: {} → {}", show(d), show(e)),
            }),
            Some(_) => {}
        }
    }
    for (name, d) in b.iter().filter(|(n, _)| !a.contains_key(*n)) {
        out.push(Change {
            sign: '+',
            text: format!("{} {name}", d.kind_word()),
        });
    }
}

fn upstreams(old: &TypedProgram, new: &TypedProgram, out: &mut Vec<Change>) {
    let by_name = |p: &TypedProgram| -> BTreeMap<String, TypedUpstream> {
        p.upstreams
            .iter()
            .map(|u| (u.name.clone(), u.clone()))
            .collect()
    };
    let (a, b) = (by_name(old), by_name(new));
    for name in a.keys().filter(|n| !b.contains_key(*n)) {
        out.push(Change {
            sign: '-',
            text: format!("upstream {name}"),
        });
    }
    for (name, up) in b.iter().filter(|(n, _)| !a.contains_key(*n)) {
        out.push(Change {
            sign: '+',
            text: format!("upstream {name} ({})", servers(up)),
        });
    }
    for (name, before) in &a {
        let Some(after) = b.get(name) else { continue };
        for server in &before.servers {
            match after.servers.iter().find(|s| s.addr == server.addr) {
                None => out.push(Change {
                    sign: '~',
                    text: format!("upstream {name}: server {} removed", server.addr),
                }),
                Some(s) if s != server => out.push(Change {
                    sign: '~',
                    text: format!(
                        "upstream {name}: server {} -> {}",
                        describe_server(server),
                        describe_server(s)
                    ),
                }),
                Some(_) => {}
            }
        }
        for server in after
            .servers
            .iter()
            .filter(|s| !before.servers.iter().any(|x| x.addr == s.addr))
        {
            out.push(Change {
                sign: '~',
                text: format!("upstream {name}: server {} added", describe_server(server)),
            });
        }
        let mut changed = |what: &str, x: String, y: String| {
            if x != y {
                out.push(Change {
                    sign: '~',
                    text: format!("upstream {name}: {what} {x} -> {y}"),
                });
            }
        };
        changed(
            "balance",
            policy(before.balance).into(),
            policy(after.balance).into(),
        );
        changed(
            "discovery",
            format!("{:?}", before.discovery),
            format!("{:?}", after.discovery),
        );
        changed(
            "health check",
            format!("{:?}", before.health),
            format!("{:?}", after.health),
        );
        changed(
            "passive health",
            format!("{:?}", before.passive),
            format!("{:?}", after.passive),
        );
        changed("protocol", protocol(before).into(), protocol(after).into());
        changed("tls", tls(before), tls(after));
        changed(
            "retry_on",
            statuses(before.settings.retry_on.as_deref()),
            statuses(after.settings.retry_on.as_deref()),
        );
        for ((what, x), (_, y)) in settings(&before.settings)
            .into_iter()
            .zip(settings(&after.settings))
        {
            changed(what, setting(x), setting(y));
        }
    }
}

fn describe_server(s: &crate::typed::TypedServer) -> String {
    format!(
        "{} weight {}{}",
        s.addr,
        s.weight,
        if s.backup { " backup" } else { "" }
    )
}

/// Every setting with its value, in declaration-reference order.
fn settings(st: &crate::typed::UpstreamSettings) -> [(&'static str, Option<u64>); 17] {
    [
        ("connect_timeout", st.connect_timeout_ms),
        ("read_timeout", st.read_timeout_ms),
        ("write_timeout", st.write_timeout_ms),
        ("request_timeout", st.total_timeout_ms),
        ("try_timeout", st.try_timeout_ms),
        ("retries", st.retries),
        (
            "retry_non_idempotent",
            st.retry_non_idempotent.map(u64::from),
        ),
        ("retry_budget", st.retry_budget_percent),
        ("retry_budget_min", st.retry_budget_min),
        ("retry_body_limit", st.retry_body_limit),
        ("max_connections", st.max_connections),
        ("queue_timeout", st.queue_timeout_ms),
        ("max_idle", st.max_idle),
        ("idle_timeout", st.idle_timeout_ms),
        ("tunnel_idle_timeout", st.tunnel_idle_timeout_ms),
        ("grpc_max_timeout", st.grpc_max_timeout_ms),
        (
            "when_all_down unavailable",
            st.all_down_unavailable.map(u64::from),
        ),
    ]
}

fn servers(up: &TypedUpstream) -> String {
    match &up.discovery {
        Some(d) => format!("{d:?}"),
        None => up
            .servers
            .iter()
            .map(describe_server)
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn policy(p: BalancePolicy) -> &'static str {
    match p {
        BalancePolicy::RoundRobin => "round_robin",
        BalancePolicy::Random => "random",
        BalancePolicy::LeastConn => "least_conn",
        BalancePolicy::PowerOfTwo => "power_of_two",
        BalancePolicy::Hash => "hash",
    }
}

fn statuses(value: Option<&[u16]>) -> String {
    value.map_or_else(
        || "default".to_string(),
        |s| s.iter().map(u16::to_string).collect::<Vec<_>>().join(", "),
    )
}

fn setting(value: Option<u64>) -> String {
    value.map_or_else(|| "default".to_string(), |v| v.to_string())
}

// ===== Routes =====

/// A route's matchers, as written in the program: its identity across versions.
fn signature(route: &TypedRoute, program: &TypedProgram) -> String {
    let mut s = String::from("route");
    if let Some(h) = &route.host {
        let _ = write!(s, " host \"{h}\"");
    }
    if let Some(p) = &route.path_prefix {
        let _ = write!(s, " path \"{p}\"");
    }
    if let Some(r) = route.path_regex {
        let _ = write!(s, " path ~ /{}/", program.regexes[r].replace('/', "\\/"));
    }
    if !route.methods.is_empty() {
        let _ = write!(s, " method {}", route.methods.join(", "));
    }
    for (name, value) in &route.headers {
        match value {
            Some(v) => {
                let _ = write!(s, " header \"{name}\" == \"{v}\"");
            }
            None => {
                let _ = write!(s, " header \"{name}\"");
            }
        }
    }
    s
}

fn routes(old: &TypedProgram, new: &TypedProgram, out: &mut Vec<Change>) {
    let sigs =
        |p: &TypedProgram| -> Vec<String> { p.routes.iter().map(|r| signature(r, p)).collect() };
    let (a, b) = (sigs(old), sigs(new));
    for s in a.iter().filter(|s| !b.contains(s)) {
        out.push(Change {
            sign: '-',
            text: s.clone(),
        });
    }
    for s in b.iter().filter(|s| !a.contains(s)) {
        out.push(Change {
            sign: '+',
            text: s.clone(),
        });
    }
    // Routes in both versions whose own answers changed (this also covers regex routes, which
    // probes cannot reach).
    for (i, sig) in a.iter().enumerate() {
        if let Some(j) = b.iter().position(|s| s == sig) {
            let (x, y) = (
                terminals(&old.routes[i].body, old),
                terminals(&new.routes[j].body, new),
            );
            let (before, after) = (&old.routes[i], &new.routes[j]);
            if x != y {
                out.push(Change {
                    sign: '~',
                    text: format!("{sig}: {} -> {}", x.join(" or "), y.join(" or ")),
                });
            } else if before.body != after.body
                || before.captures != after.captures
                || before.on_response != after.on_response
            {
                // Same answers, other work on the way: conditions, values, headers.
                out.push(Change {
                    sign: '~',
                    text: format!("{sig}: its statements changed"),
                });
            }
        }
    }
    let mut seen = Vec::new();
    for probe in old.routes.iter().chain(&new.routes).map(Probe::from_route) {
        if seen.contains(&probe) {
            continue;
        }
        let before = outcome(old, &probe);
        let after = outcome(new, &probe);
        if before != after {
            out.push(Change {
                sign: '~',
                text: format!("requests like {probe}: {before} -> {after}"),
            });
        }
        seen.push(probe);
    }
}

/// A request built from a route's matchers.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Probe {
    host: Option<String>,
    path: String,
    method: String,
    headers: Vec<(String, String)>,
}

impl Probe {
    fn from_route(route: &TypedRoute) -> Probe {
        Probe {
            host: route.host.clone(),
            path: match &route.path_prefix {
                Some(p) if p.ends_with('/') => format!("{p}x"),
                Some(p) => p.clone(),
                None => "/".to_string(),
            },
            method: route
                .methods
                .first()
                .cloned()
                .unwrap_or_else(|| "GET".to_string()),
            headers: route
                .headers
                .iter()
                .map(|(n, v)| (n.clone(), v.clone().unwrap_or_else(|| "1".into())))
                .collect(),
        }
    }
}

impl std::fmt::Display for Probe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}{}",
            self.method,
            self.host.as_deref().unwrap_or(""),
            self.path
        )?;
        for (n, v) in &self.headers {
            write!(f, " [{n}: {v}]")?;
        }
        Ok(())
    }
}

/// Where `probe` goes in `program`: the first matching route's outcome, or the built-in 404.
fn outcome(program: &TypedProgram, probe: &Probe) -> String {
    let matched = program.routes.iter().find(|r| matches(r, probe, program));
    match matched {
        Some(route) => terminals(&route.body, program).join(" or "),
        None => "404 no route".to_string(),
    }
}

fn matches(route: &TypedRoute, probe: &Probe, program: &TypedProgram) -> bool {
    let request = crate::routing::RequestShape {
        host: probe.host.as_deref(),
        path: &probe.path,
        method: &probe.method,
        headers: &probe.headers,
    };
    crate::routing::takes(route, program, &request)
}

/// The terminal actions a body can end in, in order: `proxy api`, `respond 401`, ...
fn terminals(stmts: &[TypedStmt], program: &TypedProgram) -> Vec<String> {
    let mut out = Vec::new();
    for s in stmts {
        match &s.kind {
            TypedStmtKind::Proxy { upstream, .. } => {
                out.push(format!("proxy {}", program.upstreams[*upstream].name))
            }
            TypedStmtKind::Respond { status, .. } => out.push(match status {
                StatusValue::Literal(code) => format!("respond {code}"),
                StatusValue::Expr(_) => "respond".to_string(),
            }),
            TypedStmtKind::Redirect { status, .. } => out.push(format!("redirect {status}")),
            TypedStmtKind::Purge { cache, scope } => out.push(match scope {
                Some((by, _)) => format!("purge {} {}", program.caches[*cache].name, by.word()),
                None => format!("purge {}", program.caches[*cache].name),
            }),
            TypedStmtKind::If { then, else_, .. } => {
                out.extend(terminals(then, program));
                out.extend(terminals(else_, program));
            }
            TypedStmtKind::RateLimit { otherwise, .. }
            | TypedStmtKind::MaxInFlight { otherwise, .. } => match otherwise {
                Some(answer) => {
                    out.extend(terminals(std::slice::from_ref(answer.as_ref()), program))
                }
                None => out.push(match s.kind {
                    TypedStmtKind::RateLimit { .. } => "respond 429".to_string(),
                    _ => "respond 503".to_string(),
                }),
            },
            TypedStmtKind::VerifyJwt(_) | TypedStmtKind::VerifyBasic(_) => {
                out.push("respond 401".to_string())
            }
            TypedStmtKind::VerifyForward { verifier, .. } => out.push(format!(
                "the refusal of forward_auth {}",
                program.forward_auths[*verifier].name
            )),
            TypedStmtKind::SetHeader { .. }
            | TypedStmtKind::AddHeader { .. }
            | TypedStmtKind::RemoveHeader { .. }
            | TypedStmtKind::StripPrefix(_)
            | TypedStmtKind::RewritePath(_)
            | TypedStmtKind::SetLogField { .. }
            | TypedStmtKind::Let { .. }
            | TypedStmtKind::Cache { .. }
            | TypedStmtKind::Compress(_) => {}
        }
    }
    out.dedup();
    out
}

fn protocol(up: &TypedUpstream) -> &'static str {
    if up.http2 {
        "h2"
    } else {
        "http1"
    }
}

/// An upstream's TLS in the words of the language.
fn tls(up: &TypedUpstream) -> String {
    let Some(tls) = &up.tls else {
        return "off".into();
    };
    let mut text = String::from("on");
    if let Some(sni) = &tls.sni {
        text.push_str(&format!(" sni {sni:?}"));
    }
    if let Some(ca) = &tls.ca {
        text.push_str(&format!(" ca {ca:?}"));
    }
    if !tls.verify {
        text.push_str(" without verification");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn program(source: &str) -> TypedProgram {
        let checked = crate::driver::check_source(source);
        checked
            .into_program()
            .unwrap_or_else(|problems| panic!("{problems:?}"))
            .0
    }

    const BASE: &str = r#"
listen http 127.0.0.1:8080
upstream api { server 127.0.0.1:9001 server 127.0.0.1:9002 }
upstream web { server 127.0.0.1:9003 }
route host "a.example" path "/api/" { proxy api }
route host "a.example" { proxy web }
route { respond 404 }
"#;

    #[test]
    fn identical_programs_are_equivalent() {
        assert!(diff(&program(BASE), &program(BASE)).is_empty());
        let reformatted = pxy_dsl::format::format(BASE).unwrap();
        assert!(diff(&program(BASE), &program(&reformatted)).is_empty());
    }

    #[test]
    fn every_single_edit_that_changes_traffic_is_reported() {
        let base = r#"
listen http 127.0.0.1:8080
upstream a { server 127.0.0.1:9001 }
on request { set req.headers["x-env"] = "prod" }
route path "/x" {
    if client.ip in 127.0.0.0/8 { proxy a }
    set req.headers["x-env"] = "prod"
    respond 200 "hi"
}
route { respond 404 }
"#;
        let edits = [
            ("127.0.0.0/8", "10.0.0.0/8"),
            (
                "set req.headers[\"x-env\"] = \"prod\"\n    respond",
                "set req.headers[\"x-env\"] = \"staging\"\n    respond",
            ),
            (
                "on request { set req.headers[\"x-env\"] = \"prod\" }",
                "on request { set req.headers[\"x-env\"] = \"dev\" }",
            ),
            ("respond 200 \"hi\"", "respond 200 \"ho\""),
            ("respond 200 \"hi\"", "respond 201 \"hi\""),
            ("if client.ip", "if !(client.ip"),
        ];
        for (from, to) in edits {
            let mut edited = base.replace(from, to);
            if to.starts_with("if !(") {
                edited = edited.replace("/8 { proxy a }", "/8) { proxy a }");
            }
            assert_ne!(edited, base, "edit {from:?} applies");
            let changes = diff(&program(base), &program(&edited));
            assert!(
                !changes.is_empty(),
                "{from:?} -> {to:?} reported as equivalent"
            );
        }
    }

    #[test]
    fn failure_policy_changes_are_named() {
        let old = BASE.replace(
            "server 127.0.0.1:9002 }",
            "server 127.0.0.1:9002 retry_on 503 try_timeout 1s }",
        );
        let new = BASE.replace(
            "server 127.0.0.1:9002 }",
            "server 127.0.0.1:9002 retry_on 502, 503 try_timeout 2s retry_budget 10 retry_non_idempotent on }",
        );
        let text = render(&diff(&program(&old), &program(&new)));
        for line in [
            "~ upstream api: retry_on 503 -> 502, 503",
            "~ upstream api: try_timeout 1000 -> 2000",
            "~ upstream api: retry_budget default -> 10",
            "~ upstream api: retry_non_idempotent default -> 1",
        ] {
            assert!(text.contains(line), "{line} missing in:\n{text}");
        }
    }

    #[test]
    fn lists_and_flags_added_removed_or_retyped_are_named() {
        let old =
            format!("list keys: str from file \"keys.txt\"\nflag off from file \"off\"\n{BASE}");
        let new = format!(
            "list keys: int from file \"keys.txt\"\nlist nets: cidr from file \"n.txt\"\n{BASE}"
        );
        assert_eq!(
            render(&diff(&program(&old), &program(&new))),
            "~ keys: list of str from keys.txt → list of int from keys.txt\n- flag off\n+ list nets\n"
        );
        assert!(diff(&program(&old), &program(&old)).is_empty());
    }

    #[test]
    fn server_settings_that_change_are_named() {
        let old = format!("server {{ threads 2 grace_period 5s }}\n{BASE}");
        let new = format!("server {{ threads 2 admin 127.0.0.1:9100 max_headers 50 }}\n{BASE}");
        assert_eq!(
            render(&diff(&program(&old), &program(&new))),
            "~ server: grace_period changed\n~ server: admin changed\n~ server: max_headers changed\n"
        );
    }

    #[test]
    fn reordering_routes_shows_where_requests_now_go() {
        let swapped = BASE.replace(
            "route host \"a.example\" path \"/api/\" { proxy api }\nroute host \"a.example\" { proxy web }",
            "route host \"a.example\" { proxy web }\nroute host \"a.example\" path \"/api/\" { proxy api }",
        );
        let text = render(&diff(&program(BASE), &program(&swapped)));
        assert!(
            text.contains("~ requests like GET a.example/api/x: proxy api -> proxy web"),
            "{text}"
        );
    }

    #[test]
    fn tls_changes_are_listed() {
        let changed = BASE
            .replace(
                "upstream web { server 127.0.0.1:9003 }",
                "upstream web { server 127.0.0.1:9003 tls on tls_verify off protocol h2 }",
            )
            .replace(
                "listen http 127.0.0.1:8080",
                "listen https 127.0.0.1:8080 { cert \"a.pem\" key \"a.key\" }",
            );
        let text = render(&diff(&program(BASE), &program(&changed)));
        assert!(text.contains("- listener 127.0.0.1:8080"), "{text}");
        assert!(
            text.contains("+ listener https 127.0.0.1:8080 (certificates a.pem)"),
            "{text}"
        );
        assert!(
            text.contains("~ upstream web: tls off -> on without verification"),
            "{text}"
        );
        assert!(
            text.contains("~ upstream web: protocol http1 -> h2"),
            "{text}"
        );
    }

    #[test]
    fn server_and_route_changes_are_listed() {
        let changed = BASE
            .replace("server 127.0.0.1:9002", "server 127.0.0.1:9004 weight 2")
            .replace(
                "route { respond 404 }",
                "route path \"/health\" { respond 200 }\nroute { respond 404 }",
            );
        let text = render(&diff(&program(BASE), &program(&changed)));
        assert!(
            text.contains("~ upstream api: server 127.0.0.1:9002 removed"),
            "{text}"
        );
        assert!(
            text.contains("~ upstream api: server 127.0.0.1:9004 weight 2 added"),
            "{text}"
        );
        assert!(text.contains("+ route path \"/health\""), "{text}");
        assert!(
            text.contains("~ requests like GET /health: respond 404 -> respond 200"),
            "{text}"
        );
    }

    #[test]
    fn basic_auth_verifiers_added_removed_and_changed_are_named() {
        let with = |decls: &str| program(&format!("{BASE}{decls}"));
        let old = with(r#"basic_auth a { users "a.txt" } basic_auth b { users "b.txt" }"#);
        let new =
            with(r#"basic_auth b { users "b.txt" realm "x" } basic_auth c { users "c.txt" }"#);
        let texts: Vec<String> = diff(&old, &new)
            .into_iter()
            .map(|c| format!("{} {}", c.sign, c.text))
            .collect();
        assert_eq!(
            texts,
            ["- basic_auth a", "~ basic_auth b changed", "+ basic_auth c"]
        );
    }

    #[test]
    fn forward_auth_verifiers_compare_their_service_by_name() {
        let with = |decls: &str| program(&format!("{BASE}{decls}"));
        let old = with(
            r#"upstream auth { server 127.0.0.1:9100 } forward_auth a { service auth }
               forward_auth b { service auth uri "/b" }"#,
        );
        // A new upstream declared first moves `auth`'s index; `a` is the same verifier still.
        let new = with(
            r#"upstream other { server 127.0.0.1:9200 } upstream auth { server 127.0.0.1:9100 }
               forward_auth a { service auth } forward_auth b { service other uri "/b" }"#,
        );
        let texts: Vec<String> = diff(&old, &new)
            .into_iter()
            .filter(|c| c.text.contains("forward_auth"))
            .map(|c| format!("{} {}", c.sign, c.text))
            .collect();
        assert_eq!(texts, ["~ forward_auth b changed"]);
    }

    #[test]
    fn jwt_verifiers_added_removed_and_changed_are_named() {
        let with = |decls: &str| program(&format!("{BASE}{decls}"));
        let old = with(r#"jwt a { secret "a.key" } jwt b { jwks "b.json" issuer "x" }"#);
        let new = with(r#"jwt b { jwks "b.json" issuer "y" } jwt c { key "c.pem" alg ES256 }"#);
        let texts: Vec<String> = diff(&old, &new)
            .into_iter()
            .map(|c| format!("{} {}", c.sign, c.text))
            .collect();
        assert_eq!(texts, ["- jwt a", "~ jwt b changed", "+ jwt c"]);
    }
}
