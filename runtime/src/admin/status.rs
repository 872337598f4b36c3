//! The status page of the admin listener, as HAProxy's stats page and Traefik's dashboard
//! give their users: `GET /status` is one HTML page (`status.html`, embedded at build time:
//! no external assets, no build step) that fetches `GET /status.json` every second and
//! redraws in place; the JSON is the same snapshot, for scripts.
//!
//! The snapshot reads what the metrics read, so the page and `/metrics` always agree: the
//! requests by route and status class (`pxy_requests_total`), the requests in flight
//! (`pxy_requests_in_flight`) and every backend of every live upstream (health, requests in
//! flight, attempts, failures, open connections). Counts are totals since start; the page
//! turns the difference between two snapshots into the recent request and error rates.

use std::collections::BTreeMap;

use serde::Serialize;

/// The page, served as is.
pub(super) const PAGE: &str = include_str!("status.html");

/// What `/status.json` holds.
#[derive(Debug, Serialize)]
struct Status {
    /// Requests read and not finished.
    in_flight: i64,
    /// Requests finished since start, over every route.
    requests: u64,
    /// Of those, answered 5xx.
    errors: u64,
    routes: Vec<RouteStatus>,
    upstreams: Vec<UpstreamStatus>,
}

#[derive(Debug, Serialize)]
struct RouteStatus {
    /// The route's name, `file:line`, or `none`.
    route: String,
    requests: u64,
    /// Answered 5xx.
    errors: u64,
    /// By status class (`2xx`, ..., `none` for no response).
    by_status: BTreeMap<String, u64>,
}

#[derive(Debug, Serialize)]
struct UpstreamStatus {
    name: String,
    servers: Vec<ServerStatus>,
}

#[derive(Debug, Serialize)]
struct ServerStatus {
    addr: String,
    /// Receives traffic: health checks pass and it is not ejected.
    healthy: bool,
    in_flight: usize,
    requests: u64,
    failures: u64,
    open_connections: usize,
}

/// The snapshot as JSON.
pub(super) fn json() -> String {
    let routes = routes();
    let status = Status {
        in_flight: crate::metrics::requests::in_flight().get(),
        requests: routes.iter().map(|r| r.requests).sum(),
        errors: routes.iter().map(|r| r.errors).sum(),
        routes,
        upstreams: upstreams(),
    };
    serde_json::to_string(&status).unwrap_or_else(|e| {
        tracing::error!(error = %e, "cannot encode the status");
        "{}".into()
    })
}

/// Every route's counts, from `pxy_requests_total`.
fn routes() -> Vec<RouteStatus> {
    let mut by_route: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    let families = crate::metrics::registry().gather();
    let requests = families.iter().find(|f| f.name() == "pxy_requests_total");
    for metric in requests.map(|f| f.get_metric()).unwrap_or_default() {
        let label = |name: &str| {
            metric
                .get_label()
                .iter()
                .find(|l| l.name() == name)
                .map(|l| l.value().to_owned())
        };
        let (Some(route), Some(class)) = (label("route"), label("status")) else {
            continue;
        };
        // A counter's value is a whole number.
        let count = metric.get_counter().get_value() as u64;
        *by_route.entry(route).or_default().entry(class).or_default() += count;
    }
    by_route
        .into_iter()
        .map(|(route, by_status)| RouteStatus {
            requests: by_status.values().sum(),
            errors: by_status.get("5xx").copied().unwrap_or(0),
            route,
            by_status,
        })
        .collect()
}

/// Every live upstream with its servers, by name.
fn upstreams() -> Vec<UpstreamStatus> {
    let mut out: Vec<UpstreamStatus> = Vec::new();
    for ((name, addr), backend) in crate::metrics::live_backends() {
        let server = ServerStatus {
            addr,
            healthy: backend.is_healthy(),
            in_flight: backend.in_flight(),
            requests: backend.requests(),
            failures: backend.failures(),
            open_connections: backend.open_connections(),
        };
        match out.last_mut() {
            Some(last) if last.name == name => last.servers.push(server),
            _ => out.push(UpstreamStatus {
                name,
                servers: vec![server],
            }),
        }
    }
    out
}
