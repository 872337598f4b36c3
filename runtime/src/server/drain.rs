//! How a server stops: the two kinds of stop, and draining without racing keep-alive clients.
//!
//! A graceful stop (SIGTERM, SIGQUIT, or a newer process taking the listeners over) goes in
//! three steps, all within the grace period:
//!
//! 1. The accept loops end (their sockets close here; after a hand-over the new process
//!    keeps accepting on the same sockets, so no connection is refused). From now on every
//!    HTTP/1 response says `Connection: close`, and hyper closes the connection after it:
//!    a keep-alive client learns on its next response that it must reconnect, instead of
//!    finding its idle connection closed under a request it was just sending (the race
//!    RFC 9112 §9.3.1 leaves to clients). This lasts until every connection has closed or
//!    [`CLOSE_DELAY`] has passed.
//! 2. hyper's graceful shutdown: HTTP/2 connections get GOAWAY (streams already opened
//!    finish), HTTP/1 connections still idle close, in-flight requests and long response
//!    bodies run to their end.
//! 3. Open tunnels (WebSocket) run until their peers close them.
//!
//! A fast stop (SIGINT, or a second signal during a graceful one) ends the steps at once and
//! abandons whatever is still open.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

/// How to stop serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Stop accepting, let in-flight requests and tunnels finish within the grace period.
    Graceful,
    /// Stop accepting and abandon every open connection now.
    Fast,
}

/// The longest step 1 of a graceful stop lasts: enough for a client that keeps a connection
/// busy to send one more request and be told to reconnect.
pub const CLOSE_DELAY: Duration = Duration::from_secs(1);

/// Set once the server drains: responses to HTTP/1 requests that arrive after it say
/// `Connection: close`.
#[derive(Debug, Clone, Default)]
pub(crate) struct Draining(Arc<AtomicBool>);

impl Draining {
    pub(crate) fn start(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// Where a server learns that it must stop, and later that a graceful stop became a fast one.
#[derive(Debug, Clone)]
pub struct StopSignal(watch::Receiver<Option<Stop>>);

/// The sending side of a [`StopSignal`]; clones drive the same signal.
#[derive(Debug, Clone)]
pub struct StopHandle(Arc<watch::Sender<Option<Stop>>>);

impl StopHandle {
    /// A handle and the signal it drives.
    pub fn new() -> (StopHandle, StopSignal) {
        let (tx, rx) = watch::channel(None);
        (StopHandle(Arc::new(tx)), StopSignal(rx))
    }

    /// Asks the server to stop. A fast stop overrides a graceful one, never the reverse.
    pub fn stop(&self, how: Stop) {
        self.0.send_if_modified(|current| match (*current, how) {
            (Some(Stop::Fast), _) | (Some(Stop::Graceful), Stop::Graceful) => false,
            _ => {
                *current = Some(how);
                true
            }
        });
    }
}

impl StopSignal {
    /// Waits for the first stop request. A handle dropped without asking counts as a
    /// graceful stop.
    pub(crate) async fn requested(&mut self) -> Stop {
        match self.0.wait_for(Option::is_some).await {
            Ok(stop) => stop.unwrap_or(Stop::Graceful),
            Err(_) => Stop::Graceful,
        }
    }

    /// Completes when a fast stop is asked for (never, if the handle is gone).
    pub(crate) async fn fast(&mut self) {
        if self.0.wait_for(|s| *s == Some(Stop::Fast)).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn fast_overrides_graceful_and_not_the_reverse() {
        let (handle, mut signal) = StopHandle::new();
        handle.stop(Stop::Graceful);
        assert_eq!(signal.requested().await, Stop::Graceful);
        let waiting = tokio::spawn({
            let mut signal = signal.clone();
            async move { signal.fast().await }
        });
        handle.stop(Stop::Fast);
        handle.stop(Stop::Graceful);
        tokio::time::timeout(Duration::from_secs(5), waiting)
            .await
            .expect("the fast stop is seen")
            .expect("the task ends");
        assert_eq!(signal.requested().await, Stop::Fast);
    }

    #[tokio::test]
    async fn a_dropped_handle_is_a_graceful_stop() {
        let (handle, mut signal) = StopHandle::new();
        drop(handle);
        assert_eq!(signal.requested().await, Stop::Graceful);
    }
}
