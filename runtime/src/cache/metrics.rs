//! The cache's Prometheus series: `pxy_cache_requests_total{cache,status}` (one per request
//! of a caching route, by [`CacheStatus`]) and `pxy_cache_bytes{cache}` (the store's count).
//! The counters of a cache are resolved once, at its construction.

use std::sync::OnceLock;

use prometheus::{IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts};

use super::CacheStatus;

struct Families {
    requests: IntCounterVec,
    bytes: IntGaugeVec,
}

fn families() -> &'static Families {
    static FAMILIES: OnceLock<Families> = OnceLock::new();
    FAMILIES.get_or_init(|| {
        let requests = IntCounterVec::new(
            Opts::new(
                "pxy_cache_requests_total",
                "Requests of caching routes by cache result",
            ),
            &["cache", "status"],
        )
        .expect("a valid metric");
        let bytes = IntGaugeVec::new(
            Opts::new(
                "pxy_cache_bytes",
                "Bytes held by the cache (header and body)",
            ),
            &["cache"],
        )
        .expect("a valid metric");
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(bytes.clone()),
        ] {
            if let Err(e) = crate::metrics::registry().register(collector) {
                tracing::error!(error = %e, "cannot register the cache metrics");
            }
        }
        Families { requests, bytes }
    })
}

/// One cache's series.
pub(crate) struct Metrics {
    by_status: [IntCounter; CacheStatus::ALL.len()],
    bytes: IntGauge,
}

impl Metrics {
    pub(crate) fn new(name: &str) -> Metrics {
        let families = families();
        Metrics {
            by_status: CacheStatus::ALL.map(|status| {
                families
                    .requests
                    .with_label_values(&[name, status.as_str()])
            }),
            bytes: families.bytes.with_label_values(&[name]),
        }
    }

    pub(crate) fn request(&self, status: CacheStatus) {
        self.by_status[status as usize].inc();
    }

    pub(crate) fn bytes(&self, bytes: u64) {
        self.bytes.set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }
}
