//! `server { ... }`: the process's settings, checked against
//! [`SERVER_SETTINGS`](crate::catalog::settings::SERVER_SETTINGS). One block per program, each
//! setting once in it. Settings that make each other useless (the access log's) are warned
//! about once the whole program is known.

use pxy_dsl::ast::{Item, ServerBlock, ServerValue};
use pxy_dsl::Span;

use super::error::{DuplicateKind, Expected};
use super::{CheckError, Checker};
use crate::catalog::settings::{self, LogFormat, ServerSetting, SettingValue, ValueKind};
use crate::catalog::words::{self, WordKind};

impl Checker<'_> {
    /// Checks one `server { }` block; `first` is where an earlier one is (a duplicate is
    /// reported and not used). Returns the settings in source order.
    pub(super) fn server_block(
        &mut self,
        block: &ServerBlock,
        first: Option<Span>,
    ) -> Vec<(ServerSetting, SettingValue)> {
        let head = Span::new(block.span.start, block.span.start + "server".len());
        if let Some(first) = first {
            self.problems.push(CheckError::Duplicate {
                span: head,
                first,
                what: DuplicateKind::ServerBlock,
                name: "server".into(),
            });
        }
        let mut seen: Vec<(ServerSetting, Span)> = Vec::new();
        let mut out = Vec::new();
        for line in &block.settings {
            let Some((which, kind)) = self.word(
                &line.name.name,
                line.name.span,
                WordKind::ServerSetting,
                settings::SERVER_SETTINGS,
            ) else {
                continue;
            };
            if let Some((_, earlier)) = seen.iter().find(|(s, _)| *s == which) {
                self.problems.push(CheckError::Duplicate {
                    span: line.name.span,
                    first: *earlier,
                    what: DuplicateKind::ServerSetting,
                    name: line.name.name.clone(),
                });
                continue;
            }
            seen.push((which, line.name.span));
            let value = match (&line.value, kind) {
                (ServerValue::Address(text), ValueKind::Address) => self
                    .socket_addr(text)
                    .map(|addr| (which, SettingValue::Address(addr))),
                (ServerValue::Address(text), expected) => {
                    self.problems.push(CheckError::AddressNotExpected {
                        span: text.span,
                        expected,
                    });
                    None
                }
                (ServerValue::Value(expr), ValueKind::Address) => {
                    self.problems.push(CheckError::TypeMismatch {
                        span: expr.span,
                        expected: Expected::Setting(ValueKind::Address),
                        found: super::exprs::literal_type(&expr.kind),
                    });
                    None
                }
                (ServerValue::Value(expr), _) => self.setting_value(which, kind, expr),
            };
            out.extend(value);
        }
        if first.is_some() {
            return Vec::new();
        }
        out
    }

    /// Warns when `access_log combined` leaves out the `on log` fields (W0820), and when
    /// `access_log off` leaves `access_log_file` unwritten (W0821). Reads the first `server`
    /// block, the one that is used.
    pub(super) fn access_log_settings(&mut self, parsed: &pxy_dsl::ast::ParsedProgram) {
        let mut block = None;
        let mut on_log = None;
        for item in &parsed.items {
            match item {
                Item::Server(b) => {
                    block.get_or_insert(b);
                }
                Item::On(on) => {
                    let phase = crate::catalog::lookup(words::PHASES, &on.phase.name);
                    if phase.is_some_and(|w| w.value == words::Section::OnLog) {
                        on_log.get_or_insert(on.phase.span);
                    }
                }
                Item::Listen(_)
                | Item::Upstream(_)
                | Item::Limit(_)
                | Item::Data(_)
                | Item::Cache(_)
                | Item::Jwt(_)
                | Item::BasicAuth(_)
                | Item::ForwardAuth(_)
                | Item::Include(_)
                | Item::Route(_)
                | Item::Test(_) => {}
            }
        }
        let Some(block) = block else {
            return;
        };
        let mut format = None;
        let mut file = None;
        for line in &block.settings {
            let Some((which, _)) =
                crate::catalog::lookup(settings::SERVER_SETTINGS, &line.name.name).map(|w| w.value)
            else {
                continue;
            };
            let ServerValue::Value(expr) = &line.value else {
                continue;
            };
            match which {
                ServerSetting::AccessLog => {
                    let word = match &expr.kind {
                        pxy_dsl::ast::ExprKind::Path(p) if p.len() == 1 => {
                            crate::catalog::lookup(settings::ACCESS_LOG_FORMATS, &p[0].name)
                        }
                        _ => None,
                    };
                    if let Some(word) = word {
                        format.get_or_insert((word.value, line.span));
                    }
                }
                ServerSetting::AccessLogFile => {
                    file.get_or_insert(line.span);
                }
                ServerSetting::Threads
                | ServerSetting::GracePeriod
                | ServerSetting::Admin
                | ServerSetting::HeaderReadTimeout
                | ServerSetting::IdleTimeout
                | ServerSetting::MaxConnections
                | ServerSetting::MaxUriLength
                | ServerSetting::MaxHeaderBytes
                | ServerSetting::MaxHeaders
                | ServerSetting::MaxBodyBytes
                | ServerSetting::H2MaxConcurrentStreams
                | ServerSetting::H2MaxPendingResetStreams
                | ServerSetting::H2MaxErrorResetStreams => {}
            }
        }
        match format {
            Some((LogFormat::Combined, span)) => {
                if let Some(on_log) = on_log {
                    self.problems
                        .push(CheckError::LogFieldsNotWritten { span, on_log });
                }
            }
            Some((LogFormat::Off, off)) => {
                if let Some(span) = file {
                    self.problems
                        .push(CheckError::LogFileWithoutLog { span, off });
                }
            }
            Some((LogFormat::Text | LogFormat::Json, _)) | None => {}
        }
    }
}
