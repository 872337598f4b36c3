//! How much memory a 100,000-entry list takes, and how much a re-read needs at its peak,
//! counted by the allocator: loading the file while the previous contents are still held (as
//! a re-read does, since requests may hold the old snapshot) must stay within a few times the
//! list's own size, and a list's size must stay near its entries' size.

use std::net::Ipv4Addr;
use std::time::Instant;

use pxy_runtime::data::{CidrSet, Contents, List, StrSet};

mod counting;

const ENTRIES: usize = 100_000;

fn file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pxy-data-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// (bytes the loaded list keeps, peak bytes above the start while loading, load time) for a
/// second load while a first copy is held.
fn measure<T>(load: impl Fn() -> T) -> (isize, isize, std::time::Duration) {
    let held = load();
    let base = counting::live();
    counting::reset_peak();
    let start = Instant::now();
    let again = load();
    let took = start.elapsed();
    let kept = counting::live() - base;
    let peak = counting::peak_since(base);
    drop((held, again));
    (kept, peak, took)
}

#[test]
fn a_100k_list_reloads_within_a_few_times_its_size() {
    let mut rng = fastrand::Rng::with_seed(11);
    let cidr_text: String = (0..ENTRIES)
        .map(|i| match i % 2 {
            0 => format!("{}/24\n", Ipv4Addr::from(rng.u32(..))),
            _ => format!("{}\n", Ipv4Addr::from(rng.u32(..))),
        })
        .collect();
    let str_text: String = (0..ENTRIES)
        .map(|_| format!("k-{:016x}\n", rng.u64(..)))
        .collect();
    // 8 bytes per IPv4 range once merged; at the peak, the file while it is parsed too.
    reload::<CidrSet>("cidr", &cidr_text, 1_000_000, 6_000_000);
    // An 18-byte key: its box and the table's slot (16 bytes, at most 8/7 empty).
    reload::<StrSet>("str", &str_text, 6_000_000, 12_000_000);
}

/// Loads a list of `text` while another copy is held, as a re-read does, and checks that the
/// copy keeps at most `keeps` bytes and that loading it needed at most `peaks` more.
fn reload<C: Contents>(kind: &str, text: &str, keeps: isize, peaks: isize) {
    let path = file(&format!("{kind}.txt"), text);
    let (kept, peak, took) = measure(|| List::<C>::load(kind, &path).expect("loads"));
    eprintln!(
        "{kind} 100k ({} bytes of file): list {kept} bytes, reload peak {peak} bytes, {took:?}",
        text.len()
    );
    assert!(kept < keeps, "{kind} list keeps {kept} bytes");
    assert!(peak < peaks, "{kind} reload peaks at {peak} bytes");
}
