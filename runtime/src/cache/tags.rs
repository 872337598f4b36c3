//! Tags of stored responses, for purging by tag: the origin names them in `Surrogate-Key`
//! (space-separated, Fastly's convention) or `Cache-Tag` (comma-separated, Cloudflare's).
//! Those headers are for the cache: they are taken off the response (stored and sent).
//!
//! The index from a tag to the keys of the entries carrying it holds only live entries: a
//! key joins it when its entry is stored and leaves it when the entry is replaced, removed,
//! purged or evicted (`store.rs` sees every eviction through quick_cache's lifecycle). An
//! object keeps at most [`MAX_TAGS`] tags of at most [`MAX_TAG_LEN`] bytes (the rest are
//! ignored), and its weight counts them twice (in the object and in the index), so the index
//! stays within the cache's size.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

use http::{HeaderMap, HeaderName};

/// The most tags an object keeps.
pub(crate) const MAX_TAGS: usize = 32;
/// The longest tag kept, in bytes.
pub(crate) const MAX_TAG_LEN: usize = 256;

/// `Surrogate-Key`, space-separated tags.
static SURROGATE_KEY: HeaderName = HeaderName::from_static("surrogate-key");
/// `Cache-Tag`, comma-separated tags.
static CACHE_TAG: HeaderName = HeaderName::from_static("cache-tag");

/// Takes the tag headers off `headers` and returns the tags they name (each once, in order).
pub(crate) fn take(headers: &mut HeaderMap) -> Box<[Box<str>]> {
    let mut tags: Vec<Box<str>> = Vec::new();
    for (name, separators) in [(&SURROGATE_KEY, &[' ', '\t'][..]), (&CACHE_TAG, &[','][..])] {
        for value in headers.get_all(name) {
            let Ok(value) = value.to_str() else { continue };
            for tag in split(value, separators) {
                if tags.len() < MAX_TAGS
                    && tag.len() <= MAX_TAG_LEN
                    && !tags.iter().any(|t| **t == *tag)
                {
                    tags.push(tag.into());
                }
            }
        }
        headers.remove(name);
    }
    tags.into()
}

/// The tags one `purge NAME tag EXPR` names: separated by spaces or commas.
pub(crate) fn named(value: &str) -> impl Iterator<Item = &str> {
    split(value, &[' ', '\t', ','])
}

fn split<'a>(value: &'a str, separators: &'a [char]) -> impl Iterator<Item = &'a str> {
    value
        .split(separators)
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
}

/// Which keys carry each tag.
#[derive(Debug, Default)]
pub(crate) struct TagIndex {
    keys: Mutex<HashMap<Box<str>, HashSet<String>>>,
}

impl TagIndex {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<Box<str>, HashSet<String>>> {
        // A panic while holding it leaves a consistent map (each change is one call).
        self.keys.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `key` now holds an entry with `tags`.
    pub(crate) fn add(&self, key: &str, tags: &[Box<str>]) {
        if tags.is_empty() {
            return;
        }
        let mut map = self.map();
        for tag in tags {
            map.entry(tag.clone()).or_default().insert(key.to_owned());
        }
    }

    /// `key` no longer holds an entry with `tags`.
    pub(crate) fn forget(&self, key: &str, tags: &[Box<str>]) {
        if tags.is_empty() {
            return;
        }
        let mut map = self.map();
        for tag in tags {
            if let Some(keys) = map.get_mut(tag) {
                keys.remove(key);
                if keys.is_empty() {
                    map.remove(tag);
                }
            }
        }
    }

    /// The keys of the entries carrying `tag`.
    pub(crate) fn keys(&self, tag: &str) -> Vec<String> {
        self.map()
            .get(tag)
            .map(|keys| keys.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// How many tags are indexed.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.map().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    #[test]
    fn both_headers_are_read_and_taken_off() {
        let mut headers = HeaderMap::new();
        headers.insert("surrogate-key", HeaderValue::from_static(" a  b\tc "));
        headers.append("cache-tag", HeaderValue::from_static("c, d,,e"));
        headers.insert("content-type", HeaderValue::from_static("text/plain"));
        let tags = take(&mut headers);
        let tags: Vec<&str> = tags.iter().map(|t| &**t).collect();
        assert_eq!(tags, ["a", "b", "c", "d", "e"]);
        assert!(!headers.contains_key("surrogate-key"));
        assert!(!headers.contains_key("cache-tag"));
        assert!(headers.contains_key("content-type"));
    }

    #[test]
    fn tags_are_bounded_in_number_and_length() {
        let many: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
        let long = "x".repeat(MAX_TAG_LEN + 1);
        let mut headers = HeaderMap::new();
        let value = format!("{long} {}", many.join(" "));
        headers.insert("surrogate-key", value.parse().expect("a value"));
        let tags = take(&mut headers);
        assert_eq!(tags.len(), MAX_TAGS);
        assert_eq!(&*tags[0], "t0");
    }

    #[test]
    fn the_index_forgets_what_leaves() {
        let index = TagIndex::default();
        let tags: Box<[Box<str>]> = Box::new(["a".into(), "b".into()]);
        index.add("k1", &tags);
        index.add("k2", &tags[..1]);
        assert_eq!(index.keys("a").len(), 2);
        index.forget("k1", &tags);
        assert_eq!(index.keys("a"), ["k2"]);
        assert!(index.keys("b").is_empty());
        assert_eq!(index.len(), 1);
        index.forget("k2", &tags[..1]);
        assert_eq!(index.len(), 0);
    }

    #[test]
    fn purge_values_split_on_spaces_and_commas() {
        assert_eq!(named(" a,b  c ").collect::<Vec<_>>(), ["a", "b", "c"]);
    }
}
