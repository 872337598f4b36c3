//! Listeners, upstreams and `on` blocks.

use std::net::SocketAddr;

use pxy_dsl::ast::{
    Expr, ExprKind, Ident, Item, Listen, OnBlock, ParsedProgram, ServerDecl, Setting, Text,
    UpstreamDecl, UpstreamItem,
};

use super::error::{DuplicateKind, Expected, FileKind, Malformed};
use super::suggest::closest;
use super::tls::UpstreamTlsLines;
use super::{CheckError, Checker};
use crate::catalog::settings::{
    self, AllDown, DiscoveryOption, HealthOption, PassiveOption, SettingValue, SettingWord,
    UpstreamProtocol, UpstreamSetting, ValueKind,
};
use crate::catalog::words::{self, DiscoveryKind, HealthKind, Section, Word, WordKind};
use crate::typed::{
    BalancePolicy, TypedDiscovery, TypedHealth, TypedListener, TypedPassive, TypedProgram,
    TypedServer, TypedUpstream, UpstreamSettings,
};

impl Checker<'_> {
    /// Records every upstream name first, so `proxy` may name one declared further down.
    pub(super) fn declare_upstreams(&mut self, parsed: &ParsedProgram) {
        for item in &parsed.items {
            let Item::Upstream(decl) = item else { continue };
            let name = &decl.name;
            if let Some((_, first)) = self.upstream_ids.get(&name.name) {
                self.problems.push(CheckError::Duplicate {
                    span: name.span,
                    first: *first,
                    what: DuplicateKind::Upstream,
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
        let protocol = self.word(
            &listen.protocol.name,
            listen.protocol.span,
            WordKind::ListenerProtocol,
            words::LISTEN_PROTOCOLS,
        )?;
        let tls = self.listener_tls(listen, protocol);
        let addr = self.socket_addr(&listen.addr)?;
        if let Some(first) = self.listener_addrs.get(&addr) {
            self.problems.push(CheckError::Duplicate {
                span: listen.addr.span,
                first: *first,
                what: DuplicateKind::Listener,
                name: addr.to_string(),
            });
            return None;
        }
        self.listener_addrs.insert(addr, listen.addr.span);
        let client_address = self.client_address(listen);
        Some(TypedListener {
            addr,
            tls: tls?,
            client_address: client_address?,
        })
    }

    /// The value `name` stands for in `table`; reports it with a suggestion otherwise.
    pub(super) fn word<T: Copy>(
        &mut self,
        name: &str,
        span: pxy_dsl::Span,
        what: WordKind,
        table: &'static [Word<T>],
    ) -> Option<T> {
        if let Some(word) = crate::catalog::lookup(table, name) {
            return Some(word.value);
        }
        let choices = crate::catalog::choices(table);
        self.problems.push(CheckError::UnknownOption {
            span,
            what,
            name: name.to_string(),
            suggestion: closest(name, choices.iter().copied()),
            choices,
        });
        None
    }

    pub(super) fn socket_addr(&mut self, text: &Text) -> Option<SocketAddr> {
        match text.value.parse::<SocketAddr>() {
            Ok(addr) => Some(addr),
            Err(_) => {
                let reason = if text.value.rsplit_once(':').is_some_and(|(h, _)| {
                    h.parse::<std::net::IpAddr>().is_err() && !h.starts_with('[')
                }) {
                    Malformed::AddressHostName
                } else {
                    Malformed::Address
                };
                self.problems.push(CheckError::InvalidLiteral {
                    span: text.span,
                    reason,
                });
                None
            }
        }
    }

    pub(super) fn upstream(&mut self, decl: &UpstreamDecl) -> Option<TypedUpstream> {
        let mut up = TypedUpstream {
            name: decl.name.name.clone(),
            name_span: decl.name.span,
            span: decl.span,
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
                    let Some((which, value)) = self.setting(
                        setting,
                        WordKind::UpstreamSetting,
                        settings::UPSTREAM_SETTINGS,
                    ) else {
                        ok = false;
                        continue;
                    };
                    self.upstream_setting(setting, which, value, &mut up, &mut tls_lines);
                }
                UpstreamItem::Discover {
                    kind,
                    target,
                    options,
                    span,
                } => {
                    if let Some(first) = discover_span.replace(*span) {
                        self.problems.push(CheckError::Duplicate {
                            span: *span,
                            first,
                            what: DuplicateKind::Discover,
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
                    let o =
                        self.settings(options, WordKind::PassiveOption, settings::PASSIVE_OPTIONS);
                    match o {
                        Some(o) => {
                            let mut passive = TypedPassive {
                                fails: None,
                                cool_down_ms: None,
                            };
                            for (option, value) in o {
                                let value = value.number();
                                match option {
                                    PassiveOption::Fails => passive.fails = value,
                                    PassiveOption::CoolDown => passive.cool_down_ms = value,
                                }
                            }
                            up.passive = Some(passive);
                        }
                        None => ok = false,
                    }
                }
            }
        }
        if let (Some(span), false) = (discover_span, up.servers.is_empty()) {
            self.problems.push(CheckError::InvalidLiteral {
                span,
                reason: Malformed::ServersAndDiscover,
            });
            ok = false;
        }
        if up.servers.is_empty() && discover_span.is_none() && ok {
            self.problems.push(CheckError::EmptyUpstream {
                span: decl.name.span,
                name: up.name.clone(),
            });
        }
        up.tls = self.upstream_tls(tls_lines);
        self.retry_policy(decl, &up);
        let first = self.upstream_ids.get(&up.name).map(|(_, s)| *s);
        (first == Some(decl.name.span)).then_some(up)
    }

    /// Applies one checked upstream setting.
    fn upstream_setting(
        &mut self,
        setting: &Setting,
        which: UpstreamSetting,
        value: SettingValue,
        up: &mut TypedUpstream,
        tls: &mut UpstreamTlsLines,
    ) {
        let st = &mut up.settings;
        let number = value.number();
        match which {
            UpstreamSetting::ConnectTimeout => st.connect_timeout_ms = number,
            UpstreamSetting::ReadTimeout => st.read_timeout_ms = number,
            UpstreamSetting::WriteTimeout => st.write_timeout_ms = number,
            UpstreamSetting::RequestTimeout => st.total_timeout_ms = number,
            UpstreamSetting::TryTimeout => st.try_timeout_ms = number,
            UpstreamSetting::Retries => st.retries = number,
            UpstreamSetting::RetryOn => {
                if let SettingValue::Statuses(statuses) = value {
                    st.retry_on = Some(statuses);
                }
            }
            UpstreamSetting::RetryNonIdempotent => {
                if let SettingValue::Switch(on) = value {
                    st.retry_non_idempotent = Some(on);
                }
            }
            UpstreamSetting::RetryBudget => st.retry_budget_percent = number,
            UpstreamSetting::RetryBudgetMin => st.retry_budget_min = number,
            UpstreamSetting::RetryBodyLimit => st.retry_body_limit = number,
            UpstreamSetting::MaxConnections => st.max_connections = number,
            UpstreamSetting::QueueTimeout => st.queue_timeout_ms = number,
            UpstreamSetting::MaxIdle => st.max_idle = number,
            UpstreamSetting::IdleTimeout => st.idle_timeout_ms = number,
            UpstreamSetting::TunnelIdleTimeout => st.tunnel_idle_timeout_ms = number,
            UpstreamSetting::GrpcMaxTimeout => st.grpc_max_timeout_ms = number,
            UpstreamSetting::WhenAllDown => {
                if let SettingValue::AllDown(all_down) = value {
                    st.all_down_unavailable = Some(match all_down {
                        AllDown::TryAnyway => false,
                        AllDown::Unavailable => true,
                    });
                }
            }
            UpstreamSetting::Protocol => {
                if let SettingValue::Protocol(protocol) = value {
                    up.http2 = match protocol {
                        UpstreamProtocol::Http1 => false,
                        UpstreamProtocol::H2 => true,
                    };
                }
            }
            UpstreamSetting::Tls
            | UpstreamSetting::TlsVerify
            | UpstreamSetting::TlsSni
            | UpstreamSetting::TlsCa => self.upstream_tls_line(setting, which, value, tls),
        }
    }

    fn server(&mut self, server: &ServerDecl) -> Option<TypedServer> {
        let weight = match server.weight {
            Some(w) if w.value == 0 => {
                self.problems.push(CheckError::ZeroWeight { span: w.span });
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
        let Some(balance) = self.word(
            &policy.name,
            policy.span,
            WordKind::BalancingPolicy,
            words::POLICIES,
        ) else {
            return false;
        };
        up.balance = balance;
        match (up.balance, key) {
            (BalancePolicy::Hash, Some(key)) => {
                self.phase = crate::catalog::words::Phase::Request;
                self.scopes.push(Vec::new());
                up.hash_key = self.expect(key, &crate::types::Type::Str);
                self.scopes.pop();
                up.hash_key.is_some()
            }
            (BalancePolicy::Hash, None) => {
                self.problems.push(CheckError::InvalidLiteral {
                    span,
                    reason: Malformed::HashNeedsKey,
                });
                false
            }
            (
                BalancePolicy::RoundRobin
                | BalancePolicy::Random
                | BalancePolicy::LeastConn
                | BalancePolicy::PowerOfTwo,
                Some(key),
            ) => {
                self.problems.push(CheckError::InvalidLiteral {
                    span: key.span,
                    reason: Malformed::KeyWithoutHash {
                        policy: policy.name.clone(),
                    },
                });
                false
            }
            (
                BalancePolicy::RoundRobin
                | BalancePolicy::Random
                | BalancePolicy::LeastConn
                | BalancePolicy::PowerOfTwo,
                None,
            ) => true,
        }
    }

    fn discovery(
        &mut self,
        kind: &Ident,
        target: &pxy_dsl::ast::Text,
        options: &[Setting],
    ) -> Option<TypedDiscovery> {
        let kind = self.word(
            &kind.name,
            kind.span,
            WordKind::Discovery,
            words::DISCOVERY_KINDS,
        )?;
        let (what, table) = match kind {
            DiscoveryKind::Dns => (WordKind::DnsOption, settings::DNS_OPTIONS),
            DiscoveryKind::File => (WordKind::FileOption, settings::FILE_OPTIONS),
        };
        let (mut port, mut every_ms) = (None, None);
        for (option, value) in self.settings(options, what, table)? {
            match option {
                DiscoveryOption::Port => port = value.number(),
                DiscoveryOption::Every => every_ms = value.number(),
            }
        }
        match kind {
            DiscoveryKind::Dns => {
                let Some(port) = port else {
                    self.problems.push(CheckError::InvalidLiteral {
                        span: target.span,
                        reason: Malformed::DnsNeedsPort,
                    });
                    return None;
                };
                Some(TypedDiscovery::Dns {
                    name: target.value.clone(),
                    port: u16::try_from(port).ok()?,
                    every_ms,
                })
            }
            DiscoveryKind::File => Some(TypedDiscovery::File {
                path: self.file(target, FileKind::Discovery),
                every_ms,
            }),
        }
    }

    fn health(
        &mut self,
        kind: &Ident,
        request: Option<&(Ident, pxy_dsl::ast::Text)>,
        options: &[Setting],
        span: pxy_dsl::Span,
    ) -> Option<TypedHealth> {
        let kind = self.word(
            &kind.name,
            kind.span,
            WordKind::HealthCheck,
            words::HEALTH_KINDS,
        )?;
        let table = match kind {
            HealthKind::Http => settings::HTTP_HEALTH_OPTIONS,
            HealthKind::Tcp => settings::TCP_HEALTH_OPTIONS,
        };
        let options = self.settings(options, WordKind::HealthOption, table)?;
        let http = match (kind, request) {
            (HealthKind::Http, Some((method, path))) => {
                if !path.value.starts_with('/') {
                    self.problems.push(CheckError::InvalidLiteral {
                        span: path.span,
                        reason: Malformed::HealthPath,
                    });
                    return None;
                }
                Some((method.name.clone(), path.value.clone()))
            }
            (HealthKind::Http, None) => {
                self.problems.push(CheckError::InvalidLiteral {
                    span,
                    reason: Malformed::HttpHealthNeedsRequest,
                });
                return None;
            }
            (HealthKind::Tcp, Some((method, _))) => {
                self.problems.push(CheckError::InvalidLiteral {
                    span: method.span,
                    reason: Malformed::TcpHealthRequest,
                });
                return None;
            }
            (HealthKind::Tcp, None) => None,
        };
        let mut health = TypedHealth {
            http,
            expect: None,
            every_ms: None,
            timeout_ms: None,
            rise: None,
            fall: None,
        };
        for (option, value) in options {
            let value = value.number();
            match option {
                HealthOption::Expect => health.expect = value.and_then(|v| u16::try_from(v).ok()),
                HealthOption::Every => health.every_ms = value,
                HealthOption::Timeout => health.timeout_ms = value,
                HealthOption::Rise => health.rise = value,
                HealthOption::Fall => health.fall = value,
            }
        }
        Some(health)
    }

    /// Checks each option against `table`; `None` when any is wrong (all are reported).
    pub(super) fn settings<S: Copy>(
        &mut self,
        options: &[Setting],
        what: WordKind,
        table: &'static [SettingWord<S>],
    ) -> Option<Vec<(S, SettingValue)>> {
        let mut out = Vec::new();
        let mut ok = true;
        for o in options {
            match self.setting(o, what, table) {
                Some(v) => out.push(v),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// One `NAME VALUE` setting, checked for its name and its kind of value.
    pub(super) fn setting<S: Copy>(
        &mut self,
        setting: &Setting,
        what: WordKind,
        table: &'static [SettingWord<S>],
    ) -> Option<(S, SettingValue)> {
        let (which, kind) = self.word(&setting.name.name, setting.name.span, what, table)?;
        self.setting_value(which, kind, &setting.value)
    }

    /// The value of setting `which`, checked against the kind it takes.
    pub(super) fn setting_value<S: Copy>(
        &mut self,
        which: S,
        kind: ValueKind,
        value: &Expr,
    ) -> Option<(S, SettingValue)> {
        let got = match (kind, &value.kind) {
            (ValueKind::Duration, ExprKind::Duration(ms)) => Some(SettingValue::Number(*ms)),
            (ValueKind::Size, ExprKind::Size(b)) => Some(SettingValue::Number(*b)),
            (ValueKind::Count { min, max }, ExprKind::Int(n)) if (min..=max).contains(n) => {
                Some(SettingValue::Number(*n))
            }
            (ValueKind::Status, ExprKind::Int(n)) if (100..=599).contains(n) => {
                Some(SettingValue::Number(*n))
            }
            (ValueKind::Port, ExprKind::Int(n)) if (1..=65535).contains(n) => {
                Some(SettingValue::Number(*n))
            }
            (ValueKind::Text, ExprKind::Str(_)) => value.plain_str().map(SettingValue::Text),
            (ValueKind::Statuses | ValueKind::StoredStatuses, _) => {
                return self
                    .statuses(value, kind)
                    .map(|s| (which, SettingValue::Statuses(s)))
            }
            (ValueKind::Switch, ExprKind::Path(p)) if p.len() == 1 => {
                return self
                    .word(&p[0].name, value.span, WordKind::Value, settings::SWITCH)
                    .map(|v| (which, SettingValue::Switch(v)));
            }
            (ValueKind::AllDown, ExprKind::Path(p)) if p.len() == 1 => {
                return self
                    .word(
                        &p[0].name,
                        value.span,
                        WordKind::Value,
                        settings::WHEN_ALL_DOWN,
                    )
                    .map(|v| (which, SettingValue::AllDown(v)));
            }
            (ValueKind::Protocol, ExprKind::Path(p)) if p.len() == 1 => {
                return self
                    .word(
                        &p[0].name,
                        value.span,
                        WordKind::Value,
                        settings::UPSTREAM_PROTOCOLS,
                    )
                    .map(|v| (which, SettingValue::Protocol(v)));
            }
            (ValueKind::KeyHeaders, _) => {
                return self
                    .key_headers(value)
                    .map(|h| (which, SettingValue::KeyHeaders(h)))
            }
            (ValueKind::UpstreamName, ExprKind::Path(p)) if p.len() == 1 => {
                Some(SettingValue::Text(p[0].name.clone()))
            }
            (ValueKind::StrExpression, _) => Some(SettingValue::Expression),
            (ValueKind::MediaTypes, _) => {
                return self
                    .media_types(value)
                    .map(|t| (which, SettingValue::MediaTypes(t)))
            }
            (ValueKind::HeaderNames, _) => {
                return self
                    .header_names(value)
                    .map(|h| (which, SettingValue::HeaderNames(h)))
            }
            (ValueKind::LogFormat, ExprKind::Path(p)) if p.len() == 1 => {
                return self
                    .word(
                        &p[0].name,
                        value.span,
                        WordKind::Value,
                        settings::ACCESS_LOG_FORMATS,
                    )
                    .map(|v| (which, SettingValue::LogFormat(v)));
            }
            (ValueKind::Algorithm, ExprKind::Path(p)) if p.len() == 1 => {
                return self
                    .word(
                        &p[0].name,
                        value.span,
                        WordKind::Value,
                        settings::JWT_ALGORITHMS,
                    )
                    .map(|v| (which, SettingValue::Algorithm(v)));
            }
            _ => None,
        };
        if got.is_none() {
            let found = match &value.kind {
                ExprKind::Path(_) => crate::types::Type::Str,
                k => super::exprs::literal_type(k),
            };
            self.problems.push(CheckError::TypeMismatch {
                span: value.span,
                expected: Expected::Setting(kind),
                found,
            });
        }
        got.map(|v| (which, v))
    }

    /// A setting's strings, `"a", "b"` (kind `kind`), each made into what `each` returns for
    /// it (`None`: it reported why the string cannot be used).
    pub(super) fn strings(
        &mut self,
        value: &Expr,
        kind: ValueKind,
        mut each: impl FnMut(&mut Self, String, pxy_dsl::Span) -> Option<String>,
    ) -> Option<Vec<String>> {
        let mut out = Vec::new();
        let mut ok = true;
        for item in value.list_items() {
            let Some(text) = item.plain_str() else {
                ok = false;
                self.problems.push(CheckError::TypeMismatch {
                    span: item.span,
                    expected: Expected::Setting(kind),
                    found: super::exprs::literal_type(&item.kind),
                });
                continue;
            };
            match each(self, text, item.span) {
                Some(made) => out.push(made),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    pub(super) fn on_block(&mut self, on: &OnBlock, program: &mut TypedProgram) {
        let Some(section) = self.word(
            &on.phase.name,
            on.phase.span,
            WordKind::Phase,
            words::PHASES,
        ) else {
            return;
        };
        self.phase = section.phase();
        let stmts = self.block(&on.body, section);
        match section {
            Section::OnRequest | Section::Route => program.on_request.extend(stmts),
            Section::OnResponse => program.on_response.extend(stmts),
            Section::OnError => program.on_error.extend(stmts),
            Section::OnLog => program.on_log.extend(stmts),
        }
    }
}
