//! Shaping the request sent upstream from the client's request.
//!
//! [`upstream_request`] makes the HTTP/1.1 form every attempt starts from (origin-form URI,
//! hop-by-hop headers removed, forwarding headers set); [`as_http2`] turns it into the form
//! an HTTP/2 upstream connection sends. The attempt loop (`attempt.rs`) calls both, after
//! `upstream_peer` chose the backend and before `upstream_request_filter`.

use std::net::SocketAddr;

use http::header::{CONTENT_LENGTH, HOST, TE, TRANSFER_ENCODING};
use http::{HeaderValue, Request, Uri, Version};

use crate::headers::{
    keep_upgrade, remove_hop_by_hop, requested_upgrade, set_forwarding, X_FORWARDED_FOR,
};
use crate::session::Session;

/// What forwarding needs to know of the client, once per downstream connection: its IP
/// (`X-Forwarded-For`), the scheme it spoke (`X-Forwarded-Proto`), and its body limit.
#[derive(Clone, Debug)]
pub(crate) struct Forwarding {
    /// The client IP as a header value.
    pub(crate) client_ip: HeaderValue,
    /// `http` or `https`.
    pub(crate) scheme: &'static str,
    /// `X-Forwarded-For` from this client is not believed: the origin gets only `client_ip`.
    pub(crate) replace_forwarded_for: bool,
    /// The most request body bytes the client may send (`None`: no limit); a streamed body
    /// is cut before the chunk that crosses it (`budget.rs`).
    pub(crate) max_body_bytes: Option<u64>,
}

impl Forwarding {
    pub(crate) fn new(
        client_addr: SocketAddr,
        scheme: &'static str,
        max_body_bytes: Option<u64>,
        replace_forwarded_for: bool,
    ) -> Self {
        let mut buf = [0u8; 64];
        Forwarding {
            client_ip: render_ip(client_addr, &mut buf),
            scheme,
            replace_forwarded_for,
            max_body_bytes,
        }
    }
}

fn render_ip(addr: SocketAddr, buf: &mut [u8; 64]) -> HeaderValue {
    use std::io::Write as _;
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    // An IP address is at most 45 bytes; 64 always fits.
    let len = match write!(cursor, "{}", addr.ip()) {
        Ok(()) => cursor.position() as usize,
        Err(_) => 0,
    };
    HeaderValue::from_bytes(&buf[..len]).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

/// The request to send upstream: origin-form URI, HTTP/1.1, `Host` kept (or taken from the
/// HTTP/2 `:authority`), hop-by-hop headers removed but for those of a protocol switch the
/// client asks for (only without a body: one with a body is proxied as an ordinary request),
/// forwarding headers set.
pub(crate) fn upstream_request(
    session: &Session,
    client: &Forwarding,
    has_body: bool,
) -> http::request::Parts {
    let req = session.req_header();
    let (mut parts, ()) = Request::new(()).into_parts();
    parts.method = req.method.clone();
    parts.uri = match (req.uri.authority(), req.uri.path_and_query()) {
        (Some(_), Some(path_and_query)) => Uri::from(path_and_query.clone()),
        (Some(_), None) => Uri::from_static("/"),
        (None, _) => req.uri.clone(),
    };
    parts.version = Version::HTTP_11;
    parts.headers = req.headers.clone();
    let headers = &mut parts.headers;
    if !headers.contains_key(HOST) {
        if let Some(authority) = req.uri.authority() {
            if let Ok(host) = HeaderValue::from_str(authority.as_str()) {
                headers.insert(HOST, host);
            }
        }
    }
    let upgrade = match has_body {
        false => requested_upgrade(req.version, &req.headers).cloned(),
        true => None,
    };
    remove_hop_by_hop(headers);
    if let Some(protocol) = upgrade {
        keep_upgrade(headers, protocol);
    }
    if client.replace_forwarded_for {
        headers.remove(X_FORWARDED_FOR);
    }
    set_forwarding(headers, &client.client_ip, client.scheme);
    if has_body && !headers.contains_key(CONTENT_LENGTH) {
        headers.insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
    }
    parts
}

/// Turns an HTTP/1.1-shaped upstream request into an HTTP/2 one: absolute URI with the
/// scheme and authority (from `Host`, which HTTP/2 replaces with `:authority`, else the
/// backend's address), and `TE: trailers` kept when the client sent it (gRPC servers
/// expect it; every other hop-by-hop header is already gone).
pub(crate) fn as_http2(
    parts: &mut http::request::Parts,
    session: &Session,
    tls: bool,
    backend: SocketAddr,
) {
    parts.version = Version::HTTP_2;
    let authority = parts
        .headers
        .remove(HOST)
        .and_then(|host| http::uri::Authority::try_from(host.as_bytes()).ok())
        .or_else(|| http::uri::Authority::try_from(backend.to_string()).ok());
    let mut uri = http::uri::Parts::from(std::mem::take(&mut parts.uri));
    uri.scheme = Some(if tls {
        http::uri::Scheme::HTTPS
    } else {
        http::uri::Scheme::HTTP
    });
    uri.authority = authority;
    if uri.path_and_query.is_none() {
        uri.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
    }
    if let Ok(absolute) = Uri::from_parts(uri) {
        parts.uri = absolute;
    }
    parts.headers.remove(TRANSFER_ENCODING);
    let wants_trailers = session
        .req_header()
        .headers
        .get_all(TE)
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(b"trailers"));
    if wants_trailers {
        parts
            .headers
            .insert(TE, HeaderValue::from_static("trailers"));
    }
}
