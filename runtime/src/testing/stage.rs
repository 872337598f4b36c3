//! One test, run for real: the program is built afresh, every server of its upstreams is
//! replaced by an origin of the test's own on 127.0.0.1 (answering as the test's `reply` says,
//! refusing or resetting as its `fail` says, over TLS with the test's certificate for a
//! `tls on` upstream), the proxy serves on a port of its own, and a client sends the test's
//! request over a real connection, opened with a PROXY protocol header that names the test's
//! client address.
//!
//! Nothing of the generated program is replaced: its phases, routes and error pages run as
//! deployed; only where its upstreams live and where it listens change.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use super::case::{Failure, TestCase, TestMessage, TestTls};
use crate::phase::Proxy;
use crate::server::{ClientAddress, Listener, ServeOptions};
use crate::tls::{Alpn, CertKey, TlsAcceptor, TlsConfig};
use crate::upstream::{BackendConfig, Upstream};

/// How long a test's request may take, from connecting to the end of the response body.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(10);

/// A request one of the test's origins received.
#[derive(Debug)]
pub(super) struct Seen {
    /// The upstream it stands for.
    pub(super) upstream: String,
    /// The server of that upstream, from 1.
    pub(super) server: usize,
    /// The request's method.
    pub(super) method: String,
    /// Its path and query.
    pub(super) path: String,
    /// Its headers.
    pub(super) headers: HeaderMap,
    /// Its body.
    pub(super) body: Bytes,
}

/// What the client got.
#[derive(Debug)]
pub(super) struct Got {
    /// The status.
    pub(super) status: StatusCode,
    /// The headers.
    pub(super) headers: HeaderMap,
    /// The whole body.
    pub(super) body: Bytes,
}

/// What happened in one test.
#[derive(Debug)]
pub(super) struct Outcome {
    /// Every request the test's origins received, in order.
    pub(super) seen: Vec<Seen>,
    /// The response, or why there was none.
    pub(super) response: Result<Got, String>,
    /// The fields of the request's access log line (when the test expects some), or why
    /// there is none.
    pub(super) log: Option<Result<serde_json::Map<String, serde_json::Value>, String>>,
    /// The `tls on` upstreams the proxy connected to whose stand-ins the test gave no
    /// certificate (`upstream NAME cert ...`).
    pub(super) uncertified: Vec<String>,
}

/// Runs `case` against `proxy`, listening as `client_address` says (with a PROXY header
/// always accepted from the test's own client).
///
/// # Errors
///
/// The set-up failed (a port could not be bound, an upstream refused the test's servers).
pub(super) async fn run<P: Proxy>(
    proxy: P,
    mut client_address: ClientAddress,
    tls: Option<TlsAcceptor>,
    options: ServeOptions,
    case: &'static TestCase,
) -> Result<Outcome, String> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let uncertified = Arc::new(Mutex::new(Vec::new()));
    let mut origins = Vec::new();
    for upstream in proxy.upstreams() {
        let record = Record {
            seen: seen.clone(),
            uncertified: uncertified.clone(),
        };
        let servers = stand_in(upstream, case, record, &mut origins).await?;
        upstream
            .pin_for_test(&servers)
            .map_err(|e| format!("upstream {}: {}", upstream.name(), crate::error::chain(&e)))?;
    }
    let socket = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("binding the test listener: {e}"))?;
    let addr = socket.local_addr().map_err(|e| e.to_string())?;
    client_address.proxy_protocol = true;
    if !client_address.trusted_proxies.is_empty() {
        client_address
            .trusted_proxies
            .push(ipnet::IpNet::from(addr.ip()));
    }
    let listener = Listener::new(socket, tls).with_client_address(client_address);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(crate::server::serve_with(
        Arc::new(proxy),
        vec![listener],
        options,
        async move {
            let _ = stopped.await;
        },
    ));
    let (mark, response) = exchanges(addr, case, &seen).await;
    let _ = stop.send(());
    let _ = tokio::time::timeout(Duration::from_secs(2), server).await;
    for origin in origins {
        origin.abort();
    }
    let mut seen = std::mem::take(&mut *seen.lock().unwrap_or_else(|e| e.into_inner()));
    seen.drain(..mark.min(seen.len()));
    let mut uncertified =
        std::mem::take(&mut *uncertified.lock().unwrap_or_else(|e| e.into_inner()));
    uncertified.sort_unstable();
    uncertified.dedup();
    Ok(Outcome {
        seen,
        response,
        log: None,
        uncertified,
    })
}

/// Sends the test's request as many times as it says, one after another; the response to the
/// last one (or the first that failed), and how many requests the origins had received
/// before the last was sent (the expectations are about the last).
async fn exchanges(
    addr: SocketAddr,
    case: &'static TestCase,
    seen: &Arc<Mutex<Vec<Seen>>>,
) -> (usize, Result<Got, String>) {
    let token = match case.request.token.as_ref().map(super::token::sign) {
        Some(Err(why)) => return (0, Err(why)),
        Some(Ok(token)) => Some(token),
        None => None,
    };
    let times = case.request.times.max(1);
    let mut mark = 0;
    for n in 1..=times {
        mark = seen.lock().unwrap_or_else(|e| e.into_inner()).len();
        let response =
            tokio::time::timeout(EXCHANGE_TIMEOUT, exchange(addr, case, token.as_deref()))
                .await
                .unwrap_or_else(|_| Err(format!("no response within {EXCHANGE_TIMEOUT:?}")));
        match response {
            Ok(got) if n == times => return (mark, Ok(got)),
            Ok(_) => {}
            Err(why) if times == 1 => return (mark, Err(why)),
            Err(why) => return (mark, Err(format!("request {n} of {times}: {why}"))),
        }
    }
    (mark, Err("no request was sent".into()))
}

/// Where the stand-ins write down what they saw.
#[derive(Clone)]
struct Record {
    /// The requests they received.
    seen: Arc<Mutex<Vec<Seen>>>,
    /// The `tls on` upstreams connected to without a certificate from the test.
    uncertified: Arc<Mutex<Vec<String>>>,
}

/// How the stand-ins of one upstream speak.
enum Transport {
    /// Cleartext.
    Plain,
    /// TLS with the test's certificate (ALPN `h2` and `http/1.1`).
    Tls(TlsAcceptor),
    /// TLS, but the test gave no certificate: the connection is noted and closed.
    Uncertified,
}

/// The transport of `upstream`'s stand-ins in `case`.
fn transport(upstream: &Upstream, case: &'static TestCase) -> Result<Transport, String> {
    if upstream.options().tls.is_none() {
        return Ok(Transport::Plain);
    }
    let Some((_, cert, key)) = case
        .certificates
        .iter()
        .find(|(name, _, _)| *name == upstream.name())
    else {
        return Ok(Transport::Uncertified);
    };
    let config = TlsConfig {
        certs: vec![CertKey {
            cert: (*cert).into(),
            key: (*key).into(),
        }],
        alpn: vec![Alpn::H2, Alpn::Http11],
        client_auth: None,
    };
    TlsAcceptor::new(&config).map(Transport::Tls).map_err(|e| {
        format!(
            "the certificate of upstream {}'s stand-ins: {}",
            upstream.name(),
            crate::error::chain(&e)
        )
    })
}

/// The test's servers for `upstream`: one origin per server (only the picked one when the
/// test picks), or addresses that fail as the test says.
async fn stand_in(
    upstream: &Upstream,
    case: &'static TestCase,
    record: Record,
    origins: &mut Vec<JoinHandle<()>>,
) -> Result<Vec<BackendConfig>, String> {
    let name = upstream.name().to_string();
    let failure = case.failures.iter().find(|(n, _)| *n == name).map(|f| f.1);
    let pick = case.picks.iter().find(|(n, _)| *n == name).map(|p| p.1);
    let transport = Arc::new(transport(upstream, case)?);
    let mut servers = Vec::new();
    // A discovered upstream has as many stand-ins as the test says (its source is not read).
    let backends = upstream.backends();
    let count = match upstream.is_discovered() {
        true => case
            .discovered
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(1, |d| d.1),
        false => backends.len(),
    };
    for i in 0..count {
        let backend = backends.get(i).filter(|_| !upstream.is_discovered());
        let server = i + 1;
        if pick.is_some_and(|p| p != server) {
            continue;
        }
        let socket = TcpListener::bind("127.0.0.1:0")
            .await
            .map_err(|e| format!("binding a test origin: {e}"))?;
        let addr = socket.local_addr().map_err(|e| e.to_string())?;
        match failure {
            // Nothing listens there once the socket is closed.
            Some(Failure::ConnectRefused) => drop(socket),
            Some(Failure::Reset) => origins.push(tokio::spawn(reset(socket))),
            None => {
                let origin = Origin {
                    upstream: name.clone(),
                    server,
                    reply: case.reply_of(&name),
                    record: record.clone(),
                    transport: transport.clone(),
                };
                origins.push(tokio::spawn(origin.serve(socket)));
            }
        }
        servers.push(BackendConfig {
            weight: backend.map_or(1, |b| b.weight().max(1)),
            // A picked server takes every request, backup or not.
            backup: backend.is_some_and(|b| b.is_backup()) && pick.is_none(),
            ..BackendConfig::new(addr)
        });
    }
    Ok(servers)
}

/// Accepts connections and resets them at once, without reading.
async fn reset(socket: TcpListener) {
    while let Ok((stream, _)) = socket.accept().await {
        let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        drop(stream);
    }
}

/// A test's stand-in for one server of an upstream.
struct Origin {
    upstream: String,
    server: usize,
    reply: Option<&'static TestMessage>,
    record: Record,
    transport: Arc<Transport>,
}

impl Origin {
    async fn serve(self, socket: TcpListener) {
        let origin = Arc::new(self);
        while let Ok((stream, _)) = socket.accept().await {
            let origin = origin.clone();
            tokio::spawn(async move {
                match &*origin.transport {
                    Transport::Plain => origin.clone().connection(stream).await,
                    Transport::Tls(acceptor) => {
                        if let Ok((stream, _)) = acceptor.accept(stream).await {
                            origin.clone().connection(stream).await;
                        }
                    }
                    Transport::Uncertified => origin
                        .record
                        .uncertified
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(origin.upstream.clone()),
                }
            });
        }
    }

    /// Serves HTTP/1.1 or HTTP/2 on one connection.
    async fn connection<I>(self: Arc<Self>, io: I)
    where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let service = service_fn(move |req| {
            let origin = self.clone();
            async move { Ok::<_, hyper::Error>(origin.answer(req).await) }
        });
        let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
        let _ = builder.serve_connection(TokioIo::new(io), service).await;
    }

    async fn answer(&self, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
        let (parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let path = parts
            .uri
            .path_and_query()
            .map_or_else(|| parts.uri.path().to_string(), ToString::to_string);
        self.record
            .seen
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(Seen {
                upstream: self.upstream.clone(),
                server: self.server,
                method: parts.method.to_string(),
                path,
                headers: parts.headers,
                body,
            });
        match self.reply {
            Some(reply) => message_response(reply),
            // A test without `reply`: an empty 200 (it fails unless it expects the upstream).
            None => Response::new(Full::new(Bytes::new())),
        }
    }
}

/// The reply the test gave, as a response (the compiler checked the status and headers).
fn message_response(reply: &'static TestMessage) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from_static(reply.body.as_bytes())));
    *response.status_mut() = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK);
    add_headers(response.headers_mut(), reply.headers);
    response
}

fn add_headers(map: &mut HeaderMap, headers: &'static [(&'static str, &'static str)]) {
    for (name, value) in headers {
        if let Ok(name) = http::HeaderName::from_bytes(name.as_bytes()) {
            map.append(name, HeaderValue::from_static(value));
        }
    }
}

/// Sends the test's request (with `token`, signed) to the proxy at `addr` and reads the whole
/// response.
async fn exchange(
    addr: SocketAddr,
    case: &'static TestCase,
    token: Option<&str>,
) -> Result<Got, String> {
    let request = &case.request;
    let mut stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connecting to the proxy: {e}"))?;
    let client: std::net::IpAddr = request
        .client
        .parse()
        .map_err(|_| format!("client address {:?}", request.client))?;
    let family = if client.is_ipv4() { "TCP4" } else { "TCP6" };
    let destination = match client {
        std::net::IpAddr::V4(_) => addr.ip().to_string(),
        std::net::IpAddr::V6(_) => "::1".to_string(),
    };
    let header = format!(
        "PROXY {family} {client} {destination} 40000 {}\r\n",
        addr.port()
    );
    stream
        .write_all(header.as_bytes())
        .await
        .map_err(|e| format!("sending the PROXY header: {e}"))?;
    match &request.tls {
        Some(tls) => {
            let stream = tls_connect(tls, stream).await?;
            send(stream, case, token).await
        }
        None => send(stream, case, token).await,
    }
}

/// TLS to the proxy as the test's client: its SNI, its certificate if it has one, no
/// verification of the proxy's (the test checks the program, not its certificates).
async fn tls_connect(
    tls: &'static TestTls,
    stream: TcpStream,
) -> Result<tokio_boring::SslStream<TcpStream>, String> {
    use boring::ssl::{SslConnector, SslFiletype, SslMethod, SslVerifyMode};
    let fail = |what: &str, e: boring::error::ErrorStack| format!("{what}: {e}");
    let mut builder =
        SslConnector::builder(SslMethod::tls()).map_err(|e| fail("a TLS client", e))?;
    builder.set_verify(SslVerifyMode::NONE);
    builder
        .set_alpn_protos(b"\x08http/1.1")
        .map_err(|e| fail("ALPN", e))?;
    if let Some((cert, key)) = tls.certificate {
        builder
            .set_certificate_chain_file(cert)
            .map_err(|e| fail(&format!("the client certificate {cert}"), e))?;
        builder
            .set_private_key_file(key, SslFiletype::PEM)
            .map_err(|e| fail(&format!("the client key {key}"), e))?;
    }
    let mut setup = builder
        .build()
        .configure()
        .map_err(|e| fail("a TLS client", e))?;
    setup.set_verify_hostname(false);
    tokio_boring::connect(setup, tls.sni, stream)
        .await
        .map_err(|e| format!("the TLS handshake with the proxy ({}): {e}", tls.sni))
}

/// Sends the test's request over `io` (after the PROXY header, and TLS if any) and reads the
/// whole response.
async fn send<T>(io: T, case: &'static TestCase, token: Option<&str>) -> Result<Got, String>
where
    T: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let request = &case.request;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| format!("HTTP/1.1 handshake: {e}"))?;
    let connection = tokio::spawn(connection);
    let mut req = Request::new(Full::new(Bytes::from_static(
        request.message.body.as_bytes(),
    )));
    *req.method_mut() = http::Method::from_bytes(request.method.as_bytes())
        .map_err(|_| format!("method {:?}", request.method))?;
    *req.uri_mut() = request
        .path
        .parse()
        .map_err(|_| format!("path {:?}", request.path))?;
    let headers = req.headers_mut();
    if !request
        .message
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("host"))
    {
        headers.insert(http::header::HOST, HeaderValue::from_static(request.host));
    }
    add_headers(headers, request.message.headers);
    if let (Some(token), Some(written)) = (token, &request.token) {
        let (name, value) = match written.cookie {
            Some(cookie) => (http::header::COOKIE, format!("{cookie}={token}")),
            None => (http::header::AUTHORIZATION, format!("Bearer {token}")),
        };
        let value = HeaderValue::try_from(value).map_err(|e| format!("the token: {e}"))?;
        headers.append(name, value);
    }
    let response = sender
        .send_request(req)
        .await
        .map_err(|e| format!("the proxy gave no response: {e}"))?;
    let (parts, body) = response.into_parts();
    let body = body
        .collect()
        .await
        .map_err(|e| format!("the response body broke off: {e}"))?
        .to_bytes();
    drop(sender);
    connection.abort();
    Ok(Got {
        status: parts.status,
        headers: parts.headers,
        body,
    })
}
