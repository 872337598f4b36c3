//! Test harness: real hyper origins and an in-process proxy on 127.0.0.1, plus clients.
#![allow(dead_code)] // each test file uses a different subset

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use pxy_runtime::prelude::*;
use pxy_runtime::ClientLimits;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const TIMEOUT: Duration = Duration::from_secs(10);

/// What an origin saw of one request.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub uri: String,
    pub headers: http::HeaderMap,
}

/// A hyper HTTP/1.1 origin on 127.0.0.1. Routes: `/slow` answers after 500 ms, `/never`
/// never answers, `/echo` streams the request body back, `/big` sends 8 MiB, anything else
/// answers 200 with the origin's name. Stopped on drop.
pub struct Origin {
    pub addr: SocketAddr,
    pub connections: Arc<AtomicUsize>,
    pub seen: Arc<Mutex<Vec<Seen>>>,
    task: JoinHandle<()>,
}

pub const BIG: usize = 8 * 1024 * 1024;

impl Origin {
    pub async fn start(name: &'static str) -> Origin {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind origin");
        let addr = listener.local_addr().expect("origin address");
        let connections = Arc::new(AtomicUsize::new(0));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (conns, log) = (connections.clone(), seen.clone());
        let task = tokio::spawn(async move {
            let mut tasks = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                conns.fetch_add(1, Ordering::SeqCst);
                let log = log.clone();
                tasks.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        origin_handle(name, log.clone(), req)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Origin {
            addr,
            connections,
            seen,
            task,
        }
    }

    pub fn requests(&self) -> usize {
        self.seen.lock().expect("lock").len()
    }

    pub fn last(&self) -> Seen {
        self.seen
            .lock()
            .expect("lock")
            .last()
            .cloned()
            .expect("the origin saw a request")
    }
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

type OriginBody = http_body_util::combinators::BoxBody<Bytes, hyper::Error>;

async fn origin_handle(
    name: &'static str,
    log: Arc<Mutex<Vec<Seen>>>,
    req: Request<Incoming>,
) -> Result<Response<OriginBody>, Infallible> {
    log.lock().expect("lock").push(Seen {
        method: req.method().to_string(),
        uri: req.uri().to_string(),
        headers: req.headers().clone(),
    });
    let full = |b: Bytes| Full::new(b).map_err(|never| match never {}).boxed();
    let response = match req.uri().path() {
        "/slow" => {
            tokio::time::sleep(Duration::from_millis(500)).await;
            Response::new(full(Bytes::from_static(b"slow")))
        }
        "/never" => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            Response::new(full(Bytes::new()))
        }
        "/echo" => Response::new(req.into_body().boxed()),
        "/big" => Response::new(full(Bytes::from(vec![b'x'; BIG]))),
        _ => Response::builder()
            .header("x-origin", name)
            .header("x-origin-secret", "s3cr3t")
            .header("connection", "x-origin-hop")
            .header("x-origin-hop", "1")
            .header("keep-alive", "timeout=5")
            .body(full(Bytes::from(name)))
            .expect("valid response"),
    };
    Ok(response)
}

/// A port nothing listens on.
pub async fn closed_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    listener.local_addr().expect("address")
}

/// The test proxy: `/local` answers locally, everything else goes to `upstream`.
pub struct TestProxy {
    pub upstream: Upstream,
    pub logged: AtomicUsize,
    pub errors: Mutex<Vec<ErrorKind>>,
}

impl TestProxy {
    pub fn new(upstream: Upstream) -> TestProxy {
        TestProxy {
            upstream,
            logged: AtomicUsize::new(0),
            errors: Mutex::new(Vec::new()),
        }
    }
}

impl Proxy for TestProxy {
    type Ctx = Vec<&'static str>;

    fn new_ctx(&self) -> Self::Ctx {
        Vec::new()
    }

    async fn request_filter(
        &self,
        session: &mut Session,
        ctx: &mut Self::Ctx,
    ) -> Result<Option<pxy_runtime::Response>> {
        ctx.push("request_filter");
        if session.path() == "/local" {
            return Ok(Some(
                pxy_runtime::Response::new(StatusCode::OK)
                    .with_body("local")
                    .with_header(
                        HeaderName::from_static("x-local"),
                        HeaderValue::from_static("yes"),
                    ),
            ));
        }
        Ok(None)
    }

    async fn upstream_peer(&self, _session: &mut Session, ctx: &mut Self::Ctx) -> Result<Peer> {
        ctx.push("upstream_peer");
        self.upstream.select()
    }

    async fn upstream_request_filter(
        &self,
        _session: &mut Session,
        req: &mut http::request::Parts,
        _ctx: &mut Self::Ctx,
    ) -> Result<()> {
        req.headers
            .insert("x-added-by-proxy", HeaderValue::from_static("1"));
        req.headers.remove("x-remove-me");
        Ok(())
    }

    fn response_filter(
        &self,
        _session: &mut Session,
        resp: &mut http::response::Parts,
        _ctx: &mut Self::Ctx,
    ) -> Result<()> {
        resp.headers
            .insert("x-proxy", HeaderValue::from_static("pxy"));
        resp.headers.remove("x-origin-secret");
        Ok(())
    }

    fn logging(
        &self,
        _session: &mut Session,
        error: Option<&Error>,
        _ctx: &mut Self::Ctx,
        _fields: &mut LogFields,
    ) {
        if let Some(error) = error {
            self.errors.lock().expect("lock").push(error.kind());
        }
        self.logged.fetch_add(1, Ordering::SeqCst);
    }
}

/// A proxy under test (by default [`TestProxy`]), served in-process on 127.0.0.1; stopped by
/// [`ProxyServer::shutdown`] or on drop.
pub struct ProxyServer<P: Proxy = TestProxy> {
    pub addr: SocketAddr,
    pub proxy: Arc<P>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<()>>>,
}

impl ProxyServer<TestProxy> {
    /// [`TestProxy`] in front of `upstream`.
    pub async fn start(upstream: Upstream) -> ProxyServer {
        ProxyServer::serve(TestProxy::new(upstream)).await
    }
}

impl<P: Proxy> ProxyServer<P> {
    /// Serves `proxy` on a free port, without an access log, with a 5 s grace period.
    pub async fn serve(proxy: P) -> ProxyServer<P> {
        ProxyServer::serve_limited(proxy, ClientLimits::default()).await
    }

    /// [`ProxyServer::serve`] with the client limits `limits`.
    pub async fn serve_limited(proxy: P, limits: ClientLimits) -> ProxyServer<P> {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().expect("proxy address");
        let proxy = Arc::new(proxy);
        let (stop, stopped) = oneshot::channel::<()>();
        let options = ServeOptions {
            access_log: false,
            grace_period: Duration::from_secs(5),
            limits,
        };
        let task = tokio::spawn(pxy_runtime::serve_with(
            proxy.clone(),
            vec![listener.into()],
            options,
            async move {
                let _ = stopped.await;
            },
        ));
        ProxyServer {
            addr,
            proxy,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Asks the server to stop and waits (bounded) for it to return.
    pub async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            tokio::time::timeout(TIMEOUT, task)
                .await
                .expect("server stops in time")
                .expect("server task")
                .expect("serve returns Ok");
        }
    }
}

impl ProxyServer<TestProxy> {
    /// Waits (bounded) until `logging` ran `n` times in total.
    pub async fn wait_logged(&self, n: usize) {
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        while self.proxy.logged.load(Ordering::SeqCst) < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "logging ran fewer than {n} times"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert_eq!(
            self.proxy.logged.load(Ordering::SeqCst),
            n,
            "logging ran more than once"
        );
    }
}

impl<P: Proxy> Drop for ProxyServer<P> {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

pub fn upstream(addrs: &[SocketAddr], options: UpstreamOptions) -> Upstream {
    let backends = addrs.iter().map(|&addr| BackendConfig::new(addr)).collect();
    Upstream::new("test", backends, Balance::RoundRobin, options).expect("valid upstream")
}

/// An HTTP/1.1 client connection.
pub struct H1 {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
    task: JoinHandle<()>,
}

impl H1 {
    pub async fn connect(addr: SocketAddr) -> H1 {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .expect("handshake");
        let task = tokio::spawn(async move {
            let _ = conn.await;
        });
        H1 { sender, task }
    }

    /// Sends `req` and reads the whole response, within [`TIMEOUT`].
    pub async fn send(&mut self, req: Request<Full<Bytes>>) -> (http::response::Parts, Bytes) {
        tokio::time::timeout(TIMEOUT, async {
            self.sender.ready().await.expect("connection ready");
            let resp = self.sender.send_request(req).await.expect("response");
            let (parts, body) = resp.into_parts();
            let body = body.collect().await.expect("body").to_bytes();
            (parts, body)
        })
        .await
        .expect("response in time")
    }

    pub async fn get(&mut self, path: &str) -> (http::response::Parts, Bytes) {
        self.send(get(path)).await
    }
}

impl Drop for H1 {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub fn get(path: &str) -> Request<Full<Bytes>> {
    Request::get(path)
        .header("host", "proxied.test")
        .body(Full::new(Bytes::new()))
        .expect("valid request")
}

/// Writes `pieces` on a new connection, pausing 20 ms between them so that each arrives in
/// its own read, and reads until the proxy closes the connection (bounded).
pub async fn raw_exchange_in_pieces(addr: SocketAddr, pieces: &[&[u8]]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    for (i, piece) in pieces.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        stream.write_all(piece).await.expect("write");
    }
    let mut out = Vec::new();
    let read = tokio::time::timeout(TIMEOUT, stream.read_to_end(&mut out)).await;
    assert!(read.is_ok(), "proxy did not close the connection");
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes `raw` on a new connection and reads until the proxy closes it (bounded).
pub async fn raw_exchange(addr: SocketAddr, raw: &[u8]) -> String {
    raw_exchange_in_pieces(addr, &[raw]).await
}

/// An HTTP/2 cleartext (prior knowledge) client connection.
pub struct H2 {
    pub sender: hyper::client::conn::http2::SendRequest<Full<Bytes>>,
    task: JoinHandle<()>,
}

impl H2 {
    pub async fn connect(addr: SocketAddr) -> H2 {
        let stream = TcpStream::connect(addr).await.expect("connect");
        let (sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
                .await
                .expect("h2 handshake");
        let task = tokio::spawn(async move {
            let _ = conn.await;
        });
        H2 { sender, task }
    }

    pub async fn send(&mut self, req: Request<Full<Bytes>>) -> (http::response::Parts, Bytes) {
        tokio::time::timeout(TIMEOUT, async {
            self.sender.ready().await.expect("connection ready");
            let resp = self.sender.send_request(req).await.expect("response");
            let (parts, body) = resp.into_parts();
            let body = body.collect().await.expect("body").to_bytes();
            (parts, body)
        })
        .await
        .expect("response in time")
    }
}

impl Drop for H2 {
    fn drop(&mut self) {
        self.task.abort();
    }
}
