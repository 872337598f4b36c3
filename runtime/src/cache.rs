//! The HTTP cache: a shared cache by RFC 9111, in memory, bounded by bytes.
//!
//! A program declares named caches (`cache main { size 256MB max_object 8MB }`, each a
//! [`Cache`]) and routes that use one (`cache main { ttl 60s }`, a [`CacheRule`] known at
//! compile time). The route's `request_filter` names the pair on the session
//! ([`Session::use_cache`](crate::session::Session::use_cache)); the server
//! (`server/cached.rs`) then answers from the cache or fills it. One file per concern:
//!
//! - `rule.rs`: what a route says ([`CacheRule`]) and what happened ([`CacheStatus`]);
//! - `key.rs`: the key (method, host, path and query, and what the rule adds);
//! - `invalidate.rs`: what a successful unsafe request removes (its target, and the
//!   `Location` and `Content-Location` it names on its own host);
//! - `vary.rs`: variants for the request headers a response's `Vary` names;
//! - `policy.rs`: storability and freshness (http-cache-semantics, plus the stale windows
//!   and the program's overrides);
//! - `store.rs`: the bounded store (quick_cache's weighted S3-FIFO, weights in bytes of
//!   header and body) and its metrics;
//! - `lock.rs`: the cache lock (concurrent misses of one key make one upstream request);
//! - `fill.rs`: the body stored while it streams to the first client;
//! - `conditional.rs`: the client's `If-None-Match` / `If-Modified-Since` against an entry;
//! - `hit.rs`: a complete response stored, a fresh entry answered;
//! - `range.rs`: a client's `Range` on a stored (or storing) response;
//! - `surrogate.rs`: `Surrogate-Control`, an origin's instructions to this cache only;
//! - `tags.rs`: the tags an origin gives a response (`Surrogate-Key`, `Cache-Tag`), for
//!   purging by tag.

mod conditional;
mod fill;
mod hit;
pub(crate) mod invalidate;
pub(crate) mod key;
mod lock;
mod metrics;
mod policy;
pub(crate) mod range;
mod rule;
mod store;
pub(crate) mod surrogate;
pub(crate) mod tags;
pub(crate) mod vary;

pub(crate) use conditional::is_not_modified;
pub(crate) use fill::{Fill, FillPlan};
pub(crate) use lock::{Acquired, Woken, LOCK_WAIT};
pub(crate) use policy::{Age, Freshness};
pub use rule::{CacheRule, CacheStatus, PURGE};
pub use store::Cache;
pub(crate) use store::Object;
