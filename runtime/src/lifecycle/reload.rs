//! Re-reading run-time data on request: SIGHUP (`signals.rs`) calls [`request`], and every
//! task that keeps data current (list and flag files in `crate::data`, discovery in
//! `crate::upstream::discovery`) waits on [`Reloads::requested`] beside its own timer, so one
//! signal re-reads everything at once, without waiting for the next poll.
//!
//! A [`tokio::sync::watch`] channel carries a counter: a waiter that was busy when a request
//! came still sees it (the value changed), and many requests while it was busy are one re-read.

use std::sync::OnceLock;

use tokio::sync::watch;

fn channel() -> &'static watch::Sender<u64> {
    static RELOADS: OnceLock<watch::Sender<u64>> = OnceLock::new();
    RELOADS.get_or_init(|| watch::Sender::new(0))
}

/// Asks every [`Reloads`] waiter to re-read its data now.
pub(crate) fn request() {
    channel().send_modify(|n| *n = n.wrapping_add(1));
}

/// How many reloads were requested so far: for a thread that polls (it cannot await
/// [`Reloads::requested`]) and re-reads when the number moved.
pub(crate) fn generation() -> u64 {
    *channel().borrow()
}

/// One task's view of reload requests; only requests made after [`Reloads::new`] count.
#[derive(Debug)]
pub(crate) struct Reloads(watch::Receiver<u64>);

impl Reloads {
    pub(crate) fn new() -> Self {
        Reloads(channel().subscribe())
    }

    /// Resolves when a reload was requested since the last call (or since [`Reloads::new`]).
    pub(crate) async fn requested(&mut self) {
        // The sender is a static: it is never dropped, so `changed` cannot fail; if it did,
        // waiting forever is what "no more requests" means.
        if self.0.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}
