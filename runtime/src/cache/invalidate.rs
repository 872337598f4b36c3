//! What a successful unsafe request removes from the cache (RFC 9111 §4.4): the `GET` entry
//! of its own target, which a cache MUST invalidate, and those of the URIs its response names
//! in `Location` and `Content-Location`, which it may, when they are on the request's own
//! host (an entry of another origin is not this request's to remove). Under a route's own
//! `key EXPR` only the first: the key another URI would have is not known.

use http::header::{CONTENT_LOCATION, HOST, LOCATION};
use http::{HeaderMap, Method};

use super::{key, Cache, CacheRule};
use crate::session::Session;

/// Removes what the unsafe request in `session`, answered with `response` headers of a
/// success or redirect status, makes stale.
pub(crate) fn after_unsafe(
    cache: &Cache,
    session: &Session,
    rule: &CacheRule,
    response: &HeaderMap,
) {
    cache.remove(&key::target(session, &Method::GET, rule));
    if session.cache_key().is_some() {
        // The route's own key is not made of a URI: those of the URIs named below are
        // unknown.
        return;
    }
    let named = (response.get_all(LOCATION).iter())
        .chain(response.get_all(CONTENT_LOCATION).iter())
        .filter_map(|v| v.to_str().ok())
        .filter_map(|reference| same_origin_path(session, reference));
    for (path, query) in named {
        cache.remove(&key::of(
            session,
            &Method::GET,
            rule,
            &path,
            query.as_deref(),
        ));
    }
}

/// The path and query of `reference` (a `Location` or `Content-Location` value) resolved
/// against the request's target (RFC 3986 §5.2, without dot segments), when it names the
/// request's own host: an absolute URI of another host (or another port) is never one of
/// this cache's entries to invalidate (RFC 9111 §4.4).
fn same_origin_path(session: &Session, reference: &str) -> Option<(String, Option<String>)> {
    let reference = reference.trim();
    let relative = if let Some(rest) = reference
        .strip_prefix("http://")
        .or_else(|| reference.strip_prefix("https://"))
    {
        let (authority, rest) = rest.split_at(rest.find(['/', '?']).unwrap_or(rest.len()));
        // The host as the client named it, port included.
        let request = session.req_header();
        let host = match request.uri.authority() {
            Some(authority) => authority.as_str(),
            None => request.headers.get(HOST)?.to_str().ok()?,
        };
        if !authority.eq_ignore_ascii_case(host) {
            return None;
        }
        if rest.is_empty() {
            "/"
        } else {
            rest
        }
    } else if reference.starts_with("//") || reference.contains("://") {
        return None;
    } else {
        reference
    };
    let relative = relative.split('#').next().unwrap_or_default();
    let (path, query) = match relative.split_once('?') {
        Some((path, query)) => (path, Some(query.to_owned())),
        None => (relative, None),
    };
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        let base = session.path();
        let dir = &base[..base.rfind('/').map_or(0, |i| i + 1)];
        match path {
            "" => base.to_owned(),
            _ => format!("{dir}{path}"),
        }
    };
    Some((path, query))
}

#[cfg(test)]
mod tests {
    use super::super::key::tests::session;
    use super::*;

    #[test]
    fn location_and_content_location_resolve_on_the_requests_own_host() {
        let s = session("POST", "/shop/cart?x=1");
        let resolved = |reference: &str| same_origin_path(&s, reference);
        let path = |p: &str, q: Option<&str>| Some((p.to_owned(), q.map(str::to_owned)));
        assert_eq!(resolved("/items/7"), path("/items/7", None));
        assert_eq!(
            resolved("/items?page=2#top"),
            path("/items", Some("page=2"))
        );
        assert_eq!(resolved("receipt"), path("/shop/receipt", None));
        assert_eq!(resolved("http://example.com/a"), path("/a", None));
        assert_eq!(resolved("https://EXAMPLE.com"), path("/", None));
        assert_eq!(resolved("http://other.example/a"), None);
        assert_eq!(resolved("http://example.com:8080/a"), None);
        assert_eq!(resolved("//example.com/a"), None);
    }
}
