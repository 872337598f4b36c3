//! Logging: the `tracing` subscriber of a proxy process and the access log line.
//!
//! Everything the runtime logs goes through `tracing` to standard error. One `info` event per
//! request is written on target `pxy::access` (method, path, status, upstream, duration in
//! µs, request id, error); requests hyper rejects before the service are logged on
//! `pxy::reject`.

use std::io::IsTerminal;
use std::time::Instant;

use tracing_subscriber::EnvFilter;

use crate::error::Error;
use crate::session::Session;

/// The environment variable holding the default log filter.
pub const LOG_ENV: &str = "PXY_LOG";

/// Installs the global subscriber with filter `level` (or `PXY_LOG`, or `info`). Colours
/// are used only when standard error is a terminal, so files and log collectors get plain
/// text. Does nothing if a subscriber is already installed (tests, embedding).
pub fn init(level: Option<&str>) {
    let filter = match level {
        Some(level) => EnvFilter::new(level),
        None => EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Writes the access log line of a finished request.
pub(crate) fn access(session: &mut Session, start: Instant, error: Option<&Error>) {
    if !tracing::enabled!(target: "pxy::access", tracing::Level::INFO) {
        return;
    }
    let duration_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    session.request_id();
    tracing::info!(
        target: "pxy::access",
        method = %session.method(),
        path = session.path(),
        status = session.response_status().map_or(0, |s| s.as_u16()),
        upstream = session.upstream().map(|peer| display(peer.addr())),
        duration_us,
        request_id = session.known_request_id(),
        error = error.map(display),
    );
}
