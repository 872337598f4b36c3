//! The retry budget: how many of an upstream's requests in flight may be retries at once,
//! so that retries cannot multiply the load on an upstream that is already failing.
//!
//! Modelled on Envoy's retry budget: a retry may start while the retries in flight stay
//! below `percent` of the requests in flight, or below `min_concurrent` (so that an upstream
//! with little traffic can still retry). Both counts are atomics shared by every backend of
//! the upstream ([`RetryLoad`]); a request counts from its first attempt to its response
//! header ([`RetryLoad::request`]), a retry from the moment it is allowed until the next
//! retry of the same request or the response header ([`RetryLoad::try_retry`]).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The limit on concurrent retries of an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryBudget {
    /// Retries in flight allowed, in percent of the requests in flight (1 to 100).
    /// Default 20.
    pub percent: u32,
    /// Retries in flight always allowed, whatever the traffic. Default 3.
    pub min_concurrent: u32,
}

impl Default for RetryBudget {
    fn default() -> Self {
        RetryBudget {
            percent: 20,
            min_concurrent: 3,
        }
    }
}

impl RetryBudget {
    /// How many retries may be in flight while `requests` requests are.
    fn allowed(self, requests: usize) -> usize {
        let share = requests.saturating_mul(self.percent as usize) / 100;
        share.max(self.min_concurrent as usize)
    }
}

/// The requests and retries in flight to one upstream.
#[derive(Debug, Default)]
pub(crate) struct RetryLoad {
    requests: AtomicUsize,
    retries: AtomicUsize,
}

impl RetryLoad {
    /// Counts one request in flight until the guard drops.
    pub(crate) fn request(self: &Arc<Self>) -> InFlightGuard {
        self.requests.fetch_add(1, Ordering::Relaxed);
        InFlightGuard {
            load: self.clone(),
            retry: false,
        }
    }

    /// Counts one retry in flight until the guard drops, if `budget` allows one more now.
    pub(crate) fn try_retry(self: &Arc<Self>, budget: RetryBudget) -> Option<InFlightGuard> {
        let allowed = budget.allowed(self.requests.load(Ordering::Relaxed));
        self.retries
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < allowed).then_some(n + 1)
            })
            .ok()?;
        Some(InFlightGuard {
            load: self.clone(),
            retry: true,
        })
    }
}

/// One request or one retry counted in a [`RetryLoad`].
#[derive(Debug)]
pub(crate) struct InFlightGuard {
    load: Arc<RetryLoad>,
    retry: bool,
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        let count = if self.retry {
            &self.load.retries
        } else {
            &self.load.requests
        };
        count.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_minimum_lets_low_traffic_retry_and_the_share_caps_high_traffic() {
        let load = Arc::new(RetryLoad::default());
        let budget = RetryBudget {
            percent: 20,
            min_concurrent: 2,
        };
        let _one = load.request();
        let first = load.try_retry(budget).expect("below the minimum");
        let _second = load.try_retry(budget).expect("at the minimum");
        assert!(load.try_retry(budget).is_none(), "over the minimum");
        drop(first);
        assert!(load.try_retry(budget).is_some(), "a retry ended");

        let many: Vec<_> = (0..99).map(|_| load.request()).collect();
        let retries: Vec<_> = std::iter::from_fn(|| load.try_retry(budget))
            .take(100)
            .collect();
        // 100 requests in flight: 20 retries, of which one is held above.
        assert_eq!(retries.len(), 19);
        drop(many);
        drop(retries);
        assert_eq!(load.requests.load(Ordering::Relaxed), 1);
    }
}
