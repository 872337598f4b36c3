//! Streaming the request body upstream through `request_body_filter`.
//!
//! The client's body cannot be handed to the upstream connection as it is: each chunk must
//! pass [`Proxy::request_body_filter`](crate::Proxy::request_body_filter), which needs the
//! request's session and context, and those stay with the request task. So the request task
//! owns a [`RequestPump`] that reads the client body, filters each chunk and places it in a
//! one-chunk slot (a [`BodyFeed`], `upstream/body.rs`); the upstream connection reads the slot
//! through [`UpstreamBody`]. One chunk in flight gives backpressure both ways. The pump is driven first by the service while it
//! waits for the response header, then by the response body (an origin may answer before
//! it has read the whole request).

use std::task::{Context, Poll};

use bytes::Bytes;
use http_body::{Body, Frame};
use hyper::body::Incoming;

use super::budget::BodyBudget;
use crate::error::{Error, ErrorKind, Result};
use crate::phase::Proxy;
use crate::session::Session;
use crate::upstream::body::{BodyFeed, End, Room, UpstreamBody};

// ===== the pump =====

/// Reads the client body, runs `request_body_filter` on each chunk and feeds the
/// [`UpstreamBody`] made with it.
pub(crate) struct RequestPump {
    incoming: Incoming,
    feed: BodyFeed,
    filtered_end: bool,
    state: PumpState,
    /// The body's bytes so far, against `max_body_bytes`.
    budget: BodyBudget,
    /// Chunks handed to the upstream so far; the service resets its read timer when it grows.
    pub(crate) sent: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum PumpState {
    Running,
    /// Every chunk was handed to the upstream connection.
    Done,
    /// The upstream connection stopped reading the body (it answered early, or failed).
    Abandoned,
}

impl std::fmt::Debug for RequestPump {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestPump")
            .field("state", &self.state)
            .field("sent", &self.sent)
            .finish_non_exhaustive()
    }
}

impl RequestPump {
    /// A pump for the client body `incoming`, at most `budget` bytes, and the upstream body
    /// it feeds.
    pub(crate) fn new(incoming: Incoming, budget: BodyBudget) -> (RequestPump, UpstreamBody) {
        let size_hint = incoming.size_hint();
        let (feed, body) = BodyFeed::channel(size_hint);
        let pump = RequestPump {
            incoming,
            feed,
            filtered_end: false,
            state: PumpState::Running,
            budget,
            sent: 0,
        };
        (pump, body)
    }

    /// Whether the whole body reached the upstream connection (so it may be reused).
    pub(crate) fn is_done(&self) -> bool {
        self.state == PumpState::Done
    }

    /// Whether chunks are still being moved (neither finished nor abandoned).
    pub(crate) fn is_running(&self) -> bool {
        self.state == PumpState::Running
    }

    /// Moves chunks until the client has none ready, the slot is full, or the body ended.
    ///
    /// `Ready(Ok(()))` once finished (also when the upstream stopped reading); `Err` when the
    /// client aborted its body or the filter failed (the upstream body is then aborted too).
    pub(crate) fn poll_pump<P: Proxy>(
        &mut self,
        cx: &mut Context<'_>,
        proxy: &P,
        session: &mut Session,
        ctx: &mut P::Ctx,
    ) -> Poll<Result<()>> {
        loop {
            if self.state != PumpState::Running {
                return Poll::Ready(Ok(()));
            }
            match self.feed.poll_room(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Room::ReceiverGone) => {
                    self.state = PumpState::Abandoned;
                    return Poll::Ready(Ok(()));
                }
                Poll::Ready(Room::Free) => {}
            }
            let frame = match std::pin::Pin::new(&mut self.incoming).poll_frame(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(frame))) => frame,
                Poll::Ready(Some(Err(e))) => {
                    self.abort();
                    return Poll::Ready(Err(Error::explain(
                        ErrorKind::DownstreamProtocol,
                        "reading the request body",
                    )
                    .with_cause(e)));
                }
                Poll::Ready(None) => {
                    let mut last = None;
                    if !self.filtered_end {
                        if let Err(e) = proxy.request_body_filter(session, &mut last, true, ctx) {
                            self.abort();
                            return Poll::Ready(Err(e));
                        }
                    }
                    self.finish(last.map(Frame::data));
                    return Poll::Ready(Ok(()));
                }
            };
            let frame = match frame.into_data() {
                Ok(data) => {
                    // Counted before the filter sees it: a chunk over the limit goes nowhere.
                    if let Err(e) = self.budget.take(data.len()) {
                        self.abort();
                        return Poll::Ready(Err(e));
                    }
                    let end = self.incoming.is_end_stream();
                    let mut chunk = Some(data);
                    if let Err(e) = proxy.request_body_filter(session, &mut chunk, end, ctx) {
                        self.abort();
                        return Poll::Ready(Err(e));
                    }
                    self.filtered_end = end;
                    match chunk {
                        Some(data) if !data.is_empty() => Frame::data(data),
                        _ if end => {
                            self.finish(None);
                            return Poll::Ready(Ok(()));
                        }
                        _ => continue,
                    }
                }
                // Trailers pass unfiltered.
                Err(frame) => frame,
            };
            let end = self.incoming.is_end_stream();
            self.sent += 1;
            if end {
                self.finish(Some(frame));
                return Poll::Ready(Ok(()));
            }
            self.put(Some(frame), End::Open);
        }
    }

    fn finish(&mut self, frame: Option<Frame<Bytes>>) {
        self.state = PumpState::Done;
        self.put(frame, End::Finished);
    }

    fn abort(&mut self) {
        self.state = PumpState::Abandoned;
        self.put(None, End::Aborted);
    }

    fn put(&mut self, frame: Option<Frame<Bytes>>, end: End) {
        self.feed.put(frame, end);
    }
}

impl Drop for RequestPump {
    fn drop(&mut self) {
        if self.state == PumpState::Running {
            self.abort();
        }
    }
}
