//! The body of a request as an upstream connection reads it.
//!
//! [`UpstreamBody`] is what every upstream sender (`sender.rs`, `pool.rs`) carries: no body,
//! a body read whole (kept so a retry can send it again), or chunks streamed through a
//! one-chunk slot. The forwarding side (`crate::forward`'s request pump, which runs
//! `request_body_filter`) fills the slot through a [`BodyFeed`]; the connection empties it.
//! One chunk in flight gives backpressure both ways. The type lives here, not with the
//! pump, so that `upstream` never names the forwarding layer above it.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll, Waker};

use bytes::Bytes;
use http_body::{Body, Frame, SizeHint};

use crate::error::{Error, ErrorKind, Result};

// ===== the one-chunk slot =====

#[derive(Default)]
struct Slot {
    frame: Option<Frame<Bytes>>,
    end: End,
    receiver_gone: bool,
    receiver_waker: Option<Waker>,
    sender_waker: Option<Waker>,
}

/// Whether more chunks follow the one in the slot.
#[derive(Default, Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum End {
    /// More may follow.
    #[default]
    Open,
    /// The body ended normally.
    Finished,
    /// The body ended with an error (the client aborted it, or a filter failed).
    Aborted,
}

/// The slot shared by a [`BodyFeed`] and its [`UpstreamBody`].
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
/// [`BodyFeed`] passes on.
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

// ===== the feeding side =====

/// The writing end of a streamed [`UpstreamBody`]: whoever holds it puts chunks in the slot.
pub(crate) struct BodyFeed {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for BodyFeed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BodyFeed")
    }
}

/// Whether a [`BodyFeed`] can take a chunk now.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Room {
    /// The slot is empty.
    Free,
    /// The upstream connection dropped the body: nothing more will be read.
    ReceiverGone,
}

impl BodyFeed {
    /// A streamed body with `size_hint`, and the feed that fills it.
    pub(crate) fn channel(size_hint: SizeHint) -> (BodyFeed, UpstreamBody) {
        let shared = Arc::new(Shared {
            slot: Mutex::new(Slot::default()),
        });
        let feed = BodyFeed {
            shared: shared.clone(),
        };
        (feed, UpstreamBody::Streamed { shared, size_hint })
    }

    /// `Ready` when the slot is empty or the receiver is gone; `Pending` (woken when the
    /// connection takes the chunk) while a chunk waits in the slot.
    pub(crate) fn poll_room(&self, cx: &Context<'_>) -> Poll<Room> {
        let mut slot = self.shared.lock();
        if slot.receiver_gone {
            return Poll::Ready(Room::ReceiverGone);
        }
        if slot.frame.is_some() {
            register(&mut slot.sender_waker, cx);
            return Poll::Pending;
        }
        Poll::Ready(Room::Free)
    }

    /// Puts `frame` (if any) in the slot and records whether the body goes on, waking the
    /// connection.
    pub(crate) fn put(&self, frame: Option<Frame<Bytes>>, end: End) {
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
