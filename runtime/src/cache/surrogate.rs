//! `Surrogate-Control` (W3C Edge Architecture 1.0, as Fastly, Akamai and Varnish setups use
//! it): an origin's instructions to the caches it runs in front of it, ahead of what
//! `Cache-Control` tells browsers. Two directives are understood: `max-age=N` (the lifetime
//! here, whatever `Cache-Control` and `Expires` say) and `no-store`; a directive may name its
//! surrogate (`max-age=60;proxyc`) and then applies only when the name is this proxy's,
//! [`TARGET`]. The header is meant for surrogates only: a caching route never passes it on.

use http::header::HeaderName;
use http::{HeaderMap, HeaderValue};

/// `Surrogate-Control`.
pub(crate) static SURROGATE_CONTROL: HeaderName = HeaderName::from_static("surrogate-control");

/// The name a targeted directive uses for this proxy.
pub(crate) const TARGET: &str = "proxyc";

/// The longest lifetime taken from `max-age` (RFC 9111 §1.2.2's 2^31 seconds).
const MAX_SECONDS: u64 = 1 << 31;

/// What `Surrogate-Control` tells this cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Surrogate {
    /// `no-store`: not stored, whatever `Cache-Control` says.
    NoStore,
    /// `max-age=N`: fresh for N seconds from its age zero, whatever `Cache-Control` says.
    MaxAge(u64),
}

/// The directives of `headers`' `Surrogate-Control` that apply here; `None` without any.
pub(crate) fn directives(headers: &HeaderMap) -> Option<Surrogate> {
    let mut max_age = None;
    for value in headers.get_all(&SURROGATE_CONTROL) {
        let Ok(value) = value.to_str() else { continue };
        for directive in value.split(',').map(str::trim) {
            let (directive, target) = match directive.split_once(';') {
                Some((directive, target)) => (directive, Some(target.trim())),
                None => (directive, None),
            };
            if target.is_some_and(|t| !t.eq_ignore_ascii_case(TARGET)) {
                continue;
            }
            let (name, argument) = match directive.split_once('=') {
                Some((name, argument)) => (name, Some(argument)),
                None => (directive, None),
            };
            match (name.to_ascii_lowercase().as_str(), argument) {
                ("no-store", None) => return Some(Surrogate::NoStore),
                ("max-age", Some(seconds))
                    if !seconds.is_empty() && seconds.bytes().all(|b| b.is_ascii_digit()) =>
                {
                    let seconds = seconds.parse().unwrap_or(MAX_SECONDS).min(MAX_SECONDS);
                    max_age.get_or_insert(seconds);
                }
                _ => {}
            }
        }
    }
    max_age.map(Surrogate::MaxAge)
}

/// Removes `Surrogate-Control` from a response that goes to a client.
pub(crate) fn strip(headers: &mut HeaderMap) {
    headers.remove(&SURROGATE_CONTROL);
}

/// Takes `Surrogate-Control` off a response to store: its values.
pub(crate) fn take(headers: &mut HeaderMap) -> Box<[HeaderValue]> {
    match headers.entry(&SURROGATE_CONTROL) {
        http::header::Entry::Occupied(entry) => entry.remove_entry_mult().1.collect(),
        http::header::Entry::Vacant(_) => Box::new([]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(values: &[&'static str]) -> Option<Surrogate> {
        let mut headers = HeaderMap::new();
        for v in values {
            headers.append(&SURROGATE_CONTROL, http::HeaderValue::from_static(v));
        }
        directives(&headers)
    }

    #[test]
    fn max_age_and_no_store_for_everyone_or_for_this_proxy() {
        assert_eq!(of(&[]), None);
        assert_eq!(of(&["max-age=3600"]), Some(Surrogate::MaxAge(3600)));
        assert_eq!(of(&["foobar, MaX-aGe=60"]), Some(Surrogate::MaxAge(60)));
        assert_eq!(of(&["max-age=60;proxyc"]), Some(Surrogate::MaxAge(60)));
        assert_eq!(of(&["max-age=60;other-cdn"]), None);
        assert_eq!(
            of(&["max-age=99999999999"]),
            Some(Surrogate::MaxAge(1 << 31))
        );
        assert_eq!(of(&["max-age=60", "no-store"]), Some(Surrogate::NoStore));
    }

    #[test]
    fn malformed_directives_are_ignored() {
        for bad in [
            "max-age =100",
            "max-age= 100",
            "max-age=",
            "max-age=1.5",
            "no-store=1",
        ] {
            assert_eq!(of(&[bad]), None, "{bad:?}");
        }
    }
}
