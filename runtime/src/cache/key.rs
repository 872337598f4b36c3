//! The cache key: method, host, path and query of the request (or the route's own
//! `key EXPR` in their place), plus the headers the route declared with `vary_on`. A `HEAD` uses the key of a `GET`, so that it is answered from a
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

/// The key of `method` on the request's target (or on the route's own key, `key EXPR`):
/// what an unsafe request invalidates is the `GET` (and so `HEAD`) entry of its own target.
pub(crate) fn target(session: &Session, method: &Method, rule: &CacheRule) -> String {
    match session.cache_key() {
        Some(custom) => {
            let mut key = start(method, custom.len());
            key.push_str(custom);
            vary_on(session, rule, key)
        }
        None => of(session, method, rule, session.path(), session.query()),
    }
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
    let mut key = start(method, host.len() + path.len());
    for byte in host.chars() {
        key.push(byte.to_ascii_lowercase());
    }
    key.push_str(path);
    if let Some(query) = query {
        key.push('?');
        key.push_str(query);
    }
    vary_on(session, rule, key)
}

/// `METHOD `, with room for `rest` more bytes and a little.
fn start(method: &Method, rest: usize) -> String {
    let mut key = String::with_capacity(method.as_str().len() + rest + 16);
    key.push_str(method.as_str());
    key.push(' ');
    key
}

/// `key` with the request's values of the headers the rule's `vary_on` names.
fn vary_on(session: &Session, rule: &CacheRule, mut key: String) -> String {
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
    fn a_route_key_replaces_host_path_and_query_but_not_the_method_or_vary_on() {
        static RULE: CacheRule = CacheRule {
            key_cookie: true,
            ..CacheRule::DEFAULT
        };
        let keyed = |method, uri| {
            let mut session = session(method, uri);
            session.use_cache_keyed(
                &crate::cache::Cache::new("t", 1 << 20, 1 << 10),
                &RULE,
                "/a",
            );
            primary(&session, &RULE)
        };
        assert_eq!(keyed("GET", "/a?b=1"), "GET /a\ncookie:a=1");
        assert_eq!(keyed("HEAD", "/a?b=2"), keyed("GET", "/a?b=1"));
        assert_eq!(keyed("DELETE", "/x"), "DELETE /a\ncookie:a=1");
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
