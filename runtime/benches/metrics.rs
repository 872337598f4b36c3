//! Cost of the metrics on the request path: what a finished request records (its route's
//! status-class counter and duration histogram, `RouteMetrics::record`), the same from two
//! threads at once (the counters are shared atomics), and the price of one scrape of
//! `/metrics` for a program of 20 routes. An upstream attempt adds one more histogram
//! observation (connect or header time) and a few atomic additions on its backend.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use http::StatusCode;
use pxy_runtime::metrics::{encode_text, RouteMetrics};

fn record(c: &mut Criterion) {
    let names: Vec<String> = (0..20).map(|i| format!("gateway.pxy:{}", i + 10)).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let metrics = RouteMetrics::new(&names);
    let mut group = c.benchmark_group("metrics");
    group.bench_function("record_request", |b| {
        b.iter(|| {
            metrics.record(
                black_box(Some(3)),
                black_box(Some(StatusCode::OK)),
                black_box(Duration::from_micros(180)),
            )
        })
    });
    // Another thread recording into the same series meanwhile, as a second worker would.
    let stop = AtomicBool::new(false);
    let other = std::thread::scope(|scope| {
        let worker = scope.spawn(|| {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                metrics.record(Some(3), Some(StatusCode::OK), Duration::from_micros(90));
                n += 1;
            }
            n
        });
        group.bench_function("record_request_contended", |b| {
            b.iter(|| {
                metrics.record(
                    black_box(Some(3)),
                    black_box(Some(StatusCode::OK)),
                    black_box(Duration::from_micros(180)),
                )
            })
        });
        stop.store(true, Ordering::Relaxed);
        worker.join().unwrap_or_default()
    });
    black_box(other);
    group.bench_function("scrape_20_routes", |b| {
        b.iter(|| black_box(encode_text().len()))
    });
    group.finish();
}

criterion_group!(benches, record);
criterion_main!(benches);
