//! Metrics: the runtime's Prometheus registry and the per-backend series it exposes; the
//! requests by route are in `requests.rs`, the upstream latency histograms in `timing.rs`, the
//! client side's refusals in `downstream.rs`.
//!
//! Nothing on the request path touches Prometheus: backends keep plain atomic counters
//! (in-flight requests, open connections, attempts, failures, health transitions) and a
//! collector registered in [`registry`] reads them when metrics are gathered. Every
//! [`Upstream`](crate::Upstream) is tracked from its construction until it is dropped.
//!
//! Series, each labelled `upstream` and `backend` (the address):
//! `pxy_upstream_backend_healthy` (gauge, 1 or 0), `pxy_upstream_backend_in_flight`
//! (gauge), `pxy_upstream_backend_open_connections` (gauge),
//! `pxy_upstream_backend_open_tunnels` (gauge: upgraded connections being relayed),
//! `pxy_upstream_backend_requests_total`, `pxy_upstream_backend_failures_total`,
//! `pxy_upstream_backend_upgrades_total`, `pxy_upstream_backend_connections_new_total`,
//! `pxy_upstream_backend_connections_reused_total`,
//! `pxy_upstream_backend_connect_errors_total`, `pxy_upstream_backend_retries_total` and
//! `pxy_upstream_backend_health_transitions_total` (counters).

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError, Weak};

use prometheus::core::{Collector, Desc};
use prometheus::proto::{Counter, Gauge, LabelPair, Metric, MetricFamily, MetricType};
use prometheus::{Encoder, Registry, TextEncoder};

use crate::upstream::{Backend, Shared};

/// The runtime's registry, with the upstream collector registered. Generated code may
/// register its own metrics in it too.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| {
        let registry = Registry::new();
        match UpstreamCollector::new() {
            Ok(collector) => {
                if let Err(e) = registry.register(Box::new(collector)) {
                    tracing::error!(error = %e, "cannot register the upstream metrics");
                }
            }
            Err(e) => tracing::error!(error = %e, "cannot describe the upstream metrics"),
        }
        registry
    })
}

/// Everything in [`registry`], in the Prometheus text exposition format.
pub fn encode_text() -> String {
    let mut out = Vec::new();
    if let Err(e) = TextEncoder::new().encode(&registry().gather(), &mut out) {
        tracing::error!(error = %e, "cannot encode metrics");
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn upstreams() -> MutexGuard<'static, Vec<Weak<Shared>>> {
    static UPSTREAMS: Mutex<Vec<Weak<Shared>>> = Mutex::new(Vec::new());
    // The list holds plain weak pointers; a panic elsewhere cannot leave it inconsistent.
    UPSTREAMS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Makes `shared`'s backends visible to metrics (until the upstream is dropped).
pub(crate) fn track(shared: &Arc<Shared>) {
    let mut list = upstreams();
    list.retain(|weak| weak.strong_count() > 0);
    list.push(Arc::downgrade(shared));
}

/// Every backend of every live upstream, keyed by (upstream name, backend address), in that
/// order. Two live upstreams with the same name and backend (tests, a misconfiguration)
/// give one entry, the later one's.
pub(crate) fn live_backends() -> BTreeMap<(String, String), Arc<Backend>> {
    let mut backends = BTreeMap::new();
    let list: Vec<Arc<Shared>> = upstreams().iter().filter_map(Weak::upgrade).collect();
    for shared in &list {
        for backend in shared.backends().all() {
            let key = (shared.name().to_owned(), backend.addr().to_string());
            backends.insert(key, backend.clone());
        }
    }
    backends
}

/// One series: its name, help, type and how to read it from a backend.
struct Series {
    name: &'static str,
    help: &'static str,
    kind: MetricType,
    read: fn(&Backend) -> f64,
}

const SERIES: [Series; 12] = [
    Series {
        name: "pxy_upstream_backend_healthy",
        help: "1 if the backend receives traffic (health checks pass, not ejected), else 0.",
        kind: MetricType::GAUGE,
        read: |b| f64::from(u8::from(b.is_healthy())),
    },
    Series {
        name: "pxy_upstream_backend_in_flight",
        help: "Requests to the backend that have not finished.",
        kind: MetricType::GAUGE,
        read: |b| b.in_flight() as f64,
    },
    Series {
        name: "pxy_upstream_backend_open_connections",
        help: "Connections open to the backend, idle or busy.",
        kind: MetricType::GAUGE,
        read: |b| b.open_connections() as f64,
    },
    Series {
        name: "pxy_upstream_backend_open_tunnels",
        help: "Connections to the backend that switched protocols (WebSocket) and are relayed now.",
        kind: MetricType::GAUGE,
        read: |b| b.open_tunnels() as f64,
    },
    Series {
        name: "pxy_upstream_backend_requests_total",
        help: "Attempts sent to the backend.",
        kind: MetricType::COUNTER,
        read: |b| b.requests() as f64,
    },
    Series {
        name: "pxy_upstream_backend_failures_total",
        help: "Attempts that failed: connect errors, resets, timeouts, 5xx responses.",
        kind: MetricType::COUNTER,
        read: |b| b.failures() as f64,
    },
    Series {
        name: "pxy_upstream_backend_upgrades_total",
        help: "Connections to the backend that switched protocols (101, WebSocket).",
        kind: MetricType::COUNTER,
        read: |b| b.upgrades() as f64,
    },
    Series {
        name: "pxy_upstream_backend_connections_new_total",
        help: "Connections opened to the backend.",
        kind: MetricType::COUNTER,
        read: |b| b.connections_new() as f64,
    },
    Series {
        name: "pxy_upstream_backend_connections_reused_total",
        help: "Attempts that reused a kept-alive connection (or the shared HTTP/2 one).",
        kind: MetricType::COUNTER,
        read: |b| b.connections_reused() as f64,
    },
    Series {
        name: "pxy_upstream_backend_connect_errors_total",
        help: "Connections to the backend that could not be opened (refused, timed out, TLS).",
        kind: MetricType::COUNTER,
        read: |b| b.connect_errors() as f64,
    },
    Series {
        name: "pxy_upstream_backend_retries_total",
        help: "Attempts on the backend that failed and were retried.",
        kind: MetricType::COUNTER,
        read: |b| b.retries() as f64,
    },
    Series {
        name: "pxy_upstream_backend_health_transitions_total",
        help: "Health state changes of the backend.",
        kind: MetricType::COUNTER,
        read: |b| b.health_transitions() as f64,
    },
];

struct UpstreamCollector {
    descs: Vec<Desc>,
}

impl UpstreamCollector {
    fn new() -> prometheus::Result<Self> {
        let descs = SERIES
            .iter()
            .map(|s| {
                Desc::new(
                    s.name.to_owned(),
                    s.help.to_owned(),
                    vec!["upstream".to_owned(), "backend".to_owned()],
                    HashMap::new(),
                )
            })
            .collect::<prometheus::Result<_>>()?;
        Ok(UpstreamCollector { descs })
    }
}

impl Collector for UpstreamCollector {
    fn desc(&self) -> Vec<&Desc> {
        self.descs.iter().collect()
    }

    fn collect(&self) -> Vec<MetricFamily> {
        let backends = live_backends();
        SERIES
            .iter()
            .map(|series| {
                let mut family = MetricFamily::default();
                family.set_name(series.name.to_owned());
                family.set_help(series.help.to_owned());
                family.set_field_type(series.kind);
                let metrics = backends
                    .iter()
                    .map(|((upstream, addr), backend)| {
                        sample(series, upstream, addr, (series.read)(backend))
                    })
                    .collect();
                family.set_metric(metrics);
                family
            })
            .collect()
    }
}

fn sample(series: &Series, upstream: &str, backend: &str, value: f64) -> Metric {
    let label = |name: &str, value: &str| {
        let mut pair = LabelPair::default();
        pair.set_name(name.to_owned());
        pair.set_value(value.to_owned());
        pair
    };
    let mut metric = Metric::default();
    metric.set_label(vec![label("upstream", upstream), label("backend", backend)]);
    if series.kind == MetricType::COUNTER {
        let mut counter = Counter::default();
        counter.set_value(value);
        metric.set_counter(counter);
    } else {
        let mut gauge = Gauge::default();
        gauge.set_value(value);
        metric.set_gauge(gauge);
    }
    metric
}

pub(crate) mod downstream;
pub(crate) mod limits;
pub(crate) mod requests;
pub(crate) mod timing;

pub use requests::RouteMetrics;

#[cfg(test)]
mod tests;
