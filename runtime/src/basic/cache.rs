//! Credentials that verified recently, so a client sending the same `Authorization` header on
//! every request pays for bcrypt or argon2 once, not each time. An entry is the SHA-256 of the
//! user and password (the password itself is not kept) with the hash it matched: it counts
//! only while the user's hash in the file is still that one, and the whole cache is emptied
//! when the file is re-read. Only successes are stored, so wrong guesses always pay the full
//! price. Bounded: the least recently used entry goes first.

use std::num::NonZeroUsize;
use std::sync::Mutex;

use lru::LruCache;
use sha2::{Digest, Sha256};

use super::PasswordHash;

/// The key of one user's credentials.
pub(super) type Key = [u8; 32];

/// SHA-256 of `user`, a NUL, and `password` (a user name has no NUL in a Basic header's
/// `user:password`, so two pairs cannot give the same input).
pub(super) fn key(user: &str, password: &str) -> Key {
    let mut sha = Sha256::new();
    sha.update(user.as_bytes());
    sha.update([0]);
    sha.update(password.as_bytes());
    sha.finalize().into()
}

/// A bounded set of verified credentials; a cache of 0 entries remembers nothing.
#[derive(Debug)]
pub(super) struct VerifiedCache(Option<Mutex<LruCache<Key, PasswordHash>>>);

impl VerifiedCache {
    pub(super) fn new(entries: usize) -> Self {
        VerifiedCache(NonZeroUsize::new(entries).map(|n| Mutex::new(LruCache::new(n))))
    }

    /// Whether these credentials verified against `hash` recently.
    pub(super) fn contains(&self, key: &Key, hash: &PasswordHash) -> bool {
        let Some(cache) = &self.0 else { return false };
        let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.get(key).is_some_and(|seen| seen == hash)
    }

    pub(super) fn insert(&self, key: Key, hash: PasswordHash) {
        if let Some(cache) = &self.0 {
            cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .put(key, hash);
        }
    }

    pub(super) fn clear(&self) {
        if let Some(cache) = &self.0 {
            cache.lock().unwrap_or_else(|e| e.into_inner()).clear();
        }
    }
}
