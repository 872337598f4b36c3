//! The sending half of an upstream connection, HTTP/1.1 or HTTP/2.
//!
//! An HTTP/1.1 connection carries one request at a time and goes back to its backend's pool
//! when the response ends; an HTTP/2 connection is shared by every request to the backend
//! (each clone of its sender opens a stream), so it is never checked in or out.

use hyper::client::conn::{http1, http2};

use super::body::UpstreamBody;

/// A connection to a backend, ready to send a request.
#[derive(Debug)]
pub(crate) enum Sender {
    /// One request at a time; pooled.
    Http1(http1::SendRequest<UpstreamBody>),
    /// Many concurrent streams; shared.
    Http2(http2::SendRequest<UpstreamBody>),
}

impl Sender {
    /// Whether a request can be sent right now.
    pub(crate) fn is_ready(&self) -> bool {
        match self {
            Sender::Http1(s) => s.is_ready(),
            Sender::Http2(s) => s.is_ready(),
        }
    }

    /// Waits until a request can be sent.
    pub(crate) async fn ready(&mut self) -> hyper::Result<()> {
        match self {
            Sender::Http1(s) => s.ready().await,
            Sender::Http2(s) => s.ready().await,
        }
    }

    /// Whether the connection is closed.
    pub(crate) fn is_closed(&self) -> bool {
        match self {
            Sender::Http1(s) => s.is_closed(),
            Sender::Http2(s) => s.is_closed(),
        }
    }
}
