//! Cost of choosing a backend: one `select` (or `select_by_key`) and dropping the peer, per
//! balance policy, on an upstream of 4 healthy backends. This is the whole per-request
//! overhead of balancing: snapshot load, pick, in-flight count up and down.

use std::hint::black_box;
use std::net::SocketAddr;

use criterion::{criterion_group, criterion_main, Criterion};
use pxy_runtime::{BackendConfig, Balance, Upstream, UpstreamOptions};

fn upstream(balance: Balance) -> Upstream {
    let backends = (0..4)
        .map(|i| BackendConfig {
            weight: i + 1,
            ..BackendConfig::new(SocketAddr::from(([10, 0, 0, 1 + i as u8], 8080)))
        })
        .collect();
    Upstream::new("bench", backends, balance, UpstreamOptions::default()).expect("valid upstream")
}

fn select(c: &mut Criterion) {
    let mut group = c.benchmark_group("select_4_backends");
    for (name, balance) in [
        ("round_robin", Balance::RoundRobin),
        ("random", Balance::Random),
        ("least_conn", Balance::LeastConn),
        ("power_of_two", Balance::PowerOfTwo),
        ("hash_random_key", Balance::Hash),
    ] {
        let up = upstream(balance);
        group.bench_function(name, |b| b.iter(|| black_box(up.select())));
    }
    let up = upstream(Balance::Hash);
    group.bench_function("hash_by_key", |b| {
        b.iter(|| black_box(up.select_by_key(black_box(b"session=4f1c2a9e77d0"))))
    });
    group.finish();
}

criterion_group!(benches, select);
criterion_main!(benches);
