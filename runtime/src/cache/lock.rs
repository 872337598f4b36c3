//! The cache lock: of the concurrent misses of one key, one (the writer) asks upstream; the
//! others wait for its fill, a bounded time, then look again. A writer that fails (an
//! uncacheable or failed response, an aborted body) drops its lock: the waiters wake, find
//! nothing, and one of them becomes the next writer.
//!
//! quick_cache's placeholder guard does the same but borrows the cache for its lifetime; a
//! fill outlives the request future (it ends with the response body), so the lock is a
//! small map of its own: key → a watch channel that closes when the writer's guard drops.
//! A writer whose response may not be stored says so ([`FillLock::pass`]) before it lets go,
//! so that its waiters ask upstream at once instead of one after the other.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

/// How long a request waits for another's fill before asking upstream itself.
pub(crate) const LOCK_WAIT: Duration = Duration::from_secs(5);

#[derive(Default)]
pub(crate) struct Locks {
    held: Held,
    next_id: std::sync::atomic::AtomicU64,
}

/// What [`Locks::acquire`] gave.
#[derive(Debug)]
pub(crate) enum Acquired {
    /// This request fills the key; the lock is released when the guard drops.
    Writer(FillLock),
    /// Another request is filling it: wait with [`Waiter::wait`].
    Waiter(Waiter),
}

/// The writer's hold on a key.
pub(crate) struct FillLock {
    held: Held,
    key: String,
    id: u64,
    /// Closed when the lock drops; set to `true` by [`FillLock::pass`].
    signal: watch::Sender<bool>,
}

/// The keys being filled: the writer's id and the receiver its waiters clone.
type Held = Arc<Mutex<HashMap<String, (u64, watch::Receiver<bool>)>>>;

/// How a wait for another request's fill ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Woken {
    /// The writer is done (stored, or failed): look again.
    Done,
    /// The writer's response may not be stored: ask upstream without waiting.
    Pass,
    /// It took too long: ask upstream.
    TimedOut,
}

impl std::fmt::Debug for FillLock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FillLock").field("key", &self.key).finish()
    }
}

/// A request waiting for another's fill.
#[derive(Debug)]
pub(crate) struct Waiter(watch::Receiver<bool>);

impl Waiter {
    /// Waits until the writer is done or passes, at most until `deadline`.
    pub(crate) async fn wait_until(mut self, deadline: tokio::time::Instant) -> Woken {
        // `changed` is `Ok` when the writer passes, `Err` when its sender drops.
        match tokio::time::timeout_at(deadline, self.0.changed()).await {
            Ok(Ok(())) => Woken::Pass,
            Ok(Err(_)) => Woken::Done,
            Err(_) => Woken::TimedOut,
        }
    }
}

impl FillLock {
    /// The response may not be stored: the waiters go upstream on their own now.
    pub(crate) fn pass(self) {
        self.signal.send_replace(true);
    }
}

impl Locks {
    pub(crate) fn acquire(&self, key: &str) -> Acquired {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, receiver)) = held.get(key) {
            return Acquired::Waiter(Waiter(receiver.clone()));
        }
        let id = self
            .next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (signal, receiver) = watch::channel(false);
        held.insert(key.to_owned(), (id, receiver));
        Acquired::Writer(FillLock {
            held: self.held.clone(),
            key: key.to_owned(),
            id,
            signal,
        })
    }
}

impl Drop for FillLock {
    fn drop(&mut self) {
        let mut held = self.held.lock().unwrap_or_else(PoisonError::into_inner);
        if held.get(&self.key).is_some_and(|(id, _)| *id == self.id) {
            held.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn one_writer_and_a_failed_fill_elects_the_next() {
        let locks = Locks::default();
        let Acquired::Writer(first) = locks.acquire("k") else {
            panic!("the first is the writer")
        };
        let Acquired::Waiter(waiter) = locks.acquire("k") else {
            panic!("the second waits")
        };
        let deadline = tokio::time::Instant::now() + LOCK_WAIT;
        let waiting = tokio::spawn(waiter.wait_until(deadline));
        drop(first);
        assert_eq!(waiting.await.expect("joined"), Woken::Done);
        let Acquired::Writer(second) = locks.acquire("k") else {
            panic!("the next one writes")
        };
        let Acquired::Waiter(waiter) = locks.acquire("k") else {
            panic!("and the one after waits")
        };
        let waiting = tokio::spawn(waiter.wait_until(deadline));
        second.pass();
        assert_eq!(waiting.await.expect("joined"), Woken::Pass);
    }
}
