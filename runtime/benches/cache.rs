//! Cost of a cache hit on the request path: the key (method, host, path, query), the store's
//! lookup, the freshness check, and the answer's header (with `Age`) and body, for a 1 KiB
//! object; beside it, a client's conditional request answered 304, a lookup of a variant
//! (`Vary: accept-encoding`), and a miss. What `server/cached.rs` adds on top is
//! `response_filter` and the body's one frame.

use std::hint::black_box;
use std::time::SystemTime;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use pxy_runtime::cache::{Cache, CacheRule};
use pxy_runtime::prelude::Session;

fn session(path: &str, headers: &[(&str, &str)]) -> Session {
    let mut req = http::Request::builder()
        .uri(path)
        .header("host", "www.example.com")
        .header("user-agent", "bench/1")
        .header("accept", "*/*");
    for (name, value) in headers {
        req = req.header(*name, *value);
    }
    let req = req.body(()).expect("a request");
    Session::new_synthetic(req, "192.0.2.7:40000".parse().expect("an address"))
}

fn response(headers: &[(&str, &str)]) -> http::response::Parts {
    let mut res = http::Response::builder()
        .header("content-type", "text/html; charset=utf-8")
        .header("content-length", "1024")
        .header("cache-control", "public, max-age=3600")
        .header("etag", "\"v1\"")
        .header("date", &httpdate::fmt_http_date(SystemTime::now()));
    for (name, value) in headers {
        res = res.header(*name, *value);
    }
    res.body(()).expect("a response").into_parts().0
}

fn hit(c: &mut Criterion) {
    static RULE: CacheRule = CacheRule::DEFAULT;
    let cache = Cache::new("bench", 64 << 20, 1 << 20);
    let body = Bytes::from(vec![b'x'; 1024]);
    let now = SystemTime::now();
    for i in 0..10_000 {
        let s = session(&format!("/page/{i}?v=1"), &[]);
        assert!(cache.store(&s, &RULE, &response(&[]), body.clone(), now));
    }
    let gzip = [("accept-encoding", "gzip, br")];
    let variant = session("/variant", &gzip);
    assert!(cache.store(
        &variant,
        &RULE,
        &response(&[("vary", "accept-encoding")]),
        body,
        now
    ));

    let mut group = c.benchmark_group("cache");
    let get = session("/page/4242?v=1", &[]);
    group.bench_function("hit_1kib", |b| {
        b.iter(|| black_box(cache.hit(black_box(&get), &RULE).expect("a hit")))
    });
    let conditional = session("/page/4242?v=1", &[("if-none-match", "\"v1\"")]);
    group.bench_function("hit_304", |b| {
        b.iter(|| black_box(cache.hit(black_box(&conditional), &RULE).expect("a hit")))
    });
    group.bench_function("hit_vary_variant", |b| {
        b.iter(|| black_box(cache.hit(black_box(&variant), &RULE).expect("a hit")))
    });
    let absent = session("/absent", &[]);
    group.bench_function("miss", |b| {
        b.iter(|| black_box(cache.hit(black_box(&absent), &RULE).is_none()))
    });
    group.finish();
}

criterion_group!(benches, hit);
criterion_main!(benches);
