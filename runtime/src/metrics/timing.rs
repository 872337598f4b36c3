//! The upstream latency histograms, by upstream and backend:
//! `pxy_upstream_connect_seconds` (a new connection: TCP, TLS and the HTTP/2 preface) and
//! `pxy_upstream_header_seconds` (from sending the request on a ready connection to the
//! response header). Each [`Backend`](crate::Backend) resolves its two series once, when it
//! is made, so an attempt only observes into them.

use std::sync::OnceLock;

use prometheus::{Histogram, HistogramOpts, HistogramVec};

struct Families {
    connect: HistogramVec,
    header: HistogramVec,
}

fn families() -> &'static Families {
    static FAMILIES: OnceLock<Families> = OnceLock::new();
    FAMILIES.get_or_init(|| {
        let vec = |name: &str, help: &str| {
            HistogramVec::new(
                HistogramOpts::new(name, help).buckets(super::requests::BUCKETS.to_vec()),
                &["upstream", "backend"],
            )
        };
        let connect = vec(
            "pxy_upstream_connect_seconds",
            "Time to open a new connection to the backend (TCP, TLS, HTTP/2 preface).",
        );
        let header = vec(
            "pxy_upstream_header_seconds",
            "Time from sending a request to the backend to its response header.",
        );
        let (connect, header) = match (connect, header) {
            (Ok(connect), Ok(header)) => (connect, header),
            // Constant, valid names and buckets: cannot fail.
            _ => unreachable!("valid metric descriptions"),
        };
        for collector in [connect.clone(), header.clone()] {
            if let Err(e) = super::registry().register(Box::new(collector)) {
                tracing::error!(error = %e, "cannot register the upstream latency metrics");
            }
        }
        Families { connect, header }
    })
}

/// One backend's latency series.
#[derive(Debug)]
pub(crate) struct BackendTiming {
    /// New connections.
    pub(crate) connect: Histogram,
    /// Response headers.
    pub(crate) header: Histogram,
}

impl BackendTiming {
    /// The series of `backend` of `upstream`.
    pub(crate) fn new(upstream: &str, backend: &str) -> Self {
        let f = families();
        BackendTiming {
            connect: f.connect.with_label_values(&[upstream, backend]),
            header: f.header.with_label_values(&[upstream, backend]),
        }
    }
}
