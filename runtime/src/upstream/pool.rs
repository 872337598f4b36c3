//! Connections of one backend: the idle ones kept for reuse, and the limit on open ones.
//!
//! The pool holds HTTP/1.1 senders whose connection task runs on its own. A connection comes
//! back only once its response body has been read to the end (see the response body wrapper
//! in `server/body.rs`); one dropped mid-body is closed instead. Checkout takes the most
//! recently used connection (warm, least likely closed by the origin), discarding closed and
//! expired ones, so a connection the origin closed is never handed out. The lock is held for
//! a push or a pop only.
//!
//! Every open connection owns a [`Slot`], moved into its connection task and dropped when
//! the connection ends: it counts open connections and, when `max_open_per_backend` is set,
//! holds a semaphore permit, so requests beyond the limit wait for a permit or an idle
//! connection (whichever comes first).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use hyper::client::conn::http2;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use super::body::UpstreamBody;
use super::options::UpstreamOptions;
pub(crate) use super::sender::Sender;

pub(crate) struct Pool {
    idle: Mutex<VecDeque<Idle>>,
    max_idle: usize,
    idle_timeout: Duration,
    /// Permits for open connections, when they are limited.
    limit: Option<Arc<Semaphore>>,
    /// Open connections (idle or busy).
    open: Arc<AtomicUsize>,
    /// Woken when a connection is checked in, for requests waiting at the limit.
    pub(crate) checked_in: Notify,
    /// The backend's one HTTP/2 connection, shared by all requests (`protocol h2`).
    shared: Mutex<Option<http2::SendRequest<UpstreamBody>>>,
    /// Held while a shared HTTP/2 connection is being opened, so that concurrent first
    /// requests wait for it instead of each opening one.
    pub(crate) opening: tokio::sync::Mutex<()>,
}

struct Idle {
    sender: Sender,
    since: Instant,
}

/// The right to keep one connection open; dropped when the connection ends.
#[derive(Debug)]
pub(crate) struct Slot {
    _permit: Option<OwnedSemaphorePermit>,
    open: Arc<AtomicUsize>,
}

impl Slot {
    fn new(permit: Option<OwnedSemaphorePermit>, open: &Arc<AtomicUsize>) -> Self {
        open.fetch_add(1, Ordering::Relaxed);
        Slot {
            _permit: permit,
            open: open.clone(),
        }
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.open.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Whether a new connection may be opened now.
pub(crate) enum Reserve {
    /// Yes, with this slot.
    Ready(Slot),
    /// No: the limit is reached; wait on this semaphore (or for a checkin).
    Full(Arc<Semaphore>),
}

impl Pool {
    pub(crate) fn new(options: &UpstreamOptions) -> Self {
        Pool {
            idle: Mutex::new(VecDeque::new()),
            max_idle: options.max_idle_per_backend,
            idle_timeout: options.idle_timeout,
            limit: options
                .max_open_per_backend
                .map(|n| Arc::new(Semaphore::new(n.min(Semaphore::MAX_PERMITS)))),
            open: Arc::new(AtomicUsize::new(0)),
            checked_in: Notify::new(),
            shared: Mutex::new(None),
            opening: tokio::sync::Mutex::new(()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Idle>> {
        // A panic while holding the lock cannot leave the queue inconsistent.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }

    /// Open connections, idle or busy.
    pub(crate) fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }

    /// A slot for a new connection if the limit allows one now.
    pub(crate) fn try_reserve(&self) -> Reserve {
        match &self.limit {
            None => Reserve::Ready(Slot::new(None, &self.open)),
            Some(limit) => match limit.clone().try_acquire_owned() {
                Ok(permit) => Reserve::Ready(Slot::new(Some(permit), &self.open)),
                Err(_) => Reserve::Full(limit.clone()),
            },
        }
    }

    /// A slot made from a permit obtained after waiting on [`Reserve::Full`].
    pub(crate) fn slot_from(&self, permit: OwnedSemaphorePermit) -> Slot {
        Slot::new(Some(permit), &self.open)
    }

    /// The most recently returned connection that is neither closed nor expired. It may not
    /// be ready yet if its previous response finished a moment ago; wait with `ready()`.
    pub(crate) fn checkout(&self) -> Option<Sender> {
        let now = Instant::now();
        let mut idle = self.lock();
        while let Some(entry) = idle.pop_back() {
            if now.saturating_duration_since(entry.since) > self.idle_timeout {
                // Everything older expired too.
                idle.clear();
                return None;
            }
            if !entry.sender.is_closed() {
                return Some(entry.sender);
            }
        }
        None
    }

    /// A stream on the backend's shared HTTP/2 connection, if it is open.
    pub(crate) fn shared(&self) -> Option<Sender> {
        let shared = self.shared.lock().unwrap_or_else(PoisonError::into_inner);
        shared
            .as_ref()
            .filter(|sender| !sender.is_closed())
            .map(|sender| Sender::Http2(sender.clone()))
    }

    /// Makes `sender` the backend's shared HTTP/2 connection.
    pub(crate) fn share(&self, sender: &http2::SendRequest<UpstreamBody>) {
        *self.shared.lock().unwrap_or_else(PoisonError::into_inner) = Some(sender.clone());
    }

    /// Returns a connection whose last response was read to the end. HTTP/2 streams are
    /// not pooled (their connection is shared).
    pub(crate) fn checkin(&self, sender: Sender) {
        if self.max_idle == 0 || sender.is_closed() || matches!(sender, Sender::Http2(_)) {
            return;
        }
        let now = Instant::now();
        {
            let mut idle = self.lock();
            while idle.front().is_some_and(|entry| {
                entry.sender.is_closed()
                    || now.saturating_duration_since(entry.since) > self.idle_timeout
            }) {
                idle.pop_front();
            }
            if idle.len() >= self.max_idle {
                idle.pop_front();
            }
            idle.push_back(Idle { sender, since: now });
        }
        if self.limit.is_some() {
            self.checked_in.notify_one();
        }
    }
}
