//! Upstreams end to end: pools, health checks, retries, timeouts and discovery, with real
//! sockets on 127.0.0.1. Every wait is bounded; every server and task stops at the end.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::{closed_port, upstream, Origin, ProxyServer, H1, TIMEOUT};
use http::Request;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use pxy_runtime::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

// ===== the proxy under test =====

/// Sends everything to one upstream; `x-key` selects by consistent hash.
struct UpProxy {
    upstream: Upstream,
    errors: Mutex<Vec<ErrorKind>>,
}

impl Proxy for UpProxy {
    type Ctx = ();

    fn new_ctx(&self) -> Self::Ctx {}

    fn upstreams(&self) -> Vec<&Upstream> {
        vec![&self.upstream]
    }

    async fn upstream_peer(&self, session: &mut Session, _ctx: &mut ()) -> Result<Peer> {
        match session.header("x-key") {
            Some(key) => self.upstream.select_by_key(key.as_bytes()),
            None => self.upstream.select(),
        }
    }

    fn logging(
        &self,
        _session: &mut Session,
        error: Option<&Error>,
        _ctx: &mut (),
        _fields: &mut LogFields,
    ) {
        if let Some(error) = error {
            self.errors.lock().expect("lock").push(error.kind());
        }
    }
}

type Server = ProxyServer<UpProxy>;

impl ProxyServer<UpProxy> {
    async fn start(upstream: Upstream) -> Server {
        ProxyServer::serve(UpProxy {
            upstream,
            errors: Mutex::new(Vec::new()),
        })
        .await
    }

    fn backend(&self, addr: SocketAddr) -> Arc<Backend> {
        self.proxy
            .upstream
            .backends()
            .into_iter()
            .find(|b| b.addr() == addr)
            .expect("backend in the upstream")
    }

    fn errors(&self) -> Vec<ErrorKind> {
        self.proxy.errors.lock().expect("lock").clone()
    }
}

/// Waits (bounded) until `condition` holds.
async fn eventually(what: &str, condition: impl Fn() -> bool) {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while !condition() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn request(method: &str, path: &str, body: &'static str) -> Request<Full<Bytes>> {
    Request::builder()
        .method(method)
        .uri(path)
        .header("host", "proxied.test")
        .body(Full::new(Bytes::from_static(body.as_bytes())))
        .expect("valid request")
}

// ===== origins =====

/// A hyper origin whose `/health` answer can be switched, bound to a chosen address so it
/// can be killed and brought back. `/slow` answers after 500 ms; anything else answers its
/// port. `/health` is not counted in `requests`.
struct Toggle {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    healthy: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Toggle {
    async fn start() -> Toggle {
        Toggle::start_on("127.0.0.1:0".parse().expect("address")).await
    }

    async fn start_on(addr: SocketAddr) -> Toggle {
        let listener = TcpListener::bind(addr).await.expect("bind origin");
        let addr = listener.local_addr().expect("origin address");
        let requests = Arc::new(AtomicUsize::new(0));
        let healthy = Arc::new(AtomicBool::new(true));
        let (count, health) = (requests.clone(), healthy.clone());
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                let (count, health) = (count.clone(), health.clone());
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        toggle_handle(addr, count.clone(), health.clone(), req)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        Toggle {
            addr,
            requests,
            healthy,
            task,
        }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }
}

impl Drop for Toggle {
    fn drop(&mut self) {
        // Aborting the accept task drops its connection tasks: every connection closes.
        self.task.abort();
    }
}

async fn toggle_handle(
    addr: SocketAddr,
    count: Arc<AtomicUsize>,
    healthy: Arc<AtomicBool>,
    req: Request<Incoming>,
) -> std::result::Result<http::Response<Full<Bytes>>, Infallible> {
    let mut response = http::Response::new(Full::new(Bytes::from(addr.port().to_string())));
    if req.uri().path() == "/health" {
        if !healthy.load(Ordering::SeqCst) {
            *response.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
        }
        return Ok(response);
    }
    count.fetch_add(1, Ordering::SeqCst);
    if req.uri().path() == "/slow" {
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Ok(response)
}

/// A raw origin: reads one request head per connection, then resets the connection (RST)
/// without answering.
struct Resetter {
    addr: SocketAddr,
    seen: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl Resetter {
    async fn start() -> Resetter {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let seen = Arc::new(AtomicUsize::new(0));
        let count = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let count = count.clone();
                tokio::spawn(async move {
                    if read_head(&mut stream).await.is_some() {
                        count.fetch_add(1, Ordering::SeqCst);
                    }
                    // Linger 0: closing sends RST, not FIN.
                    let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
                });
            }
        });
        Resetter { addr, seen, task }
    }
}

impl Drop for Resetter {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A raw HTTP/1.1 origin that keeps connections alive but closes any connection idle for
/// `idle`, as many origins do. Answers every request `200 ok`.
struct IdleCloser {
    addr: SocketAddr,
    connections: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl IdleCloser {
    async fn start(idle: Duration) -> IdleCloser {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let connections = Arc::new(AtomicUsize::new(0));
        let count = connections.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    while let Ok(Some(_)) = tokio::time::timeout(idle, read_head(&mut stream)).await
                    {
                        let reply = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
                        if stream.write_all(reply).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        IdleCloser {
            addr,
            connections,
            task,
        }
    }
}

impl Drop for IdleCloser {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads up to the end of a request head (bodiless requests only); `None` at EOF.
async fn read_head(stream: &mut tokio::net::TcpStream) -> Option<()> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || stream.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    Some(())
}

// ===== pools =====

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_beyond_max_open_wait_then_get_503() {
    let origin = Origin::start("a").await;
    let options = UpstreamOptions {
        max_open_per_backend: Some(1),
        pool_wait: Duration::from_millis(200),
        ..UpstreamOptions::default()
    };
    let mut server = Server::start(upstream(&[origin.addr], options)).await;
    let addr = server.addr;
    let slow = tokio::spawn(async move { H1::connect(addr).await.get("/slow").await });
    eventually("the slow request reaches the origin", || {
        origin.requests() == 1
    })
    .await;

    let mut client = H1::connect(server.addr).await;
    let started = std::time::Instant::now();
    let (parts, _) = client.get("/").await;
    assert_eq!(parts.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() >= Duration::from_millis(200));

    let (parts, body) = slow.await.expect("slow client");
    assert_eq!((parts.status, &body[..]), (StatusCode::OK, &b"slow"[..]));
    let (parts, _) = client.get("/").await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(origin.connections.load(Ordering::SeqCst), 1);
    assert_eq!(server.errors(), [ErrorKind::Overloaded]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_reuse_is_proven_by_the_origins_connection_count() {
    let origin = Origin::start("a").await;
    let options = UpstreamOptions {
        max_open_per_backend: Some(2),
        pool_wait: Duration::from_secs(5),
        ..UpstreamOptions::default()
    };
    let mut server = Server::start(upstream(&[origin.addr], options)).await;
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..4 {
        let addr = server.addr;
        clients.spawn(async move {
            let mut client = H1::connect(addr).await;
            for _ in 0..25 {
                assert_eq!(client.get("/").await.0.status, StatusCode::OK);
            }
        });
    }
    while let Some(done) = clients.join_next().await {
        done.expect("client");
    }
    assert_eq!(origin.requests(), 100);
    let connections = origin.connections.load(Ordering::SeqCst);
    assert!((1..=2).contains(&connections), "{connections} connections");
    let backend = server.backend(origin.addr);
    assert!(backend.open_connections() <= 2);
    assert_eq!(backend.in_flight(), 0);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_the_origin_closed_are_never_handed_out() {
    let origin = IdleCloser::start(Duration::from_millis(100)).await;
    let mut server = Server::start(upstream(&[origin.addr], UpstreamOptions::default())).await;
    let mut client = H1::connect(server.addr).await;
    for _ in 0..3 {
        let (parts, body) = client.get("/").await;
        assert_eq!((parts.status, &body[..]), (StatusCode::OK, &b"ok"[..]));
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(origin.connections.load(Ordering::SeqCst), 3);
    assert!(server.errors().is_empty(), "{:?}", server.errors());
    server.shutdown().await;
}

// ===== health =====

fn http_check(rise: u32, fall: u32) -> HealthCheck {
    HealthCheck {
        interval: Duration::from_millis(30),
        timeout: Duration::from_millis(500),
        rise,
        fall,
        ..HealthCheck::http("/health")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_http_checks_take_a_backend_out_and_bring_it_back() {
    let a = Toggle::start().await;
    let b = Toggle::start().await;
    let options = UpstreamOptions {
        health_check: Some(http_check(2, 2)),
        ..UpstreamOptions::default()
    };
    let mut server = Server::start(upstream(&[a.addr, b.addr], options)).await;
    let backend_a = server.backend(a.addr);
    let mut client = H1::connect(server.addr).await;

    a.healthy.store(false, Ordering::SeqCst);
    eventually("a is marked down", || !backend_a.is_healthy()).await;
    let before = a.requests();
    for _ in 0..10 {
        let (parts, body) = client.get("/").await;
        assert_eq!(parts.status, StatusCode::OK);
        assert_eq!(body, b.addr.port().to_string());
    }
    assert_eq!(a.requests(), before);

    a.healthy.store(true, Ordering::SeqCst);
    eventually("a is back up", || backend_a.is_healthy()).await;
    for _ in 0..10 {
        assert_eq!(client.get("/").await.0.status, StatusCode::OK);
    }
    assert!(a.requests() > before);
    assert_eq!(backend_a.health_transitions(), 2);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passive_health_ejects_after_connect_errors_until_the_cool_down_ends() {
    let dead = closed_port().await;
    let good = Origin::start("good").await;
    let options = UpstreamOptions {
        passive_health: Some(PassiveHealth {
            max_fails: 2,
            cool_down: Duration::from_millis(300),
        }),
        ..UpstreamOptions::default()
    };
    let mut server = Server::start(upstream(&[dead, good.addr], options)).await;
    let dead_backend = server.backend(dead);
    let mut client = H1::connect(server.addr).await;
    for _ in 0..10 {
        assert_eq!(client.get("/").await.0.status, StatusCode::OK);
    }
    // Two attempts failed (each retried on the good backend), then the dead one was out.
    assert_eq!(dead_backend.requests(), 2);
    assert!(!dead_backend.is_healthy());

    tokio::time::sleep(Duration::from_millis(350)).await;
    for _ in 0..4 {
        assert_eq!(client.get("/").await.0.status, StatusCode::OK);
    }
    assert!(dead_backend.requests() > 2, "not tried after the cool-down");
    assert_eq!(good.requests(), 14);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn all_down_answers_503_when_declared_and_tries_anyway_otherwise() {
    for (all_down, expected) in [
        (AllDown::Unavailable, StatusCode::SERVICE_UNAVAILABLE),
        (AllDown::TryAnyway, StatusCode::OK),
    ] {
        let origin = Toggle::start().await;
        origin.healthy.store(false, Ordering::SeqCst);
        let options = UpstreamOptions {
            health_check: Some(http_check(2, 1)),
            all_down,
            ..UpstreamOptions::default()
        };
        let mut server = Server::start(upstream(&[origin.addr], options)).await;
        let backend = server.backend(origin.addr);
        eventually("the origin is marked down", || !backend.is_healthy()).await;
        let mut client = H1::connect(server.addr).await;
        assert_eq!(client.get("/").await.0.status, expected, "{all_down:?}");
        let reached = usize::from(expected == StatusCode::OK);
        assert_eq!(origin.requests(), reached, "{all_down:?}");
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_an_origin_halfway_fails_no_request_and_it_returns_after_rise() {
    let a = Toggle::start().await;
    let b = Toggle::start().await;
    let a_addr = a.addr;
    let options = UpstreamOptions {
        health_check: Some(HealthCheck {
            interval: Duration::from_millis(20),
            timeout: Duration::from_millis(200),
            rise: 2,
            fall: 1,
            ..HealthCheck::tcp()
        }),
        ..UpstreamOptions::default()
    };
    let mut server = Server::start(upstream(&[a.addr, b.addr], options)).await;
    let backend_a = server.backend(a_addr);
    let mut client = H1::connect(server.addr).await;
    let mut a = Some(a);
    let mut failed = 0;
    for i in 0..200 {
        if i == 100 {
            drop(a.take());
        }
        if client.get("/").await.0.status != StatusCode::OK {
            failed += 1;
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(failed, 0);
    assert!(!backend_a.is_healthy());

    let revived = Toggle::start_on(a_addr).await;
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while revived.requests() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "a never got traffic again"
        );
        assert_eq!(client.get("/").await.0.status, StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert!(backend_a.is_healthy());
    assert!(server.errors().is_empty(), "{:?}", server.errors());
    server.shutdown().await;
}

// ===== failures: timeouts and retries =====

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn total_timeout_gives_504() {
    let origin = Origin::start("a").await;
    let options = UpstreamOptions {
        total_timeout: Some(Duration::from_millis(300)),
        read_timeout: Duration::from_secs(30),
        ..UpstreamOptions::default()
    };
    let mut server = Server::start(upstream(&[origin.addr], options)).await;
    let mut client = H1::connect(server.addr).await;
    let started = std::time::Instant::now();
    let (parts, _) = client.get("/never").await;
    assert_eq!(parts.status, StatusCode::GATEWAY_TIMEOUT);
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(300) && elapsed < Duration::from_secs(5));
    assert_eq!(server.errors(), [ErrorKind::TotalTimeout]);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotent_requests_are_retried_after_a_reset_and_post_is_not() {
    let reset = Resetter::start().await;
    let good = Origin::start("good").await;
    let mut server = Server::start(upstream(
        &[reset.addr, good.addr],
        UpstreamOptions::default(),
    ))
    .await;
    let mut client = H1::connect(server.addr).await;

    // Round robin sends every first attempt to the resetting origin.
    let (parts, body) = client.get("/").await;
    assert_eq!((parts.status, &body[..]), (StatusCode::OK, &b"good"[..]));
    assert_eq!(reset.seen.load(Ordering::SeqCst), 1);

    let (parts, body) = client.send(request("PUT", "/echo", "replayed")).await;
    assert_eq!(
        (parts.status, &body[..]),
        (StatusCode::OK, &b"replayed"[..])
    );
    assert_eq!(reset.seen.load(Ordering::SeqCst), 2);

    let (parts, _) = client.send(request("POST", "/echo", "once")).await;
    assert_eq!(parts.status, StatusCode::BAD_GATEWAY);
    assert_eq!(reset.seen.load(Ordering::SeqCst), 3);
    assert!(good
        .seen
        .lock()
        .expect("lock")
        .iter()
        .all(|s| s.method != "POST"));
    assert_eq!(good.requests(), 2);
    server.shutdown().await;
}

// ===== discovery =====

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_discovery_resolves_localhost() {
    let origin = Origin::start("a").await;
    let discovery = Discovery::Dns {
        name: "localhost".into(),
        port: origin.addr.port(),
        interval: Duration::from_millis(50),
    };
    let upstream = Upstream::discovered(
        "dns",
        discovery,
        Balance::RoundRobin,
        UpstreamOptions::default(),
    )
    .expect("localhost resolves");
    assert!(upstream.backends().iter().any(|b| b.addr() == origin.addr));
    let mut server = Server::start(upstream).await;
    let mut client = H1::connect(server.addr).await;
    // localhost may also resolve to ::1, where nothing listens: those attempts are retried.
    for _ in 0..6 {
        assert_eq!(client.get("/").await.1, "a");
    }
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert_eq!(client.get("/").await.1, "a");
    assert_eq!(origin.requests(), 7);
    server.shutdown().await;
}

/// A file in the temporary directory, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(name: &str) -> TempFile {
        let path = std::env::temp_dir().join(format!("pxy-{}-{name}", std::process::id()));
        TempFile(path)
    }

    /// Replaces the content atomically (write then rename), as deployment tools do.
    fn write(&self, content: &str) {
        let staging = self.0.with_extension("new");
        std::fs::write(&staging, content).expect("write");
        std::fs::rename(&staging, &self.0).expect("rename");
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_discovery_switches_backends_without_dropping_in_flight_requests() {
    let a = Origin::start("a").await;
    let b = Origin::start("b").await;
    let file = TempFile::new("backends.txt");
    file.write(&format!("# test backends\n{}\n", a.addr));
    let discovery = Discovery::File {
        path: file.0.clone(),
        interval: Duration::from_millis(30),
    };
    let upstream = Upstream::discovered(
        "file",
        discovery,
        Balance::RoundRobin,
        UpstreamOptions::default(),
    )
    .expect("valid file");
    let mut server = Server::start(upstream).await;
    let mut client = H1::connect(server.addr).await;
    assert_eq!(client.get("/").await.1, "a");

    let addr = server.addr;
    let slow = tokio::spawn(async move { H1::connect(addr).await.get("/slow").await });
    eventually("the slow request reaches a", || a.requests() == 2).await;
    file.write(&format!("{} weight=2\n", b.addr));
    eventually("the file is applied", || {
        server
            .proxy
            .upstream
            .backends()
            .iter()
            .map(|b| b.addr())
            .collect::<Vec<_>>()
            == [b.addr]
    })
    .await;
    for _ in 0..5 {
        assert_eq!(client.get("/").await.1, "b");
    }
    let (parts, body) = slow.await.expect("slow client");
    assert_eq!((parts.status, &body[..]), (StatusCode::OK, &b"slow"[..]));
    assert_eq!(a.requests(), 2);
    assert_eq!(b.requests(), 5);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consistent_hashing_sends_a_key_to_one_origin() {
    let origins = [
        Origin::start("a").await,
        Origin::start("b").await,
        Origin::start("c").await,
    ];
    let addrs: Vec<SocketAddr> = origins.iter().map(|o| o.addr).collect();
    let backends = addrs.iter().map(|&a| BackendConfig::new(a)).collect();
    let upstream = Upstream::new("hash", backends, Balance::Hash, UpstreamOptions::default())
        .expect("valid upstream");
    let mut server = Server::start(upstream).await;
    let mut client = H1::connect(server.addr).await;
    for user in ["alice", "bob", "carol", "dave"] {
        let mut bodies = Vec::new();
        for _ in 0..5 {
            let req = Request::get("/")
                .header("host", "proxied.test")
                .header("x-key", user)
                .body(Full::new(Bytes::new()))
                .expect("valid request");
            bodies.push(client.send(req).await.1);
        }
        assert!(bodies.iter().all(|b| *b == bodies[0]), "{user}: {bodies:?}");
    }
    server.shutdown().await;
}
