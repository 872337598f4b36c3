//! Header names the checker treats specially, each list with the reason it exists.

/// Headers that belong to one connection or to message framing (RFC 9110 §7.6.1, RFC 9112 §6):
/// the proxy removes and recomputes them, so a program must not write them.
pub const MANAGED_HEADERS: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
];

/// Request headers in which a client (or a proxy on its way) names the client's address
/// (`X-Forwarded-For`, RFC 7239 `Forwarded`, nginx's `X-Real-IP`): anyone can send them, so a
/// program that decides on them believes any claim. `client.ip` with `trust_proxies` reads
/// `X-Forwarded-For` only as far as declared proxies vouch for it.
pub const CLIENT_ADDRESS_HEADERS: &[&str] = &["x-forwarded-for", "forwarded", "x-real-ip"];
