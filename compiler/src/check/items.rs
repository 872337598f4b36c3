//! Listeners, upstreams and `on` blocks.

use std::net::SocketAddr;

use pxy_dsl::ast::{
    ExprKind, Item, Listen, OnBlock, ParsedProgram, Text, UpstreamDecl, UpstreamItem,
};

use super::suggest::closest;
use super::{Checker, Phase, Problem};
use crate::typed::{BalancePolicy, TypedProgram, TypedUpstream};

const PROTOCOLS: &[&str] = &["http"];
const POLICIES: &[&str] = &["round_robin", "random"];
const SETTINGS: &[&str] = &["connect_timeout", "read_timeout", "retries"];
const PHASES: &[&str] = &["request", "response", "error"];

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

    pub(super) fn listener(&mut self, listen: &Listen) -> Option<SocketAddr> {
        self.saw_listener = true;
        self.option(
            &listen.protocol.name,
            listen.protocol.span,
            "listener protocol",
            PROTOCOLS,
        );
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
        Some(addr)
    }

    /// Checks that `name` is one of `choices`; reports it with a suggestion otherwise.
    fn option(
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
            choices,
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
            balance: BalancePolicy::RoundRobin,
            connect_timeout_ms: None,
            read_timeout_ms: None,
            retries: None,
        };
        let mut ok = true;
        for item in &decl.items {
            match item {
                UpstreamItem::Server(server) => {
                    let weight = match server.weight {
                        Some(w) if w.value == 0 => {
                            self.problems.push(Problem::ZeroWeight { span: w.span });
                            ok = false;
                            0
                        }
                        Some(w) => u32::try_from(w.value).unwrap_or(u32::MAX),
                        None => 1,
                    };
                    match self.socket_addr(&server.addr) {
                        Some(addr) => up.servers.push((addr, weight)),
                        None => ok = false,
                    }
                }
                UpstreamItem::Balance(policy) => {
                    if self.option(&policy.name, policy.span, "balancing policy", POLICIES) {
                        up.balance = match policy.name.as_str() {
                            "random" => BalancePolicy::Random,
                            _ => BalancePolicy::RoundRobin,
                        };
                    }
                }
                UpstreamItem::Setting(setting) => {
                    if !self.option(
                        &setting.name.name,
                        setting.name.span,
                        "upstream setting",
                        SETTINGS,
                    ) {
                        continue;
                    }
                    let is_count = setting.name.name == "retries";
                    match (&setting.value.kind, is_count) {
                        (ExprKind::Duration(ms), false)
                            if setting.name.name == "connect_timeout" =>
                        {
                            up.connect_timeout_ms = Some(*ms)
                        }
                        (ExprKind::Duration(ms), false) => up.read_timeout_ms = Some(*ms),
                        (ExprKind::Int(n), true) => up.retries = Some(*n),
                        (_, _) => {
                            let found = super::exprs::literal_type(&setting.value.kind);
                            self.problems.push(Problem::TypeMismatch {
                                span: setting.value.span,
                                expected: if is_count {
                                    "int".into()
                                } else {
                                    "duration (with a unit, like `5s`)".into()
                                },
                                found,
                            });
                        }
                    }
                }
            }
        }
        if up.servers.is_empty() && ok {
            self.problems.push(Problem::EmptyUpstream {
                span: decl.name.span,
                name: up.name.clone(),
            });
            ok = false;
        }
        let first = self.upstream_ids.get(&up.name).map(|(_, s)| *s);
        (ok && first == Some(decl.name.span)).then_some(up)
    }

    pub(super) fn on_block(&mut self, on: &OnBlock, program: &mut TypedProgram) {
        if !self.option(&on.phase.name, on.phase.span, "phase", PHASES) {
            return;
        }
        let (phase, section) = match on.phase.name.as_str() {
            "response" => (Phase::Response, "on response"),
            "error" => (Phase::Error, "on error"),
            _ => (Phase::Request, "on request"),
        };
        self.phase = phase;
        let stmts = self.block(&on.body, section);
        match phase {
            Phase::Request => program.on_request.extend(stmts),
            Phase::Response => program.on_response.extend(stmts),
            Phase::Error => program.on_error.extend(stmts),
        }
    }
}
