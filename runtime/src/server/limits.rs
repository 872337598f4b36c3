//! Client limits and timeouts: how long a client may take, how much it may send and how many
//! connections it may hold, for HTTP/1.1 and HTTP/2 alike.
//!
//! [`ClientLimits`] is part of [`ServeOptions`](super::ServeOptions); every field has a safe
//! default and the generated binary's flags (`args.rs`) override them. Where each is
//! enforced:
//!
//! | limit | HTTP/1.1 | HTTP/2 |
//! |---|---|---|
//! | `header_read_timeout` | the framing guard (`framing.rs`): the first head within it of the connection's start (after the TLS handshake), every later head within it of its first byte; then the connection is closed | the connection preface within it of the start |
//! | `idle_timeout` | hyper's header read timer: from the end of a response to the end of the next head | — (see `max_connections`) |
//! | `max_connections` | the accept loop: a connection over the limit is accepted and closed at once | same |
//! | `max_uri_len` | 414, here ([`ClientLimits::check_head`]); a target longer than hyper's head buffer is cut one byte past the limit by the framing guard (`framing/line.rs`), so it gets 414 too | 414, here |
//! | `max_header_bytes` | 431, here; hyper's buffer (431) past URI + headers + 4 KiB | `SETTINGS_MAX_HEADER_LIST_SIZE` (h2 answers 431) |
//! | `max_headers` | hyper's `max_headers` (431) | — (the list size bounds it) |
//! | `max_body_bytes` | 413 for a larger `Content-Length`, here; a body counted as it streams is cut at the limit (`forward/budget.rs`) | same |
//! | `h2_max_concurrent_streams` | — | `SETTINGS_MAX_CONCURRENT_STREAMS` |
//! | `h2_max_pending_accept_reset_streams`, `h2_max_local_error_reset_streams` | — | h2's rapid-reset guards (GOAWAY `ENHANCE_YOUR_CALM`) |
//!
//! Every refusal is logged on the `pxy::reject` target (the access log also has a line for
//! the 413/414/431 answers, which go through `fail_to_proxy` like any error page) and
//! counted in `pxy_downstream_rejected_total{reason}`.

use std::sync::Arc;
use std::time::Duration;

use http::header::CONTENT_LENGTH;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::error::{Error, ErrorKind, Result};
use crate::metrics::downstream::{open_connections, rejected};

/// Limits on what one client may send and hold. Defaults may change (they are part of no
/// stability promise); every one can be set through the binary's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientLimits {
    /// The longest a client may take to send a complete request head: the first of a
    /// connection counted from its start (after the TLS handshake), a later one from its
    /// first byte. A client that sends one byte every few seconds, or nothing, is closed
    /// when it is over. Default 10 s.
    pub header_read_timeout: Duration,
    /// The longest an HTTP/1.1 keep-alive connection may wait, after a response, for the
    /// next request head to be complete. Default 60 s.
    pub idle_timeout: Duration,
    /// The most client connections open at once, across listeners. Further connections are
    /// accepted and closed at once (and counted). Default 10,000.
    pub max_connections: usize,
    /// The longest request target (URI) in bytes; longer: 414. Default 8 KiB.
    pub max_uri_len: usize,
    /// The largest header section (every field's name and value, plus 4 bytes each for
    /// the separator and line end), in bytes; larger: 431. Also HTTP/2's
    /// `SETTINGS_MAX_HEADER_LIST_SIZE`. Default 32 KiB.
    pub max_header_bytes: usize,
    /// The most header fields of an HTTP/1 request; more: 431. At most 256.
    /// Default 100.
    pub max_headers: usize,
    /// The largest request body in bytes (`None`: no limit); larger: 413, also when it is
    /// chunked or has no declared length (counted as it streams; no byte past the limit is
    /// forwarded). Default 64 MiB.
    pub max_body_bytes: Option<u64>,
    /// HTTP/2 `SETTINGS_MAX_CONCURRENT_STREAMS`. Default 100 (RFC 9113 recommends no
    /// less).
    pub h2_max_concurrent_streams: u32,
    /// HTTP/2 streams a client may reset before the proxy accepted them (the rapid-reset
    /// attack, CVE-2023-44487); more: GOAWAY. Default 20.
    pub h2_max_pending_accept_reset_streams: usize,
    /// HTTP/2 streams the proxy may reset because of the client's errors; more: GOAWAY.
    /// Default 1,024.
    pub h2_max_local_error_reset_streams: usize,
}

/// The largest [`ClientLimits::max_headers`] accepted (the framing guard parses heads into
/// an array of this many fields on the stack).
pub const MAX_HEADERS_CAP: usize = 256;

impl Default for ClientLimits {
    fn default() -> Self {
        ClientLimits {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
            max_uri_len: 8 * 1024,
            max_header_bytes: 32 * 1024,
            max_headers: 100,
            max_body_bytes: Some(64 * 1024 * 1024),
            h2_max_concurrent_streams: 100,
            h2_max_pending_accept_reset_streams: 20,
            h2_max_local_error_reset_streams: 1024,
        }
    }
}

impl ClientLimits {
    /// Checks that every limit can be applied.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] naming the limit: a zero timeout, connection count, URI
    /// or header size, or more than [`MAX_HEADERS_CAP`] header fields.
    pub fn validate(&self) -> Result<()> {
        let zero = [
            ("header read timeout", self.header_read_timeout.is_zero()),
            ("idle timeout", self.idle_timeout.is_zero()),
            ("max connections", self.max_connections == 0),
            ("max URI length", self.max_uri_len == 0),
            ("max header bytes", self.max_header_bytes == 0),
            ("max headers", self.max_headers == 0),
            (
                "h2 max concurrent streams",
                self.h2_max_concurrent_streams == 0,
            ),
        ];
        if let Some((name, _)) = zero.iter().find(|(_, is_zero)| *is_zero) {
            return Err(Error::explain(
                ErrorKind::InvalidConfig,
                format!("{name} must be more than 0"),
            ));
        }
        if self.max_headers > MAX_HEADERS_CAP {
            return Err(Error::explain(
                ErrorKind::InvalidConfig,
                format!("max headers is at most {MAX_HEADERS_CAP}"),
            ));
        }
        if u32::try_from(self.max_header_bytes).is_err() {
            return Err(Error::explain(
                ErrorKind::InvalidConfig,
                "max header bytes must fit in 32 bits (HTTP/2 settings)",
            ));
        }
        Ok(())
    }

    /// The most bytes hyper buffers for one HTTP/1 request head (`max_buf_size`): a head
    /// with both the longest URI and the largest header section, and 4 KiB for the method,
    /// version and line ends. The framing guard follows heads up to the same length. A
    /// head longer than this is refused by hyper with 431 before it can be parsed.
    pub(crate) fn head_buffer(&self) -> usize {
        // hyper asserts a buffer of at least 8 KiB.
        (self.max_uri_len + self.max_header_bytes + 4096).max(8192)
    }

    /// Refuses a request head over the size limits, or one declaring a body over
    /// `max_body_bytes`: [`ErrorKind::UriTooLong`], [`ErrorKind::HeadersTooLarge`] or
    /// [`ErrorKind::BodyTooLarge`], logged on `pxy::reject` and counted.
    pub(crate) fn check_head(&self, head: &http::request::Parts) -> Result<()> {
        let uri = uri_len(&head.uri);
        if uri > self.max_uri_len {
            return Err(self.refuse(
                ErrorKind::UriTooLong,
                format!("request target of {uri} bytes, over {}", self.max_uri_len),
            ));
        }
        let bytes: usize = head
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + 4)
            .sum();
        if bytes > self.max_header_bytes {
            return Err(self.refuse(
                ErrorKind::HeadersTooLarge,
                format!(
                    "header section of {bytes} bytes, over {}",
                    self.max_header_bytes
                ),
            ));
        }
        if let Some(max) = self.max_body_bytes {
            // Several differing values are refused below hyper (HTTP/1) or by h2; an
            // unparsable one is hyper's to refuse.
            let declared = head
                .headers
                .get(CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<u64>().ok());
            if let Some(length) = declared.filter(|&length| length > max) {
                return Err(self.refuse(
                    ErrorKind::BodyTooLarge,
                    format!("Content-Length {length}, over {max}"),
                ));
            }
        }
        Ok(())
    }

    fn refuse(&self, kind: ErrorKind, context: String) -> Error {
        rejected(kind.name());
        tracing::info!(target: "pxy::reject", reason = kind.name(), %context, "request refused");
        Error::explain(kind, context)
    }
}

/// The length of the request target as the client sent it: the path and query of an
/// origin-form target, the whole URI of an absolute-form one.
fn uri_len(uri: &http::Uri) -> usize {
    let path = uri.path_and_query().map_or(0, |p| p.as_str().len());
    match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => scheme.len() + 3 + authority.as_str().len() + path,
        (None, Some(authority)) => authority.as_str().len() + path,
        _ => path,
    }
}

/// Marks an HTTP/1 answer to a refused request `connection: close`: the rest of the
/// request (its body) is not read, so nothing after it on the connection can be trusted to
/// start a request (RFC 9112 §9.6). Over HTTP/2 (`version`) refusing one stream leaves the
/// others alone, and the field does not exist there.
pub(crate) fn closing<B>(
    version: http::Version,
    mut response: http::Response<B>,
) -> http::Response<B> {
    if version < http::Version::HTTP_2 {
        response.headers_mut().insert(
            http::header::CONNECTION,
            http::HeaderValue::from_static("close"),
        );
    }
    response
}

// ===== client connections =====

/// The slots for client connections, [`ClientLimits::max_connections`] of them, shared by
/// every listener.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionSlots(Arc<Semaphore>);

impl ConnectionSlots {
    pub(crate) fn new(max: usize) -> Self {
        ConnectionSlots(Arc::new(Semaphore::new(max.min(Semaphore::MAX_PERMITS))))
    }

    /// A slot for a connection just accepted, or `None` (counted) when all are taken.
    pub(crate) fn take(&self) -> Option<ConnectionSlot> {
        match self.0.clone().try_acquire_owned() {
            Ok(permit) => {
                open_connections().inc();
                Some(ConnectionSlot { _permit: permit })
            }
            Err(_) => {
                rejected("max_connections");
                None
            }
        }
    }
}

/// One client connection's slot, held until the connection ends (or is upgraded: a tunnel
/// no longer counts).
#[derive(Debug)]
pub(crate) struct ConnectionSlot {
    _permit: OwnedSemaphorePermit,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        open_connections().dec();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(uri: &str, headers: &[(&str, &str)]) -> http::request::Parts {
        let mut req = http::Request::get(uri);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        req.body(()).expect("valid request").into_parts().0
    }

    #[test]
    fn defaults_validate_and_zero_limits_do_not() {
        assert!(ClientLimits::default().validate().is_ok());
        let zero = ClientLimits {
            header_read_timeout: Duration::ZERO,
            ..ClientLimits::default()
        };
        let err = zero.validate().expect_err("zero timeout");
        assert!(err.to_string().contains("header read timeout"), "{err}");
        let many = ClientLimits {
            max_headers: MAX_HEADERS_CAP + 1,
            ..ClientLimits::default()
        };
        assert!(many.validate().is_err());
    }

    #[test]
    fn check_head_measures_uri_headers_and_declared_body() {
        let limits = ClientLimits {
            max_uri_len: 10,
            max_header_bytes: 20,
            max_body_bytes: Some(5),
            ..ClientLimits::default()
        };
        assert!(limits.check_head(&head("/123456789", &[])).is_ok());
        let long = limits
            .check_head(&head("/1234567890", &[]))
            .expect_err("11");
        assert_eq!(long.kind(), ErrorKind::UriTooLong);
        assert_eq!(long.status(), http::StatusCode::URI_TOO_LONG);
        // Absolute form counts scheme, authority and path: "http://a.b/12" is 13 bytes.
        assert!(limits.check_head(&head("http://a.b/12", &[])).is_err());
        assert!(limits.check_head(&head("http://a/1", &[])).is_ok());
        // "x-a" + "123456789012" + 4 = 19; one more byte is 20, then 21.
        assert!(limits
            .check_head(&head("/", &[("x-a", "123456789012")]))
            .is_ok());
        assert!(limits
            .check_head(&head("/", &[("x-a", "1234567890123")]))
            .is_ok());
        let big = limits
            .check_head(&head("/", &[("x-a", "12345678901234")]))
            .expect_err("21 bytes");
        assert_eq!(
            big.status(),
            http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
        );
        assert!(limits
            .check_head(&head("/", &[("content-length", "5")]))
            .is_ok());
        let body = limits
            .check_head(&head("/", &[("content-length", "6")]))
            .expect_err("6 bytes");
        assert_eq!(body.status(), http::StatusCode::PAYLOAD_TOO_LARGE);
    }

    #[test]
    fn head_buffer_holds_both_limits_and_is_at_least_hypers_minimum() {
        let limits = ClientLimits::default();
        assert_eq!(limits.head_buffer(), 8192 + 32768 + 4096);
        let tiny = ClientLimits {
            max_uri_len: 10,
            max_header_bytes: 10,
            ..ClientLimits::default()
        };
        assert_eq!(tiny.head_buffer(), 8192);
    }
}
