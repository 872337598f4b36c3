//! Logging: the `tracing` subscriber of a proxy process and the access log.
//!
//! Everything the runtime logs goes through `tracing` to standard error, written by a
//! background thread (tracing-appender): a request never waits for a write system call.
//!
//! The access log is written apart, one line per request in the [`AccessLogFormat`] the
//! program (`server { access_log json }`) or `--access-log` chose: the text line (method,
//! path, status, upstream, duration in µs, request id, error: the names in [`reserved`],
//! then the [`LogFields`] the program's `logging` hook added, and `grpc_status` on a gRPC
//! error answer the proxy made), JSON lines, or Apache's combined format. The request
//! formats its line (`record.rs` holds the facts, `kv.rs`, `json.rs`, `combined.rs` the
//! formats) and hands it to a bounded queue; one thread writes it to standard error or to
//! the `access_log_file`, which SIGUSR1 reopens (`sink.rs`, `output.rs`). When the writer
//! falls behind, lines are dropped and counted, never queued without bound. The log
//! filter's `pxy::access` target still turns the access log off (`--log-level warn`).
//! Requests hyper rejects before the service are logged on `pxy::reject`.

mod clock;
mod combined;
mod fields;
mod format;
mod json;
mod kv;
mod output;
mod record;
pub mod reserved;
mod sink;
#[cfg(test)]
mod tests;
mod tunnel;

pub use fields::LogFields;
pub use format::AccessLogFormat;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use tracing_subscriber::EnvFilter;

use crate::error::{Error, ErrorKind, Result};
use crate::session::Session;
use output::{LogFile, PipeChunks};
use record::Record;
use sink::{Drops, Sink};
pub(crate) use tunnel::TunnelRecord;

/// The environment variable holding the default log filter.
pub const LOG_ENV: &str = "PXY_LOG";

/// Keeps the log writer threads alive; dropping it writes every pending line (waiting a few
/// seconds at most). Hold it until the process exits.
#[must_use = "dropping the guard stops the log writer"]
#[derive(Debug)]
pub struct LogGuard {
    /// Held for its `Drop`, which flushes and stops the writer thread.
    _worker: Option<tracing_appender::non_blocking::WorkerGuard>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        if let Some(access) = ACCESS.get() {
            access.sink.flush(Duration::from_secs(5));
        }
    }
}

/// Installs the global subscriber with filter `level` (or `PXY_LOG`, or `info`). Colours
/// are used only when standard error is a terminal, so files and log collectors get plain
/// text. These lines are never dropped: when the writer falls far behind (more than 16k
/// lines queued), logging waits. Does nothing if a subscriber is already installed (tests,
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
        .finish(PipeChunks::new(std::io::stderr()));
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

/// The access log of the process: its format and writer.
struct AccessLog {
    format: AccessLogFormat,
    sink: Sink,
}

static ACCESS: OnceLock<AccessLog> = OnceLock::new();

impl AccessLog {
    fn start(format: AccessLogFormat, file: Option<PathBuf>) -> Result<AccessLog> {
        let output: Box<dyn output::Output> = match file {
            Some(path) => Box::new(open_access_file(path)?),
            None => Box::new(PipeChunks::new(std::io::stderr())),
        };
        let sink = Sink::start(output, sink::CAPACITY, Drops::registered()).map_err(|e| {
            Error::explain(ErrorKind::Internal, "starting the access log writer").with_cause(e)
        })?;
        Ok(AccessLog { format, sink })
    }
}

/// Starts the process's access log in `format`, to `file` (opened for appending, created
/// if missing) or standard error. Call once, before serving; without it the access log is
/// the text format on standard error. A later call changes nothing.
///
/// # Errors
///
/// [`ErrorKind::InvalidConfig`] naming the file if it cannot be opened for writing.
pub fn init_access(format: AccessLogFormat, file: Option<PathBuf>) -> Result<()> {
    if !format.is_on() || ACCESS.get().is_some() {
        return Ok(());
    }
    let access = AccessLog::start(format, file)?;
    if ACCESS.set(access).is_err() {
        tracing::warn!("the access log was started twice; the first one is kept");
    }
    Ok(())
}

/// Opens the access log file for appending (created if missing).
fn open_access_file(path: PathBuf) -> Result<LogFile> {
    LogFile::open(path.clone()).map_err(|e| {
        Error::explain(
            ErrorKind::InvalidConfig,
            format!("access log file {}", path.display()),
        )
        .with_cause(e)
    })
}

/// For `--test`: the access log file, when one is written, can be opened for appending (it
/// is created if missing, as serving would), so a bad path fails the check rather than the
/// start.
///
/// # Errors
///
/// As [`init_access`].
pub fn check_access(format: AccessLogFormat, file: Option<PathBuf>) -> Result<()> {
    match (format.is_on(), file) {
        (true, Some(path)) => open_access_file(path).map(drop),
        _ => Ok(()),
    }
}

/// Waits up to `timeout` for every access log line sent so far to be written; false when
/// the writer did not catch up (or there is no access log).
pub(crate) fn flush_access(timeout: Duration) -> bool {
    ACCESS
        .get()
        .is_some_and(|access| access.sink.flush(timeout))
}

/// Reopens the access log file (SIGUSR1, after logrotate moved it).
pub(crate) fn reopen_access() {
    if let Some(access) = ACCESS.get() {
        access.sink.reopen();
    }
}

fn access_log() -> Option<&'static AccessLog> {
    if let Some(access) = ACCESS.get() {
        return Some(access);
    }
    // Embedding without `run`: the default log, made on first use.
    if let Err(e) = init_access(AccessLogFormat::Text, None) {
        tracing::error!(error = %crate::error::chain(&e), "no access log");
    }
    ACCESS.get()
}

/// Writes the access log line of a finished request that sent `body_bytes` of response
/// body, with the program's `extra` fields.
pub(crate) fn access(
    session: &mut Session,
    start: Instant,
    body_bytes: u64,
    error: Option<&Error>,
    extra: &LogFields,
) {
    if !tracing::enabled!(target: "pxy::access", tracing::Level::INFO) {
        return;
    }
    let Some(log) = access_log() else {
        return;
    };
    let mut line = Vec::with_capacity(256);
    log.format
        .write(&record(session, start, body_bytes, error, extra), &mut line);
    log.sink.send(line);
}

/// Writes the line of a closed tunnel where the request lines go, in their format.
pub(crate) fn tunnel_closed(record: &TunnelRecord<'_>) {
    if !tracing::enabled!(target: "pxy::access", tracing::Level::INFO) {
        return;
    }
    let Some(log) = access_log() else {
        return;
    };
    let mut line = Vec::with_capacity(192);
    record.write(log.format, &mut line);
    if !line.is_empty() {
        log.sink.send(line);
    }
}

/// The facts of `session`'s line.
fn record<'a>(
    session: &'a mut Session,
    start: Instant,
    body_bytes: u64,
    error: Option<&'a Error>,
    extra: &'a LogFields,
) -> Record<'a> {
    let duration_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    session.request_id();
    let session = &*session;
    let headers = session.headers();
    Record {
        time: time::OffsetDateTime::now_utc(),
        client: session.client_addr().ip(),
        method: session.method(),
        path: session.path(),
        query: session.query(),
        version: session.req_header().version,
        status: session.response_status(),
        body_bytes,
        upstream: session.upstream().map(|peer| peer.addr()),
        duration_us,
        request_id: session.known_request_id(),
        error,
        referer: headers.get(http::header::REFERER).map(|v| v.as_bytes()),
        user_agent: headers.get(http::header::USER_AGENT).map(|v| v.as_bytes()),
        extra,
    }
}
