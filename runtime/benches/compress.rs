//! Cost of `compress` per response: a new encoder, the body compressed (in 16 KiB chunks,
//! each flushed, as bodies stream) and the stream ended, for a 1 KiB and a 64 KiB HTML page,
//! in each encoding at the levels the runtime uses. With `cache`, this is paid on every hit
//! that is compressed (the entry is stored once, as the origin sent it).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pxy_runtime::compress::{Encoder, Encoding};

/// An HTML page of about `len` bytes: repetitive markup with varying text, as pages are.
fn page(len: usize) -> Vec<u8> {
    let mut out =
        String::from("<!doctype html><html><head><title>Orders</title></head><body><ul>\n");
    let mut i = 0u64;
    while out.len() < len {
        out.push_str(&format!(
            "<li class=\"order\"><a href=\"/orders/{i}\">Order {i}</a> <span>{} items, {}.{:02} EUR</span></li>\n",
            i % 7 + 1,
            (i * 37) % 500,
            (i * 13) % 100
        ));
        i += 1;
    }
    out.truncate(len);
    out.into_bytes()
}

fn compress(c: &mut Criterion) {
    for (name, len) in [("1KiB", 1024), ("64KiB", 64 * 1024)] {
        let body = page(len);
        let mut group = c.benchmark_group(format!("compress_{name}"));
        group.throughput(Throughput::Bytes(len as u64));
        for encoding in [Encoding::Zstd, Encoding::Brotli, Encoding::Gzip] {
            let compressed = {
                let mut e = Encoder::new(encoding);
                let mut n = 0;
                for chunk in body.chunks(16 * 1024) {
                    n += e.compress(chunk).expect("compress").len();
                }
                n + e.finish().expect("finish").len()
            };
            eprintln!("{name} {}: {len} -> {compressed} bytes", encoding.token());
            group.bench_function(encoding.token(), |b| {
                b.iter(|| {
                    let mut encoder = Encoder::new(encoding);
                    for chunk in black_box(&body).chunks(16 * 1024) {
                        black_box(encoder.compress(chunk).expect("compress"));
                    }
                    black_box(encoder.finish().expect("finish"))
                })
            });
        }
        group.finish();
    }
}

criterion_group!(benches, compress);
criterion_main!(benches);
