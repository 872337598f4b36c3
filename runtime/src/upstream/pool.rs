//! Idle upstream connections of one backend, kept for reuse.
//!
//! The pool holds HTTP/1.1 senders whose connection task runs on its own. A connection comes
//! back only once its response body has been read to the end (see the response body wrapper
//! in `server/body.rs`); one dropped mid-body is closed instead. Checkout takes the most
//! recently used connection (warm, least likely closed by the origin), discarding closed and
//! expired ones. The lock is held for a push or a pop only.

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use hyper::client::conn::http1::SendRequest;

use crate::server::pump::UpstreamBody;

/// The sender half of an HTTP/1.1 upstream connection.
pub(crate) type Sender = SendRequest<UpstreamBody>;

pub(crate) struct Pool {
    idle: Mutex<VecDeque<Idle>>,
    max_idle: usize,
    idle_timeout: Duration,
}

struct Idle {
    sender: Sender,
    since: Instant,
}

impl Pool {
    pub(crate) fn new(max_idle: usize, idle_timeout: Duration) -> Self {
        Pool {
            idle: Mutex::new(VecDeque::new()),
            max_idle,
            idle_timeout,
        }
    }

    fn lock(&self) -> MutexGuard<'_, VecDeque<Idle>> {
        // A panic while holding the lock cannot leave the queue inconsistent.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn len(&self) -> usize {
        self.lock().len()
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

    /// Returns a connection whose last response was read to the end.
    pub(crate) fn checkin(&self, sender: Sender) {
        if self.max_idle == 0 || sender.is_closed() {
            return;
        }
        let now = Instant::now();
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
}
