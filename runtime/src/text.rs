//! Text functions of the `.pxy` language that need more than `str`'s methods: URL and base64
//! coding, a hash that is stable across builds and processes, and the clock. Generated code
//! calls these; they are plain functions so Rust users of the runtime can too.

use std::borrow::Cow;

use base64::Engine as _;
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything but RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is encoded.
const URL_ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes `s` (UTF-8), leaving only unreserved characters as they are.
pub fn url_encode(s: &str) -> Cow<'_, str> {
    utf8_percent_encode(s, URL_ENCODE).into()
}

/// Percent-decodes `s`. Sequences that are not valid (`%zz`) are kept as written, and bytes
/// that do not form UTF-8 become U+FFFD.
pub fn url_decode(s: &str) -> Cow<'_, str> {
    percent_decode_str(s).decode_utf8_lossy()
}

/// Standard base64 with padding.
pub fn base64_encode(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// Decodes standard base64 (padding optional); `None` when `s` is not base64 of UTF-8 text.
pub fn base64_decode(s: &str) -> Option<String> {
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    String::from_utf8(engine.decode(s.trim()).ok()?).ok()
}

/// FNV-1a, 64 bits: the same value for the same text in every build, process and machine, so a
/// split such as `hash(user) % 100 < 5` keeps each user on the same side across restarts.
pub fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Seconds since the Unix epoch (0 if the clock is before it).
pub fn unix_time() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_coding_round_trips() {
        assert_eq!(url_encode("a b/c?d=é~"), "a%20b%2Fc%3Fd%3D%C3%A9~");
        assert_eq!(url_decode("a%20b%2Fc%3Fd%3D%C3%A9~"), "a b/c?d=é~");
        assert_eq!(url_decode("100%zz"), "100%zz");
    }

    #[test]
    fn base64_round_trips_and_refuses_garbage() {
        assert_eq!(base64_encode("user:pass"), "dXNlcjpwYXNz");
        assert_eq!(base64_decode("dXNlcjpwYXNz").as_deref(), Some("user:pass"));
        assert_eq!(
            base64_decode("dXNlcjpwYXNz\n").as_deref(),
            Some("user:pass")
        );
        assert_eq!(base64_decode("not base64!"), None);
    }

    #[test]
    fn hash_is_fnv1a() {
        assert_eq!(hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash("a"), 0xaf63_dc4c_8601_ec8c);
    }
}
