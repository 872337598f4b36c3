//! Responses made by the proxy itself rather than fetched from an origin.
//!
//! A [`Response`] is what [`Proxy::request_filter`](crate::Proxy::request_filter) returns to
//! answer without an upstream, and what [`Proxy::fail_to_proxy`](crate::Proxy::fail_to_proxy)
//! returns as an error page. Its body is one [`Bytes`] buffer; `Content-Length` is set when
//! the runtime sends it. Like every response, it then passes `response_filter`.

use bytes::Bytes;
use std::time::Duration;

use http::header::{CONTENT_LENGTH, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use crate::error::{Error, ErrorKind, Result};

/// Sets `Retry-After` to `wait` in whole seconds, rounded up (at least 1: a client told to
/// wait 0 s would come back at once and be refused again), unless `headers` has one.
pub(crate) fn set_retry_after(headers: &mut HeaderMap, wait: Duration) {
    if headers.contains_key(RETRY_AFTER) {
        return;
    }
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    headers.insert(RETRY_AFTER, HeaderValue::from(seconds.max(1)));
}

/// A complete local response: status, headers and a body held in memory.
#[derive(Debug, Clone)]
pub struct Response {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Response {
    /// An empty response with `status`.
    pub fn new(status: StatusCode) -> Self {
        Response {
            status,
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    /// Sets the body (replacing any previous one).
    #[must_use]
    pub fn with_body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// Appends a header (an existing one of the same name is kept).
    #[must_use]
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }

    /// Adds `Retry-After: SECONDS` (`wait` rounded up to whole seconds, at least 1) unless
    /// the response already has one: what a refusal by a limit sends.
    #[must_use]
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        set_retry_after(&mut self.headers, wait);
        self
    }

    /// A redirect to `location` with an empty body.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Internal`] if `status` is not 3xx or `location` is not a valid header
    /// value (control characters such as CR/LF).
    pub fn redirect(status: StatusCode, location: &str) -> Result<Self> {
        if !status.is_redirection() {
            return Err(Error::explain(
                ErrorKind::Internal,
                format!("redirect with non-3xx status {status}"),
            ));
        }
        let value = HeaderValue::from_str(location).map_err(|e| {
            Error::explain(ErrorKind::Internal, "invalid redirect location").with_cause(e)
        })?;
        Ok(Response::new(status).with_header(LOCATION, value))
    }

    /// A plain-text error page for `status`: `"502 Bad Gateway\n"` and so on. What the
    /// default [`Proxy::fail_to_proxy`](crate::Proxy::fail_to_proxy) sends.
    pub fn error_page(status: StatusCode) -> Self {
        let reason = status.canonical_reason().unwrap_or("Error");
        Response::new(status)
            .with_header(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )
            .with_body(format!("{} {}\n", status.as_u16(), reason))
    }

    /// The answer to a `purge` by prefix or tag: `200` "purged N" when it removed N > 0
    /// entries, else `404` "not in cache".
    pub fn purged_many(removed: usize) -> Self {
        if removed == 0 {
            return Response::purged(false);
        }
        Response::new(StatusCode::OK)
            .with_header(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )
            .with_body(format!("purged {removed}\n"))
    }

    /// The answer to a `purge`: `200` "purged" when the cache held the target, else `404`
    /// "not in cache".
    pub fn purged(found: bool) -> Self {
        let (status, body) = match found {
            true => (StatusCode::OK, "purged\n"),
            false => (StatusCode::NOT_FOUND, "not in cache\n"),
        };
        Response::new(status)
            .with_header(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )
            .with_body(body)
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Changes the status.
    pub fn set_status(&mut self, status: StatusCode) {
        self.status = status;
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The headers, mutable.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.headers
    }

    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// Splits into a response header (with `Content-Length` set where the status allows a
    /// body) and the body. A status that forbids a body (1xx, 204, 304) drops it.
    pub(crate) fn into_parts(self) -> (http::response::Parts, Bytes) {
        let (mut parts, ()) = http::Response::new(()).into_parts();
        parts.status = self.status;
        parts.headers = self.headers;
        let allows_body = !(self.status.is_informational()
            || self.status == StatusCode::NO_CONTENT
            || self.status == StatusCode::NOT_MODIFIED);
        if !allows_body {
            parts.headers.remove(CONTENT_LENGTH);
            return (parts, Bytes::new());
        }
        parts
            .headers
            .insert(CONTENT_LENGTH, HeaderValue::from(self.body.len()));
        (parts, self.body)
    }
}

#[cfg(test)]
mod tests;
