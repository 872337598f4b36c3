//! The per-request state machine: from the request header to the response header.
//!
//! ```text
//! request_filter ─┬─ Some(response) ─────────────────────────────────────┐
//!                 └─ None → attempts (crate::forward): upstream_peer,      │
//!                           connect,                                      │
//!                           upstream_request_filter, send, retries        │
//!                           → upstream_response_filter → strip hop-by-hop │
//!                           → response_filter ◄───────────────────────────┘
//! any error before the response header → fail_to_proxy → response_filter
//! ```
//! A route that caches goes through `cached.rs` between `request_filter` and the attempts:
//! a hit is sent like a local response; a miss is proxied and stored as its body streams.
//! The body phases and `logging` continue in `body.rs` once the header is returned to hyper;
//! a `101 Switching Protocols` then becomes a tunnel (`upgrade.rs`).

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use futures_util::FutureExt;
use http::{Request, StatusCode};
use hyper::body::Incoming;
use tokio_util::task::TaskTracker;

use super::body::{ResponseBody, UpstreamParts};
use super::cached;
use super::client_address::ClientAddress;
use super::framing::UpgradeSwitch;
use super::grpc;
use super::limits::{self, ClientLimits};
use super::upgrade::{self, Switch, Tunnel};
use crate::cache::{range, tags, FillPlan};
use crate::error::{Error, ErrorKind};
use crate::forward::{proxy_upstream, Forwarding, Proxied};
use crate::headers::remove_hop_by_hop;
use crate::metrics::requests::RouteMetrics;
use crate::phase::Proxy;
use crate::request_state::RequestState;
use crate::response::{set_retry_after, Response};
use crate::session::Session;
use crate::tls::TlsInfo;

/// What every request of one downstream connection shares.
#[derive(Debug)]
pub(crate) struct ConnInfo {
    /// The peer: the TCP peer, or the client a PROXY protocol header named.
    pub(crate) client_addr: SocketAddr,
    /// Whose `X-Forwarded-For` the listener believes (`client_address.rs`).
    pub(crate) client_address: Arc<ClientAddress>,
    /// The client IP and scheme, rendered once per connection for the forwarding headers.
    pub(crate) forwarding: Forwarding,
    /// What the TLS handshake established, on an HTTPS listener.
    pub(crate) tls: Option<Arc<TlsInfo>>,
    /// Flipped when a request of the connection switches protocols (`upgrade.rs`).
    pub(crate) upgrade: UpgradeSwitch,
    /// Where the server tracks tunnels, so that draining waits for them.
    pub(crate) tunnels: TaskTracker,
    /// What the connection's requests may send (`limits.rs`).
    pub(crate) limits: ClientLimits,
    /// Where its requests are counted, by route.
    pub(crate) metrics: Arc<RouteMetrics>,
}

impl ConnInfo {
    /// The connection from `peer` (its address, and whose `X-Forwarded-For` is believed).
    pub(super) fn new(
        peer: super::Downstream,
        scheme: &'static str,
        tls: Option<Arc<TlsInfo>>,
        upgrade: UpgradeSwitch,
        tunnels: TaskTracker,
        limits: ClientLimits,
        metrics: Arc<RouteMetrics>,
    ) -> Self {
        let super::Downstream {
            addr: client_addr,
            client_address,
        } = peer;
        let replace = client_address.replaces_forwarded_for(client_addr.ip());
        ConnInfo {
            client_addr,
            forwarding: Forwarding::new(client_addr, scheme, limits.max_body_bytes, replace),
            client_address,
            tls,
            upgrade,
            tunnels,
            limits,
            metrics,
        }
    }
}

/// The response type handed to hyper.
pub(crate) type ProxyResponse<P> = http::Response<ResponseBody<P>>;

/// Serves one request. Never fails: every error becomes an error page, and a panic in a
/// phase of the program before the response header becomes a 500 for this request alone
/// (logged on `pxy::panic` with the request id and the panic's message, counted in
/// `pxy_panics_total`); the connection and the process go on serving. A panic in a body
/// phase (the header is sent) ends the response's connection, also logged and counted.
///
/// A plain function around the `phases` future rather than an `async fn`: an async fn
/// would keep its arguments beside the future it awaits, and every byte of the request's
/// future is copied into its box (`serve_connection`).
pub(crate) fn handle<P: Proxy>(
    proxy: Arc<P>,
    access_log: bool,
    conn: Arc<ConnInfo>,
    req: Request<Incoming>,
) -> impl Future<Output = std::result::Result<ProxyResponse<P>, Infallible>> {
    let (method, version) = (req.method().clone(), req.version());
    let on_panic = (proxy.clone(), conn.clone());
    AssertUnwindSafe(phases(proxy, access_log, conn, req))
        .catch_unwind()
        .map(move |phases| match phases {
            Ok(response) => Ok(response),
            Err(panic) => {
                let (proxy, conn) = on_panic;
                Ok(panicked(proxy, &conn, method, version, panic.as_ref()))
            }
        })
}

/// The 500 answer to a request whose phase panicked; its state, dropped by the unwinding,
/// already counted it and wrote its access log line.
fn panicked<P: Proxy>(
    proxy: Arc<P>,
    conn: &ConnInfo,
    method: http::Method,
    version: http::Version,
    panic: &(dyn std::any::Any + Send),
) -> ProxyResponse<P> {
    let id = crate::request_state::take_panicked();
    crate::request_state::log_panic(id, panic, "answered 500");
    let mut head = http::Request::new(()).into_parts().0;
    head.method = method;
    head.version = version;
    let session = Session::new(head, conn.client_addr, conn.forwarding.scheme);
    let mut state = RequestState::new(proxy, false, session, Instant::now(), conn.metrics.clone());
    state.mark_finished();
    let (parts, body) = Response::error_page(StatusCode::INTERNAL_SERVER_ERROR).into_parts();
    http::Response::from_parts(parts, ResponseBody::full(state, body))
}

/// The phases of one request, from its header to the response header.
async fn phases<P: Proxy>(
    proxy: Arc<P>,
    access_log: bool,
    conn: Arc<ConnInfo>,
    req: Request<Incoming>,
) -> ProxyResponse<P> {
    let conn = &*conn;
    let Started {
        mut state,
        body,
        downstream_upgrade,
        refused,
    } = start(proxy, access_log, conn, req);
    if let Err(error) = refused {
        // Over a size limit: answered before any hook but `fail_to_proxy`.
        let version = state.session.req_header().version;
        return limits::closing(version, error_page(state, error).await);
    }

    let filtered = {
        let st = &mut state;
        st.proxy.request_filter(&mut st.session, &mut st.ctx).await
    };
    // A block, so that the answer's storage ends before the error page is awaited: held
    // across that await, the answer's size would be added to every request's future.
    let page = {
        let answer = match filtered {
            Ok(Some(local)) => send_local(state, local),
            Ok(None) => match state.session.take_cache() {
                Some((cache, rule)) => match cached::hit(&mut state, &cache, rule) {
                    Some((parts, body)) => send_parts(state, parts, body),
                    // Boxed: the cache's state machine is most of this future's size, and
                    // every request's future is copied whole into its box
                    // (`serve_connection`).
                    None => {
                        Box::pin(cached::serve(
                            state,
                            conn,
                            body,
                            downstream_upgrade,
                            cache,
                            rule,
                        ))
                        .await
                    }
                },
                None => {
                    let proxied = proxy_upstream(&mut state, &conn.forwarding, Some(body)).await;
                    answer(state, conn, proxied, downstream_upgrade, None)
                }
            },
            Err(error) => failed(state, error),
        };
        match answer {
            Ok(response) => return response,
            Err(failure) => {
                let Failed { state, error } = *failure;
                error_page(state, error)
            }
        }
    };
    page.await
}

/// A request as its phases begin.
struct Started<P: Proxy> {
    state: RequestState<P>,
    body: Incoming,
    /// The client's side of a protocol switch it asked for (`upgrade.rs`).
    downstream_upgrade: Option<hyper::upgrade::OnUpgrade>,
    /// Why a limit refuses the request's header, if one does (`limits.rs`).
    refused: Result<(), Error>,
}

/// The state of the request `req` of `conn`, made outside the `phases` future: its
/// intermediate values (the header's parts, the session) would otherwise each keep their
/// own bytes in that future, which is copied whole into its box.
fn start<P: Proxy>(
    proxy: Arc<P>,
    access_log: bool,
    conn: &ConnInfo,
    req: Request<Incoming>,
) -> Started<P> {
    let start = Instant::now();
    let (mut parts, body) = req.into_parts();
    let refused = conn.limits.check_head(&parts);
    let downstream_upgrade = upgrade::take_downstream(&mut parts);
    let client = conn.client_address.client(conn.client_addr, &parts.headers);
    let mut session = Session::new(parts, client, conn.forwarding.scheme);
    session.set_tls(conn.tls.clone());
    Started {
        state: RequestState::new(proxy, access_log, session, start, conn.metrics.clone()),
        body,
        downstream_upgrade,
        refused,
    }
}

/// The response header for hyper, or the request that gets an error page instead.
///
/// Made without awaiting, so that nothing of its making is part of the request's future
/// (which is copied whole into its box, `serve_connection`): only the error page, a path
/// most requests never take, awaits a phase (`fail_to_proxy`), in a box of its own.
pub(super) type Answer<P> = Result<ProxyResponse<P>, Box<Failed<P>>>;

/// A request whose response could not be made, and why. Boxed in [`Answer`], which is
/// then no bigger than its response.
pub(super) struct Failed<P: Proxy> {
    state: RequestState<P>,
    error: Error,
}

/// The answer for a request that gets the error page for `error`.
fn failed<P: Proxy>(state: RequestState<P>, error: Error) -> Answer<P> {
    Err(Box::new(Failed { state, error }))
}

/// Answers with what the upstream phase gave: its response (stored by `fill` if the cache
/// may keep it), or its failure (for the error page).
pub(super) fn answer<P: Proxy>(
    state: RequestState<P>,
    conn: &ConnInfo,
    proxied: Result<Proxied, Error>,
    downstream_upgrade: Option<hyper::upgrade::OnUpgrade>,
    fill: Option<FillPlan>,
) -> Answer<P> {
    match proxied {
        Ok(proxied) => send_upstream(state, conn, proxied, downstream_upgrade, fill),
        Err(error) => failed(state, error),
    }
}

/// Sends a local response from `request_filter`.
fn send_local<P: Proxy>(state: RequestState<P>, local: Response) -> Answer<P> {
    let (parts, body) = local.into_parts();
    send_parts(state, parts, body)
}

/// Sends a response made here (a local one, or one from the cache) through
/// `response_filter`.
pub(super) fn send_parts<P: Proxy>(
    mut state: RequestState<P>,
    mut parts: http::response::Parts,
    body: Bytes,
) -> Answer<P> {
    if let Some(wait) = state.session.retry_after() {
        if matches!(
            parts.status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE
        ) {
            set_retry_after(&mut parts.headers, wait);
        }
    }
    state.session.set_response_status(parts.status);
    let filtered = {
        let st = &mut state;
        st.proxy
            .response_filter(&mut st.session, &mut parts, &mut st.ctx)
    };
    match filtered {
        Ok(()) => {
            state.session.set_response_status(parts.status);
            let encoder = crate::compress::start(&state.session, &mut parts);
            let body = ResponseBody::full(state, body).compressed(encoder);
            Ok(http::Response::from_parts(parts, body))
        }
        Err(error) => failed(state, error),
    }
}

/// Sends the origin's response header; the body follows in [`ResponseBody`]. A `101` to a
/// request that asked to switch protocols starts a tunnel instead of a body.
fn send_upstream<P: Proxy>(
    mut state: RequestState<P>,
    conn: &ConnInfo,
    proxied: Proxied,
    downstream_upgrade: Option<hyper::upgrade::OnUpgrade>,
    mut plan: Option<FillPlan>,
) -> Answer<P> {
    let (response, upstream) = UpstreamParts::split(proxied);
    let (mut parts, body) = response.into_parts();
    let switch = if parts.status == StatusCode::SWITCHING_PROTOCOLS {
        match Switch::new(&mut parts, downstream_upgrade) {
            Ok(switch) => Some(switch),
            Err(error) => return failed(state, error),
        }
    } else {
        None
    };
    let mut fill = None;
    let mut slice = None;
    let filtered = {
        let st = &mut state;
        let proxy = &st.proxy;
        proxy
            .upstream_response_filter(&mut st.session, &mut parts, &mut st.ctx)
            .and_then(|()| {
                remove_hop_by_hop(&mut parts.headers);
                // What is stored is the origin's header before `response_filter`.
                if switch.is_none() {
                    if let Some(plan) = plan.take() {
                        fill = plan.start(&parts);
                        // The tags and Surrogate-Control are the cache's, not the client's.
                        tags::take(&mut parts.headers);
                        crate::cache::surrogate::strip(&mut parts.headers);
                        // The client's range, asked of a caching route (the whole
                        // response came, to be stored): cut here.
                        let session = &st.session;
                        slice =
                            range::answer_upstream(&mut parts, session.method(), session.headers());
                    }
                }
                st.session.set_response_status(parts.status);
                proxy.response_filter(&mut st.session, &mut parts, &mut st.ctx)
            })
    };
    match (filtered, switch) {
        (Ok(()), None) => {
            state.session.set_response_status(parts.status);
            let encoder = crate::compress::start(&state.session, &mut parts);
            let body = ResponseBody::upstream(state, body, upstream, fill)
                .sliced(slice)
                .compressed(encoder);
            Ok(http::Response::from_parts(parts, body))
        }
        // The upstream connection switched: it is the tunnel's now (or, if a filter changed
        // the status, closed), never pooled.
        (Ok(()), Some(switch)) => {
            state.session.set_response_status(parts.status);
            let backend = state.session.upstream().map(|peer| peer.backend().clone());
            if let (Some(backend), StatusCode::SWITCHING_PROTOCOLS) = (backend, parts.status) {
                let logged = state
                    .logs_access()
                    .then(|| state.session.request_id_value());
                let tunnel = Tunnel {
                    client: conn.client_addr,
                    backend,
                    logged,
                };
                switch.start(&mut parts.headers, &conn.upgrade, &conn.tunnels, tunnel);
            }
            Ok(http::Response::from_parts(
                parts,
                ResponseBody::full(state, Bytes::new()),
            ))
        }
        // The upstream connection (mid-response) is dropped, not pooled.
        (Err(error), _) => failed(state, error),
    }
}

/// The error page for `error`, boxed, as a path most requests never take: inline, its state
/// would be part of every request's future.
fn error_page<P: Proxy>(
    state: RequestState<P>,
    error: Error,
) -> std::pin::Pin<Box<impl std::future::Future<Output = ProxyResponse<P>> + Send>> {
    Box::pin(make_error_page(state, error))
}

/// Makes the error page for `error` with `fail_to_proxy`, through `response_filter`. A
/// request body over the limit was not read to its end: the HTTP/1 connection closes.
async fn make_error_page<P: Proxy>(mut state: RequestState<P>, error: Error) -> ProxyResponse<P> {
    let page = {
        let st = &mut state;
        st.proxy
            .fail_to_proxy(&mut st.session, &error, &mut st.ctx)
            .await
    };
    let (mut parts, mut body) = page.into_parts();
    if let Some(wait) = error.retry_after() {
        set_retry_after(&mut parts.headers, wait);
    }
    if grpc::is_grpc(&state.session) {
        state.grpc_status = grpc::error_page(&mut parts, &mut body);
    }
    state.session.set_response_status(parts.status);
    let filtered = {
        let st = &mut state;
        st.proxy
            .response_filter(&mut st.session, &mut parts, &mut st.ctx)
    };
    if let Err(e) = filtered {
        tracing::warn!(error = %e, "response_filter failed on an error page; sending it unfiltered");
    }
    state.session.set_response_status(parts.status);
    let version = state.session.req_header().version;
    let too_large = error.kind() == ErrorKind::BodyTooLarge;
    state.error = Some(error);
    let page = http::Response::from_parts(parts, ResponseBody::full(state, body));
    if too_large {
        limits::closing(version, page)
    } else {
        page
    }
}
