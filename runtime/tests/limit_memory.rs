//! How much memory a rate limit's keys take, counted by the allocator: the bound the docs
//! promise (`keys N` ≈ 80 bytes each) must hold, and a full store must not grow when new
//! keys keep coming (each evicts the least recently seen).

use std::time::Duration;

use pxy_runtime::limit::{LimitKey, RateLimit, RateQuota};

mod counting;

#[test]
fn a_full_store_holds_its_keys_in_about_80_bytes_each_and_stops_growing() {
    const KEYS: usize = 100_000;
    let quota = RateQuota {
        requests: 100,
        period: Duration::from_secs(60),
        burst: None,
        keys: Some(KEYS),
    };
    let keys: Vec<LimitKey> = (0..4 * KEYS as u64).map(|i| LimitKey::of(&i)).collect();
    let (filling, more) = keys.split_at(2 * KEYS);
    let before = counting::live();
    let limit = RateLimit::new("memory", quota).expect("a valid quota");
    // Twice the capacity: every shard is full, whatever the hashes' spread.
    for key in filling {
        limit.check(*key).expect("a new key passes");
    }
    let full = counting::live() - before;
    let per_key = full as f64 / KEYS as f64;
    println!("{KEYS} keys: {full} bytes, {per_key:.1} bytes per key");
    assert!(per_key < 100.0, "{per_key:.1} bytes per key");
    // As many new keys again: every one evicts, nothing is added.
    for key in more {
        limit.check(*key).expect("a new key passes");
    }
    let after = counting::live() - before;
    println!("after {} more keys: {after} bytes", more.len());
    assert!(after <= full + 4096, "grew from {full} to {after} bytes");
}
