//! Getting the response header from upstream: choosing peers, connecting, retrying, and the
//! request's total deadline.
//!
//! ```text
//! upstream_peer ─▶ connect ─ fail ─▶ fail_to_connect ─ retryable? ─▶ upstream_peer (again)
//!                     │ ok
//!                     ▼
//!        upstream_request_filter ─▶ send ─ reset or try timeout before any response byte,
//!                     │                    idempotent, body replayable? ─▶ upstream_peer (again)
//!                     ▼
//!               response header ─ status in `retry_on`, idempotent, body replayable?
//!                                   ─▶ body discarded ─▶ upstream_peer (again)
//! ```
//! Retries share one count, `max_retries` of the first peer's upstream, and each goes to a
//! backend chosen anew (avoiding the one that just failed when the hook allows). Each also
//! needs room in the upstream's retry budget (`upstream/retry_budget.rs`), so that retries
//! cannot multiply an outage. A connect failure of a non-idempotent request is retried only
//! with `retry_non_idempotent`. A pooled connection found closed is replaced by a new one to
//! the same backend without using the count. Every attempt feeds the backend's passive
//! health (or, without it, the default ejection on connect failures) and counters. Each try
//! must end before `try_timeout`; the whole phase, and then the response body, before
//! `total_timeout`, or before a gRPC call's deadline capped at `grpc_max_timeout`
//! (`grpc_deadline.rs`), whichever comes first.

use std::sync::Arc;

use http::header::HOST;
use http::{HeaderValue, Method, Request};
use http_body::Body;
use hyper::body::Incoming;
use tokio::time::Instant;

use super::budget::BodyBudget;
use super::discard::discard;
use super::exchange::{exchange, Exchange, Timeouts};
use super::grpc_deadline;
use super::pump::RequestPump;
use super::replay::{self, BodySource};
use super::request::{as_http2, upstream_request, Forwarding};
use crate::error::{Error, ErrorKind, Result};
use crate::headers::is_grpc;
use crate::phase::Proxy;
use crate::request_state::RequestState;
use crate::upstream::body::UpstreamBody;
use crate::upstream::connect::{connect, connect_fresh, Conn};
use crate::upstream::pool::Sender;
use crate::upstream::{Backend, InFlightGuard, Peer, UpstreamProtocol};

/// An upstream exchange whose response header arrived.
pub(crate) struct Proxied {
    pub(crate) response: http::Response<Incoming>,
    pub(crate) sender: Sender,
    pub(crate) pump: Option<RequestPump>,
    pub(crate) read_timeout: std::time::Duration,
    /// When the whole request must be over, if the upstream sets a total timeout.
    pub(crate) deadline: Option<Instant>,
}

/// Chooses a peer, connects (retrying on other peers), sends the request and waits for the
/// response header, all within the upstream's total timeout. `body` is the client's (`None`
/// for a request the runtime makes itself, such as a cache refresh: no body).
pub(crate) async fn proxy_upstream<P: Proxy>(
    state: &mut RequestState<P>,
    client: &Forwarding,
    body: Option<Incoming>,
) -> Result<Proxied> {
    let proxy = state.proxy.clone();
    let proxy = &*proxy;
    let first = next_peer(proxy, state, None).await?;
    let options = first.backend().options();
    let grpc_deadline = options
        .grpc_max_timeout
        .filter(|_| is_grpc(&state.session.req_header().headers))
        .map(|max| grpc_deadline::cap(&mut state.session.req_header_mut().headers, max));
    let Some(total) = options.total_timeout.into_iter().chain(grpc_deadline).min() else {
        return attempts(proxy, state, client, body, first, None).await;
    };
    let deadline = Instant::now() + total;
    match tokio::time::timeout_at(
        deadline,
        attempts(proxy, state, client, body, first, Some(deadline)),
    )
    .await
    {
        Ok(result) => result,
        Err(_) => {
            let error = Error::explain(
                ErrorKind::TotalTimeout,
                format!("no response header within {total:?}"),
            );
            match state.session.upstream().cloned() {
                Some(peer) => {
                    peer.backend().record_failure();
                    Err(proxy.error_while_proxy(&mut state.session, &peer, &mut state.ctx, error))
                }
                None => Err(error),
            }
        }
    }
}

/// The attempt loop: connect, send, retry while the budget and the request allow.
async fn attempts<P: Proxy>(
    proxy: &P,
    state: &mut RequestState<P>,
    client: &Forwarding,
    body: Option<Incoming>,
    first: Peer,
    deadline: Option<Instant>,
) -> Result<Proxied> {
    let upstream = first.backend().clone();
    let options = upstream.options();
    let max_retries = options.max_retries;
    let idempotent = is_idempotent(state.session.method());
    let mut source = match body {
        Some(body) if !body.is_end_stream() => {
            if idempotent && max_retries > 0 && replay::fits(&body, options.retry_body_limit) {
                BodySource::Buffered(replay::read_whole(state, body, options.read_timeout).await?)
            } else {
                BodySource::Streamed(Some(body))
            }
        }
        _ => BodySource::Empty,
    };
    let replayable = idempotent && source.is_replayable();
    let _in_flight = upstream.load.request();
    let mut retrying: Option<InFlightGuard> = None;
    // Drops the slot of this request's previous retry, then takes one for the next if the
    // budget has room.
    let budget_allows = |retrying: &mut Option<InFlightGuard>| {
        *retrying = None;
        *retrying = upstream.load.try_retry(options.retry_budget);
        if retrying.is_none() {
            tracing::debug!(
                upstream = upstream.upstream_name(),
                "retry budget exhausted; not retrying"
            );
        }
        retrying.is_some()
    };
    let mut retries = 0;
    let mut peer = first;
    loop {
        let backend = peer.backend().clone();
        backend.record_attempt();
        let outcome = one_try(proxy, state, client, &backend, &mut source, replayable).await;
        let more = retries < max_retries;
        let retry = match outcome {
            Ok((response, sender, pump)) => {
                let status = response.status();
                if status.is_server_error() {
                    backend.record_failure();
                } else {
                    backend.record_success();
                }
                let retried = replayable
                    && more
                    && options.retry_on.contains(&status.as_u16())
                    && budget_allows(&mut retrying);
                if !retried {
                    return Ok(Proxied {
                        response,
                        sender,
                        pump,
                        read_timeout: backend.options().read_timeout,
                        deadline,
                    });
                }
                discard(response, sender, backend.clone());
                format!("status {status}")
            }
            // Connecting failed (first or after a pooled connection turned out closed): the
            // origin saw nothing of this attempt.
            Err(Exchange::Other(mut e)) if e.kind().is_retryable_by_default() => {
                backend.record_connect_failure();
                if !(idempotent || options.retry_non_idempotent) {
                    e.set_retryable(false);
                }
                let e = proxy.fail_to_connect(&mut state.session, &peer, &mut state.ctx, e);
                if !e.is_retryable() || !more || !budget_allows(&mut retrying) {
                    return Err(e);
                }
                e.to_string()
            }
            Err(e @ (Exchange::Failed(_) | Exchange::NotSent(..) | Exchange::TryTimeout(_)))
                if replayable && more && budget_allows(&mut retrying) =>
            {
                backend.record_failure();
                e.into_error().to_string()
            }
            Err(e) => {
                let e = e.into_error();
                if e.is_upstream() && e.kind() != ErrorKind::Overloaded {
                    backend.record_failure();
                }
                return Err(proxy.error_while_proxy(&mut state.session, &peer, &mut state.ctx, e));
            }
        };
        retries += 1;
        backend.record_retry();
        tracing::debug!(peer = %peer.addr(), error = %retry, retries, "attempt failed; retrying");
        peer = next_peer(proxy, state, Some(&backend)).await?;
    }
}

/// One try on `backend`: connect, send, wait for the response header, all within the
/// upstream's `try_timeout` if it has one.
async fn one_try<P: Proxy>(
    proxy: &P,
    state: &mut RequestState<P>,
    client: &Forwarding,
    backend: &Arc<Backend>,
    source: &mut BodySource,
    replayable: bool,
) -> std::result::Result<Sent, Exchange> {
    let attempt = async {
        let connection = connect(backend).await.map_err(Exchange::Other)?;
        let sending = Instant::now();
        let sent = send(
            proxy, state, client, backend, connection, source, replayable,
        )
        .await;
        if sent.is_ok() {
            backend
                .timing
                .header
                .observe(sending.elapsed().as_secs_f64());
        }
        sent
    };
    match backend.options().try_timeout {
        None => attempt.await,
        Some(limit) => tokio::time::timeout(limit, attempt)
            .await
            .unwrap_or(Err(Exchange::TryTimeout(limit))),
    }
}

/// Asks `upstream_peer` for the next attempt's backend, again (twice at most) while it
/// returns `failed`; records it in the session and takes over its in-flight count.
async fn next_peer<P: Proxy>(
    proxy: &P,
    state: &mut RequestState<P>,
    failed: Option<&Arc<Backend>>,
) -> Result<Peer> {
    let mut peer = proxy
        .upstream_peer(&mut state.session, &mut state.ctx)
        .await?;
    if let Some(failed) = failed {
        for _ in 0..2 {
            if !Arc::ptr_eq(peer.backend(), failed) {
                break;
            }
            peer = proxy
                .upstream_peer(&mut state.session, &mut state.ctx)
                .await?;
        }
    }
    state.in_flight = Some(peer.take_in_flight());
    state.session.set_upstream(peer.clone());
    Ok(peer)
}

/// The request for one attempt, and the pump of a streamed body.
async fn build_request<P: Proxy>(
    proxy: &P,
    state: &mut RequestState<P>,
    client: &Forwarding,
    source: &mut BodySource,
) -> Result<(Request<UpstreamBody>, Option<RequestPump>)> {
    let has_body = !matches!(source, BodySource::Empty);
    let mut parts = upstream_request(&state.session, client, has_body);
    proxy
        .upstream_request_filter(&mut state.session, &mut parts, &mut state.ctx)
        .await?;
    if let Some(peer) = state.session.upstream() {
        let backend = peer.backend();
        let options = backend.options();
        if options.protocol == UpstreamProtocol::Http2 {
            as_http2(
                &mut parts,
                &state.session,
                options.tls.is_some(),
                backend.addr(),
            );
        } else if !parts.headers.contains_key(HOST) {
            // An HTTP/1.0 client may send no Host, but HTTP/1.1 requires one (RFC 9112
            // section 3.2): name the backend, as nginx does with its upstream address.
            if let Ok(host) = HeaderValue::try_from(backend.addr().to_string()) {
                parts.headers.insert(HOST, host);
            }
        }
    }
    let (body, pump) = match source {
        BodySource::Empty => (UpstreamBody::Empty, None),
        BodySource::Buffered(bytes) => (UpstreamBody::Full(Some(bytes.clone())), None),
        BodySource::Streamed(incoming) => match incoming.take() {
            Some(incoming) => {
                let budget = BodyBudget::new(client.max_body_bytes);
                let (pump, body) = RequestPump::new(incoming, budget);
                (body, Some(pump))
            }
            None => {
                return Err(Error::explain(
                    ErrorKind::Internal,
                    "a streamed request body cannot be sent twice",
                ))
            }
        },
    };
    Ok((Request::from_parts(parts, body), pump))
}

type Sent = (http::Response<Incoming>, Sender, Option<RequestPump>);

/// One attempt on `connection`. A pooled connection that turns out closed is replaced by a
/// new one to the same backend: always if the request was not written, and for replayable
/// requests if it failed before any response byte.
async fn send<P: Proxy>(
    proxy: &P,
    state: &mut RequestState<P>,
    client: &Forwarding,
    backend: &Arc<Backend>,
    connection: Conn,
    source: &mut BodySource,
    replayable: bool,
) -> std::result::Result<Sent, Exchange> {
    let timeouts = Timeouts {
        write: backend.options().write_timeout,
        read: backend.options().read_timeout,
    };
    let Conn { mut sender, reused } = connection;
    let (request, mut pump) = build_request(proxy, state, client, source)
        .await
        .map_err(Exchange::Other)?;
    let request = match exchange(proxy, state, &mut sender, request, &mut pump, timeouts).await {
        Ok(response) => return Ok((response, sender, pump)),
        Err(Exchange::NotSent(request, e)) if reused => {
            tracing::debug!(peer = %backend.addr(), error = %e, "pooled connection closed; reconnecting");
            *request
        }
        Err(Exchange::Failed(e)) if reused && replayable => {
            tracing::debug!(peer = %backend.addr(), error = %e, "pooled connection failed; retrying once");
            let (request, again) = build_request(proxy, state, client, source)
                .await
                .map_err(Exchange::Other)?;
            pump = again;
            request
        }
        Err(e) => return Err(e),
    };
    drop(sender);
    let mut sender = connect_fresh(backend)
        .await
        .map_err(Exchange::Other)?
        .sender;
    let response = exchange(proxy, state, &mut sender, request, &mut pump, timeouts).await?;
    Ok((response, sender, pump))
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}
