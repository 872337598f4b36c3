//! RFC 9111 cases for a shared cache, each with the section it checks.

use std::time::{Duration, SystemTime};

use super::*;

fn request(headers: &[(&'static str, &'static str)]) -> http::request::Parts {
    let mut req = http::Request::builder().method("GET").uri("/a");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    req.body(()).expect("a request").into_parts().0
}

fn response(status: u16, headers: &[(&'static str, &'static str)]) -> http::response::Parts {
    let mut res = http::Response::builder().status(status);
    for (name, value) in headers {
        res = res.header(*name, *value);
    }
    res.body(()).expect("a response").into_parts().0
}

fn freshness(
    req: &[(&'static str, &'static str)],
    res: &[(&'static str, &'static str)],
    rule: &CacheRule,
) -> Option<Freshness> {
    Freshness::of(&request(req), &response(200, res), rule, SystemTime::now())
}

fn lifetime(res: &[(&'static str, &'static str)]) -> Option<Duration> {
    freshness(&[], res, &CacheRule::DEFAULT).map(|f| f.lifetime)
}

#[test]
fn s_maxage_wins_over_max_age_and_max_age_over_expires() {
    // 5.2.2.10: a shared cache uses s-maxage; 5.3: max-age overrides Expires.
    let s = lifetime(&[("cache-control", "max-age=10, s-maxage=20")]);
    assert_eq!(s, Some(Duration::from_secs(20)));
    let m = lifetime(&[
        ("cache-control", "max-age=10"),
        ("expires", "Thu, 01 Jan 2099 00:00:00 GMT"),
    ]);
    assert_eq!(m, Some(Duration::from_secs(10)));
}

#[test]
fn no_store_and_private_are_never_stored() {
    // 5.2.2.5 and 5.2.2.7 (shared cache).
    assert!(lifetime(&[("cache-control", "no-store, max-age=60")]).is_none());
    assert!(lifetime(&[("cache-control", "private, max-age=60")]).is_none());
}

#[test]
fn no_cache_is_stored_but_always_revalidated() {
    // 5.2.2.4: may be stored, must not be used without revalidation.
    let f = freshness(
        &[],
        &[
            ("cache-control", "no-cache, max-age=60"),
            ("etag", "\"v1\""),
        ],
        &CacheRule::DEFAULT,
    );
    assert_eq!(f.map(|f| f.lifetime), Some(Duration::ZERO));
}

#[test]
fn authorization_is_stored_only_when_the_response_allows_it() {
    // 3.5: public, s-maxage or must-revalidate allow it.
    let auth = [("authorization", "Bearer x")];
    let rule = CacheRule::DEFAULT;
    assert!(freshness(&auth, &[("cache-control", "max-age=60")], &rule).is_none());
    assert!(freshness(&auth, &[("cache-control", "public, max-age=60")], &rule).is_some());
    assert!(freshness(&auth, &[("cache-control", "s-maxage=60")], &rule).is_some());
}

#[test]
fn set_cookie_only_when_the_program_says_so() {
    let res = [("cache-control", "max-age=60"), ("set-cookie", "s=1")];
    assert!(freshness(&[], &res, &CacheRule::DEFAULT).is_none());
    let rule = CacheRule {
        store_set_cookie: true,
        ..CacheRule::DEFAULT
    };
    let stored = freshness(&[], &res, &rule).map(|f| f.lifetime);
    assert_eq!(stored, Some(Duration::from_secs(60)));
}

#[test]
fn vary_star_is_never_stored() {
    // 4.1: Vary: * always fails to match.
    assert!(lifetime(&[("cache-control", "max-age=60"), ("vary", "*")]).is_none());
}

#[test]
fn without_freshness_or_validators_nothing_is_stored_but_default_ttl_applies() {
    assert!(lifetime(&[]).is_none());
    let rule = CacheRule {
        default_ttl: Some(Duration::from_secs(7)),
        ..CacheRule::DEFAULT
    };
    assert_eq!(
        freshness(&[], &[], &rule).map(|f| f.lifetime),
        Some(Duration::from_secs(7))
    );
    // The default is for responses without explicit freshness only.
    let explicit = freshness(&[], &[("cache-control", "max-age=3")], &rule);
    assert_eq!(explicit.map(|f| f.lifetime), Some(Duration::from_secs(3)));
}

#[test]
fn heuristic_freshness_from_last_modified() {
    // 4.2.2: a fraction of the time since Last-Modified, for a status cacheable by default.
    let got = lifetime(&[
        ("date", "Mon, 01 Jan 2024 10:00:00 GMT"),
        ("last-modified", "Mon, 01 Jan 2024 00:00:00 GMT"),
    ]);
    assert!(got.is_some_and(|l| l > Duration::ZERO));
}

#[test]
fn ttl_overrides_and_statuses_restrict() {
    let rule = CacheRule {
        ttl: Some(Duration::from_secs(30)),
        statuses: &[200],
        ..CacheRule::DEFAULT
    };
    let f = freshness(&[], &[("cache-control", "max-age=5")], &rule);
    assert_eq!(f.map(|f| f.lifetime), Some(Duration::from_secs(30)));
    let not_found = Freshness::of(
        &request(&[]),
        &response(404, &[("cache-control", "max-age=5")]),
        &rule,
        SystemTime::now(),
    );
    assert!(not_found.is_none());
}

#[test]
fn stale_windows_from_cache_control_then_the_rule_and_none_with_must_revalidate() {
    let rule = CacheRule {
        stale_if_error: Some(Duration::from_secs(50)),
        ..CacheRule::DEFAULT
    };
    let f = freshness(
        &[],
        &[("cache-control", "max-age=1, stale-while-revalidate=9")],
        &rule,
    )
    .expect("stored");
    assert_eq!(f.stale_while_revalidate, Duration::from_secs(9));
    assert_eq!(f.stale_if_error, Duration::from_secs(50));
    let strict = freshness(
        &[],
        &[(
            "cache-control",
            "max-age=1, must-revalidate, stale-if-error=9",
        )],
        &rule,
    )
    .expect("stored");
    assert_eq!(strict.stale_if_error, Duration::ZERO);
}

#[test]
fn age_counts_from_the_age_header_and_the_state_follows() {
    let f = freshness(
        &[],
        &[("cache-control", "max-age=10"), ("age", "4")],
        &CacheRule::DEFAULT,
    )
    .expect("stored");
    let now = SystemTime::now();
    assert!(f.age(now) >= Duration::from_secs(4));
    assert_eq!(f.state(now), Age::Fresh);
    let later = now + Duration::from_secs(8);
    assert!(matches!(f.state(later), Age::Stale(past) if past >= Duration::from_secs(2)));
}

#[test]
fn an_age_list_counts_its_first_member_and_an_invalid_age_is_ignored() {
    // RFC 9111 §5.1: the first member of a list (one line or several), and a value that is
    // not a non-negative integer ignored.
    let age = |ages: &[&'static str]| {
        let mut res = vec![("cache-control", "max-age=3600")];
        res.extend(ages.iter().map(|a| ("age", *a)));
        let f = freshness(&[], &res, &CacheRule::DEFAULT).expect("stored");
        f.age(SystemTime::now()).as_secs()
    };
    assert_eq!(age(&["7200"]), 7200);
    assert_eq!(age(&["7200, 0"]), 7200);
    assert_eq!(age(&["7200", "0"]), 7200);
    assert_eq!(age(&["0,7200"]), 0);
    assert_eq!(age(&["0", "7200"]), 0);
    for invalid in ["abc", "-7200", "7200.0", "7200;foo=bar", ""] {
        assert_eq!(age(&[invalid]), 0, "{invalid:?}");
    }
}

#[test]
fn surrogate_control_speaks_to_this_cache_ahead_of_cache_control() {
    let lifetime_of = |res: &[(&'static str, &'static str)]| lifetime(res);
    assert_eq!(
        lifetime_of(&[
            ("cache-control", "max-age=1"),
            ("surrogate-control", "max-age=3600")
        ]),
        Some(Duration::from_secs(3600))
    );
    assert_eq!(
        lifetime_of(&[
            ("cache-control", "no-store"),
            ("surrogate-control", "max-age=60;proxyc")
        ]),
        Some(Duration::from_secs(60)),
        "stored for this cache though browsers may not"
    );
    assert_eq!(
        lifetime_of(&[
            ("cache-control", "max-age=60"),
            ("surrogate-control", "no-store")
        ]),
        None
    );
    assert_eq!(
        lifetime_of(&[
            ("cache-control", "max-age=60"),
            ("surrogate-control", "max-age=5;other")
        ]),
        Some(Duration::from_secs(60)),
        "a directive for another surrogate"
    );
    assert_eq!(
        lifetime_of(&[
            ("surrogate-control", "max-age=60"),
            ("expires", "Thu, 01 Jan 1970 00:00:00 GMT")
        ]),
        Some(Duration::from_secs(60))
    );
}
