//! An upstream's failure policy: the statuses of `retry_on`, and the warnings where the
//! retry settings cannot all take effect (retries that cannot fit in `request_timeout`, a
//! `retry_on` that can never retry, a `try_timeout` that can never fire).

use pxy_dsl::ast::{Expr, ExprKind, UpstreamDecl, UpstreamItem};
use pxy_dsl::Span;

use super::error::{Expected, NeverRetries};
use super::{CheckError, Checker};
use crate::catalog::settings::{self, UpstreamSetting, ValueKind};
use crate::typed::TypedUpstream;

/// `connect_timeout` when not written, in milliseconds.
const DEFAULT_CONNECT_TIMEOUT_MS: u64 = 5_000;

impl Checker<'_> {
    /// The statuses of `retry_on 502, 503` (`kind` [`ValueKind::Statuses`]: each from 400
    /// to 599) or of a cache's `statuses 200, 404` ([`ValueKind::StoredStatuses`]: 200 to
    /// 599). Every other value is reported at its own span.
    pub(super) fn statuses(&mut self, value: &Expr, kind: ValueKind) -> Option<Vec<u16>> {
        let range = if kind == ValueKind::StoredStatuses {
            200..=599
        } else {
            400..=599
        };
        let items = value.list_items();
        let mut statuses = Vec::new();
        let mut ok = true;
        for item in items {
            match &item.kind {
                ExprKind::Int(n) if range.contains(n) => {
                    let status = u16::try_from(*n).unwrap_or(599);
                    if !statuses.contains(&status) {
                        statuses.push(status);
                    }
                }
                other => {
                    ok = false;
                    self.problems.push(CheckError::TypeMismatch {
                        span: item.span,
                        expected: Expected::Setting(kind),
                        found: super::exprs::literal_type(other),
                    });
                }
            }
        }
        ok.then_some(statuses)
    }

    /// The warnings about an upstream's retry settings.
    pub(super) fn retry_policy(&mut self, decl: &UpstreamDecl, up: &TypedUpstream) {
        let st = &up.settings;
        let retries = st.retries.unwrap_or(1);
        if let (Some(total), Some(span)) = (
            st.total_timeout_ms,
            setting_span(decl, UpstreamSetting::RequestTimeout),
        ) {
            // A failed connect costs `connect_timeout`, or `try_timeout` if that is shorter.
            let connect = st.connect_timeout_ms.unwrap_or(DEFAULT_CONNECT_TIMEOUT_MS);
            let per_try = st.try_timeout_ms.map_or(connect, |t| t.min(connect));
            let needed = per_try.saturating_mul(st.retries.unwrap_or(0).saturating_add(1));
            if st.retries.unwrap_or(0) > 0 && needed > total {
                self.problems.push(CheckError::RetriesNeverRun {
                    span,
                    needed_ms: needed,
                    total_ms: total,
                });
            }
            if let (Some(try_ms), Some(try_span)) = (
                st.try_timeout_ms,
                setting_span(decl, UpstreamSetting::TryTimeout),
            ) {
                if try_ms >= total {
                    self.problems.push(CheckError::TryTimeoutNeverFires {
                        span: try_span,
                        total: span,
                    });
                }
            }
        }
        let Some(span) = setting_span(decl, UpstreamSetting::RetryOn) else {
            return;
        };
        let reason = if retries == 0 {
            Some(NeverRetries::NoRetries)
        } else if up.discovery.is_none() && up.servers.len() == 1 {
            Some(NeverRetries::OneServer)
        } else {
            None
        };
        if let Some(reason) = reason {
            self.problems
                .push(CheckError::RetryOnNeverRetries { span, reason });
        }
    }
}

/// The span of the (last) line of upstream setting `which`.
fn setting_span(decl: &UpstreamDecl, which: UpstreamSetting) -> Option<Span> {
    decl.items.iter().rev().find_map(|item| match item {
        UpstreamItem::Setting(s) => {
            crate::catalog::lookup(settings::UPSTREAM_SETTINGS, &s.name.name)
                .filter(|w| w.value.0 == which)
                .map(|_| s.span)
        }
        UpstreamItem::Server(_)
        | UpstreamItem::Balance { .. }
        | UpstreamItem::Discover { .. }
        | UpstreamItem::Health { .. }
        | UpstreamItem::Passive { .. } => None,
    })
}
