//! The per-request state machine: from the request header to the response header.
//!
//! ```text
//! request_filter ─┬─ Some(response) ─────────────────────────────────────┐
//!                 └─ None → attempts (attempt.rs): upstream_peer, connect, │
//!                           upstream_request_filter, send, retries        │
//!                           → upstream_response_filter → strip hop-by-hop │
//!                           → response_filter ◄───────────────────────────┘
//! any error before the response header → fail_to_proxy → response_filter
//! ```
//! The body phases and `logging` continue in `body.rs` once the header is returned to hyper;
//! a `101 Switching Protocols` then becomes a tunnel (`upgrade.rs`).

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, HOST, TE, TRANSFER_ENCODING};
use http::{HeaderValue, Request, StatusCode, Uri, Version};
use hyper::body::Incoming;

use super::attempt::{proxy_upstream, Proxied};
use super::body::{ResponseBody, UpstreamParts};
use super::framing::UpgradeSwitch;
use super::grpc;
use super::state::RequestState;
use super::upgrade::{self, Switch, Tunnel};
use crate::error::Error;
use crate::headers::{keep_upgrade, remove_hop_by_hop, requested_upgrade, set_forwarding};
use crate::phase::Proxy;
use crate::response::Response;
use crate::session::Session;
use crate::tls::TlsInfo;

/// What every request of one downstream connection shares.
#[derive(Clone, Debug)]
pub(crate) struct ConnInfo {
    pub(crate) client_addr: SocketAddr,
    pub(crate) scheme: &'static str,
    /// The client IP rendered once per connection, for `X-Forwarded-For`.
    pub(crate) client_ip: HeaderValue,
    /// What the TLS handshake established, on an HTTPS listener.
    pub(crate) tls: Option<Arc<TlsInfo>>,
    /// Flipped when a request of the connection switches protocols (`upgrade.rs`).
    pub(crate) upgrade: UpgradeSwitch,
}

impl ConnInfo {
    pub(crate) fn new(
        client_addr: SocketAddr,
        scheme: &'static str,
        tls: Option<Arc<TlsInfo>>,
        upgrade: UpgradeSwitch,
    ) -> Self {
        let mut buf = [0u8; 64];
        let client_ip = render_ip(client_addr, &mut buf);
        ConnInfo {
            client_addr,
            scheme,
            client_ip,
            tls,
            upgrade,
        }
    }
}

fn render_ip(addr: SocketAddr, buf: &mut [u8; 64]) -> HeaderValue {
    use std::io::Write as _;
    let mut cursor = std::io::Cursor::new(&mut buf[..]);
    // An IP address is at most 45 bytes; 64 always fits.
    let len = match write!(cursor, "{}", addr.ip()) {
        Ok(()) => cursor.position() as usize,
        Err(_) => 0,
    };
    HeaderValue::from_bytes(&buf[..len]).unwrap_or_else(|_| HeaderValue::from_static("unknown"))
}

/// The response type handed to hyper.
pub(crate) type ProxyResponse<P> = http::Response<ResponseBody<P>>;

/// Serves one request. Never fails: every error becomes an error page.
pub(crate) async fn handle<P: Proxy>(
    proxy: Arc<P>,
    access_log: bool,
    conn: ConnInfo,
    req: Request<Incoming>,
) -> std::result::Result<ProxyResponse<P>, Infallible> {
    let start = Instant::now();
    let (mut parts, body) = req.into_parts();
    let downstream_upgrade = upgrade::take_downstream(&mut parts);
    let mut session = Session::new(parts, conn.client_addr, conn.scheme);
    session.set_tls(conn.tls.clone());
    let mut state = RequestState::new(proxy, access_log, session, start);

    let filtered = {
        let st = &mut state;
        st.proxy.request_filter(&mut st.session, &mut st.ctx).await
    };
    let response = match filtered {
        Ok(Some(local)) => send_local(state, local).await,
        Ok(None) => match proxy_upstream(&mut state, &conn, body).await {
            Ok(proxied) => send_upstream(state, &conn, proxied, downstream_upgrade).await,
            Err(e) => send_error(state, e).await,
        },
        Err(e) => send_error(state, e).await,
    };
    Ok(response)
}

/// The request to send upstream: origin-form URI, HTTP/1.1, `Host` kept (or taken from the
/// HTTP/2 `:authority`), hop-by-hop headers removed but for those of a protocol switch the
/// client asks for (only without a body: one with a body is proxied as an ordinary request),
/// forwarding headers set.
pub(crate) fn upstream_request(
    session: &Session,
    conn: &ConnInfo,
    has_body: bool,
) -> http::request::Parts {
    let req = session.req_header();
    let (mut parts, ()) = Request::new(()).into_parts();
    parts.method = req.method.clone();
    parts.uri = match (req.uri.authority(), req.uri.path_and_query()) {
        (Some(_), Some(path_and_query)) => Uri::from(path_and_query.clone()),
        (Some(_), None) => Uri::from_static("/"),
        (None, _) => req.uri.clone(),
    };
    parts.version = Version::HTTP_11;
    parts.headers = req.headers.clone();
    let headers = &mut parts.headers;
    if !headers.contains_key(HOST) {
        if let Some(authority) = req.uri.authority() {
            if let Ok(host) = HeaderValue::from_str(authority.as_str()) {
                headers.insert(HOST, host);
            }
        }
    }
    let upgrade = match has_body {
        false => requested_upgrade(req.version, &req.headers).cloned(),
        true => None,
    };
    remove_hop_by_hop(headers);
    if let Some(protocol) = upgrade {
        keep_upgrade(headers, protocol);
    }
    set_forwarding(headers, &conn.client_ip, conn.scheme);
    if has_body && !headers.contains_key(CONTENT_LENGTH) {
        headers.insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
    }
    parts
}

/// Turns an HTTP/1.1-shaped upstream request into an HTTP/2 one: absolute URI with the
/// scheme and authority (from `Host`, which HTTP/2 replaces with `:authority`, else the
/// backend's address), and `TE: trailers` kept when the client sent it (gRPC servers
/// expect it; every other hop-by-hop header is already gone).
pub(crate) fn as_http2(
    parts: &mut http::request::Parts,
    session: &Session,
    tls: bool,
    backend: SocketAddr,
) {
    parts.version = Version::HTTP_2;
    let authority = parts
        .headers
        .remove(HOST)
        .and_then(|host| http::uri::Authority::try_from(host.as_bytes()).ok())
        .or_else(|| http::uri::Authority::try_from(backend.to_string()).ok());
    let mut uri = http::uri::Parts::from(std::mem::take(&mut parts.uri));
    uri.scheme = Some(if tls {
        http::uri::Scheme::HTTPS
    } else {
        http::uri::Scheme::HTTP
    });
    uri.authority = authority;
    if uri.path_and_query.is_none() {
        uri.path_and_query = Some(http::uri::PathAndQuery::from_static("/"));
    }
    if let Ok(absolute) = Uri::from_parts(uri) {
        parts.uri = absolute;
    }
    parts.headers.remove(TRANSFER_ENCODING);
    let wants_trailers = session
        .req_header()
        .headers
        .get_all(TE)
        .iter()
        .any(|v| v.as_bytes().eq_ignore_ascii_case(b"trailers"));
    if wants_trailers {
        parts
            .headers
            .insert(TE, HeaderValue::from_static("trailers"));
    }
}

/// Sends a local response from `request_filter`.
async fn send_local<P: Proxy>(mut state: RequestState<P>, local: Response) -> ProxyResponse<P> {
    let (mut parts, body) = local.into_parts();
    state.session.set_response_status(parts.status);
    let filtered = {
        let st = &mut state;
        st.proxy
            .response_filter(&mut st.session, &mut parts, &mut st.ctx)
    };
    match filtered {
        Ok(()) => {
            state.session.set_response_status(parts.status);
            http::Response::from_parts(parts, ResponseBody::full(state, body))
        }
        Err(e) => send_error(state, e).await,
    }
}

/// Sends the origin's response header; the body follows in [`ResponseBody`]. A `101` to a
/// request that asked to switch protocols starts a tunnel instead of a body.
async fn send_upstream<P: Proxy>(
    mut state: RequestState<P>,
    conn: &ConnInfo,
    proxied: Proxied,
    downstream_upgrade: Option<hyper::upgrade::OnUpgrade>,
) -> ProxyResponse<P> {
    let Proxied {
        response,
        sender,
        pump,
        read_timeout,
        deadline,
    } = proxied;
    let (mut parts, body) = response.into_parts();
    let switch = if parts.status == StatusCode::SWITCHING_PROTOCOLS {
        match Switch::new(&mut parts, downstream_upgrade) {
            Ok(switch) => Some(switch),
            Err(e) => return send_error(state, e).await,
        }
    } else {
        None
    };
    let filtered = {
        let st = &mut state;
        let proxy = &st.proxy;
        proxy
            .upstream_response_filter(&mut st.session, &mut parts, &mut st.ctx)
            .and_then(|()| {
                remove_hop_by_hop(&mut parts.headers);
                st.session.set_response_status(parts.status);
                proxy.response_filter(&mut st.session, &mut parts, &mut st.ctx)
            })
    };
    match (filtered, switch) {
        (Ok(()), None) => {
            state.session.set_response_status(parts.status);
            let upstream = UpstreamParts::new(sender, pump, read_timeout, deadline);
            http::Response::from_parts(parts, ResponseBody::upstream(state, body, upstream))
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
                switch.start(&mut parts.headers, &conn.upgrade, tunnel);
            }
            http::Response::from_parts(parts, ResponseBody::full(state, Bytes::new()))
        }
        // The upstream connection (mid-response) is dropped, not pooled.
        (Err(e), _) => send_error(state, e).await,
    }
}

/// Sends the error page for `error` built by `fail_to_proxy`, through `response_filter`.
async fn send_error<P: Proxy>(mut state: RequestState<P>, error: Error) -> ProxyResponse<P> {
    let page = {
        let st = &mut state;
        st.proxy
            .fail_to_proxy(&mut st.session, &error, &mut st.ctx)
            .await
    };
    let (mut parts, mut body) = page.into_parts();
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
    state.error = Some(error);
    http::Response::from_parts(parts, ResponseBody::full(state, body))
}
