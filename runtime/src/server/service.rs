//! The per-request state machine: from the request header to the response header.
//!
//! ```text
//! request_filter ─┬─ Some(response) ─────────────────────────────────────┐
//!                 └─ None → upstream_peer → connect ─ fail → fail_to_connect (retry?)
//!                           → upstream_request_filter → send, stream body │
//!                           → upstream_response_filter → strip hop-by-hop │
//!                           → response_filter ◄───────────────────────────┘
//! any error before the response header → fail_to_proxy → response_filter
//! ```
//! The body phases and `logging` continue in `body.rs` once the header is returned to hyper.

use std::convert::Infallible;
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::Arc;
use std::task::Poll;
use std::time::Instant;

use http::header::{CONTENT_LENGTH, HOST, TRANSFER_ENCODING};
use http::{HeaderValue, Method, Request, Uri, Version};
use http_body::Body;
use hyper::body::Incoming;

use super::body::{ResponseBody, UpstreamParts};
use super::pump::{RequestPump, UpstreamBody};
use super::state::RequestState;
use crate::error::{Error, ErrorKind, Result};
use crate::headers::{remove_hop_by_hop, set_forwarding};
use crate::phase::Proxy;
use crate::response::Response;
use crate::session::Session;
use crate::upstream::connect::{connect, connect_new, Conn};
use crate::upstream::pool::Sender;
use crate::upstream::Peer;

/// What every request of one downstream connection shares.
#[derive(Clone, Debug)]
pub(crate) struct ConnInfo {
    pub(crate) client_addr: SocketAddr,
    pub(crate) scheme: &'static str,
    /// The client IP rendered once per connection, for `X-Forwarded-For`.
    pub(crate) client_ip: HeaderValue,
}

impl ConnInfo {
    pub(crate) fn new(client_addr: SocketAddr, scheme: &'static str) -> Self {
        let mut buf = [0u8; 64];
        let client_ip = render_ip(client_addr, &mut buf);
        ConnInfo {
            client_addr,
            scheme,
            client_ip,
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
    let (parts, body) = req.into_parts();
    let session = Session::new(parts, conn.client_addr, conn.scheme);
    let mut state = RequestState::new(proxy, access_log, session, start);

    let filtered = {
        let st = &mut state;
        st.proxy.request_filter(&mut st.session, &mut st.ctx).await
    };
    let response = match filtered {
        Ok(Some(local)) => send_local(state, local).await,
        Ok(None) => match proxy_upstream(&mut state, &conn, body).await {
            Ok(proxied) => send_upstream(state, proxied).await,
            Err(e) => send_error(state, e).await,
        },
        Err(e) => send_error(state, e).await,
    };
    Ok(response)
}

/// An upstream exchange whose response header arrived.
struct Proxied {
    response: http::Response<Incoming>,
    sender: Sender,
    pump: Option<RequestPump>,
    read_timeout: std::time::Duration,
}

/// Chooses a peer, connects (retrying on other peers), sends the request and waits for the
/// response header.
async fn proxy_upstream<P: Proxy>(
    state: &mut RequestState<P>,
    conn: &ConnInfo,
    body: Incoming,
) -> Result<Proxied> {
    let proxy = state.proxy.clone();
    let proxy = &*proxy;
    let (peer, connection) = connect_with_retries(proxy, state).await?;
    let read_timeout = peer.backend().options().read_timeout;

    let has_body = !body.is_end_stream();
    let mut parts = upstream_request(&state.session, conn, has_body);
    proxy
        .upstream_request_filter(&mut state.session, &mut parts, &mut state.ctx)
        .await?;
    let (mut pump, upstream_body) = if has_body {
        let (pump, upstream_body) = RequestPump::new(body);
        (Some(pump), upstream_body)
    } else {
        (None, UpstreamBody::Empty)
    };
    let request = Request::from_parts(parts, upstream_body);

    let Conn { mut sender, reused } = connection;
    let first = exchange(proxy, state, &mut sender, request, &mut pump, read_timeout).await;
    let result = match first {
        Ok(response) => Ok(response),
        // Never written: safe to send again whatever the method.
        Err(Exchange::NotSent(request, e)) if reused => {
            tracing::debug!(peer = %peer.addr(), error = %e, "pooled connection closed; reconnecting");
            resend(
                proxy,
                state,
                &peer,
                *request,
                &mut sender,
                &mut pump,
                read_timeout,
            )
            .await
        }
        // Written to a connection the origin had closed: repeat idempotent bodiless requests.
        Err(Exchange::Failed(e))
            if reused && !has_body && is_idempotent(state.session.method()) =>
        {
            tracing::debug!(peer = %peer.addr(), error = %e, "pooled connection failed; retrying once");
            let mut parts = upstream_request(&state.session, conn, false);
            proxy
                .upstream_request_filter(&mut state.session, &mut parts, &mut state.ctx)
                .await?;
            let request = Request::from_parts(parts, UpstreamBody::Empty);
            resend(
                proxy,
                state,
                &peer,
                request,
                &mut sender,
                &mut pump,
                read_timeout,
            )
            .await
        }
        Err(e) => Err(e.into_error()),
    };
    match result {
        Ok(response) => Ok(Proxied {
            response,
            sender,
            pump,
            read_timeout,
        }),
        Err(e) => Err(proxy.error_while_proxy(&mut state.session, &peer, &mut state.ctx, e)),
    }
}

async fn connect_with_retries<P: Proxy>(
    proxy: &P,
    state: &mut RequestState<P>,
) -> Result<(Peer, Conn)> {
    let mut retries = 0;
    loop {
        let peer = proxy
            .upstream_peer(&mut state.session, &mut state.ctx)
            .await?;
        state.session.set_upstream(peer.clone());
        match connect(peer.backend()).await {
            Ok(conn) => return Ok((peer, conn)),
            Err(e) => {
                let e = proxy.fail_to_connect(&mut state.session, &peer, &mut state.ctx, e);
                if !e.is_retryable() || retries >= peer.backend().options().max_retries {
                    return Err(e);
                }
                retries += 1;
                tracing::debug!(peer = %peer.addr(), error = %e, retries, "connect failed; retrying");
            }
        }
    }
}

/// Sends `request` again on a new connection to `peer`, replacing `sender`.
async fn resend<P: Proxy>(
    proxy: &P,
    state: &mut RequestState<P>,
    peer: &Peer,
    request: Request<UpstreamBody>,
    sender: &mut Sender,
    pump: &mut Option<RequestPump>,
    read_timeout: std::time::Duration,
) -> Result<http::Response<Incoming>> {
    *sender = connect_new(peer.backend()).await?.sender;
    exchange(proxy, state, sender, request, pump, read_timeout)
        .await
        .map_err(Exchange::into_error)
}

/// How sending a request failed.
enum Exchange {
    /// hyper gave the request back unsent (the connection was closed).
    NotSent(Box<Request<UpstreamBody>>, hyper::Error),
    /// The request may have reached the origin.
    Failed(hyper::Error),
    /// Any other failure (timeout, client body, filter).
    Other(Error),
}

impl Exchange {
    fn into_error(self) -> Error {
        match self {
            Exchange::NotSent(_, e) | Exchange::Failed(e) => upstream_error(e),
            Exchange::Other(e) => e,
        }
    }
}

fn upstream_error(e: hyper::Error) -> Error {
    Error::explain(ErrorKind::UpstreamProtocol, "exchanging with upstream").with_cause(e)
}

/// Sends `request` and waits for the response header, pumping the request body meanwhile.
/// The read timeout restarts whenever a body chunk goes out.
async fn exchange<P: Proxy>(
    proxy: &P,
    state: &mut RequestState<P>,
    sender: &mut Sender,
    request: Request<UpstreamBody>,
    pump: &mut Option<RequestPump>,
    read_timeout: std::time::Duration,
) -> std::result::Result<http::Response<Incoming>, Exchange> {
    let mut response = pin!(sender.try_send_request(request));
    let mut timer = pin!(tokio::time::sleep(read_timeout));
    let mut sent = pump.as_ref().map_or(0, |p| p.sent);
    poll_fn(|cx| {
        if let Some(pump) = pump.as_mut() {
            if let Poll::Ready(Err(e)) =
                pump.poll_pump(cx, proxy, &mut state.session, &mut state.ctx)
            {
                return Poll::Ready(Err(Exchange::Other(e)));
            }
            if pump.sent != sent {
                sent = pump.sent;
                timer
                    .as_mut()
                    .reset(tokio::time::Instant::now() + read_timeout);
            }
        }
        if let Poll::Ready(result) = response.as_mut().poll(cx) {
            return Poll::Ready(result.map_err(|mut e| match e.take_message() {
                Some(request) => Exchange::NotSent(Box::new(request), e.into_error()),
                None => Exchange::Failed(e.into_error()),
            }));
        }
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(Exchange::Other(Error::explain(
                ErrorKind::ReadTimeout,
                "waiting for the response header",
            ))));
        }
        Poll::Pending
    })
    .await
}

fn is_idempotent(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE | Method::PUT | Method::DELETE
    )
}

/// The request to send upstream: origin-form URI, HTTP/1.1, `Host` kept (or taken from the
/// HTTP/2 `:authority`), hop-by-hop headers removed, forwarding headers set.
fn upstream_request(session: &Session, conn: &ConnInfo, has_body: bool) -> http::request::Parts {
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
    remove_hop_by_hop(headers);
    set_forwarding(headers, &conn.client_ip, conn.scheme);
    if has_body && !headers.contains_key(CONTENT_LENGTH) {
        headers.insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
    }
    parts
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

/// Sends the origin's response header; the body follows in [`ResponseBody`].
async fn send_upstream<P: Proxy>(mut state: RequestState<P>, proxied: Proxied) -> ProxyResponse<P> {
    let Proxied {
        response,
        sender,
        pump,
        read_timeout,
    } = proxied;
    let (mut parts, body) = response.into_parts();
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
    match filtered {
        Ok(()) => {
            state.session.set_response_status(parts.status);
            let upstream = UpstreamParts::new(sender, pump, read_timeout);
            http::Response::from_parts(parts, ResponseBody::upstream(state, body, upstream))
        }
        // The upstream connection (mid-response) is dropped, not pooled.
        Err(e) => send_error(state, e).await,
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
    let (mut parts, body) = page.into_parts();
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
