//! Byte ranges of a stored response (RFC 9110 14): a client's `Range` against a body of
//! known length, answered `206 Partial Content` with one slice, `416 Range Not Satisfiable`,
//! or the whole `200` when the range is ignored.
//!
//! Only a single range is answered: a request for several (`bytes=0-9,20-29`) gets the
//! whole response, which RFC 9110 14.2 allows ("a server MAY ignore the Range header
//! field") and nginx's cache does too for overlapping or many ranges; multipart/byteranges
//! is rarely asked for (players and download managers ask one range at a time). `If-Range`
//! (14.5) whose validator does not match the stored one also gets the whole response.
//! Ranges apply to `GET` only (14.2: range handling is defined for no other method).

use http::header::{
    ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, ETAG, IF_RANGE, LAST_MODIFIED, RANGE,
    TRANSFER_ENCODING,
};
use http::{HeaderMap, HeaderValue, Method};

/// What a request's `Range` asks of a body of a given length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ranged {
    /// No range, or one to ignore: send the whole body.
    Whole,
    /// The bytes `start..=end` (inclusive, as `Content-Range` writes them).
    Slice { start: u64, end: u64 },
    /// No byte of the body is in the range: `416` with `Content-Range: bytes */LEN`.
    Unsatisfiable,
}

/// What the request `method` with header `request` asks of a `200` body of `len` bytes whose
/// response header is `stored`.
pub(crate) fn ranged(method: &Method, request: &HeaderMap, stored: &HeaderMap, len: u64) -> Ranged {
    if *method != Method::GET {
        return Ranged::Whole;
    }
    let mut values = request.get_all(RANGE).iter();
    let (Some(value), None) = (values.next(), values.next()) else {
        return Ranged::Whole;
    };
    if !if_range_holds(request, stored) {
        return Ranged::Whole;
    }
    match value.to_str() {
        Ok(value) => parse(value, len),
        Err(_) => Ranged::Whole,
    }
}

/// Whether `If-Range`, if the request has one, matches the stored response: an entity tag
/// by strong comparison, or a date equal to `Last-Modified` (14.5; a weak tag never matches).
fn if_range_holds(request: &HeaderMap, stored: &HeaderMap) -> bool {
    let Some(condition) = request.get(IF_RANGE) else {
        return true;
    };
    let condition = condition.as_bytes();
    if condition.starts_with(b"\"") {
        return stored
            .get(ETAG)
            .is_some_and(|etag| etag.as_bytes() == condition);
    }
    if condition.starts_with(b"W/") {
        return false;
    }
    stored
        .get(LAST_MODIFIED)
        .is_some_and(|modified| modified.as_bytes() == condition)
}

/// A `Range` value against a body of `len` bytes: one `bytes=` range (`a-b`, `a-`, `-n`).
/// Anything else (another unit, several ranges, a syntax error) is ignored, as 14.2 allows.
pub(crate) fn parse(value: &str, len: u64) -> Ranged {
    let Some((unit, set)) = value.trim().split_once('=') else {
        return Ranged::Whole;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || set.contains(',') {
        return Ranged::Whole;
    }
    let Some((first, last)) = set.trim().split_once('-') else {
        return Ranged::Whole;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // `-n`: the last n bytes.
        (true, _, Some(suffix)) => {
            if suffix == 0 || len == 0 {
                Ranged::Unsatisfiable
            } else {
                Ranged::Slice {
                    start: len.saturating_sub(suffix),
                    end: len - 1,
                }
            }
        }
        // `a-` and `a-b`.
        (false, Some(start), end) if end.is_some() || last.trim().is_empty() => {
            if end.is_some_and(|end| end < start) {
                return Ranged::Whole;
            }
            if start >= len {
                return Ranged::Unsatisfiable;
            }
            let end = end.map_or(len - 1, |end| end.min(len - 1));
            Ranged::Slice { start, end }
        }
        _ => Ranged::Whole,
    }
}

impl Ranged {
    /// The `Content-Range` of this answer for a body of `len` bytes (none for the whole).
    pub(crate) fn content_range(self, len: u64) -> Option<HeaderValue> {
        let text = match self {
            Ranged::Whole => return None,
            Ranged::Slice { start, end } => format!("bytes {start}-{end}/{len}"),
            Ranged::Unsatisfiable => format!("bytes */{len}"),
        };
        HeaderValue::from_str(&text).ok()
    }
}

/// Takes the client's `Range` and `If-Range` off a request about to go upstream to fill the
/// cache (the whole response is asked for, so that it can be stored), to put back with
/// `extend` once it is sent.
pub(crate) fn take(headers: &mut HeaderMap) -> HeaderMap {
    let mut taken = HeaderMap::new();
    for name in [RANGE, IF_RANGE] {
        for value in headers.get_all(&name) {
            taken.append(name.clone(), value.clone());
        }
        headers.remove(&name);
    }
    taken
}

/// Makes the header of a whole `200` from the origin, streaming to a client that asked for
/// a range on a miss, the header of its answer: `Accept-Ranges`, and for one satisfiable
/// range of a body of declared length, `206` with `Content-Range` and the slice's
/// `Content-Length`, and the [`Slicer`] the body goes through. An unsatisfiable range is
/// answered whole here (the `416` needs the length, which a stored entry knows).
pub(crate) fn answer_upstream(
    parts: &mut http::response::Parts,
    method: &Method,
    request: &HeaderMap,
) -> Option<Slicer> {
    if parts.status != http::StatusCode::OK {
        return None;
    }
    parts
        .headers
        .insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if parts.headers.contains_key(TRANSFER_ENCODING) {
        return None;
    }
    let len = parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())?;
    match ranged(method, request, &parts.headers, len) {
        Ranged::Slice { start, end } => {
            let content_range = Ranged::Slice { start, end }.content_range(len)?;
            parts.status = http::StatusCode::PARTIAL_CONTENT;
            parts.headers.insert(CONTENT_RANGE, content_range);
            parts
                .headers
                .insert(CONTENT_LENGTH, HeaderValue::from(end - start + 1));
            Some(Slicer::new(start, end))
        }
        Ranged::Whole | Ranged::Unsatisfiable => None,
    }
}

/// The part of a body streaming by that a [`Ranged::Slice`] keeps.
#[derive(Debug)]
pub(crate) struct Slicer {
    /// The offset of the next chunk's first byte.
    at: u64,
    start: u64,
    /// One past the last byte kept.
    stop: u64,
}

impl Slicer {
    /// Keeps `start..=end` of the body.
    pub(crate) fn new(start: u64, end: u64) -> Slicer {
        Slicer {
            at: 0,
            start,
            stop: end.saturating_add(1),
        }
    }

    /// Whether every byte of the range went by.
    pub(crate) fn is_done(&self) -> bool {
        self.at >= self.stop
    }

    /// The part of the next chunk inside the range (empty when none of it is).
    pub(crate) fn cut(&mut self, chunk: bytes::Bytes) -> bytes::Bytes {
        let from = self.at;
        let to = from + chunk.len() as u64;
        self.at = to;
        let lo = self.start.clamp(from, to);
        let hi = self.stop.clamp(from, to);
        chunk.slice((lo - from) as usize..(hi - from) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(start: u64, end: u64) -> Ranged {
        Ranged::Slice { start, end }
    }

    #[test]
    fn the_three_forms_of_one_range() {
        assert_eq!(parse("bytes=0-99", 1000), slice(0, 99));
        assert_eq!(parse("bytes=100-", 1000), slice(100, 999));
        assert_eq!(parse("bytes=-50", 1000), slice(950, 999));
        assert_eq!(parse("Bytes = 5-5", 1000), slice(5, 5));
    }

    #[test]
    fn ranges_past_the_end_are_cut_or_unsatisfiable() {
        assert_eq!(parse("bytes=900-2000", 1000), slice(900, 999));
        assert_eq!(parse("bytes=-5000", 1000), slice(0, 999));
        assert_eq!(parse("bytes=1000-", 1000), Ranged::Unsatisfiable);
        assert_eq!(parse("bytes=1000-1001", 1000), Ranged::Unsatisfiable);
        assert_eq!(parse("bytes=-0", 1000), Ranged::Unsatisfiable);
        assert_eq!(parse("bytes=0-", 0), Ranged::Unsatisfiable);
    }

    #[test]
    fn what_is_not_one_valid_byte_range_is_ignored() {
        for value in [
            "bytes=0-9,20-29",
            "items=0-9",
            "bytes=9-0",
            "bytes=a-b",
            "bytes=",
            "bytes=-",
            "bytes=+1-2",
            "0-9",
        ] {
            assert_eq!(parse(value, 1000), Ranged::Whole, "{value}");
        }
    }

    #[test]
    fn content_range_values() {
        assert_eq!(
            slice(0, 99).content_range(1000).expect("a value"),
            "bytes 0-99/1000"
        );
        assert_eq!(
            Ranged::Unsatisfiable.content_range(1000).expect("a value"),
            "bytes */1000"
        );
        assert_eq!(Ranged::Whole.content_range(1000), None);
    }

    fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(n, v)| (n.parse().expect("a name"), HeaderValue::from_static(v)))
            .collect()
    }

    #[test]
    fn if_range_must_match_strongly_or_the_whole_body_is_sent() {
        let stored = map(&[
            ("etag", "\"v1\""),
            ("last-modified", "Mon, 01 Jan 2024 00:00:00 GMT"),
        ]);
        let get = Method::GET;
        let ask = |if_range: &'static str| {
            let request = map(&[("range", "bytes=0-9"), ("if-range", if_range)]);
            ranged(&get, &request, &stored, 100)
        };
        assert_eq!(ask("\"v1\""), slice(0, 9));
        assert_eq!(ask("\"v2\""), Ranged::Whole);
        assert_eq!(ask("W/\"v1\""), Ranged::Whole);
        assert_eq!(ask("Mon, 01 Jan 2024 00:00:00 GMT"), slice(0, 9));
        assert_eq!(ask("Tue, 02 Jan 2024 00:00:00 GMT"), Ranged::Whole);
        let plain = map(&[("range", "bytes=0-9")]);
        assert_eq!(ranged(&get, &plain, &stored, 100), slice(0, 9));
        assert_eq!(ranged(&Method::HEAD, &plain, &stored, 100), Ranged::Whole);
    }

    #[test]
    fn the_slicer_keeps_the_range_across_chunks() {
        let body = b"0123456789abcdefghij";
        for size in 1..=body.len() {
            let mut slicer = Slicer::new(3, 12);
            let kept: Vec<u8> = body
                .chunks(size)
                .flat_map(|c| slicer.cut(bytes::Bytes::copy_from_slice(c)).to_vec())
                .collect();
            assert_eq!(kept, b"3456789abc", "chunks of {size}");
        }
    }
}
