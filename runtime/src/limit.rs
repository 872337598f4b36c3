//! Rate and concurrency limits a program declares (`limit NAME = N per D by KEY`,
//! `rate_limit NAME`, `max_in_flight N`).
//!
//! Both are built once at start-up, as fields of the generated program, and checked on the
//! request path with a key the program computes (a header, the client address, ...). Keys are
//! hashed with a per-process random seed (`key.rs`) so that memory per key is constant and an
//! attacker cannot aim keys at one bucket; a 64-bit hash makes two keys sharing a counter
//! vanishingly unlikely (about 3 in 10^8 with a million live keys).
//!
//! - [`RateLimit`] (`rate.rs`): governor's GCRA, exact to the nanosecond, over a store of
//!   bounded size (`store.rs`: the least recently seen key makes room for a new one).
//! - [`InFlight`] (`in_flight.rs`): at most N requests at once, globally or per key, the
//!   excess answered at once or after waiting in a queue for a declared time. Its permits
//!   live in the request's context, so a request counts until its response body ends.
//!
//! Refusals are errors ([`ErrorKind::RateLimited`](crate::ErrorKind::RateLimited),
//! [`ErrorKind::InFlightLimit`](crate::ErrorKind::InFlightLimit)): the error page goes
//! through the program's `on error`, carries `Retry-After`, and is counted per limit in
//! `pxy_limit_rejected_total{limit}` (`metrics/limits.rs`).

mod in_flight;
mod key;
mod rate;
mod store;

pub use in_flight::{InFlight, InFlightPermit};
pub use key::LimitKey;
pub use rate::{RateLimit, RateQuota};
