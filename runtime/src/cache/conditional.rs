//! A client's own conditional request against a stored response (RFC 9110 13.1.2 and
//! 13.1.3, evaluated by a cache as RFC 9111 4.3.2 says): `If-None-Match` by weak comparison,
//! else `If-Modified-Since` against `Last-Modified`. A match is answered `304 Not Modified`.

use http::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use http::HeaderMap;

/// Whether `request`'s conditions say the client already has the stored response.
pub(crate) fn is_not_modified(request: &HeaderMap, stored: &HeaderMap) -> bool {
    if request.contains_key(IF_NONE_MATCH) {
        let Some(etag) = stored.get(ETAG).and_then(|v| v.to_str().ok()) else {
            return false;
        };
        let etag = weak(etag);
        return request
            .get_all(IF_NONE_MATCH)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .any(|tag| tag.trim() == "*" || weak(tag.trim()) == etag);
    }
    let since = request
        .get(IF_MODIFIED_SINCE)
        .and_then(|v| httpdate::parse_http_date(v.to_str().ok()?).ok());
    let modified = stored
        .get(LAST_MODIFIED)
        .and_then(|v| httpdate::parse_http_date(v.to_str().ok()?).ok());
    matches!((since, modified), (Some(since), Some(modified)) if modified <= since)
}

/// An entity tag without its weakness mark, for the weak comparison.
fn weak(tag: &str) -> &str {
    tag.strip_prefix("W/").unwrap_or(tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(n, v)| {
                (
                    http::HeaderName::from_static(n),
                    http::HeaderValue::from_static(v),
                )
            })
            .collect()
    }

    #[test]
    fn if_none_match_compares_weakly_and_wins_over_if_modified_since() {
        let stored = map(&[
            ("etag", "W/\"v1\""),
            ("last-modified", "Mon, 01 Jan 2024 00:00:00 GMT"),
        ]);
        assert!(is_not_modified(
            &map(&[("if-none-match", "\"v0\", \"v1\"")]),
            &stored
        ));
        assert!(is_not_modified(&map(&[("if-none-match", "*")]), &stored));
        let other = map(&[
            ("if-none-match", "\"v2\""),
            ("if-modified-since", "Tue, 02 Jan 2024 00:00:00 GMT"),
        ]);
        assert!(!is_not_modified(&other, &stored));
    }

    #[test]
    fn if_modified_since_against_last_modified() {
        let stored = map(&[("last-modified", "Mon, 01 Jan 2024 00:00:00 GMT")]);
        let later = map(&[("if-modified-since", "Tue, 02 Jan 2024 00:00:00 GMT")]);
        let earlier = map(&[("if-modified-since", "Sun, 31 Dec 2023 00:00:00 GMT")]);
        assert!(is_not_modified(&later, &stored));
        assert!(!is_not_modified(&earlier, &stored));
        assert!(!is_not_modified(&HeaderMap::new(), &stored));
    }
}
