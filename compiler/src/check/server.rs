//! `server { ... }`: the process's settings, checked against
//! [`SERVER_SETTINGS`](crate::catalog::settings::SERVER_SETTINGS). One block per program, each
//! setting once in it.

use pxy_dsl::ast::{ServerBlock, ServerValue};
use pxy_dsl::Span;

use super::error::{DuplicateKind, Expected};
use super::{CheckError, Checker};
use crate::catalog::settings::{self, ServerSetting, SettingValue, ValueKind};
use crate::catalog::words::WordKind;

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
}
