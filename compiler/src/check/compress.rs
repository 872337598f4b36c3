//! `compress [{ types "TYPE", ... min_size S }]`, in routes and `on request`: the settings
//! from the table, each media type checked to be `type/subtype` (or `type/*`).

use pxy_dsl::ast::{Expr, Setting};
use pxy_dsl::Span;

use super::error::Statement;
use super::{CheckError, Checker};
use crate::catalog::settings::{self, CompressSetting, SettingValue};
use crate::catalog::words::{Phase, Section, WordKind};
use crate::typed::{TypedCompress, TypedStmtKind};

impl Checker<'_> {
    /// `compress [{ ... }]`, in the request phase.
    pub(super) fn compress_stmt(
        &mut self,
        lines: &[Setting],
        span: Span,
        section: Section,
    ) -> Option<TypedStmtKind> {
        if self.phase != Phase::Request {
            return self.not_allowed(span, Statement::Compress, section);
        }
        let checked = self.checked_settings(
            lines,
            WordKind::CompressSetting,
            settings::COMPRESS_SETTINGS,
        );
        let ok = checked.len() == lines.len();
        let mut compress = TypedCompress::default();
        for (_, (which, value)) in checked {
            match (which, value) {
                (CompressSetting::Types, SettingValue::MediaTypes(types)) => {
                    compress.types = Some(types)
                }
                (CompressSetting::MinSize, SettingValue::Number(bytes)) => {
                    compress.min_size = Some(bytes)
                }
                // The table gives each setting its one kind of value.
                (CompressSetting::Types | CompressSetting::MinSize, _) => {}
            }
        }
        ok.then_some(TypedStmtKind::Compress(compress))
    }

    /// `"text/html", "text/*"`: each a media type (RFC 9110 §8.3.1, without parameters),
    /// returned in lower case.
    pub(super) fn media_types(&mut self, value: &Expr) -> Option<Vec<String>> {
        self.strings(value, settings::ValueKind::MediaTypes, |cx, text, span| {
            if is_media_type(&text) {
                return Some(text.to_ascii_lowercase());
            }
            cx.problems
                .push(CheckError::InvalidMediaType { span, text });
            None
        })
    }
}

/// `type/subtype` of RFC 9110 tokens, or `type/*`.
fn is_media_type(text: &str) -> bool {
    let token = |t: &str| {
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    };
    match text.split_once('/') {
        Some((top, "*")) => token(top) && top != "*",
        Some((top, sub)) => token(top) && token(sub) && !top.contains('*') && !sub.contains('*'),
        None => false,
    }
}
