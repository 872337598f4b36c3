//! Storability and freshness of a response, RFC 9111 for a shared cache.
//!
//! [`http_cache_semantics::CachePolicy`] decides what the RFC decides (storable or not:
//! `no-store`, `private`, `Authorization`, understood statuses; the freshness lifetime from
//! `s-maxage`, `max-age`, `Expires` or the heuristic; the age; merging a `304`). On top of it,
//! this module adds what the crate lacks and what the program says: `stale-while-revalidate`
//! and `stale-if-error` (RFC 5861, from `Cache-Control` or the rule), the rule's `ttl`,
//! `default_ttl` and `statuses`, `Set-Cookie` kept out unless `store_set_cookie`, `Vary: *`
//! never stored, and an origin's `Surrogate-Control` (`surrogate.rs`) ahead of its
//! `Cache-Control`.

use std::time::{Duration, SystemTime};

use http::header::{AGE, CACHE_CONTROL, EXPIRES, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use http_cache_semantics::{CacheOptions, CachePolicy};

use super::surrogate::{self, Surrogate};
use super::CacheRule;

/// How long a stored response is fresh, and how long it may be served stale after that.
#[derive(Debug, Clone)]
pub(crate) struct Freshness {
    pub(crate) policy: CachePolicy,
    /// The freshness lifetime, counted from the response's age zero.
    pub(crate) lifetime: Duration,
    /// Served stale while a refresh runs, for this long after the lifetime.
    pub(crate) stale_while_revalidate: Duration,
    /// Served stale when the origin fails, for this long after the lifetime.
    pub(crate) stale_if_error: Duration,
}

/// Where an entry stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Age {
    /// Within its lifetime.
    Fresh,
    /// Expired this long ago.
    Stale(Duration),
}

impl Freshness {
    /// Whether `response`, answering `request`, may be stored under `rule`, and if so for
    /// how long. `None` when it may not (or would never be usable).
    pub(crate) fn of(
        request: &http::request::Parts,
        response: &http::response::Parts,
        rule: &CacheRule,
        now: SystemTime,
    ) -> Option<Freshness> {
        if !rule.statuses.is_empty() && !rule.statuses.contains(&response.status.as_u16()) {
            return None;
        }
        let has_cookie = response.headers.contains_key(SET_COOKIE);
        if has_cookie && !rule.store_set_cookie {
            return None;
        }
        if super::vary::names(&response.headers).is_err() {
            return None;
        }
        let surrogate = surrogate::directives(&response.headers);
        if surrogate == Some(Surrogate::NoStore) {
            return None;
        }
        let adjusted = as_seen(response, surrogate);
        let seen = adjusted.as_ref().unwrap_or(response);
        let policy = policy(request, seen, now);
        if !policy.is_storable() {
            return None;
        }
        let directives = Directives::of(&seen.headers);
        let explicit =
            directives.s_maxage || directives.max_age || seen.headers.contains_key(EXPIRES);
        let rfc_lifetime = policy.time_to_live(now) + policy.age(now);
        let lifetime = match (rule.ttl, rule.default_ttl) {
            _ if directives.no_cache => Duration::ZERO,
            (Some(ttl), _) => ttl,
            (None, Some(default)) if !explicit => default,
            _ => rfc_lifetime,
        };
        let (stale_while_revalidate, stale_if_error) = if directives.must_revalidate {
            (Duration::ZERO, Duration::ZERO)
        } else {
            (
                directives
                    .stale_while_revalidate
                    .or(rule.stale_while_revalidate)
                    .unwrap_or_default(),
                directives
                    .stale_if_error
                    .or(rule.stale_if_error)
                    .unwrap_or_default(),
            )
        };
        let validated = response.headers.contains_key(http::header::ETAG)
            || response.headers.contains_key(http::header::LAST_MODIFIED);
        let usable = !lifetime.is_zero()
            || validated
            || !stale_while_revalidate.is_zero()
            || !stale_if_error.is_zero();
        usable.then_some(Freshness {
            policy,
            lifetime,
            stale_while_revalidate,
            stale_if_error,
        })
    }

    /// The entry's age now (what `Age` says on a hit).
    pub(crate) fn age(&self, now: SystemTime) -> Duration {
        self.policy.age(now)
    }

    /// Whether the entry is fresh now, or how long ago it expired.
    pub(crate) fn state(&self, now: SystemTime) -> Age {
        match self.age(now).checked_sub(self.lifetime) {
            None => Age::Fresh,
            Some(past) => Age::Stale(past),
        }
    }
}

/// The crate's policy for a shared cache, of the response as [`as_seen`] makes it.
fn policy(
    request: &http::request::Parts,
    response: &http::response::Parts,
    now: SystemTime,
) -> CachePolicy {
    let options = CacheOptions {
        shared: true,
        ..CacheOptions::default()
    };
    CachePolicy::new_options(request, response, now, options)
}

/// The response as the freshness rules must see it, when that is not as it came (`None`):
/// - a `Set-Cookie` the program chose to store does not shorten the lifetime (the crate would
///   make it zero without `public`): it is left out of what the policy sees, not out of what
///   is stored;
/// - an `Age` that is not one non-negative integer is read as RFC 9111 §5.1 says (the crate
///   would take a list for 0);
/// - a `Surrogate-Control: max-age` replaces `Cache-Control` and `Expires`, which speak to
///   browsers.
fn as_seen(
    response: &http::response::Parts,
    surrogate: Option<Surrogate>,
) -> Option<http::response::Parts> {
    let age = rfc_age(&response.headers);
    let max_age = match surrogate {
        Some(Surrogate::MaxAge(seconds)) => Some(seconds),
        Some(Surrogate::NoStore) | None => None,
    };
    if !response.headers.contains_key(SET_COOKIE) && age.is_none() && max_age.is_none() {
        return None;
    }
    let mut seen = http::Response::new(());
    *seen.status_mut() = response.status;
    let headers = seen.headers_mut();
    *headers = response.headers.clone();
    headers.remove(SET_COOKIE);
    if let Some(age) = age {
        headers.remove(AGE);
        if let Some(seconds) = age {
            headers.insert(AGE, HeaderValue::from(seconds));
        }
    }
    if let Some(seconds) = max_age {
        headers.remove(EXPIRES);
        let directive = format!("max-age={seconds}");
        if let Ok(value) = HeaderValue::from_str(&directive) {
            headers.insert(CACHE_CONTROL, value);
        }
    }
    Some(seen.into_parts().0)
}

/// `None` when `Age` is absent or one field of digits, as the crate reads it; otherwise what
/// RFC 9111 §5.1 makes of it: the first member of a list (over one or several field lines),
/// and `Some(None)`, no `Age` at all, when that member is not a non-negative integer.
fn rfc_age(headers: &HeaderMap) -> Option<Option<u64>> {
    let mut lines = headers.get_all(AGE).iter();
    let first = lines.next()?;
    let digits = |v: &[u8]| !v.is_empty() && v.iter().all(u8::is_ascii_digit);
    if lines.next().is_none() && digits(first.as_bytes()) {
        return None;
    }
    let member = first
        .as_bytes()
        .split(|&b| b == b',')
        .next()
        .unwrap_or_default();
    let member = member.trim_ascii();
    let seconds = digits(member)
        .then(|| std::str::from_utf8(member).ok()?.parse().ok())
        .flatten();
    Some(seconds)
}

/// The response `Cache-Control` directives the crate does not act on for us.
#[derive(Debug, Default, PartialEq, Eq)]
struct Directives {
    no_cache: bool,
    must_revalidate: bool,
    s_maxage: bool,
    max_age: bool,
    stale_while_revalidate: Option<Duration>,
    stale_if_error: Option<Duration>,
}

impl Directives {
    fn of(headers: &HeaderMap) -> Directives {
        let mut d = Directives::default();
        for value in headers.get_all(CACHE_CONTROL) {
            let Ok(value) = value.to_str() else { continue };
            for directive in value.split(',') {
                let (name, arg) = match directive.split_once('=') {
                    Some((name, arg)) => (name.trim(), Some(arg.trim().trim_matches('"'))),
                    None => (directive.trim(), None),
                };
                let seconds = || arg.and_then(|a| a.parse().ok()).map(Duration::from_secs);
                match name.to_ascii_lowercase().as_str() {
                    // `no-cache="Set-Cookie"` names fields, it does not forbid reuse.
                    "no-cache" if arg.is_none() => d.no_cache = true,
                    "must-revalidate" | "proxy-revalidate" => d.must_revalidate = true,
                    "s-maxage" => d.s_maxage = true,
                    "max-age" => d.max_age = true,
                    "stale-while-revalidate" => d.stale_while_revalidate = seconds(),
                    "stale-if-error" => d.stale_if_error = seconds(),
                    _ => {}
                }
            }
        }
        d
    }
}

#[cfg(test)]
mod tests;
