//! Cost of the limits a program puts on the request path: hashing the key, one `rate_limit`
//! check (passing, refused, and over more keys than the store keeps, so every check evicts),
//! and one `max_in_flight` permit taken and given back. These are the whole per-request
//! overhead of a limit; the generated code adds nothing but the key expression.

use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use pxy_runtime::limit::{InFlight, LimitKey, RateLimit, RateQuota};

fn quota(requests: u32, keys: Option<usize>) -> RateQuota {
    RateQuota {
        requests,
        period: Duration::from_secs(1),
        burst: None,
        keys,
    }
}

fn rate_limit(c: &mut Criterion) {
    let mut group = c.benchmark_group("rate_limit");
    group.bench_function("key_of_api_key", |b| {
        b.iter(|| black_box(LimitKey::of(black_box("k-4f1c2a9e77d0b3a1"))))
    });
    // A limit no request reaches: every check passes, one key (the hot path of a busy client).
    let open = RateLimit::new("open", quota(100_000_000, None)).expect("quota");
    let key = LimitKey::of("client");
    group.bench_function("check_passes", |b| b.iter(|| open.check(black_box(key))));
    // 1 per second: after the first, every check is refused with its Retry-After.
    let shut = RateLimit::new("shut", quota(1, None)).expect("quota");
    group.bench_function("check_refused", |b| {
        b.iter(|| black_box(shut.check(black_box(key)).is_err()))
    });
    // 200,000 clients cycling through a store of 100,000: each check is a new key, evicting.
    let keys: Vec<LimitKey> = (0..200_000u32).map(|i| LimitKey::of(&i)).collect();
    let many = RateLimit::new("many", quota(100_000_000, None)).expect("quota");
    let mut next = keys.iter().cycle();
    group.bench_function("check_new_key_evicting", |b| {
        b.iter(|| many.check(*next.next().expect("cycle")))
    });
    group.finish();
}

/// Polls a future that is ready at once (an uncontended permit) without a runtime's overhead.
fn ready<F: Future>(future: F) -> F::Output {
    let mut cx = Context::from_waker(Waker::noop());
    match pin!(future).poll(&mut cx) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("an uncontended limit waited"),
    }
}

fn max_in_flight(c: &mut Criterion) {
    let limit = InFlight::new("bench", 100, None).expect("limit");
    c.bench_function("max_in_flight/acquire_release", |b| {
        b.iter(|| {
            drop(black_box(
                ready(limit.acquire(LimitKey::GLOBAL)).expect("a permit"),
            ))
        })
    });
    let by_key = InFlight::new("bench_by_key", 100, None).expect("limit");
    let key = LimitKey::of("user-17");
    c.bench_function("max_in_flight/acquire_release_by_key", |b| {
        b.iter(|| {
            drop(black_box(
                ready(by_key.acquire(black_box(key))).expect("a permit"),
            ))
        })
    });
}

criterion_group!(benches, rate_limit, max_in_flight);
criterion_main!(benches);
