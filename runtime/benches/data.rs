//! Cost of the run-time data a program reads on the request path: one lookup in a
//! 100,000-entry CIDR list (addresses inside and outside it) and in a 100,000-entry string
//! list (a key it holds and one it does not), and the time to load each of those files (what a
//! re-read costs: read, parse, build; the swap itself is one pointer store). The memory a
//! re-read takes is measured by `runtime/tests/data_memory.rs`.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use pxy_runtime::data::{CidrSet, List, StrSet};

const ENTRIES: usize = 100_000;

/// 100,000 entries: a mix of /24 networks and single addresses, scattered over IPv4.
fn cidr_text(rng: &mut fastrand::Rng) -> String {
    let mut text = String::new();
    for i in 0..ENTRIES {
        let ip = Ipv4Addr::from(rng.u32(..));
        match i % 2 {
            0 => text.push_str(&format!("{ip}/24\n")),
            _ => text.push_str(&format!("{ip}\n")),
        }
    }
    text
}

/// 100,000 API keys of 18 characters.
fn str_text(rng: &mut fastrand::Rng) -> String {
    (0..ENTRIES)
        .map(|_| format!("k-{:016x}\n", rng.u64(..)))
        .collect()
}

fn file(name: &str, text: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pxy-bench-data-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

fn lookups(c: &mut Criterion) {
    let mut rng = fastrand::Rng::with_seed(7);
    let cidr = file("cidr.txt", &cidr_text(&mut rng));
    let keys_text = str_text(&mut rng);
    let keys = file("keys.txt", &keys_text);
    let cidrs = List::<CidrSet>::load("blocked", &cidr).expect("loads");
    let strs = List::<StrSet>::load("keys", &keys).expect("loads");

    let mut group = c.benchmark_group("data_lookup");
    // Random addresses: most fall outside (100,000 small networks cover ~0.15% of IPv4).
    let probes: Vec<IpAddr> = (0..1024)
        .map(|_| IpAddr::V4(Ipv4Addr::from(rng.u32(..))))
        .collect();
    let mut next = probes.iter().cycle();
    group.bench_function("cidr_100k_random_address", |b| {
        b.iter(|| cidrs.current().contains(*next.next().expect("cycle")))
    });
    // The second line of the file is a single address.
    let text = std::fs::read_to_string(&cidr).expect("read");
    let inside: IpAddr = text
        .lines()
        .nth(1)
        .expect("a line")
        .parse()
        .expect("an address");
    assert!(cidrs.current().contains(inside));
    group.bench_function("cidr_100k_listed_address", |b| {
        b.iter(|| cidrs.current().contains(black_box(inside)))
    });
    let held = keys_text.lines().nth(50_000).expect("a key").to_string();
    assert!(strs.current().contains(Some(&held)));
    group.bench_function("str_100k_listed_key", |b| {
        b.iter(|| strs.current().contains(Some(black_box(held.as_str()))))
    });
    group.bench_function("str_100k_unknown_key", |b| {
        b.iter(|| {
            strs.current()
                .contains(Some(black_box("k-not-a-key-at-all")))
        })
    });
    group.finish();

    let mut group = c.benchmark_group("data_reload");
    group.sample_size(20);
    group.bench_function("cidr_100k_file", |b| {
        b.iter(|| List::<CidrSet>::load("blocked", &cidr).expect("loads"))
    });
    group.bench_function("str_100k_file", |b| {
        b.iter(|| List::<StrSet>::load("keys", &keys).expect("loads"))
    });
    group.finish();
}

criterion_group!(benches, lookups);
criterion_main!(benches);
