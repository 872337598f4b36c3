//! The cap on gRPC deadlines (`grpc_max_timeout` of an upstream): a gRPC call's
//! `grpc-timeout` is lowered to the cap (or set to it when the client sent none), and the
//! proxy itself ends the call once the capped deadline passes, as it does at
//! `request_timeout` (`attempt.rs`).
//!
//! `grpc-timeout` is 1 to 8 digits and a unit: `H`ours, `M`inutes, `S`econds,
//! `m`illiseconds, `u` (micro), `n` (nano) (gRPC over HTTP/2, "Requests"). A value that does
//! not parse is treated as absent.

use std::time::Duration;

use http::{HeaderMap, HeaderName, HeaderValue};

/// `grpc-timeout`.
const GRPC_TIMEOUT: HeaderName = HeaderName::from_static("grpc-timeout");

/// The call's deadline: the client's `grpc-timeout` lowered to `max`, written back into
/// `headers` when it changed.
pub(crate) fn cap(headers: &mut HeaderMap, max: Duration) -> Duration {
    let asked = headers.get(&GRPC_TIMEOUT).and_then(|v| parse(v.as_bytes()));
    match asked {
        Some(asked) if asked <= max => asked,
        Some(_) | None => {
            headers.insert(GRPC_TIMEOUT, encode(max));
            max
        }
    }
}

/// A `grpc-timeout` value.
fn parse(value: &[u8]) -> Option<Duration> {
    let (unit, digits) = value.split_last()?;
    if digits.is_empty() || digits.len() > 8 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n: u64 = std::str::from_utf8(digits).ok()?.parse().ok()?;
    Some(match unit {
        b'H' => Duration::from_secs(n * 3600),
        b'M' => Duration::from_secs(n * 60),
        b'S' => Duration::from_secs(n),
        b'm' => Duration::from_millis(n),
        b'u' => Duration::from_micros(n),
        b'n' => Duration::from_nanos(n),
        _ => return None,
    })
}

/// `d` as a `grpc-timeout` value: milliseconds while they fit in 8 digits, else seconds,
/// else hours.
fn encode(d: Duration) -> HeaderValue {
    const MOST: u128 = 99_999_999;
    let ms = d.as_millis();
    let text = if ms <= MOST {
        format!("{ms}m")
    } else if u128::from(d.as_secs()) <= MOST {
        format!("{}S", d.as_secs())
    } else {
        format!("{}H", (d.as_secs() / 3600).min(MOST as u64))
    };
    HeaderValue::try_from(text).unwrap_or_else(|_| HeaderValue::from_static("99999999H"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_parse_in_every_unit_and_bad_ones_do_not() {
        assert_eq!(parse(b"2H"), Some(Duration::from_secs(7200)));
        assert_eq!(parse(b"3M"), Some(Duration::from_secs(180)));
        assert_eq!(parse(b"10S"), Some(Duration::from_secs(10)));
        assert_eq!(parse(b"250m"), Some(Duration::from_millis(250)));
        assert_eq!(parse(b"7u"), Some(Duration::from_micros(7)));
        assert_eq!(parse(b"99999999n"), Some(Duration::from_nanos(99_999_999)));
        for bad in [
            &b""[..],
            b"S",
            b"10",
            b"10s",
            b"123456789S",
            b"-1S",
            b"1.5S",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn a_longer_or_missing_timeout_is_lowered_to_the_cap_and_a_shorter_one_kept() {
        let max = Duration::from_secs(2);
        let mut headers = HeaderMap::new();
        headers.insert(GRPC_TIMEOUT, HeaderValue::from_static("30S"));
        assert_eq!(cap(&mut headers, max), max);
        assert_eq!(headers[&GRPC_TIMEOUT], "2000m");
        headers.insert(GRPC_TIMEOUT, HeaderValue::from_static("500m"));
        assert_eq!(cap(&mut headers, max), Duration::from_millis(500));
        assert_eq!(headers[&GRPC_TIMEOUT], "500m");
        headers.remove(&GRPC_TIMEOUT);
        assert_eq!(cap(&mut headers, max), max);
        assert_eq!(headers[&GRPC_TIMEOUT], "2000m");
        assert_eq!(encode(Duration::from_secs(200_000)), "200000S");
    }
}
