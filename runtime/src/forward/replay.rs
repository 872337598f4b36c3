//! Replayable request bodies: a small body read whole (through `request_body_filter`) so
//! that an idempotent request can be sent again to another backend after a reset.
//!
//! Only bodies whose declared length is at most the upstream's `retry_body_limit` are read
//! this way; larger or unsized ones stream through the pump (`pump.rs`) and are never
//! retried once sent. Trailers of a buffered body are dropped.

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body::Body;
use http_body_util::BodyExt;
use hyper::body::Incoming;

use crate::error::{Error, ErrorKind, Result};
use crate::phase::Proxy;
use crate::request_state::RequestState;

/// How a request's body is sent upstream.
pub(crate) enum BodySource {
    /// No body.
    Empty,
    /// Read whole; sent (again) as it is.
    Buffered(Bytes),
    /// Streamed from the client; can be sent once (`None` once taken).
    Streamed(Option<Incoming>),
}

impl BodySource {
    /// Whether every attempt can send the body.
    pub(crate) fn is_replayable(&self) -> bool {
        !matches!(self, BodySource::Streamed(_))
    }
}

/// Whether a body of `body`'s declared size fits in `limit` bytes.
pub(crate) fn fits(body: &Incoming, limit: usize) -> bool {
    body.size_hint()
        .exact()
        .is_some_and(|len| len <= limit as u64)
}

/// Reads `body` whole through `request_body_filter`, each chunk within `stall`.
///
/// # Errors
///
/// `DownstreamProtocol` if the client aborts or stalls its body, or the filter's error.
pub(crate) async fn read_whole<P: Proxy>(
    state: &mut RequestState<P>,
    mut body: Incoming,
    stall: Duration,
) -> Result<Bytes> {
    let mut whole = BytesMut::new();
    loop {
        let frame = tokio::time::timeout(stall, body.frame())
            .await
            .map_err(|_| {
                Error::explain(ErrorKind::DownstreamProtocol, "the request body stalled")
            })?;
        let mut chunk = match frame {
            None => None,
            Some(Ok(frame)) => match frame.into_data() {
                Ok(data) => Some(data),
                Err(_trailers) => continue,
            },
            Some(Err(e)) => {
                return Err(Error::explain(
                    ErrorKind::DownstreamProtocol,
                    "reading the request body",
                )
                .with_cause(e))
            }
        };
        // The last call to the filter says `end`, whether with the last chunk or after it.
        let end = chunk.is_none() || body.is_end_stream();
        let st = &mut *state;
        st.proxy
            .request_body_filter(&mut st.session, &mut chunk, end, &mut st.ctx)?;
        if let Some(data) = chunk {
            whole.extend_from_slice(&data);
        }
        if end {
            return Ok(whole.freeze());
        }
    }
}
