//! Counters of the downstream side: client connections and requests refused by a client
//! limit (`pxy_downstream_rejected_total{reason}`), and client connections open
//! (`pxy_downstream_open_connections`). Registered in [`registry`](super::registry) on first
//! use; the server's limits (`server/limits.rs`), the framing guard and the request body
//! budget (`forward/budget.rs`) count here.

use std::sync::OnceLock;

use prometheus::{IntCounterVec, IntGauge, Opts};

struct Metrics {
    rejected: IntCounterVec,
    open: IntGauge,
}

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let rejected = IntCounterVec::new(
            Opts::new(
                "pxy_downstream_rejected_total",
                "Client connections and requests refused by a client limit, by reason: \
                 max_connections, header_timeout, uri_too_long, headers_too_large, \
                 body_too_large.",
            ),
            &["reason"],
        );
        let open = IntGauge::new(
            "pxy_downstream_open_connections",
            "Client connections open (counted against max_connections).",
        );
        let (rejected, open) = match (rejected, open) {
            (Ok(rejected), Ok(open)) => (rejected, open),
            // Constant, valid names: cannot fail.
            _ => unreachable!("valid metric descriptions"),
        };
        let registry = super::registry();
        for collector in [
            Box::new(rejected.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(open.clone()),
        ] {
            if let Err(e) = registry.register(collector) {
                tracing::error!(error = %e, "cannot register the downstream metrics");
            }
        }
        Metrics { rejected, open }
    })
}

/// Counts one refusal for `reason` in `pxy_downstream_rejected_total`.
pub(crate) fn rejected(reason: &str) {
    metrics().rejected.with_label_values(&[reason]).inc();
}

/// The gauge of open client connections.
pub(crate) fn open_connections() -> &'static IntGauge {
    &metrics().open
}
