//! Error pages for gRPC clients.
//!
//! A gRPC client reads the outcome of a call from the `grpc-status` trailer, not from the
//! HTTP status: a bare `502 Bad Gateway` page makes it report a confusing protocol error. So
//! when a gRPC request (`content-type: application/grpc...`) gets an error page, the page is
//! sent as a gRPC "trailers-only" response instead: HTTP 200, `content-type:
//! application/grpc`, no body, and `grpc-status` with `grpc-message` in the header block,
//! mapped from the page's HTTP status as gRPC's own HTTP-to-gRPC table says (502, 503 and 504
//! become `UNAVAILABLE`, so clients retry as they would for a down server).

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};

use crate::session::Session;

/// Whether the request is a gRPC call.
pub(crate) fn is_grpc(session: &Session) -> bool {
    crate::headers::is_grpc(&session.req_header().headers)
}

/// Rewrites an error page (`parts` and `body`) into a trailers-only gRPC response, unless it
/// already is a gRPC response (an `on error` section may have built one). Returns the
/// `grpc-status` it set, for the access log (whose HTTP status is then 200).
pub(crate) fn error_page(parts: &mut http::response::Parts, body: &mut Bytes) -> Option<u16> {
    let is_grpc_already = parts
        .headers
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/grpc"));
    if is_grpc_already {
        return None;
    }
    let code = grpc_code(parts.status);
    let message = parts
        .status
        .canonical_reason()
        .unwrap_or("proxy error")
        .to_string();
    parts.status = StatusCode::OK;
    parts.headers.remove(CONTENT_LENGTH);
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/grpc"));
    parts.headers.insert("grpc-status", HeaderValue::from(code));
    if let Ok(message) = HeaderValue::try_from(format!("proxy: {message}")) {
        parts.headers.insert("grpc-message", message);
    }
    *body = Bytes::new();
    Some(code)
}

/// gRPC's status for an HTTP status (the table in gRPC's "HTTP to gRPC Status Code Mapping").
fn grpc_code(status: StatusCode) -> u16 {
    const INTERNAL: u16 = 13;
    const UNAUTHENTICATED: u16 = 16;
    const PERMISSION_DENIED: u16 = 7;
    const UNIMPLEMENTED: u16 = 12;
    const UNAVAILABLE: u16 = 14;
    const UNKNOWN: u16 = 2;
    match status.as_u16() {
        400 => INTERNAL,
        401 => UNAUTHENTICATED,
        403 => PERMISSION_DENIED,
        404 => UNIMPLEMENTED,
        429 | 502 | 503 | 504 => UNAVAILABLE,
        _ => UNKNOWN,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_gateway_becomes_unavailable_in_a_trailers_only_response() {
        let (mut parts, ()) = http::Response::builder()
            .status(502)
            .header(CONTENT_TYPE, "text/plain")
            .header(CONTENT_LENGTH, "12")
            .body(())
            .expect("valid response")
            .into_parts();
        let mut body = Bytes::from_static(b"bad gateway\n");
        assert_eq!(error_page(&mut parts, &mut body), Some(14));
        assert_eq!(parts.status, StatusCode::OK);
        assert_eq!(parts.headers["grpc-status"], "14");
        assert_eq!(parts.headers[CONTENT_TYPE], "application/grpc");
        assert!(parts.headers.get(CONTENT_LENGTH).is_none());
        assert!(body.is_empty());
        assert_eq!(grpc_code(StatusCode::GATEWAY_TIMEOUT), 14);
        assert_eq!(grpc_code(StatusCode::NOT_FOUND), 12);
        assert_eq!(grpc_code(StatusCode::INTERNAL_SERVER_ERROR), 2);
    }
}
