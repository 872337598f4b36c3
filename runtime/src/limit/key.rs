//! The key a limit counts by, hashed once: a fixed-size value whatever the key's text, so a
//! limit's memory per key is known and no key is copied or allocated on the request path.

use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::OnceLock;

/// A hashed limit key (see the module docs for why a hash is enough).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LimitKey(u64);

impl LimitKey {
    /// The key of `value` (a string, an address, a number), hashed with this process's seed.
    pub fn of<T: Hash + ?Sized>(value: &T) -> Self {
        static SEED: OnceLock<RandomState> = OnceLock::new();
        LimitKey(SEED.get_or_init(RandomState::new).hash_one(value))
    }

    /// The one key of a limit that is not keyed (`max_in_flight N` without `by`).
    pub const GLOBAL: LimitKey = LimitKey(0);

    /// Which of `n` shards the key lives in.
    pub(crate) fn shard(self, n: usize) -> usize {
        // The high bits: the store's hash maps use the low ones.
        (self.0 >> 48) as usize % n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_give_equal_keys() {
        assert_eq!(LimitKey::of("abc"), LimitKey::of("abc"));
        assert_ne!(LimitKey::of("abc"), LimitKey::of("abd"));
        let ip: std::net::IpAddr = "10.0.0.1".parse().expect("address");
        assert_eq!(LimitKey::of(&ip), LimitKey::of(&ip));
        assert!(LimitKey::of("abc").shard(16) < 16);
    }
}
