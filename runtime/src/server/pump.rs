//! Streaming the request body upstream through `request_body_filter`.
//!
//! The client's body cannot be handed to the upstream connection as it is: each chunk must
//! pass [`Proxy::request_body_filter`](crate::Proxy::request_body_filter), which needs the
//! request's session and context, and those stay with the request task. So the request task
//! owns a [`RequestPump`] that reads the client body, filters each chunk and places it in a
//! one-chunk slot; the upstream connection reads the slot through [`UpstreamBody`]. One chunk
//! in flight gives backpressure both ways. The pump is driven first by the service while it
//! waits for the response header, then by the response body (an origin may answer before
//! it has read the whole request).

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};
use hyper::body::Incoming;

use crate::error::{Error, ErrorKind, Result};
use crate::phase::Proxy;
use crate::session::Session;

// ===== the one-chunk slot =====

#[derive(Default)]
struct Slot {
    frame: Option<Frame<Bytes>>,
    end: End,
    receiver_gone: bool,
    receiver_waker: Option<Waker>,
    sender_waker: Option<Waker>,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum End {
    #[default]
    Open,
    Finished,
    Aborted,
}

pub(crate) struct Shared {
    slot: Mutex<Slot>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Slot> {
        // The slot holds plain data; a panic elsewhere cannot leave it inconsistent.
        self.slot.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn register(slot: &mut Option<Waker>, cx: &Context<'_>) {
    match slot {
        Some(waker) if waker.will_wake(cx.waker()) => {}
        _ => *slot = Some(cx.waker().clone()),
    }
}

/// The body of a request sent upstream: nothing, a body read whole, or the chunks a
/// [`RequestPump`] passes on.
#[derive(Default)]
pub(crate) enum UpstreamBody {
    /// A request without a body.
    #[default]
    Empty,
    /// A body read whole beforehand (`None` once sent), so that it can be sent again.
    Full(Option<Bytes>),
    /// Chunks from the client, filtered.
    Streamed {
        shared: Arc<Shared>,
        size_hint: SizeHint,
    },
}

impl std::fmt::Debug for UpstreamBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UpstreamBody::Empty => f.write_str("UpstreamBody::Empty"),
            UpstreamBody::Full(_) => f.write_str("UpstreamBody::Full"),
            UpstreamBody::Streamed { .. } => f.write_str("UpstreamBody::Streamed"),
        }
    }
}

impl Body for UpstreamBody {
    type Data = Bytes;
    type Error = Error;

    fn poll_frame(
        self: std::pin::Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>>>> {
        let shared = match self.get_mut() {
            UpstreamBody::Streamed { shared, .. } => shared,
            UpstreamBody::Full(body) => {
                return Poll::Ready(body.take().map(|b| Ok(Frame::data(b))))
            }
            UpstreamBody::Empty => return Poll::Ready(None),
        };
        let mut slot = shared.lock();
        if let Some(frame) = slot.frame.take() {
            let waker = slot.sender_waker.take();
            drop(slot);
            if let Some(waker) = waker {
                waker.wake();
            }
            return Poll::Ready(Some(Ok(frame)));
        }
        match slot.end {
            End::Finished => Poll::Ready(None),
            End::Aborted => Poll::Ready(Some(Err(Error::explain(
                ErrorKind::DownstreamProtocol,
                "the request body was aborted",
            )))),
            End::Open => {
                register(&mut slot.receiver_waker, cx);
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            UpstreamBody::Empty => true,
            UpstreamBody::Full(body) => body.is_none(),
            UpstreamBody::Streamed { shared, .. } => {
                let slot = shared.lock();
                slot.frame.is_none() && slot.end == End::Finished
            }
        }
    }

    fn size_hint(&self) -> SizeHint {
        match self {
            UpstreamBody::Empty => SizeHint::with_exact(0),
            UpstreamBody::Full(body) => {
                SizeHint::with_exact(body.as_ref().map_or(0, |b| b.len() as u64))
            }
            UpstreamBody::Streamed { size_hint, .. } => *size_hint,
        }
    }
}

impl Drop for UpstreamBody {
    fn drop(&mut self) {
        if let UpstreamBody::Streamed { shared, .. } = self {
            let mut slot = shared.lock();
            slot.receiver_gone = true;
            let waker = slot.sender_waker.take();
            drop(slot);
            if let Some(waker) = waker {
                waker.wake();
            }
        }
    }
}

// ===== the pump =====

/// Reads the client body, runs `request_body_filter` on each chunk and feeds the
/// [`UpstreamBody`] made with it.
pub(crate) struct RequestPump {
    incoming: Incoming,
    shared: Arc<Shared>,
    filtered_end: bool,
    state: PumpState,
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
    /// A pump for the client body `incoming` and the upstream body it feeds.
    pub(crate) fn new(incoming: Incoming) -> (RequestPump, UpstreamBody) {
        let size_hint = incoming.size_hint();
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot::default()),
        });
        let pump = RequestPump {
            incoming,
            shared: shared.clone(),
            filtered_end: false,
            state: PumpState::Running,
            sent: 0,
        };
        (pump, UpstreamBody::Streamed { shared, size_hint })
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
            {
                let mut slot = self.shared.lock();
                if slot.receiver_gone {
                    self.state = PumpState::Abandoned;
                    return Poll::Ready(Ok(()));
                }
                if slot.frame.is_some() {
                    register(&mut slot.sender_waker, cx);
                    return Poll::Pending;
                }
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
        let mut slot = self.shared.lock();
        if frame.is_some() {
            slot.frame = frame;
        }
        slot.end = end;
        let waker = slot.receiver_waker.take();
        drop(slot);
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

impl Drop for RequestPump {
    fn drop(&mut self) {
        if self.state == PumpState::Running {
            self.abort();
        }
    }
}
