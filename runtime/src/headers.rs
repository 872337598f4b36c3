//! Header rules every proxied message follows: hop-by-hop removal and forwarding headers.
//!
//! Hop-by-hop headers (RFC 9110 §7.6.1) describe one connection, not the message, so the
//! runtime removes them from requests before they go upstream and from responses before they
//! go downstream: `Connection` and every header it names, `Keep-Alive`, `Proxy-Connection`,
//! `TE`, `Trailer`, `Transfer-Encoding` and `Upgrade`. Message framing is then decided again
//! by the side that sends. A protocol switch (WebSocket) is the one exception: a request that
//! asks for one ([`requested_upgrade`]) and the `101` that accepts it keep `Connection:
//! upgrade` and their `Upgrade` ([`keep_upgrade`]), as the switch concerns both hops. The
//! forwarding headers (`X-Forwarded-For`, `X-Forwarded-Proto`)
//! tell the origin who the client is.

use http::header::{
    HeaderMap, HeaderName, HeaderValue, CONNECTION, TE, TRAILER, TRANSFER_ENCODING, UPGRADE,
};
use http::Version;

/// `Keep-Alive`, a hop-by-hop header that `http` has no constant for.
pub const KEEP_ALIVE: HeaderName = HeaderName::from_static("keep-alive");
/// `Proxy-Connection`, the non-standard twin of `Connection` some clients send.
pub const PROXY_CONNECTION: HeaderName = HeaderName::from_static("proxy-connection");
/// `X-Forwarded-For`, the client address list the runtime appends to.
pub const X_FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
/// `X-Forwarded-Proto`, the scheme the client used, set by the runtime.
pub const X_FORWARDED_PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");

/// Whether a message with `headers` is gRPC (`content-type: application/grpc...`).
pub(crate) fn is_grpc(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"))
}

/// Removes every hop-by-hop header (RFC 9110 §7.6.1) from `headers`, including the ones
/// listed in `Connection`.
pub fn remove_hop_by_hop(headers: &mut HeaderMap) {
    if headers.contains_key(CONNECTION) {
        remove_connection_listed(headers);
    }
    for name in [
        CONNECTION,
        KEEP_ALIVE,
        PROXY_CONNECTION,
        TE,
        TRAILER,
        TRANSFER_ENCODING,
        UPGRADE,
    ] {
        headers.remove(name);
    }
}

/// Removes the headers named by `Connection`. The common values (`close`, `keep-alive`,
/// `upgrade`) name headers removed anyway, so they cost no allocation.
fn remove_connection_listed(headers: &mut HeaderMap) {
    let needs_removal = headers
        .get_all(CONNECTION)
        .iter()
        .flat_map(connection_tokens)
        .any(|token| !is_always_removed(token));
    if !needs_removal {
        return;
    }
    let values: Vec<HeaderValue> = headers.get_all(CONNECTION).iter().cloned().collect();
    for value in &values {
        for token in connection_tokens(value) {
            if !is_always_removed(token) {
                headers.remove(token);
            }
        }
    }
}

fn connection_tokens(value: &HeaderValue) -> impl Iterator<Item = &str> {
    value
        .to_str()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|token| !token.is_empty())
}

fn is_always_removed(token: &str) -> bool {
    [
        "close",
        "keep-alive",
        "upgrade",
        "te",
        "trailer",
        "transfer-encoding",
    ]
    .iter()
    .any(|name| token.eq_ignore_ascii_case(name))
}

/// The `Upgrade` header of a request that asks to switch protocols (RFC 9110 §7.8): an
/// HTTP/1.1 request whose `Connection` names `upgrade` and that has an `Upgrade` header.
/// `None` for any other request, and always for HTTP/2, which has no such switch.
pub fn requested_upgrade(version: Version, headers: &HeaderMap) -> Option<&HeaderValue> {
    if version != Version::HTTP_11 {
        return None;
    }
    let upgrade = headers.get(UPGRADE)?;
    headers
        .get_all(CONNECTION)
        .iter()
        .flat_map(connection_tokens)
        .any(|token| token.eq_ignore_ascii_case("upgrade"))
        .then_some(upgrade)
}

/// Sets `Connection: upgrade` and `Upgrade: protocol` on a message of a protocol switch,
/// after [`remove_hop_by_hop`] removed them with every other hop-by-hop header.
pub fn keep_upgrade(headers: &mut HeaderMap, protocol: HeaderValue) {
    headers.insert(CONNECTION, HeaderValue::from_static("upgrade"));
    headers.insert(UPGRADE, protocol);
}

/// Appends the client IP to `X-Forwarded-For` (keeping one comma-separated line) and sets
/// `X-Forwarded-Proto` to the listener's scheme.
///
/// `client_ip` is the client address already rendered as a header value; the runtime renders
/// it once per connection.
pub fn set_forwarding(headers: &mut HeaderMap, client_ip: &HeaderValue, scheme: &'static str) {
    append_forwarded_for(headers, client_ip);
    headers.insert(X_FORWARDED_PROTO, HeaderValue::from_static(scheme));
}

fn append_forwarded_for(headers: &mut HeaderMap, client_ip: &HeaderValue) {
    let mut existing = headers.get_all(&X_FORWARDED_FOR).iter().peekable();
    if existing.peek().is_none() {
        headers.insert(X_FORWARDED_FOR, client_ip.clone());
        return;
    }
    let mut joined: Vec<u8> = Vec::with_capacity(64);
    for value in existing {
        joined.extend_from_slice(value.as_bytes());
        joined.extend_from_slice(b", ");
    }
    joined.extend_from_slice(client_ip.as_bytes());
    // Every part is a valid header value and ", " is too, so this only fails on a bug; the
    // fallback then keeps the previous lines and appends the client on its own line.
    match HeaderValue::from_bytes(&joined) {
        Ok(value) => {
            headers.insert(X_FORWARDED_FOR, value);
        }
        Err(_) => {
            headers.append(X_FORWARDED_FOR, client_ip.clone());
        }
    }
}

#[cfg(test)]
mod tests;
