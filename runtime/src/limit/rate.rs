//! `limit NAME = N per D [burst B] by KEY`: governor's GCRA per key.
//!
//! GCRA (the generic cell rate algorithm) is exact and needs one timestamp per key: N per D
//! lets a key send B requests at once (B = N unless declared) and then one more every D / N,
//! never more than B + t·N/D in any stretch of time t. A refusal says how long until the next
//! request of that key would pass, which becomes `Retry-After` (in whole seconds, rounded up,
//! so a client that waits that long is never refused again for the same reason).
//!
//! We chose governor over a hand-written counter: it is the maintained GCRA implementation of
//! the Rust ecosystem, lock-free where it can be and careful with clock arithmetic; we give it
//! a bounded store (`store.rs`) instead of its unbounded maps.

use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, MonotonicClock};
use governor::middleware::NoOpMiddleware;
use governor::{Quota, RateLimiter};
use prometheus::IntCounter;

use super::key::LimitKey;
use super::store::BoundedStore;
use crate::error::{Error, ErrorKind, Result};
use crate::metrics::limits as metrics;

/// How many requests a key may send: `requests` per `period`, `burst` at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateQuota {
    /// Requests per period (N).
    pub requests: u32,
    /// The period (D).
    pub period: Duration,
    /// Requests allowed at once; `None` means `requests`.
    pub burst: Option<u32>,
    /// Keys remembered at most (see `store.rs`); `None` means 100,000.
    pub keys: Option<usize>,
}

/// Keys a rate limit remembers unless declared otherwise (7.7 MB, see `store.rs`).
pub const DEFAULT_KEYS: usize = 100_000;

/// One declared rate limit (see the module docs).
pub struct RateLimit {
    name: &'static str,
    limiter:
        RateLimiter<LimitKey, BoundedStore, MonotonicClock, NoOpMiddleware<std::time::Instant>>,
    rejected: IntCounter,
}

impl std::fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl RateLimit {
    /// The limit `name` (its name in the program, the `limit` label of its metrics).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] if a number is zero or the period is too short to refill
    /// one request (the compiler refuses both; a hand-written program may not).
    pub fn new(name: &'static str, quota: RateQuota) -> Result<Self> {
        let invalid =
            |what: &str| Error::explain(ErrorKind::InvalidConfig, format!("limit {name}: {what}"));
        let requests =
            NonZeroU32::new(quota.requests).ok_or_else(|| invalid("0 requests per period"))?;
        let burst = NonZeroU32::new(quota.burst.unwrap_or(quota.requests))
            .ok_or_else(|| invalid("a burst of 0"))?;
        let keys = quota.keys.unwrap_or(DEFAULT_KEYS);
        if keys == 0 {
            return Err(invalid("0 keys"));
        }
        let gcra = Quota::with_period(quota.period / requests.get())
            .ok_or_else(|| invalid("a period too short for its number of requests"))?
            .allow_burst(burst);
        Ok(RateLimit {
            name,
            limiter: RateLimiter::new(gcra, BoundedStore::new(keys), MonotonicClock),
            rejected: metrics::rejected(name),
        })
    }

    /// The limit's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Lets one request of `key` through, or refuses it with
    /// [`ErrorKind::RateLimited`] carrying how long until the key may send again
    /// ([`Error::retry_after`]). A refusal is counted.
    ///
    /// # Errors
    ///
    /// The refusal, as above.
    pub fn check(&self, key: LimitKey) -> Result<()> {
        match self.limiter.check_key(&key) {
            Ok(()) => Ok(()),
            Err(not_until) => {
                self.rejected.inc();
                let wait = not_until.wait_time_from(self.limiter.clock().now());
                Err(
                    Error::explain(ErrorKind::RateLimited, format!("limit {}", self.name))
                        .with_retry_after(wait),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(requests: u32, period: Duration, burst: Option<u32>) -> RateLimit {
        let quota = RateQuota {
            requests,
            period,
            burst,
            keys: None,
        };
        RateLimit::new("test", quota).expect("valid quota")
    }

    #[test]
    fn n_pass_then_the_next_waits_d_over_n() {
        let limit = limit(5, Duration::from_secs(60), None);
        let key = LimitKey::of("client");
        for _ in 0..5 {
            limit.check(key).expect("within the burst");
        }
        let refused = limit.check(key).expect_err("over the burst");
        assert_eq!(refused.kind(), ErrorKind::RateLimited);
        let wait = refused.retry_after().expect("a wait");
        assert!(
            wait <= Duration::from_secs(12) && wait > Duration::from_secs(11),
            "{wait:?}"
        );
        limit
            .check(LimitKey::of("other"))
            .expect("another key is not limited");
    }

    #[test]
    fn a_declared_burst_is_the_number_let_through_at_once() {
        let limit = limit(60, Duration::from_secs(60), Some(2));
        let key = LimitKey::of("k");
        limit.check(key).expect("1");
        limit.check(key).expect("2");
        assert!(limit.check(key).is_err());
    }

    #[test]
    fn zero_values_are_refused() {
        let zero = RateQuota {
            requests: 0,
            period: Duration::from_secs(1),
            burst: None,
            keys: None,
        };
        assert_eq!(
            RateLimit::new("z", zero).expect_err("zero").kind(),
            ErrorKind::InvalidConfig
        );
        let no_keys = RateQuota {
            keys: Some(0),
            requests: 1,
            ..zero
        };
        assert!(RateLimit::new("z", no_keys).is_err());
        let burst = RateQuota {
            burst: Some(0),
            requests: 1,
            ..zero
        };
        assert!(RateLimit::new("z", burst).is_err());
    }
}
