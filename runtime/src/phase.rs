//! The phase trait: the one extension surface of the runtime.
//!
//! Generated code implements [`Proxy`]; the runtime drives a request through its hooks in the
//! order they are declared here (see the phase diagram in the crate documentation). Only
//! [`Proxy::new_ctx`] and [`Proxy::upstream_peer`] are required.
//!
//! Async hooks return `impl Future + Send`, so implementations may write `async fn` and the
//! runtime polls them without boxing. Body hooks are synchronous: they run once per chunk.

use std::future::Future;

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::log::LogFields;
use crate::response::Response;
use crate::session::Session;
use crate::upstream::{Peer, Upstream};

/// A proxy program: what to do at each phase of a request.
///
/// Every hook receives the request's [`Session`] and the per-request context made by
/// [`Proxy::new_ctx`]. The context only needs to be `Send` (hooks take it by `&mut`, so
/// the request's future stays `Send` without `Sync`).
pub trait Proxy: Send + Sync + 'static {
    /// Per-request state shared by the hooks of one request.
    type Ctx: Send + 'static;

    /// Makes the context of a new request. Runs once per request, first.
    fn new_ctx(&self) -> Self::Ctx;

    /// The upstreams this proxy uses, so that the server runs their background tasks
    /// (active health checks, DNS or file discovery).
    ///
    /// Called once by [`serve`](crate::serve) (and so by [`run`](crate::run)) before the
    /// first connection is accepted: each listed upstream's
    /// [`Upstream::start_background`] runs then, and its tasks stop after in-flight requests
    /// have drained at shutdown. An upstream not listed here still serves requests, but is
    /// never probed nor re-discovered. The default lists none.
    fn upstreams(&self) -> Vec<&Upstream> {
        Vec::new()
    }

    /// The lists and flags this proxy loads from files, so that the server keeps them
    /// current (a look at each file twice a second, and a re-read on SIGHUP: see
    /// [`data`](crate::data)).
    ///
    /// Called once by [`serve`](crate::serve) before the first connection is accepted; the
    /// watching stops when serving ends. A list not listed here keeps what it read at
    /// start-up. The default lists none.
    fn data_files(&self) -> Vec<crate::data::DataFile> {
        Vec::new()
    }

    /// The names of the program's routes, in order: the `route` label of the request
    /// metrics (`pxy_requests_total`, `pxy_request_duration_seconds`). Called once by
    /// [`serve`](crate::serve) before the first connection. The default has none (every
    /// request is counted as route `none`).
    fn route_names(&self) -> Vec<&str> {
        Vec::new()
    }

    /// The route that took this request: an index into [`Proxy::route_names`], or `None`.
    /// Called once per request, when it finishes (before [`Proxy::logging`]). The default
    /// says `None`.
    fn route(&self, _ctx: &Self::Ctx) -> Option<usize> {
        None
    }

    /// Inspects or changes the request header, or answers it locally.
    ///
    /// Runs once per request, after the header is read and before anything else.
    /// `Ok(Some(response))` sends `response` (through [`Proxy::response_filter`]) and skips
    /// the upstream; `Ok(None)` goes on to [`Proxy::upstream_peer`]; `Err` goes to
    /// [`Proxy::fail_to_proxy`]. The default does nothing and returns `Ok(None)`.
    fn request_filter(
        &self,
        _session: &mut Session,
        _ctx: &mut Self::Ctx,
    ) -> impl Future<Output = Result<Option<Response>>> + Send {
        async { Ok(None) }
    }

    /// Inspects or changes one chunk of the request body on its way upstream.
    ///
    /// Runs for each chunk as it arrives (so it may run after the response header came
    /// back), and once more with `body == None` and `end_of_stream == true` if the last chunk
    /// did not already say so. Not called for requests without a body, nor for requests
    /// answered by `request_filter`. Setting `*body = None` drops the chunk. If the total
    /// length changes, remove `Content-Length` in [`Proxy::upstream_request_filter`]. `Err`
    /// aborts the request. The default does nothing.
    fn request_body_filter(
        &self,
        _session: &mut Session,
        _body: &mut Option<Bytes>,
        _end_of_stream: bool,
        _ctx: &mut Self::Ctx,
    ) -> Result<()> {
        Ok(())
    }

    /// Chooses the backend for this attempt, usually with [`Upstream::select`](crate::Upstream::select).
    ///
    /// Runs once per attempt: again after a retryable connect failure (see
    /// [`Proxy::fail_to_connect`]), and after a connection reset before any response byte
    /// when the request is idempotent and its body replayable (see
    /// [`UpstreamOptions::max_retries`](crate::UpstreamOptions::max_retries)). For a retry it
    /// may be called up to three times while it returns the backend that just failed. The
    /// returned peer counts as one in-flight request on its backend until the request ends.
    /// `Err` goes to [`Proxy::fail_to_proxy`]. Required.
    fn upstream_peer(
        &self,
        session: &mut Session,
        ctx: &mut Self::Ctx,
    ) -> impl Future<Output = Result<Peer>> + Send;

    /// Changes the request about to be sent upstream.
    ///
    /// Runs once per attempt after a connection is ready, with the request already rewritten
    /// for the origin: origin-form URI, hop-by-hop headers removed, `X-Forwarded-For` and
    /// `X-Forwarded-Proto` set. `Err` goes to [`Proxy::fail_to_proxy`]. The default does
    /// nothing.
    fn upstream_request_filter(
        &self,
        _session: &mut Session,
        _upstream_request: &mut http::request::Parts,
        _ctx: &mut Self::Ctx,
    ) -> impl Future<Output = Result<()>> + Send {
        async { Ok(()) }
    }

    /// Inspects or changes the origin's response header as received.
    ///
    /// Runs once per proxied request when the upstream response header arrives, before
    /// hop-by-hop headers are removed and before [`Proxy::response_filter`]. `Err` discards the
    /// response and goes to [`Proxy::fail_to_proxy`]. The default does nothing.
    fn upstream_response_filter(
        &self,
        _session: &mut Session,
        _upstream_response: &mut http::response::Parts,
        _ctx: &mut Self::Ctx,
    ) -> Result<()> {
        Ok(())
    }

    /// Changes the response header about to be sent downstream.
    ///
    /// Runs once per request on every response header sent: upstream responses (after
    /// [`Proxy::upstream_response_filter`]), local responses from
    /// [`Proxy::request_filter`], and error pages from [`Proxy::fail_to_proxy`]. `Err` turns
    /// an upstream or local response into an error page; an `Err` while filtering an error
    /// page is logged and the page is sent as it is. The default does nothing.
    fn response_filter(
        &self,
        _session: &mut Session,
        _response: &mut http::response::Parts,
        _ctx: &mut Self::Ctx,
    ) -> Result<()> {
        Ok(())
    }

    /// Inspects or changes one chunk of the response body on its way downstream.
    ///
    /// Runs for each chunk of every response body, and once more with `body == None` and
    /// `end_of_stream == true` if the last chunk did not already say so. Not called when the
    /// response has no body (HEAD, 204, 304, empty). Setting `*body = None` drops the chunk;
    /// if the total length changes, remove `Content-Length` in [`Proxy::response_filter`].
    /// `Err` aborts the response (the client sees a truncated message). The default does
    /// nothing.
    fn response_body_filter(
        &self,
        _session: &mut Session,
        _body: &mut Option<Bytes>,
        _end_of_stream: bool,
        _ctx: &mut Self::Ctx,
    ) -> Result<()> {
        Ok(())
    }

    /// Decides what a failed connection to `peer` means.
    ///
    /// Runs once per failed connect attempt. If the returned error
    /// [`is_retryable`](Error::is_retryable) and fewer than the upstream's `max_retries`
    /// retries were made, the runtime calls [`Proxy::upstream_peer`] again; otherwise the
    /// error goes to [`Proxy::fail_to_proxy`]. The default returns `error` unchanged
    /// (connect failures are retryable).
    fn fail_to_connect(
        &self,
        _session: &mut Session,
        _peer: &Peer,
        _ctx: &mut Self::Ctx,
        error: Error,
    ) -> Error {
        error
    }

    /// Decides what an error after connecting means (sending the request, waiting for or
    /// reading the response).
    ///
    /// Runs at most once per request. Before the response header is sent the returned error
    /// goes to [`Proxy::fail_to_proxy`]; after, the response is aborted and the error is
    /// passed to [`Proxy::logging`]. The default returns `error` unchanged.
    fn error_while_proxy(
        &self,
        _session: &mut Session,
        _peer: &Peer,
        _ctx: &mut Self::Ctx,
        error: Error,
    ) -> Error {
        error
    }

    /// Builds the error page sent when the request could not be proxied.
    ///
    /// Runs at most once per request, when a hook or the upstream failed before a response
    /// header was sent. The page then passes [`Proxy::response_filter`]. The default sends
    /// [`Response::error_page`] with [`Error::status`], e.g. `502 Bad Gateway`.
    fn fail_to_proxy(
        &self,
        _session: &mut Session,
        error: &Error,
        _ctx: &mut Self::Ctx,
    ) -> impl Future<Output = Response> + Send {
        let status = error.status();
        async move { Response::error_page(status) }
    }

    /// Records the request. Runs exactly once per request, last: after the response body
    /// ended, the request failed, or the client went away. `error` is why it did not finish
    /// normally, if so. [`Session::response_status`] is the status sent (none if the client
    /// went away first) and [`Session::upstream`] the last peer tried. Fields set in `fields`
    /// are appended to the request's access log line, which the runtime writes right after
    /// this hook returns (unless the access log is off). The session is `&mut` only so that
    /// [`Session::request_id`] can be read; changing the request here has no effect. The
    /// default adds nothing.
    fn logging(
        &self,
        _session: &mut Session,
        _error: Option<&Error>,
        _ctx: &mut Self::Ctx,
        _fields: &mut LogFields,
    ) {
    }
}
