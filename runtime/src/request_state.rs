//! What one request carries from hook to hook, and the guarantee that `logging` runs once.
//!
//! [`RequestState`] owns the session and the context. It moves from the server's service
//! (header phases), lent to forwarding (`crate::forward`) while it reaches an upstream, into
//! the response body (body phases); whichever owns it last finishes it. It sits beside both
//! layers so that forwarding never names the server. If it
//! is dropped unfinished (the client went away, or hyper dropped the request), `Drop` runs
//! [`Proxy::logging`](crate::Proxy::logging) with a `ClientClosed` error, so logging happens
//! exactly once per request whatever the path.

use std::sync::Arc;
use std::time::Instant;

use crate::error::{Error, ErrorKind};
use crate::log::LogFields;
use crate::metrics::requests::RouteMetrics;
use crate::phase::Proxy;
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
    finished: bool,
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
        if self.finished {
            return;
        }
        self.finished = true;
        self.in_flight = None;
        let error = error.or_else(|| self.error.take());
        let route = self.proxy.route(&self.ctx);
        self.metrics
            .record(route, self.session.response_status(), self.start.elapsed());
        let mut fields = LogFields::default();
        self.proxy.logging(
            &mut self.session,
            error.as_ref(),
            &mut self.ctx,
            &mut fields,
        );
        if let Some(code) = self.grpc_status {
            fields.set(crate::log::reserved::GRPC_STATUS, code.to_string());
        }
        if self.access_log {
            crate::log::access(&mut self.session, self.start, error.as_ref(), &fields);
        }
    }
}

impl<P: Proxy> Drop for RequestState<P> {
    fn drop(&mut self) {
        if !self.finished {
            self.finish(Some(Error::new(ErrorKind::ClientClosed)));
        }
    }
}
