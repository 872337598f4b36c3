//! The store's bound: filled with ten times its size, it never counts more than its size.

use std::time::SystemTime;

use super::*;
use crate::cache::CacheRule;

fn object(body_len: usize) -> (Object, HeaderMap) {
    tagged(body_len, "")
}

fn tagged(body_len: usize, surrogate_key: &str) -> (Object, HeaderMap) {
    let req = http::Request::builder()
        .uri("/x")
        .body(())
        .expect("a request")
        .into_parts()
        .0;
    let mut res = http::Response::builder().header("cache-control", "max-age=60");
    if !surrogate_key.is_empty() {
        res = res.header("surrogate-key", surrogate_key);
    }
    let res = res.body(()).expect("a response").into_parts().0;
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
    assert_ne!(en.key("GET h/"), "GET h/");
    assert!(cache.remove("GET h/"));
    assert!(cache.lookup("GET h/", &req_fr).object.is_none());
}

#[test]
fn purge_by_tag_removes_the_entries_carrying_it() {
    let cache = Cache::new("tags", 1 << 20, 64 << 10);
    for (key, tags) in [
        ("GET h/a", "red blue"),
        ("GET h/b", "red"),
        ("GET h/c", "blue"),
    ] {
        let (object, request) = tagged(10, tags);
        assert!(!object.headers.contains_key("surrogate-key"));
        cache.insert(key, &request, object);
    }
    assert_eq!(cache.purge_tag("red"), 2);
    let none = HeaderMap::new();
    assert!(cache.lookup("GET h/a", &none).object.is_none());
    assert!(cache.lookup("GET h/b", &none).object.is_none());
    assert!(cache.lookup("GET h/c", &none).object.is_some());
    assert_eq!(cache.purge_tag("red"), 0);
    // `a` left the index of `blue` too.
    assert_eq!(cache.indexed_tags(), 1);
    // A replacement without the tag is not purged by it.
    let (object, request) = tagged(10, "green");
    cache.insert("GET h/c", &request, object);
    assert_eq!(cache.purge_tag("blue"), 0);
    assert!(cache.lookup("GET h/c", &none).object.is_some());
    assert_eq!(cache.indexed_tags(), 1);
}

#[test]
fn purge_by_prefix_removes_the_keys_under_it() {
    let cache = Cache::new("prefix", 1 << 20, 64 << 10);
    for key in [
        "GET h/static/a",
        "GET h/static/b/c",
        "GET h/other",
        "GET g/static/a",
    ] {
        let (object, request) = tagged(10, "t");
        cache.insert(key, &request, object);
    }
    assert_eq!(cache.purge_prefix("GET h/static/"), 2);
    assert_eq!(cache.len(), 2);
    assert_eq!(cache.purge_tag("t"), 2);
    assert_eq!(cache.indexed_tags(), 0);
}

#[test]
fn evicted_entries_leave_the_tag_index() {
    let size = 1 << 20;
    let cache = Cache::new("evict", size, 64 << 10);
    for i in 0..2000 {
        let (object, request) = tagged(4 << 10, &format!("tag{i} all"));
        cache.insert(&format!("GET h/{i}"), &request, object);
    }
    assert!(cache.bytes() <= size);
    // Every indexed tag but `all` belongs to one live entry.
    assert_eq!(cache.indexed_tags(), cache.len() + 1);
    let live = cache.len();
    assert!(live > 0 && live < 2000, "{live} entries live");
    assert_eq!(cache.purge_tag("all"), live);
    assert_eq!(cache.len(), 0);
    assert_eq!(cache.indexed_tags(), 0);
}

#[test]
fn stored_header_values_do_not_hold_the_buffer_they_were_read_into() {
    // A read buffer of 8 KiB, as a parsed response's values are slices of one.
    let buffer = Bytes::from(vec![b'a'; 8 << 10]);
    let inside = |bytes: &[u8]| buffer.as_ptr_range().contains(&bytes.as_ptr());
    let mut headers = HeaderMap::new();
    for (name, range) in [("etag", 0..4), ("x-one", 4..10), ("x-one", 10..12)] {
        let value = HeaderValue::from_maybe_shared(buffer.slice(range)).expect("a value");
        headers.append(name, value);
    }
    let (template, request) = object(0);
    let stored = Object::new(
        StatusCode::OK,
        headers,
        Bytes::new(),
        template.freshness,
        &request,
    );
    let values: Vec<_> = stored
        .headers
        .iter()
        .map(|(n, v)| (n.as_str(), v))
        .collect();
    assert_eq!(values.len(), 3);
    assert_eq!(values[1].0, "x-one");
    assert_eq!(values[2], ("x-one", &HeaderValue::from_static("aa")));
    assert!(values.iter().all(|(_, v)| !inside(v.as_bytes())));
}
