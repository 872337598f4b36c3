//! `max_in_flight N [by KEY] [queue D]`: at most N requests at once.
//!
//! Each key (one, without `by`) has a Tokio semaphore of N permits. A request takes a permit
//! before it goes further and keeps it in its context until its response is over (the body
//! sent, or the client gone); the excess is refused at once, or waits in the semaphore's
//! fair queue for at most D. A key's semaphore exists only while a request holds or waits for
//! one of its permits, so memory follows the requests in flight, not the keys ever seen.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use prometheus::IntCounter;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::key::LimitKey;
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::limits as metrics;

/// One `max_in_flight` statement (see the module docs).
#[derive(Debug)]
pub struct InFlight {
    name: &'static str,
    max: u32,
    queue: Option<Duration>,
    keys: Arc<Keys>,
    rejected: IntCounter,
}

/// The semaphores of the keys with a request in flight or waiting.
#[derive(Debug, Default)]
struct Keys(Mutex<HashMap<LimitKey, Arc<Semaphore>>>);

impl Keys {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<LimitKey, Arc<Semaphore>>> {
        // Only whole entries are inserted and removed under the lock.
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Forgets `key`'s semaphore if nobody but the map (and the caller's `semaphore`) holds
    /// it: no request holds a permit or waits for one.
    fn release(&self, key: LimitKey, semaphore: Arc<Semaphore>) {
        let mut keys = self.lock();
        if Arc::strong_count(&semaphore) == 2 {
            keys.remove(&key);
        }
    }
}

/// A request's place within an [`InFlight`] limit, given back when dropped.
#[derive(Debug)]
pub struct InFlightPermit {
    keys: Arc<Keys>,
    key: LimitKey,
    permit: Option<OwnedSemaphorePermit>,
}

impl Drop for InFlightPermit {
    fn drop(&mut self) {
        if let Some(permit) = self.permit.take() {
            let semaphore = permit.semaphore().clone();
            drop(permit);
            self.keys.release(self.key, semaphore);
        }
    }
}

impl InFlight {
    /// At most `max` requests at once per key, the excess waiting up to `queue` (refused at
    /// once when `None`). `name` labels its metrics.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] if `max` is 0.
    pub fn new(name: &'static str, max: u32, queue: Option<Duration>) -> Result<Self> {
        if max == 0 {
            return Err(Error::explain(
                ErrorKind::InvalidConfig,
                format!("{name}: at most 0 requests in flight"),
            ));
        }
        Ok(InFlight {
            name,
            max,
            queue,
            keys: Arc::default(),
            rejected: metrics::rejected(name),
        })
    }

    /// A place for one request of `key` ([`LimitKey::GLOBAL`] for an unkeyed limit): at once,
    /// or after waiting in the queue.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InFlightLimit`] (503, with `Retry-After: 1`) when none is free in time;
    /// counted.
    pub async fn acquire(&self, key: LimitKey) -> Result<InFlightPermit> {
        let semaphore = self
            .keys
            .lock()
            .entry(key)
            .or_insert_with(|| Arc::new(Semaphore::new(self.max as usize)))
            .clone();
        let permit = match self.queue {
            None => semaphore.clone().try_acquire_owned().ok(),
            Some(wait) => tokio::time::timeout(wait, semaphore.clone().acquire_owned())
                .await
                .ok()
                .and_then(std::result::Result::ok),
        };
        match permit {
            Some(permit) => Ok(InFlightPermit {
                keys: self.keys.clone(),
                key,
                permit: Some(permit),
            }),
            None => {
                self.keys.release(key, semaphore);
                self.rejected.inc();
                Err(Error::explain(ErrorKind::InFlightLimit, self.name)
                    .with_retry_after(Duration::from_secs(1)))
            }
        }
    }

    /// Keys with a request in flight or waiting.
    #[cfg(test)]
    fn live_keys(&self) -> usize {
        self.keys.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refuses_over_max_and_forgets_idle_keys() {
        let limit = InFlight::new("t", 2, None).expect("valid");
        let a = LimitKey::of("a");
        let first = limit.acquire(a).await.expect("1");
        let second = limit.acquire(a).await.expect("2");
        let refused = limit.acquire(a).await.expect_err("3");
        assert_eq!(refused.kind(), ErrorKind::InFlightLimit);
        let other = limit.acquire(LimitKey::of("b")).await.expect("another key");
        assert_eq!(limit.live_keys(), 2);
        drop((first, second, other));
        assert_eq!(limit.live_keys(), 0);
        limit.acquire(a).await.expect("free again");
    }

    #[tokio::test]
    async fn a_queued_request_gets_a_freed_place_or_gives_up() {
        let queue = Duration::from_millis(300);
        let limit = Arc::new(InFlight::new("q", 1, Some(queue)).expect("valid"));
        let key = LimitKey::GLOBAL;
        let held = limit.acquire(key).await.expect("1");
        let waiting = tokio::spawn({
            let limit = limit.clone();
            async move { limit.acquire(key).await.map(drop) }
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(held);
        waiting.await.expect("joined").expect("got the freed place");

        let held = limit.acquire(key).await.expect("again");
        let started = std::time::Instant::now();
        assert!(limit.acquire(key).await.is_err());
        let waited = started.elapsed();
        assert!(waited >= queue && waited < queue * 3, "{waited:?}");
        drop(held);
        assert_eq!(limit.live_keys(), 0);
    }
}
