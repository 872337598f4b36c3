//! Discarding the response of a try that is retried (its status is in `retry_on`).
//!
//! The client never sees it, but its connection should not be wasted: an HTTP/1.1 body
//! that ends soon (at most [`DRAIN_LIMIT`] bytes, no read stalled longer than
//! [`DRAIN_STALL`]) is read to its end in a task of its own, and the connection goes back
//! to the backend's pool; a longer or stalled one is dropped, which closes the connection
//! (it could not carry another request before the body's end). An HTTP/2 body is dropped
//! at once: that resets only its stream.

use std::sync::Arc;
use std::time::Duration;

use http_body::Body;
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::upstream::pool::Sender;
use crate::upstream::Backend;

/// The most body bytes read to keep a connection.
const DRAIN_LIMIT: usize = 64 * 1024;

/// The longest wait for the next part of the body.
const DRAIN_STALL: Duration = Duration::from_secs(1);

/// Discards `response`, keeping `sender`'s connection when its body ends soon.
pub(crate) fn discard(response: http::Response<Incoming>, sender: Sender, backend: Arc<Backend>) {
    let body = response.into_body();
    if matches!(sender, Sender::Http2(_)) {
        return;
    }
    if body.is_end_stream() {
        backend.pool.checkin(sender);
        return;
    }
    tokio::spawn(async move {
        if drained(body, backend.options().read_timeout.min(DRAIN_STALL)).await {
            backend.pool.checkin(sender);
        }
    });
}

/// Reads `body` to its end; `false` if it is longer than [`DRAIN_LIMIT`], fails or stalls.
async fn drained(mut body: Incoming, stall: Duration) -> bool {
    let mut left = DRAIN_LIMIT;
    loop {
        match tokio::time::timeout(stall, body.frame()).await {
            Ok(None) => return true,
            Ok(Some(Ok(frame))) => {
                let n = frame.data_ref().map_or(0, bytes::Bytes::len);
                let Some(rest) = left.checked_sub(n) else {
                    return false;
                };
                left = rest;
                if body.is_end_stream() {
                    return true;
                }
            }
            Ok(Some(Err(_))) | Err(_) => return false,
        }
    }
}
