//! The cache key: method, host, path and query of the request, plus the headers the route
//! declared with `vary_on`. A `HEAD` uses the key of a `GET`, so that it is answered from a
//! cached `GET`.

use http::header::{AUTHORIZATION, COOKIE};
use http::Method;

use super::CacheRule;
use crate::session::Session;

/// The primary key of the request in `session` under `rule` (before any `Vary` variant).
pub(crate) fn primary(session: &Session, rule: &CacheRule) -> String {
    let method = match *session.method() {
        Method::HEAD => Method::GET,
        ref other => other.clone(),
    };
    target(session, &method, rule)
}

/// The key of `method` on the request's target: what an unsafe request invalidates is
/// the `GET` (and so `HEAD`) entry of its own target.
pub(crate) fn target(session: &Session, method: &Method, rule: &CacheRule) -> String {
    of(session, method, rule, session.path(), session.query())
}

/// The key of `method` on `path` and `query` of the request's host, with the request's
/// `vary_on` headers: what a successful unsafe request invalidates besides its own target
/// (the URIs its response names in `Location` and `Content-Location`, `invalidate.rs`).
pub(crate) fn of(
    session: &Session,
    method: &Method,
    rule: &CacheRule,
    path: &str,
    query: Option<&str>,
) -> String {
    let host = session.host().unwrap_or("");
    let mut key = String::with_capacity(method.as_str().len() + host.len() + path.len() + 16);
    key.push_str(method.as_str());
    key.push(' ');
    for byte in host.chars() {
        key.push(byte.to_ascii_lowercase());
    }
    key.push_str(path);
    if let Some(query) = query {
        key.push('?');
        key.push_str(query);
    }
    let headers = session.headers();
    let declared = [
        (rule.key_cookie, COOKIE),
        (rule.key_authorization, AUTHORIZATION),
    ];
    for (declared, name) in declared {
        if declared {
            key.push('\n');
            key.push_str(name.as_str());
            key.push(':');
            for value in headers.get_all(name) {
                key.push_str(&String::from_utf8_lossy(value.as_bytes()));
            }
        }
    }
    key
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A request to `Example.COM` with a cookie (also for the other tests of the cache).
    pub(in crate::cache) fn session(method: &str, uri: &str) -> Session {
        let req = http::Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "Example.COM")
            .header("cookie", "a=1")
            .body(())
            .expect("a request");
        Session::new_synthetic(req, "127.0.0.1:1".parse().expect("an address"))
    }

    #[test]
    fn head_shares_the_key_of_get_and_the_host_is_lower_cased() {
        let rule = CacheRule::DEFAULT;
        let get = primary(&session("GET", "/a?b=1"), &rule);
        assert_eq!(get, "GET example.com/a?b=1");
        assert_eq!(primary(&session("HEAD", "/a?b=1"), &rule), get);
        assert_ne!(primary(&session("GET", "/a?b=2"), &rule), get);
    }

    #[test]
    fn declared_headers_join_the_key() {
        let rule = CacheRule {
            key_cookie: true,
            ..CacheRule::DEFAULT
        };
        assert_eq!(
            primary(&session("GET", "/"), &rule),
            "GET example.com/\ncookie:a=1"
        );
    }
}
