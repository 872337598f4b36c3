//! The two ends of the cache that the request path and its benchmark share: storing a
//! complete response ([`Cache::store`], at the end of a fill) and answering a request from a
//! fresh entry ([`Cache::hit`], the whole work of a hit before `response_filter`).

use std::time::SystemTime;

use bytes::Bytes;
use http::header::{
    ACCEPT_RANGES, AGE, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, TRANSFER_ENCODING,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use super::policy::{Age, Freshness};
use super::range::{self, Ranged};
use super::{is_not_modified, key, Cache, CacheRule, Object};
use crate::session::Session;

impl Cache {
    /// Stores `response` with its whole `body`, the answer to the request of `session`
    /// received at `received`, if `rule` and RFC 9111 allow it. Whether it was stored.
    pub fn store(
        &self,
        session: &Session,
        rule: &CacheRule,
        response: &http::response::Parts,
        body: Bytes,
        received: SystemTime,
    ) -> bool {
        let request = session.req_header();
        let Some(freshness) = Freshness::of(request, response, rule, received) else {
            return false;
        };
        let headers = response.headers.clone();
        let object = Object::new(response.status, headers, body, freshness, &request.headers);
        self.insert(&key::primary(session, rule), &request.headers, object);
        true
    }

    /// The answer to the request of `session` from a fresh entry, if there is one: the
    /// stored header with `Age` and the body, or a `304` when the client's own conditions
    /// say it has it.
    pub fn hit(
        &self,
        session: &Session,
        rule: &CacheRule,
    ) -> Option<(http::response::Parts, Bytes)> {
        let object = self
            .lookup(&key::primary(session, rule), session.headers())
            .object?;
        let now = SystemTime::now();
        (object.freshness.state(now) == Age::Fresh)
            .then(|| object.response(session.method(), session.headers(), now))
    }
}

impl Object {
    /// What is sent for this entry now to a request of `method` with header `request`: the
    /// whole response, `304` when the client has it, or the range it asks for (`range.rs`).
    pub(crate) fn response(
        &self,
        method: &Method,
        request: &HeaderMap,
        now: SystemTime,
    ) -> (http::response::Parts, Bytes) {
        let mut parts = http::Response::new(()).into_parts().0;
        parts.status = self.status;
        // Room for what is added below, so that no insert grows the map again.
        parts.headers = HeaderMap::with_capacity(self.headers.len() + 3);
        (parts.headers).extend(self.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
        let age = self.freshness.age(now).as_secs();
        parts.headers.insert(AGE, HeaderValue::from(age));
        if self.status == StatusCode::OK && is_not_modified(request, &self.headers) {
            parts.status = StatusCode::NOT_MODIFIED;
            for name in [CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING] {
                parts.headers.remove(name);
            }
            return (parts, Bytes::new());
        }
        if self.status != StatusCode::OK {
            return (parts, self.body.clone());
        }
        parts
            .headers
            .insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
        let len = self.body.len() as u64;
        let ranged = range::ranged(method, request, &self.headers, len);
        if let Some(content_range) = ranged.content_range(len) {
            parts.headers.insert(CONTENT_RANGE, content_range);
        }
        match ranged {
            Ranged::Whole => (parts, self.body.clone()),
            Ranged::Slice { start, end } => {
                parts.status = StatusCode::PARTIAL_CONTENT;
                parts
                    .headers
                    .insert(CONTENT_LENGTH, HeaderValue::from(end - start + 1));
                (parts, self.body.slice(start as usize..=end as usize))
            }
            Ranged::Unsatisfiable => {
                parts.status = StatusCode::RANGE_NOT_SATISFIABLE;
                parts.headers.remove(CONTENT_TYPE);
                parts.headers.insert(CONTENT_LENGTH, HeaderValue::from(0));
                (parts, Bytes::new())
            }
        }
    }
}
