//! The store's bound: filled with ten times its size, it never counts more than its size.

use std::time::SystemTime;

use super::*;
use crate::cache::CacheRule;

fn object(body_len: usize) -> (Object, HeaderMap) {
    let req = http::Request::builder()
        .uri("/x")
        .body(())
        .expect("a request")
        .into_parts()
        .0;
    let res = http::Response::builder()
        .header("cache-control", "max-age=60")
        .body(())
        .expect("a response")
        .into_parts()
        .0;
    let freshness =
        Freshness::of(&req, &res, &CacheRule::DEFAULT, SystemTime::now()).expect("storable");
    let body = Bytes::from(vec![b'x'; body_len]);
    let object = Object::new(StatusCode::OK, res.headers, body, freshness, &req.headers);
    (object, req.headers)
}

#[test]
fn filled_with_ten_times_its_size_it_stays_under_its_size() {
    let size = 1 << 20;
    let cache = Cache::new("bound", size, 64 << 10);
    let mut stored = 0u64;
    let mut i = 0;
    while stored < 10 * size {
        let (object, request) = object(16 << 10);
        stored += object.weight;
        cache.insert(&format!("GET h/{i}"), &request, object);
        assert!(cache.bytes() <= size, "{} > {size}", cache.bytes());
        i += 1;
    }
    assert!(
        cache.bytes() > size / 2,
        "the cache is used: {}",
        cache.bytes()
    );
}

#[test]
fn variants_live_under_their_own_keys() {
    let cache = Cache::new("vary", 1 << 20, 64 << 10);
    let (mut fr, _) = object(10);
    fr.headers
        .insert("vary", http::HeaderValue::from_static("x-lang"));
    let mut req_fr = HeaderMap::new();
    req_fr.insert("x-lang", http::HeaderValue::from_static("fr"));
    cache.insert("GET h/", &req_fr, fr);
    assert!(cache.lookup("GET h/", &req_fr).object.is_some());
    let mut req_en = HeaderMap::new();
    req_en.insert("x-lang", http::HeaderValue::from_static("en"));
    let en = cache.lookup("GET h/", &req_en);
    assert!(en.object.is_none());
    assert_ne!(en.key, "GET h/");
    assert!(cache.remove("GET h/"));
    assert!(cache.lookup("GET h/", &req_fr).object.is_none());
}
