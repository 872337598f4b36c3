//! How much memory a 100,000-entry list takes, and how much a re-read needs at its peak,
//! counted by the allocator: loading the file while the previous contents are still held (as
//! a re-read does, since requests may hold the old snapshot) must stay within a few times the
//! list's own size, and a list's size must stay near its entries' size.

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::Ipv4Addr;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Instant;

use pxy_runtime::data::{CidrSet, List, StrSet};

/// The system allocator, counting live bytes and their peak.
struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every call is forwarded to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let live =
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed) + layout.size() as isize;
        PEAK.fetch_max(live, Ordering::Relaxed);
        // SAFETY: forwarded as given.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

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
    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let start = Instant::now();
    let again = load();
    let took = start.elapsed();
    let kept = LIVE.load(Ordering::Relaxed) - base;
    let peak = PEAK.load(Ordering::Relaxed) - base;
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
    let cidr = file("cidr.txt", &cidr_text);
    let keys = file("keys.txt", &str_text);

    let (kept, peak, took) = measure(|| List::<CidrSet>::load("cidr", &cidr).expect("loads"));
    eprintln!(
        "cidr 100k ({} bytes of file): list {kept} bytes, reload peak {peak} bytes, {took:?}",
        cidr_text.len()
    );
    // 8 bytes per IPv4 range once merged, plus the file while it is parsed.
    assert!(kept < 1_000_000, "cidr list keeps {kept} bytes");
    assert!(peak < 6_000_000, "cidr reload peaks at {peak} bytes");

    let (kept, peak, took) = measure(|| List::<StrSet>::load("keys", &keys).expect("loads"));
    eprintln!(
        "str 100k ({} bytes of file): list {kept} bytes, reload peak {peak} bytes, {took:?}",
        str_text.len()
    );
    // An 18-byte key: its box and the table's slot (16 bytes, at most 8/7 empty).
    assert!(kept < 6_000_000, "str list keeps {kept} bytes");
    assert!(peak < 12_000_000, "str reload peaks at {peak} bytes");
}
