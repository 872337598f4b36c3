//! What a route's `cache` statement says, fixed at compile time, and what the cache did for
//! one request.

use std::sync::LazyLock;
use std::time::Duration;

use http::Method;

/// The `PURGE` method (not one of RFC 9110's; Varnish and Squid made it the convention for
/// removing an entry), for generated code that compares with it.
pub static PURGE: LazyLock<Method> =
    LazyLock::new(|| Method::from_bytes(b"PURGE").expect("PURGE is a token"));

/// A route's cache settings: generated code makes one `static` per `cache` statement.
///
/// Every field has the meaning of the statement's setting of the same name
/// (docs/language.md, "cache"); `None` and empty mean "as the response says".
#[derive(Debug, Clone, Copy)]
pub struct CacheRule {
    /// `ttl`: the freshness lifetime of every stored response, whatever its headers say.
    pub ttl: Option<Duration>,
    /// `default_ttl`: the lifetime of a response without `s-maxage`, `max-age` or
    /// `Expires` (instead of the RFC's heuristic).
    pub default_ttl: Option<Duration>,
    /// `statuses`: the only statuses stored (empty: those the RFC allows).
    pub statuses: &'static [u16],
    /// `stale_while_revalidate`: how long after expiry an entry is served while it is
    /// refreshed, unless the response's `Cache-Control` says otherwise.
    pub stale_while_revalidate: Option<Duration>,
    /// `stale_if_error`: how long after expiry an entry is served when the origin fails,
    /// unless the response's `Cache-Control` says otherwise.
    pub stale_if_error: Option<Duration>,
    /// `store_set_cookie on`: responses with `Set-Cookie` are stored too (never by default).
    pub store_set_cookie: bool,
    /// `vary_on cookie`: the request's `Cookie` header is part of the key.
    pub key_cookie: bool,
    /// `vary_on authorization`: the request's `Authorization` header is part of the key.
    pub key_authorization: bool,
}

impl CacheRule {
    /// A rule with every setting as the response says.
    pub const DEFAULT: CacheRule = CacheRule {
        ttl: None,
        default_ttl: None,
        statuses: &[],
        stale_while_revalidate: None,
        stale_if_error: None,
        store_set_cookie: false,
        key_cookie: false,
        key_authorization: false,
    };
}

/// What the cache did for one request: `cache.status` in the language, the `cache` field of
/// the access log, the `status` label of `pxy_cache_requests_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// Answered from a fresh entry.
    Hit,
    /// Not in the cache (or not usable): asked upstream, and stored if the response allows.
    Miss,
    /// Answered from an expired entry (within `stale-while-revalidate` or
    /// `stale-if-error`).
    Stale,
    /// An expired entry confirmed by the origin (`304 Not Modified`) and answered.
    Revalidated,
    /// The route caches but this request cannot use it (an unsafe or uncacheable method).
    Bypass,
}

impl CacheStatus {
    /// The word the language, the access log and the metrics use.
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Hit => "hit",
            CacheStatus::Miss => "miss",
            CacheStatus::Stale => "stale",
            CacheStatus::Revalidated => "revalidated",
            CacheStatus::Bypass => "bypass",
        }
    }

    /// Every status, in the order of the metrics' label values.
    pub(crate) const ALL: [CacheStatus; 5] = [
        CacheStatus::Hit,
        CacheStatus::Miss,
        CacheStatus::Stale,
        CacheStatus::Revalidated,
        CacheStatus::Bypass,
    ];
}
