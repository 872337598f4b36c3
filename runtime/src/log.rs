//! Logging: the `tracing` subscriber of a proxy process and the access log line.
//!
//! Everything the runtime logs goes through `tracing` to standard error, written by a
//! background thread (tracing-appender) through a buffer: a request never waits for a write
//! system call, and under load many lines go out in one write. One `info` event per
//! request is written on target `pxy::access` (method, path, status, upstream, duration in
//! µs, request id, error: the names in [`reserved`]), followed by the [`LogFields`] the
//! program's `logging` hook added (and `grpc_status` on a gRPC error answer the proxy made);
//! requests hyper rejects before the service are logged on `pxy::reject`.

mod fields;
pub mod reserved;
#[cfg(test)]
mod tests;

pub use fields::LogFields;

use std::io::IsTerminal;
use std::time::Instant;

use tracing_subscriber::EnvFilter;

use crate::error::Error;
use crate::session::Session;

/// The environment variable holding the default log filter.
pub const LOG_ENV: &str = "PXY_LOG";

/// Keeps the log writer thread alive; dropping it flushes every pending line. Hold it until
/// the process exits.
#[must_use = "dropping the guard stops the log writer"]
#[derive(Debug)]
pub struct LogGuard {
    /// Held for its `Drop`, which flushes and stops the writer thread.
    _worker: Option<tracing_appender::non_blocking::WorkerGuard>,
}

/// Installs the global subscriber with filter `level` (or `PXY_LOG`, or `info`). Colours
/// are used only when standard error is a terminal, so files and log collectors get plain
/// text. Lines are never dropped: when the writer falls far behind (more than 16k lines
/// queued), logging waits. Does nothing if a subscriber is already installed (tests,
/// embedding).
pub fn init(level: Option<&str>) -> LogGuard {
    let filter = match level {
        Some(level) => EnvFilter::new(level),
        None => EnvFilter::try_from_env(LOG_ENV).unwrap_or_else(|_| EnvFilter::new("info")),
    };
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .lossy(false)
        .buffered_lines_limit(16 * 1024)
        .thread_name("pxy-log")
        .finish(std::io::BufWriter::with_capacity(
            64 * 1024,
            std::io::stderr(),
        ));
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init()
        .is_ok();
    LogGuard {
        _worker: installed.then_some(guard),
    }
}

/// Writes the access log line of a finished request, with `extra` at its end.
pub(crate) fn access(
    session: &mut Session,
    start: Instant,
    error: Option<&Error>,
    extra: &LogFields,
) {
    if !tracing::enabled!(target: "pxy::access", tracing::Level::INFO) {
        return;
    }
    let duration_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    session.request_id();
    tracing::info!(
        target: "pxy::access",
        // The names of `reserved::RESERVED_FIELDS` (tracing wants them as identifiers here;
        // `log/tests.rs` checks a real line has exactly that list).
        method = %session.method(),
        path = session.path(),
        status = session.response_status().map_or(0, |s| s.as_u16()),
        upstream = session.upstream().map(|peer| display(peer.addr())),
        duration_us,
        request_id = session.known_request_id(),
        error = error.map(display),
        // Declared last, `message` is written last and without a name: the extra fields
        // follow the standard ones as `name="value"`.
        message = (!extra.is_empty()).then(|| display(extra)),
    );
}
