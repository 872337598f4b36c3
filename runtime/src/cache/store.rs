//! The bounded store of one named cache.
//!
//! quick_cache's `sync::Cache` (sharded, weighted S3-FIFO: a new object evicts the least
//! useful ones until its weight fits) holds entries weighed in bytes: key, header names and
//! values (the response's, and the request's kept by the freshness policy), body, and a fixed
//! overhead per entry. The store never holds more than its declared size by that count.
//! A key whose response named request headers in `Vary` holds the list of names; each variant
//! is an entry of its own (`vary.rs`).

use std::sync::Arc;

use bytes::Bytes;
use http::header::{CACHE_CONTROL, EXPIRES, SET_COOKIE};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::lock::{Acquired, Locks};
use super::metrics::Metrics;
use super::policy::Freshness;
use super::tags::{self, TagIndex};
use super::{vary, CacheStatus};

/// A named cache: its bounded store, its locks and its metrics. Cheap to clone (shared).
///
/// Generated code makes one per `cache NAME { }` declaration with [`Cache::new`].
#[derive(Clone)]
pub struct Cache {
    inner: Arc<Inner>,
}

type Store =
    quick_cache::sync::Cache<String, Entry, Weigh, quick_cache::DefaultHashBuilder, Evictions>;

struct Inner {
    store: Store,
    tags: TagIndex,
    max_object: u64,
    locks: Locks,
    metrics: Metrics,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache")
            .field("entries", &self.inner.store.len())
            .field("bytes", &self.inner.store.weight())
            .field("capacity", &self.inner.store.capacity())
            .finish_non_exhaustive()
    }
}

/// What a key holds.
#[derive(Clone)]
enum Entry {
    Object(Arc<Object>),
    /// The response varies on these request headers: look up the variant.
    Vary(Arc<[HeaderName]>),
}

/// One stored response: the origin's header as received (hop-by-hop headers removed,
/// before `response_filter`, which runs again on every hit), its whole body, and its
/// freshness.
#[derive(Debug)]
pub(crate) struct Object {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) freshness: Freshness,
    /// The tags the origin named (`tags.rs`), taken off `headers`.
    pub(crate) tags: Box<[Box<str>]>,
    /// The origin's `Surrogate-Control` (`surrogate.rs`), taken off `headers` (it is never
    /// sent to clients) and kept for the freshness of a `304` refresh.
    surrogate_control: Box<[HeaderValue]>,
    weight: u64,
}

/// The bytes an entry counts beyond its header and body: the object itself, the policy's
/// fixed part, the store's bookkeeping.
const ENTRY_OVERHEAD: u64 = 512;
/// What one header line costs beyond its name and value (the map's slot and indices).
const HEADER_OVERHEAD: u64 = 48;

/// `headers` with every value copied into one allocation of their own. The values of a
/// parsed response are slices of the connection's read buffer: kept as they are, each
/// stored object would hold a whole buffer (8 KiB or more) alive that its weight does not
/// count, and the cache would outgrow its bound.
fn compact(headers: HeaderMap) -> HeaderMap {
    let total = headers.values().map(HeaderValue::len).sum();
    let mut bytes = bytes::BytesMut::with_capacity(total);
    for value in headers.values() {
        bytes.extend_from_slice(value.as_bytes());
    }
    let mut bytes = bytes.freeze();
    let mut out = HeaderMap::with_capacity(headers.len());
    let mut name = None;
    for (next, value) in headers {
        name = next.or(name);
        let Some(name) = name.clone() else { continue };
        let own = bytes.split_to(value.len());
        // The bytes are those of a valid value: this does not fail.
        let Ok(mut copied) = HeaderValue::from_maybe_shared(own) else {
            continue;
        };
        copied.set_sensitive(value.is_sensitive());
        out.append(name, copied);
    }
    out
}

fn header_bytes(headers: &HeaderMap) -> u64 {
    headers
        .iter()
        .map(|(name, value)| (name.as_str().len() + value.len()) as u64 + HEADER_OVERHEAD)
        .sum()
}

impl Object {
    /// A response to store; `request` is the request header the policy keeps a copy of.
    pub(crate) fn new(
        status: StatusCode,
        mut headers: HeaderMap,
        body: Bytes,
        freshness: Freshness,
        request: &HeaderMap,
    ) -> Object {
        let tags = tags::take(&mut headers);
        let surrogate_control = super::surrogate::take(&mut headers);
        let headers = compact(headers);
        // The policy keeps its own copies of both header maps; a tag is counted in the
        // object and in the index.
        let tag_bytes: u64 = tags
            .iter()
            .map(|tag| 2 * (tag.len() as u64 + HEADER_OVERHEAD))
            .sum();
        let weight = ENTRY_OVERHEAD
            + 2 * header_bytes(&headers)
            + header_bytes(request)
            + body.len() as u64
            + tag_bytes
            + (surrogate_control.iter())
                .map(|v| v.len() as u64 + HEADER_OVERHEAD)
                .sum::<u64>();
        Object {
            status,
            headers,
            body,
            freshness,
            tags,
            surrogate_control,
            weight,
        }
    }
}

/// Hands evicted entries that carry tags to the store, which takes them out of the tag
/// index once the shard's lock is released.
#[derive(Clone, Default)]
struct Evictions;

impl quick_cache::Lifecycle<String, Entry> for Evictions {
    type RequestState = Vec<(String, Arc<Object>)>;

    fn on_evict(&self, evicted: &mut Self::RequestState, key: String, entry: Entry) {
        if let Entry::Object(object) = entry {
            if !object.tags.is_empty() {
                evicted.push((key, object));
            }
        }
    }
}

#[derive(Clone)]
struct Weigh;

impl quick_cache::Weighter<String, Entry> for Weigh {
    fn weight(&self, key: &String, entry: &Entry) -> u64 {
        let value = match entry {
            Entry::Object(object) => object.weight,
            Entry::Vary(names) => {
                ENTRY_OVERHEAD + names.iter().map(|n| n.as_str().len() as u64).sum::<u64>()
            }
        };
        key.len() as u64 + value
    }
}

/// The result of looking a request up.
#[derive(Debug)]
pub(crate) struct Lookup {
    /// The variant's key, when the entry varies (else the response lives under the
    /// primary key: nothing is allocated for it).
    variant: Option<String>,
    /// The stored response, if any.
    pub(crate) object: Option<Arc<Object>>,
}

impl Lookup {
    /// The key the request's response lives under, of the lookup of `primary`.
    pub(crate) fn key<'a>(&'a self, primary: &'a str) -> &'a str {
        self.variant.as_deref().unwrap_or(primary)
    }
}

impl Cache {
    /// A cache of `name` that holds at most `size` bytes, of objects of at most
    /// `max_object` bytes (larger ones are streamed through and never stored).
    pub fn new(name: &'static str, size: u64, max_object: u64) -> Cache {
        let estimated_items = usize::try_from(size / 4096).unwrap_or(usize::MAX).max(16);
        // Each shard holds `size / shards`, and an object must fit in its shard: at least
        // four of the largest per shard, at most four shards per core.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
        let mut shards = (4 * cores).next_power_of_two();
        while shards > 1 && size / shards < 4 * max_object.max(1) {
            shards /= 2;
        }
        let options = quick_cache::OptionsBuilder::new()
            .estimated_items_capacity(estimated_items)
            // A multiple of the shards, so that their capacities add up to at most `size`.
            .weight_capacity(size - size % shards)
            .shards(shards as usize)
            .build()
            .expect("estimated items and capacity are given");
        let store =
            quick_cache::sync::Cache::with_options(options, Weigh, Default::default(), Evictions);
        Cache {
            inner: Arc::new(Inner {
                store,
                tags: TagIndex::default(),
                max_object,
                locks: Locks::default(),
                metrics: Metrics::new(name),
            }),
        }
    }

    /// The bytes held now, by the store's count (at most the declared size).
    pub fn bytes(&self) -> u64 {
        self.inner.store.weight()
    }

    /// The number of entries held now.
    pub fn len(&self) -> usize {
        self.inner.store.len()
    }

    /// Whether the cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.inner.store.is_empty()
    }

    /// The largest body stored.
    pub(crate) fn max_object(&self) -> u64 {
        self.inner.max_object
    }

    /// The entry for a request of primary key `primary` and header `request`.
    pub(crate) fn lookup(&self, primary: &str, request: &HeaderMap) -> Lookup {
        match self.inner.store.get(primary) {
            Some(Entry::Object(object)) => Lookup {
                variant: None,
                object: Some(object),
            },
            Some(Entry::Vary(names)) => {
                let key = vary::variant_key(primary, &names, request);
                let object = match self.inner.store.get(&key) {
                    Some(Entry::Object(object)) => Some(object),
                    Some(Entry::Vary(_)) | None => None,
                };
                Lookup {
                    variant: Some(key),
                    object,
                }
            }
            None => Lookup {
                variant: None,
                object: None,
            },
        }
    }

    /// Stores `object`, the response to a request of primary key `primary` and header
    /// `request`, as a variant when it varies.
    pub(crate) fn insert(&self, primary: &str, request: &HeaderMap, object: Object) {
        let names = match vary::names(&object.headers) {
            Ok(names) => names,
            Err(()) => return,
        };
        let mut evicted = Vec::new();
        if names.is_empty() {
            self.put(
                primary.to_owned(),
                Entry::Object(Arc::new(object)),
                &mut evicted,
            );
        } else {
            let key = vary::variant_key(primary, &names, request);
            self.put(key, Entry::Object(Arc::new(object)), &mut evicted);
            self.put(primary.to_owned(), Entry::Vary(names.into()), &mut evicted);
        }
        for (key, object) in evicted {
            self.inner.tags.forget(&key, &object.tags);
        }
        self.inner.metrics.bytes(self.inner.store.weight());
    }

    /// Stores `entry` under `key`, keeping the tag index in step (what it replaces leaves
    /// the index; what it evicts is added to `evicted`).
    fn put(&self, key: String, entry: Entry, evicted: &mut Vec<(String, Arc<Object>)>) {
        let inner = &self.inner;
        if let Some(Entry::Object(old)) = inner.store.peek(&key) {
            inner.tags.forget(&key, &old.tags);
        }
        if let Entry::Object(object) = &entry {
            inner.tags.add(&key, &object.tags);
        }
        inner.store.insert_with_lifecycle(key, entry, evicted);
    }

    /// Removes what `primary` holds (its variants become unreachable and age out).
    /// Whether there was something.
    pub(crate) fn remove(&self, primary: &str) -> bool {
        let removed = self.take(primary, |_| true);
        self.inner.metrics.bytes(self.inner.store.weight());
        removed
    }

    /// Removes the entry of `key` if `remove` says so, taking it out of the tag index.
    fn take(&self, key: &str, remove: impl FnOnce(&Entry) -> bool) -> bool {
        match self.inner.store.remove_if(key, |entry| remove(entry)) {
            Some((key, Entry::Object(object))) => {
                self.inner.tags.forget(&key, &object.tags);
                true
            }
            Some((_, Entry::Vary(_))) => true,
            None => false,
        }
    }

    /// Removes every entry whose key starts with `prefix` (variants included: their keys
    /// start with their primary key). How many were removed. It visits every entry.
    pub(crate) fn purge_prefix(&self, prefix: &str) -> usize {
        let keys: Vec<String> = self
            .inner
            .store
            .iter()
            .filter_map(|(key, _)| key.starts_with(prefix).then_some(key))
            .collect();
        let removed = keys.iter().filter(|key| self.take(key, |_| true)).count();
        self.inner.metrics.bytes(self.inner.store.weight());
        removed
    }

    /// Removes every entry carrying `tag`. How many were removed.
    pub(crate) fn purge_tag(&self, tag: &str) -> usize {
        let carries = |entry: &Entry| match entry {
            Entry::Object(object) => object.tags.iter().any(|t| **t == *tag),
            Entry::Vary(_) => false,
        };
        let removed = self
            .inner
            .tags
            .keys(tag)
            .iter()
            .filter(|key| self.take(key, carries))
            .count();
        self.inner.metrics.bytes(self.inner.store.weight());
        removed
    }

    /// How many tags the index holds (for tests of its bound).
    #[cfg(test)]
    pub(crate) fn indexed_tags(&self) -> usize {
        self.inner.tags.len()
    }

    /// The cache lock of `key` (`lock.rs`).
    pub(crate) fn lock(&self, key: &str) -> Acquired {
        self.inner.locks.acquire(key)
    }

    /// Counts one request answered with `status`.
    pub(crate) fn count(&self, status: CacheStatus) {
        self.inner.metrics.request(status);
    }
}

impl Object {
    /// Puts back into `merged` (the header http-cache-semantics made of this entry and a
    /// `304`) the fields the crate's copy lacks or rewrote for the freshness rules
    /// (`Set-Cookie`, and `Cache-Control` and `Expires` under a `Surrogate-Control`), unless
    /// the `304` (`not_modified`) sent new ones: RFC 9111 §3.2 keeps stored fields the `304`
    /// does not replace.
    pub(crate) fn restore_stored(&self, merged: &mut HeaderMap, not_modified: &HeaderMap) {
        for name in [&CACHE_CONTROL, &EXPIRES, &SET_COOKIE] {
            if not_modified.contains_key(name) {
                continue;
            }
            merged.remove(name);
            for value in self.headers.get_all(name) {
                merged.append(name.clone(), value.clone());
            }
        }
        let surrogate = &super::surrogate::SURROGATE_CONTROL;
        if !not_modified.contains_key(surrogate) {
            merged.remove(surrogate);
            for value in &self.surrogate_control {
                merged.append(surrogate.clone(), value.clone());
            }
        }
    }

    /// The same body with a header refreshed by a `304` (RFC 9111 4.3.4).
    pub(crate) fn refreshed(
        &self,
        headers: HeaderMap,
        freshness: Freshness,
        request: &HeaderMap,
    ) -> Object {
        Object::new(self.status, headers, self.body.clone(), freshness, request)
    }
}

#[cfg(test)]
mod tests;
