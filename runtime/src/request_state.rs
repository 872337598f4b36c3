//! What one request carries from hook to hook, and the guarantee that `logging` runs once.
//!
//! [`RequestState`] owns the session and the context. It moves from the server's service
//! (header phases), lent to forwarding (`crate::forward`) while it reaches an upstream, into
//! the response body (body phases); whichever owns it last finishes it. It sits beside both
//! layers so that forwarding never names the server. If it
//! is dropped unfinished (the client went away, or hyper dropped the request), `Drop` runs
//! [`Proxy::logging`](crate::Proxy::logging) with a `ClientClosed` error, so logging happens
//! exactly once per request whatever the path.
//!
//! Dropped while a hook of the program panics, it calls no hook again (a second panic while
//! unwinding would abort the process): it counts the request, as a 500 when no response had
//! started, writes its access log line with the error, and leaves the request id for the
//! server's panic guard (`server/service.rs`), which answers 500 and logs the panic with it.

use std::cell::Cell;
use std::sync::Arc;
use std::time::Instant;

use http::StatusCode;

use crate::error::{Error, ErrorKind};
use crate::log::LogFields;
use crate::metrics::requests::RouteMetrics;
use crate::phase::Proxy;
use crate::request_id::RequestId;
use crate::session::Session;
use crate::upstream::InFlight;

/// The per-request state: session, context and bookkeeping.
pub(crate) struct RequestState<P: Proxy> {
    pub(crate) proxy: Arc<P>,
    access_log: bool,
    pub(crate) session: Session,
    pub(crate) ctx: P::Ctx,
    start: Instant,
    /// An error already handled (an error page was sent for it); reported to `logging`.
    pub(crate) error: Option<Error>,
    /// The request counted in flight on its current backend, until it finishes.
    pub(crate) in_flight: Option<InFlight>,
    /// The `grpc-status` of a gRPC error answer made by the proxy, logged as `grpc_status`.
    pub(crate) grpc_status: Option<u16>,
    /// Where the request is counted when it finishes.
    metrics: Arc<RouteMetrics>,
    /// The response header went to hyper (the body phases own the state now).
    pub(crate) response_started: bool,
    /// Response body bytes handed to hyper so far (the access log's size of the response).
    pub(crate) body_bytes: u64,
    finished: bool,
}

thread_local! {
    /// The id of the request whose state was dropped by a panic on this thread, until the
    /// panic guard that caught it takes it.
    static PANICKED: Cell<Option<RequestId>> = const { Cell::new(None) };
}

/// The id of the request a panic on this thread just ended, once.
pub(crate) fn take_panicked() -> Option<RequestId> {
    PANICKED.with(Cell::take)
}

/// Logs a caught panic of a phase on `pxy::panic`: the request's id, the panic's message and
/// what the proxy did about it (`outcome`).
pub(crate) fn log_panic(
    request_id: Option<RequestId>,
    panic: &(dyn std::any::Any + Send),
    outcome: &str,
) {
    let message = panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)");
    tracing::error!(
        target: "pxy::panic",
        request_id = request_id.as_ref().map(|id| id.as_str()),
        panic = message,
        "a phase of the program panicked; {outcome}"
    );
}

impl<P: Proxy> RequestState<P> {
    pub(crate) fn new(
        proxy: Arc<P>,
        access_log: bool,
        session: Session,
        start: Instant,
        metrics: Arc<RouteMetrics>,
    ) -> Self {
        let ctx = proxy.new_ctx();
        crate::metrics::requests::in_flight().inc();
        RequestState {
            proxy,
            access_log,
            session,
            ctx,
            start,
            error: None,
            in_flight: None,
            grpc_status: None,
            metrics,
            response_started: false,
            body_bytes: 0,
            finished: false,
        }
    }

    /// Whether the access log is written.
    pub(crate) fn logs_access(&self) -> bool {
        self.access_log
    }

    /// Runs `logging` and the access log, once; later calls do nothing. `error` (or else the
    /// error recorded earlier) is why the request did not finish normally.
    pub(crate) fn finish(&mut self, error: Option<Error>) {
        self.finish_with(error, true);
    }

    /// A body phase panicked (caught where it was called): counts and logs it, and returns
    /// the error that ends the response.
    pub(crate) fn body_phase_panicked(&mut self, panic: &(dyn std::any::Any + Send)) -> Error {
        crate::metrics::requests::panicked();
        log_panic(
            Some(self.session.request_id_value()),
            panic,
            "the response was aborted",
        );
        Error::explain(ErrorKind::Internal, "a phase of the program panicked")
    }

    /// A state made only to carry a response whose request was already counted and logged.
    pub(crate) fn mark_finished(&mut self) {
        if !self.finished {
            crate::metrics::requests::in_flight().dec();
        }
        self.finished = true;
    }

    fn finish_with(&mut self, error: Option<Error>, hooks: bool) {
        if self.finished {
            return;
        }
        self.finished = true;
        crate::metrics::requests::in_flight().dec();
        self.in_flight = None;
        let error = error.or_else(|| self.error.take());
        // `route` only reads the context (generated code: a field).
        let route = self.proxy.route(&self.ctx);
        self.metrics
            .record(route, self.session.response_status(), self.start.elapsed());
        let mut fields = LogFields::default();
        if hooks {
            self.proxy.logging(
                &mut self.session,
                error.as_ref(),
                &mut self.ctx,
                &mut fields,
            );
        }
        if let Some(status) = self.session.cache_status() {
            fields.set(crate::log::reserved::CACHE, status.as_str());
        }
        if let Some(code) = self.grpc_status {
            fields.set(crate::log::reserved::GRPC_STATUS, code.to_string());
        }
        if self.access_log {
            crate::log::access(
                &mut self.session,
                self.start,
                self.body_bytes,
                error.as_ref(),
                &fields,
            );
        }
    }
}

impl<P: Proxy> Drop for RequestState<P> {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        if std::thread::panicking() {
            if !self.response_started {
                self.session
                    .set_response_status(StatusCode::INTERNAL_SERVER_ERROR);
            }
            crate::metrics::requests::panicked();
            PANICKED.with(|p| p.set(Some(self.session.request_id_value())));
            let error = Error::explain(ErrorKind::Internal, "a phase of the program panicked");
            self.finish_with(Some(error), false);
        } else {
            self.finish(Some(Error::new(ErrorKind::ClientClosed)));
        }
    }
}
