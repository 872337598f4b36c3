//! Requests by route and status class, and how long they took, named by the program's own
//! words: `pxy_requests_total{route, status}` (status `1xx` … `5xx`, or `none` when the client
//! went away before a response) and the histogram `pxy_request_duration_seconds{route}`, from
//! the request header to the end of the response (or of the request); and
//! `pxy_panics_total`, requests a phase of the program panicked in, and the gauge
//! `pxy_requests_in_flight`. `route` is the route's
//! name (`route "api"`), its file and line (`gateway.pxy:12`), or `none` for a request no
//! route took (answered by `on request`, refused by a client limit, or matched by none).
//!
//! The hot path does no lookup: [`RouteMetrics::new`] resolves every route's counters and
//! histogram once per server, and a finished request indexes them by the route number the
//! generated code recorded ([`Proxy::route`](crate::Proxy::route)): two atomic additions
//! and a bucket search.

use std::sync::OnceLock;
use std::time::Duration;

use http::StatusCode;
use prometheus::{
    Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts,
};

/// The label of requests no route took.
pub const NO_ROUTE: &str = "none";

/// The histogram's buckets, in seconds: a proxy answers in well under a millisecond when it
/// answers itself, and its upstreams in anything up to seconds.
pub(crate) const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The labels of `status`: index 0 for no response, then one per class.
const CLASSES: [&str; 6] = ["none", "1xx", "2xx", "3xx", "4xx", "5xx"];

struct Families {
    requests: IntCounterVec,
    duration: HistogramVec,
    panics: IntCounter,
    in_flight: IntGauge,
}

fn families() -> &'static Families {
    static FAMILIES: OnceLock<Families> = OnceLock::new();
    FAMILIES.get_or_init(|| {
        let requests = IntCounterVec::new(
            Opts::new(
                "pxy_requests_total",
                "Requests by route (its name, else file:line; none: no route) and status class.",
            ),
            &["route", "status"],
        );
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "pxy_request_duration_seconds",
                "Time from the request header to the end of the response, by route.",
            )
            .buckets(BUCKETS.to_vec()),
            &["route"],
        );
        let panics = IntCounter::new(
            "pxy_panics_total",
            "Requests a phase of the program panicked in (answered 500 when no response had started).",
        );
        let in_flight = IntGauge::new(
            "pxy_requests_in_flight",
            "Requests the proxy has read the header of and not finished.",
        );
        let (requests, duration, panics, in_flight) = match (requests, duration, panics, in_flight) {
            (Ok(requests), Ok(duration), Ok(panics), Ok(in_flight)) => {
                (requests, duration, panics, in_flight)
            }
            // Constant, valid names and buckets: cannot fail.
            _ => unreachable!("valid metric descriptions"),
        };
        for collector in [
            Box::new(requests.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(duration.clone()),
            Box::new(panics.clone()),
            Box::new(in_flight.clone()),
        ] {
            if let Err(e) = super::registry().register(collector) {
                tracing::error!(error = %e, "cannot register the request metrics");
            }
        }
        Families {
            requests,
            duration,
            panics,
            in_flight,
        }
    })
}

/// One route's series, resolved once.
#[derive(Debug)]
struct RouteSeries {
    by_class: [IntCounter; 6],
    duration: Histogram,
}

impl RouteSeries {
    fn new(label: &str) -> Self {
        let f = families();
        RouteSeries {
            by_class: CLASSES.map(|class| f.requests.with_label_values(&[label, class])),
            duration: f.duration.with_label_values(&[label]),
        }
    }
}

/// The request series of one server's program: one entry per route, then [`NO_ROUTE`].
/// Public for embedders and for the benchmark of what a request costs in metrics
/// (`runtime/benches/metrics.rs`); the server makes one per program.
#[derive(Debug)]
pub struct RouteMetrics {
    routes: Vec<RouteSeries>,
}

impl RouteMetrics {
    /// The series of routes named `names` (in the program's order) and of [`NO_ROUTE`].
    pub fn new(names: &[&str]) -> Self {
        let routes = names
            .iter()
            .copied()
            .chain([NO_ROUTE])
            .map(RouteSeries::new)
            .collect();
        RouteMetrics { routes }
    }

    /// Counts a finished request of `route` (an index into the names; `None` or out of
    /// range: [`NO_ROUTE`]) that was answered `status` after `elapsed`.
    pub fn record(&self, route: Option<usize>, status: Option<StatusCode>, elapsed: Duration) {
        let none = self.routes.len() - 1;
        let series = &self.routes[route.filter(|&r| r < none).unwrap_or(none)];
        let class = status.map_or(0, |s| usize::from(s.as_u16() / 100).clamp(1, 5));
        series.by_class[class].inc();
        series.duration.observe(elapsed.as_secs_f64());
    }
}

/// Counts a request a phase panicked in (`pxy_panics_total`).
pub(crate) fn panicked() {
    families().panics.inc();
}

/// The gauge of requests in flight (`pxy_requests_in_flight`): the request state adds one
/// when it is made and takes it back when the request finishes.
pub(crate) fn in_flight() -> &'static IntGauge {
    &families().in_flight
}
