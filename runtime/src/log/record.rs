//! What one access log line says about a finished request, borrowed from its session, so
//! each format reads the same facts and a line costs one buffer.

use std::net::{IpAddr, SocketAddr};

use http::{Method, StatusCode, Version};
use time::OffsetDateTime;

use super::LogFields;
use crate::error::Error;

/// The facts of one finished request.
#[derive(Debug)]
pub(crate) struct Record<'a> {
    /// When the request finished.
    pub(crate) time: OffsetDateTime,
    /// The client's address.
    pub(crate) client: IpAddr,
    pub(crate) method: &'a Method,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) version: Version,
    /// The status sent downstream; `None` when the client went away first.
    pub(crate) status: Option<StatusCode>,
    /// Response body bytes handed to the connection.
    pub(crate) body_bytes: u64,
    /// The backend of the last attempt.
    pub(crate) upstream: Option<SocketAddr>,
    pub(crate) duration_us: u64,
    pub(crate) request_id: Option<&'a str>,
    pub(crate) error: Option<&'a Error>,
    /// The raw `Referer` and `User-Agent` request headers.
    pub(crate) referer: Option<&'a [u8]>,
    pub(crate) user_agent: Option<&'a [u8]>,
    /// The program's own fields (`on log`).
    pub(crate) extra: &'a LogFields,
}

/// A format's writer (`kv::write`, `json::write`, `combined::write`).
#[cfg(test)]
pub(crate) type WriteFn = fn(&Record<'_>, &mut Vec<u8>) -> std::io::Result<()>;

#[cfg(test)]
impl<'a> Record<'a> {
    /// The program fields of the sample line: `user="ada"`.
    pub(crate) fn sample_fields() -> LogFields {
        let mut extra = LogFields::default();
        extra.set("user", "ada");
        extra
    }

    /// The line `write` makes of this record, as text.
    pub(crate) fn line(&self, write: WriteFn) -> String {
        let mut out = Vec::new();
        write(self, &mut out).expect("writes to a Vec");
        String::from_utf8(out).expect("UTF-8")
    }

    /// A record of `GET /a?b HTTP/1.1` answered 200, at a fixed time, for format tests.
    pub(crate) fn sample(extra: &'a LogFields) -> Self {
        static GET: Method = Method::GET;
        Record {
            // 2000-10-10T13:55:36.000123Z
            time: OffsetDateTime::from_unix_timestamp_nanos(971_186_136_000_123_000)
                .expect("a valid time"),
            client: IpAddr::from([192, 0, 2, 7]),
            method: &GET,
            path: "/a",
            query: Some("b"),
            version: Version::HTTP_11,
            status: Some(StatusCode::OK),
            body_bytes: 2326,
            upstream: Some(SocketAddr::from(([127, 0, 0, 1], 8080))),
            duration_us: 1500,
            request_id: Some("r-1"),
            error: None,
            referer: None,
            user_agent: Some(b"curl/8"),
            extra,
        }
    }
}
