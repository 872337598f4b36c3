//! Storing a response while it streams to the first client.
//!
//! The writer of a miss carries a [`FillPlan`] to the response header; if the response may
//! be stored (`policy.rs`) and its declared length fits `max_object`, the plan becomes a
//! [`Fill`] that the response body (`server/body.rs`) hands every chunk as it passes, before
//! `response_body_filter` (which runs again on every hit). At the end of the body the object
//! is stored and the cache lock released; a body over `max_object` drops the fill at once
//! (the rest streams through), and an aborted body drops it unstored. Either way the lock
//! goes with it.

use std::time::SystemTime;

use bytes::{Bytes, BytesMut};
use http::header::CONTENT_LENGTH;

use super::lock::FillLock;
use super::policy::Freshness;
use super::{Cache, CacheRule};
use crate::session::Session;

/// What a miss's writer needs to store the response it is about to get.
#[derive(Debug)]
pub(crate) struct FillPlan {
    pub(crate) cache: Cache,
    pub(crate) rule: &'static CacheRule,
    pub(crate) primary: String,
    /// The request as the policy sees it (method, URI, header).
    pub(crate) request: http::request::Parts,
    /// The cache lock of the key, if this request holds it.
    pub(crate) lock: Option<FillLock>,
}

/// A response being stored.
#[derive(Debug)]
pub(crate) struct Fill {
    plan: FillPlan,
    status: http::StatusCode,
    headers: http::HeaderMap,
    /// When the header arrived (the response's age counts from then).
    received: SystemTime,
    chunks: Vec<Bytes>,
    len: u64,
}

impl FillPlan {
    /// The fill of `response` (the origin's header, hop-by-hop headers removed), or `None`
    /// when it is not to be stored (the lock's waiters are told to go on their own).
    pub(crate) fn start(mut self, response: &http::response::Parts) -> Option<Fill> {
        let declared = response
            .headers
            .get(CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
        let received = SystemTime::now();
        let storable = Freshness::of(&self.request, response, self.rule, received).is_some()
            && declared.is_none_or(|len| len <= self.cache.max_object());
        if !storable {
            if let Some(lock) = self.lock.take() {
                lock.pass();
            }
            return None;
        }
        Some(Fill {
            status: response.status,
            headers: response.headers.clone(),
            received,
            chunks: Vec::new(),
            len: 0,
            plan: self,
        })
    }
}

impl Fill {
    /// Keeps a chunk of the body. `false` when the body is over `max_object`: drop the fill.
    pub(crate) fn push(&mut self, chunk: &Bytes) -> bool {
        self.len += chunk.len() as u64;
        if self.len > self.plan.cache.max_object() {
            return false;
        }
        self.chunks.push(chunk.clone());
        true
    }

    /// The body of the request of `session` ended: stores the response (then the lock is
    /// released).
    pub(crate) fn finish(self, session: &Session) {
        let body = owned(&self.chunks, self.len);
        let mut head = http::Response::new(()).into_parts().0;
        head.status = self.status;
        head.headers = self.headers;
        let plan = &self.plan;
        plan.cache
            .store(session, plan.rule, &head, body, self.received);
    }
}

/// The `len` bytes of `chunks` in one allocation of their own, even for one chunk: a chunk is
/// a slice of the upstream connection's read buffer, which it would keep alive whole,
/// uncounted by the entry's weight.
fn owned(chunks: &[Bytes], len: u64) -> Bytes {
    let mut body = BytesMut::with_capacity(len as usize);
    for chunk in chunks {
        body.extend_from_slice(chunk);
    }
    body.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_body_does_not_hold_the_buffer_it_was_read_into() {
        let buffer = Bytes::from(vec![b'b'; 8 << 10]);
        let one = [buffer.slice(100..1124)];
        let body = owned(&one, 1024);
        assert_eq!(body, one[0]);
        assert!(!buffer.as_ptr_range().contains(&body.as_ptr()));
        let two = [buffer.slice(0..3), Bytes::from_static(b"cd")];
        assert_eq!(owned(&two, 5), Bytes::from_static(b"bbbcd"));
    }
}
