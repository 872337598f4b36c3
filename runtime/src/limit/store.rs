//! A rate limiter's state, one GCRA timestamp per key, in a map of bounded size.
//!
//! governor keeps its keyed state in an unbounded map; facing the internet, where anyone can
//! invent keys, that is a memory leak an attacker controls. This store keeps at most
//! `capacity` keys in shards of LRU maps (the `lru` crate): a new key beyond that evicts the
//! least recently seen one in its shard. An evicted key starts afresh when it comes back, so
//! size the capacity above the number of keys active within one period; the least recently
//! seen key is the one most likely to have refilled its whole burst already, when evicting it
//! changes nothing. Memory: 77 bytes per key (the entry, its allocation and the hash table
//! slot, counted by the allocator in tests/limit_memory.rs), so the default 100,000 keys take
//! 7.7 MB, and a full store does not grow as new keys keep evicting old ones.

use std::num::NonZeroUsize;
use std::sync::{Mutex, PoisonError};

use governor::nanos::Nanos;
use governor::state::StateStore;
use lru::LruCache;

use super::key::LimitKey;

/// Shards: enough that the workers of a large machine rarely wait on the same lock.
const SHARDS: usize = 16;

/// Bounded keyed GCRA state (see the module docs).
#[derive(Debug)]
pub(crate) struct BoundedStore {
    shards: Vec<Mutex<LruCache<LimitKey, Nanos>>>,
}

impl BoundedStore {
    /// A store that keeps about `capacity` keys (at least one per shard).
    pub(crate) fn new(capacity: usize) -> Self {
        let per_shard = NonZeroUsize::new(capacity.div_ceil(SHARDS)).unwrap_or(NonZeroUsize::MIN);
        BoundedStore {
            shards: (0..SHARDS)
                .map(|_| Mutex::new(LruCache::new(per_shard)))
                .collect(),
        }
    }

    /// Keys held now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }
}

impl StateStore for BoundedStore {
    type Key = LimitKey;

    fn measure_and_replace<T, F, E>(&self, key: &LimitKey, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        // A timestamp per key cannot be left half-written: a poisoned lock is still usable.
        let mut shard = self.shards[key.shard(SHARDS)]
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // `get_mut` also marks the key as recently seen, refused or not.
        match shard.get_mut(key) {
            Some(tat) => {
                let (outcome, next) = f(Some(*tat))?;
                *tat = next;
                Ok(outcome)
            }
            None => {
                let (outcome, next) = f(None)?;
                shard.push(*key, next);
                Ok(outcome)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_at_most_its_capacity() {
        let store = BoundedStore::new(160);
        for i in 0..10_000u32 {
            let _: Result<(), ()> =
                store.measure_and_replace(&LimitKey::of(&i), |_| Ok(((), Nanos::from(1))));
        }
        assert_eq!(store.len(), 160);
    }

    #[test]
    fn a_refused_key_keeps_its_state() {
        let store = BoundedStore::new(16);
        let key = LimitKey::of("k");
        let _: Result<(), ()> = store.measure_and_replace(&key, |_| Ok(((), Nanos::from(7))));
        let refused: Result<(), u64> =
            store.measure_and_replace(&key, |prev| Err(prev.map_or(0, Nanos::as_u64)));
        assert_eq!(refused, Err(7));
    }
}
