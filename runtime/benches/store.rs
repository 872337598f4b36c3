//! The cache store's crate against the other candidate, as issue 10 asked: quick_cache's
//! weighted S3-FIFO (`sync::Cache`, what `cache/store.rs` uses) and moka's TinyLFU
//! (`sync::Cache` with a weigher), both bounded by bytes, values of 1 KiB bodies behind an
//! `Arc` as the store keeps objects. Two costs a cache pays on the request path: a hit (a
//! lookup of a stored key among 10,000), and a miss that stores (a new key into a full
//! cache, which evicts).

use std::hint::black_box;
use std::sync::Arc;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};

/// What an entry weighs: its key and body, as the store counts them (plus a fixed part).
fn weight(key: &str, body: &Bytes) -> u64 {
    (key.len() + body.len() + 512) as u64
}

const ENTRIES: usize = 10_000;

fn keys(n: usize, offset: usize) -> Vec<String> {
    (offset..offset + n)
        .map(|i| format!("GET shop.example/items/{i}?page=1"))
        .collect()
}

#[derive(Clone)]
struct Weigh;

impl quick_cache::Weighter<String, Arc<Bytes>> for Weigh {
    fn weight(&self, key: &String, body: &Arc<Bytes>) -> u64 {
        weight(key, body)
    }
}

fn store(c: &mut Criterion) {
    let body = Arc::new(Bytes::from(vec![b'x'; 1024]));
    let stored = keys(ENTRIES, 0);
    let fresh = keys(200_000, ENTRIES);
    // Room for every stored key: hits never miss.
    let bytes = (ENTRIES as u64) * weight(&stored[0], &body) * 2;

    let quick: quick_cache::sync::Cache<String, Arc<Bytes>, Weigh> =
        quick_cache::sync::Cache::with_weighter(ENTRIES * 2, bytes, Weigh);
    let moka: moka::sync::Cache<String, Arc<Bytes>> = moka::sync::Cache::builder()
        .max_capacity(bytes)
        .weigher(|key: &String, body: &Arc<Bytes>| weight(key, body).min(u32::MAX as u64) as u32)
        .build();
    for key in &stored {
        quick.insert(key.clone(), body.clone());
        moka.insert(key.clone(), body.clone());
    }
    moka.run_pending_tasks();

    let mut group = c.benchmark_group("store_hit");
    let mut i = 0;
    group.bench_function("quick_cache", |b| {
        b.iter(|| {
            i = (i + 7919) % ENTRIES;
            black_box(quick.get(&stored[i]).expect("stored"))
        })
    });
    group.bench_function("moka", |b| {
        b.iter(|| {
            i = (i + 7919) % ENTRIES;
            black_box(moka.get(&stored[i]).expect("stored"))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("store_insert_evicting");
    let mut n = 0;
    group.bench_function("quick_cache", |b| {
        b.iter(|| {
            n = (n + 1) % fresh.len();
            quick.insert(fresh[n].clone(), body.clone());
        })
    });
    group.bench_function("moka", |b| {
        b.iter(|| {
            n = (n + 1) % fresh.len();
            moka.insert(fresh[n].clone(), body.clone());
        })
    });
    group.finish();
    moka.run_pending_tasks();
    eprintln!(
        "after the inserts: quick_cache {} entries, {} bytes; moka {} entries, {} bytes (bound {bytes})",
        quick.len(),
        quick.weight(),
        moka.entry_count(),
        moka.weighted_size()
    );
}

criterion_group!(benches, store);
criterion_main!(benches);
