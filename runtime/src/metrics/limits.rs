//! Counters of the program's own limits: requests refused by each rate limit and each
//! `max_in_flight`, `pxy_limit_rejected_total{limit}`. Each limit resolves its counter once
//! when it is built, so a refusal costs one atomic increment.

use std::sync::OnceLock;

use prometheus::{IntCounter, IntCounterVec, Opts};

fn rejected_total() -> &'static IntCounterVec {
    static REJECTED: OnceLock<IntCounterVec> = OnceLock::new();
    REJECTED.get_or_init(|| {
        let Ok(rejected) = IntCounterVec::new(
            Opts::new(
                "pxy_limit_rejected_total",
                "Requests refused by a limit of the program (rate_limit: 429, max_in_flight: \
                 503), by limit.",
            ),
            &["limit"],
        ) else {
            // Constant, valid names: cannot fail.
            unreachable!("valid metric description")
        };
        if let Err(e) = super::registry().register(Box::new(rejected.clone())) {
            tracing::error!(error = %e, "cannot register the limit metrics");
        }
        rejected
    })
}

/// The refusal counter of the limit `name`.
pub(crate) fn rejected(name: &str) -> IntCounter {
    rejected_total().with_label_values(&[name])
}
