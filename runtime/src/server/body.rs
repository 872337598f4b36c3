//! The response body sent downstream, and the end of every request.
//!
//! [`ResponseBody`] streams an upstream body (or a local one) chunk by chunk through
//! [`Proxy::response_body_filter`](crate::Proxy::response_body_filter), keeps the request
//! body pump going, enforces the read timeout between upstream chunks (and the upstream's total timeout), and at the end of the
//! body returns the upstream connection to its pool and finishes the request (`logging`).
//! A body dropped before its end closes the upstream connection instead and reports
//! `ClientClosed`. A body being stored in the cache hands each chunk to its [`Fill`] as it
//! passes (before `response_body_filter`), and stores it at its end.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;
use tokio::time::{Instant, Sleep};

use crate::cache::range::Slicer;
use crate::cache::Fill;
use crate::compress::Encoder;
use crate::error::{Error, ErrorKind, Result};
use crate::forward::RequestPump;
use crate::phase::Proxy;
use crate::request_state::RequestState;
use crate::upstream::pool::Sender;

/// The body of every response the runtime sends.
pub(crate) struct ResponseBody<P: Proxy> {
    source: Source,
    upstream: Option<UpstreamParts>,
    filtered_end: bool,
    state: RequestState<P>,
    /// The cache entry this body fills, if it is being stored. The rare fields are boxed:
    /// a response body is moved through every layer into hyper, and a hit or a plain
    /// proxied response should not carry a miss's or a compressed response's bytes.
    fill: Option<Box<Fill>>,
    /// The client's range of a whole response being stored, if it asked for one.
    slice: Option<Slicer>,
    /// The end of the range, held until the whole response has been read (hyper stops
    /// polling a body once its `Content-Length` is sent, which would drop the fill).
    held: Option<Bytes>,
    /// Compresses what is sent (`crate::compress`), after `response_body_filter`.
    encoder: Option<Box<Encoder>>,
    /// Trailers that arrived while compressing, sent after the compressed stream's end.
    trailers: Option<Box<Frame<Bytes>>>,
}

enum Source {
    /// A local body not yet sent (`None` once sent).
    Full(Option<Bytes>),
    /// The origin's body.
    Upstream(Incoming),
    /// Nothing more to send.
    Done,
}

/// What a proxied body needs besides the body itself.
pub(crate) struct UpstreamParts {
    pub(crate) sender: Option<Sender>,
    pub(crate) pump: Option<RequestPump>,
    pub(crate) read_timeout: Duration,
    /// The end of the upstream's total timeout, if it has one.
    deadline: Option<Instant>,
    timer: Option<Pin<Box<Sleep>>>,
    progressed: bool,
}

impl UpstreamParts {
    /// The origin's response header, and what its body needs, of a proxied exchange.
    pub(crate) fn split(proxied: crate::forward::Proxied) -> (http::Response<Incoming>, Self) {
        let crate::forward::Proxied {
            response,
            sender,
            pump,
            read_timeout,
            deadline,
        } = proxied;
        let parts = UpstreamParts {
            sender: Some(sender),
            pump,
            read_timeout,
            deadline,
            timer: None,
            progressed: true,
        };
        (response, parts)
    }

    /// Which timeout elapsed, if any: the read timeout since the last progress, or the total
    /// deadline. Arms the timer if none did.
    fn timed_out(&mut self, cx: &mut Context<'_>) -> Option<ErrorKind> {
        let read_deadline = Instant::now() + self.read_timeout;
        let deadline = match self.deadline {
            Some(total) if total < read_deadline => total,
            _ => read_deadline,
        };
        let timer = match &mut self.timer {
            Some(timer) => {
                if self.progressed {
                    timer.as_mut().reset(deadline);
                }
                timer
            }
            // Allocated only for bodies that make us wait at least once.
            None => self
                .timer
                .insert(Box::pin(tokio::time::sleep_until(deadline))),
        };
        self.progressed = false;
        if timer.as_mut().poll(cx).is_pending() {
            return None;
        }
        let total_over = self.deadline.is_some_and(|total| Instant::now() >= total);
        Some(if total_over {
            ErrorKind::TotalTimeout
        } else {
            ErrorKind::ReadTimeout
        })
    }
}

// A `ResponseBody` never pins its fields (the timer is boxed), so it may move freely even if
// the user's context type is `!Unpin`.
impl<P: Proxy> Unpin for ResponseBody<P> {}

impl<P: Proxy> ResponseBody<P> {
    /// A local body (a `Response` or an error page). Nothing is sent for a HEAD request
    /// (its header keeps the `Content-Length` of the body it would have had).
    pub(crate) fn full(mut state: RequestState<P>, body: Bytes) -> Self {
        state.response_started = true;
        let source = if body.is_empty() || is_head(&state) {
            Source::Done
        } else {
            Source::Full(Some(body))
        };
        ResponseBody {
            source,
            upstream: None,
            filtered_end: false,
            state,
            fill: None,
            slice: None,
            held: None,
            encoder: None,
            trailers: None,
        }
    }

    /// The origin's body; none for a HEAD request (an origin sends none, and a stray one is
    /// not forwarded). `fill` stores it in the cache as it passes.
    pub(crate) fn upstream(
        mut state: RequestState<P>,
        body: Incoming,
        parts: UpstreamParts,
        fill: Option<Fill>,
    ) -> Self {
        state.response_started = true;
        let source = if is_head(&state) {
            Source::Done
        } else {
            Source::Upstream(body)
        };
        ResponseBody {
            source,
            upstream: Some(parts),
            filtered_end: false,
            state,
            fill: fill.map(Box::new),
            slice: None,
            held: None,
            encoder: None,
            trailers: None,
        }
    }

    /// Sends only the bytes `slice` keeps of the body (a range cut from a whole response
    /// that is being stored); the rest is still read, for the fill.
    pub(crate) fn sliced(mut self, slice: Option<Slicer>) -> Self {
        self.slice = slice;
        self
    }

    /// Compresses what is sent with `encoder` (chosen with the response header).
    pub(crate) fn compressed(mut self, encoder: Option<Encoder>) -> Self {
        self.encoder = encoder.map(Box::new);
        self
    }

    /// `data` after what is held, if anything is.
    fn after_held(&mut self, data: Bytes) -> Bytes {
        match self.held.take() {
            None => data,
            Some(held) if data.is_empty() => held,
            Some(held) => {
                let mut joined = bytes::BytesMut::with_capacity(held.len() + data.len());
                joined.extend_from_slice(&held);
                joined.extend_from_slice(&data);
                joined.freeze()
            }
        }
    }

    fn source_ended(&self) -> bool {
        match &self.source {
            Source::Full(body) => body.is_none(),
            Source::Upstream(body) => body.is_end_stream(),
            Source::Done => true,
        }
    }

    /// The body ended normally: the connection goes back to the pool if the exchange is
    /// complete, and the request is finished.
    fn complete(&mut self) {
        self.source = Source::Done;
        if let Some(mut upstream) = self.upstream.take() {
            let request_done = upstream.pump.as_ref().is_none_or(RequestPump::is_done);
            if let (Some(sender), Some(peer), true) = (
                upstream.sender.take(),
                self.state.session.upstream(),
                request_done,
            ) {
                peer.backend().pool.checkin(sender);
            }
        }
        if let Some(fill) = self.fill.take() {
            (*fill).finish(&self.state.session);
        }
        self.state.finish(None);
    }

    /// The body failed: drop the upstream connection, finish the request with `error` and
    /// tell hyper to abort the response.
    fn fail(&mut self, error: Error) -> Poll<Option<Result<Frame<Bytes>>>> {
        self.source = Source::Done;
        self.fill = None;
        self.upstream = None;
        let kind = error.kind();
        let error = match self.state.session.upstream().cloned() {
            Some(peer) if error.is_upstream() => {
                let state = &mut self.state;
                state
                    .proxy
                    .error_while_proxy(&mut state.session, &peer, &mut state.ctx, error)
            }
            _ => error,
        };
        self.state.finish(Some(error));
        Poll::Ready(Some(Err(Error::explain(
            kind,
            "the response body was aborted",
        ))))
    }

    /// Runs `response_body_filter`; a panic in it is caught here (the header is sent: the
    /// response can only be aborted) and becomes the error that aborts it.
    fn filter(&mut self, chunk: &mut Option<Bytes>, end: bool) -> Result<()> {
        self.filtered_end = end;
        let state = &mut self.state;
        let run = AssertUnwindSafe(|| {
            state
                .proxy
                .response_body_filter(&mut state.session, chunk, end, &mut state.ctx)
        });
        std::panic::catch_unwind(run)
            .unwrap_or_else(|panic| Err(self.state.body_phase_panicked(panic.as_ref())))
    }

    fn poll_pump(&mut self, cx: &mut Context<'_>) -> Result<()> {
        let Some(pump) = self.upstream.as_mut().and_then(|u| u.pump.as_mut()) else {
            return Ok(());
        };
        let state = &mut self.state;
        // `request_body_filter` runs in the pump: a panic in it aborts the response too.
        let run = AssertUnwindSafe(|| {
            pump.poll_pump(cx, &*state.proxy, &mut state.session, &mut state.ctx)
        });
        match std::panic::catch_unwind(run) {
            Ok(Poll::Ready(result)) => result,
            Ok(Poll::Pending) => Ok(()),
            Err(panic) => Err(self.state.body_phase_panicked(panic.as_ref())),
        }
    }
}

/// Whether the request is a HEAD, whose response carries no body whatever its header says.
/// hyper's HTTP/1 server knows this, but its HTTP/2 server sends whatever body it is given
/// (and clients reset the stream), so the body is left out here for both.
fn is_head<P: Proxy>(state: &RequestState<P>) -> bool {
    state.session.method() == http::Method::HEAD
}

impl<P: Proxy> ResponseBody<P> {
    /// The next frame as `response_body_filter` left it, before compression.
    fn poll_plain(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>>>> {
        let this = self;
        if let Err(e) = this.poll_pump(cx) {
            return this.fail(e);
        }
        loop {
            let frame = match &mut this.source {
                Source::Done => None,
                Source::Full(body) => body.take().map(Frame::data),
                Source::Upstream(body) => match Pin::new(body).poll_frame(cx) {
                    Poll::Ready(Some(Ok(frame))) => {
                        if let Some(upstream) = &mut this.upstream {
                            upstream.progressed = true;
                        }
                        Some(frame)
                    }
                    Poll::Ready(Some(Err(e))) => {
                        return this.fail(
                            Error::explain(
                                ErrorKind::UpstreamProtocol,
                                "reading the response body",
                            )
                            .with_cause(e),
                        );
                    }
                    Poll::Ready(None) => None,
                    Poll::Pending => {
                        let timed_out = match &mut this.upstream {
                            Some(upstream) => upstream.timed_out(cx),
                            None => None,
                        };
                        if let Some(kind) = timed_out {
                            return this.fail(Error::explain(
                                kind,
                                "waiting for the next response body chunk",
                            ));
                        }
                        return Poll::Pending;
                    }
                },
            };
            let Some(frame) = frame else {
                if !this.filtered_end {
                    let mut last = None;
                    if let Err(e) = this.filter(&mut last, true) {
                        return this.fail(e);
                    }
                    if let Some(data) = last.filter(|data| !data.is_empty()) {
                        let data = this.after_held(data);
                        this.source = Source::Done;
                        this.state.body_bytes += data.len() as u64;
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                }
                if let Some(data) = this.held.take() {
                    this.source = Source::Done;
                    this.state.body_bytes += data.len() as u64;
                    return Poll::Ready(Some(Ok(Frame::data(data))));
                }
                this.complete();
                return Poll::Ready(None);
            };
            match frame.into_data() {
                Ok(data) => {
                    if let Some(fill) = &mut this.fill {
                        if !fill.push(&data) {
                            this.fill = None;
                        }
                    }
                    let data = match &mut this.slice {
                        Some(slice) => slice.cut(data),
                        None => data,
                    };
                    let end = this.source_ended();
                    let mut chunk = Some(data);
                    if let Err(e) = this.filter(&mut chunk, end) {
                        return this.fail(e);
                    }
                    if let Some(data) = chunk.filter(|data| !data.is_empty()) {
                        let data = this.after_held(data);
                        if !end && this.slice.as_ref().is_some_and(Slicer::is_done) {
                            this.held = Some(data);
                            continue;
                        }
                        this.state.body_bytes += data.len() as u64;
                        if end {
                            this.complete();
                        }
                        return Poll::Ready(Some(Ok(Frame::data(data))));
                    }
                }
                // Trailers pass unfiltered.
                Err(frame) => return Poll::Ready(Some(Ok(frame))),
            }
        }
    }
}

impl<P: Proxy> Body for ResponseBody<P> {
    type Data = Bytes;
    type Error = Error;

    /// The plain frames, or with an encoder their compressed form: each data frame
    /// compressed (an empty result is not sent), then the end of the compressed stream
    /// before the trailers or the end.
    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>>>> {
        let this = self.get_mut();
        loop {
            if let Some(trailers) = this.trailers.take() {
                return Poll::Ready(Some(Ok(*trailers)));
            }
            if this.encoder.is_none() {
                return this.poll_plain(cx);
            }
            let frame = match ready!(this.poll_plain(cx)) {
                Some(Ok(frame)) => frame,
                Some(Err(e)) => return Poll::Ready(Some(Err(e))),
                None => {
                    let end = this.encoder.take().map(|encoder| encoder.finish());
                    return match end {
                        Some(Ok(rest)) if !rest.is_empty() => {
                            Poll::Ready(Some(Ok(Frame::data(rest))))
                        }
                        Some(Err(e)) => Poll::Ready(Some(Err(e))),
                        Some(Ok(_)) | None => Poll::Ready(None),
                    };
                }
            };
            match (frame.into_data(), this.encoder.as_mut()) {
                (Ok(data), Some(encoder)) => match encoder.compress(&data) {
                    Ok(out) if out.is_empty() => continue,
                    Ok(out) => return Poll::Ready(Some(Ok(Frame::data(out)))),
                    Err(e) => {
                        this.encoder = None;
                        return this.fail(e);
                    }
                },
                (Ok(data), None) => return Poll::Ready(Some(Ok(Frame::data(data)))),
                // Trailers come last: the compressed stream ends before them.
                (Err(trailers), _) => {
                    let rest = this.encoder.take().map(|encoder| encoder.finish());
                    this.trailers = Some(Box::new(trailers));
                    match rest {
                        Some(Ok(rest)) if !rest.is_empty() => {
                            return Poll::Ready(Some(Ok(Frame::data(rest))))
                        }
                        Some(Err(e)) => return this.fail(e),
                        Some(Ok(_)) | None => {}
                    }
                }
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.source_ended()
            && self.held.is_none()
            && self.encoder.is_none()
            && self.trailers.is_none()
    }

    fn size_hint(&self) -> SizeHint {
        if self.slice.is_some() || self.encoder.is_some() {
            return SizeHint::default();
        }
        match &self.source {
            Source::Full(Some(body)) => SizeHint::with_exact(body.len() as u64),
            Source::Upstream(body) => body.size_hint(),
            Source::Full(None) | Source::Done => SizeHint::with_exact(0),
        }
    }
}

impl<P: Proxy> Drop for ResponseBody<P> {
    fn drop(&mut self) {
        // hyper stops polling once `is_end_stream` is true (and never polls bodies of HEAD,
        // 204 and 304 responses): that is a normal end. Anything else is the client leaving.
        if self.source_ended() && self.held.is_none() {
            self.complete();
        } else {
            self.upstream = None;
            self.fill = None;
            self.state.finish(Some(Error::new(ErrorKind::ClientClosed)));
        }
    }
}
