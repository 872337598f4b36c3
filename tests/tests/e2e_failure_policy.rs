//! An upstream's failure policy in a real proxy process, with real clients and counting
//! origins: `retry_on` statuses retried on another server for idempotent methods only (the
//! discarded response's connection kept), `retry_non_idempotent` for connect failures, the
//! retry budget, `try_timeout`, the default ejection of a server whose connects time out,
//! and the cap on gRPC deadlines.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use pxy_tests::{build_source, free_addr, HttpClient, Origin, ProxyProcess};
use tokio::net::{TcpListener, TcpSocket};

/// An origin answering every request with one status and a body of `body_len` bytes after
/// `delay`, counting requests (by method) and TCP connections.
struct Scripted {
    addr: SocketAddr,
    methods: Arc<Mutex<Vec<String>>>,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Scripted {
    async fn start(status: u16, body_len: usize, delay: Duration) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("address");
        let methods = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (m, c) = (methods.clone(), connections.clone());
        let task = tokio::spawn(async move {
            let mut open = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                let m = m.clone();
                open.spawn(async move {
                    let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                        m.lock().expect("lock").push(req.method().to_string());
                        async move {
                            tokio::time::sleep(delay).await;
                            let mut resp =
                                hyper::Response::new(Full::new(Bytes::from(vec![b'x'; body_len])));
                            *resp.status_mut() =
                                hyper::StatusCode::from_u16(status).expect("status");
                            Ok::<_, std::convert::Infallible>(resp)
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        });
        Scripted {
            addr,
            methods,
            connections,
            task,
        }
    }

    fn requests(&self, method: &str) -> usize {
        let methods = self.methods.lock().expect("lock");
        methods.iter().filter(|m| *m == method).count()
    }
}

impl Drop for Scripted {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A listening socket whose accept queue is full and never drained: connects to it time out
/// (the kernel drops their SYNs), as with a blackholed server.
struct Blackhole {
    addr: SocketAddr,
    _listener: TcpListener,
    _queued: Vec<std::net::TcpStream>,
}

impl Blackhole {
    fn start() -> Blackhole {
        let socket = TcpSocket::new_v4().expect("socket");
        socket
            .bind("127.0.0.1:0".parse().expect("address"))
            .expect("bind");
        let listener = socket.listen(0).expect("listen");
        let addr = listener.local_addr().expect("address");
        // A backlog of 0 queues one connection; fill it (a second may queue or time out).
        let queued = (0..2)
            .filter_map(|_| {
                std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).ok()
            })
            .collect();
        Blackhole {
            addr,
            _listener: listener,
            _queued: queued,
        }
    }
}

const RETRY_PROGRAM: &str = r#"
listen http LISTEN

upstream flaky {
    server BAD
    server GOOD
    retry_on 502, 503
}

upstream frugal {
    server BAD
    server GOOD
    retry_on 503
    retry_budget 1
    retry_budget_min 0
}

upstream strict {
    server DEAD
    server GOOD
}

upstream lenient {
    server DEAD
    server GOOD
    retry_non_idempotent on
}

upstream slow {
    server SLEEPY
    server GOOD
    try_timeout 300ms
}

route path "/flaky" { proxy flaky }
route path "/frugal" { proxy frugal }
route path "/strict" { proxy strict }
route path "/lenient" { proxy lenient }
route path "/slow" { proxy slow }
route { respond 404 }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statuses_are_retried_for_idempotent_methods_within_the_budget_and_per_try_timeout() {
    let listen = free_addr();
    let bad = Scripted::start(503, 8 * 1024, Duration::ZERO).await;
    let sleepy = Scripted::start(200, 2, Duration::from_secs(3)).await;
    let good = Origin::start("good", free_addr()).await;
    // A port nothing listens on: connects are refused.
    let dead = free_addr();
    let source = RETRY_PROGRAM
        .replace("LISTEN", &listen.to_string())
        .replace("BAD", &bad.addr.to_string())
        .replace("GOOD", &good.addr.to_string())
        .replace("DEAD", &dead.to_string())
        .replace("SLEEPY", &sleepy.addr.to_string());
    let bin = build_source("failure_policy", &source);
    let _proxy = ProxyProcess::start(&bin, &[], 1);
    let url = |path: &str| format!("http://{listen}{path}");
    let c = HttpClient::http1();

    // GET: every 503 of `bad` is retried on `good`.
    for _ in 0..10 {
        let r = c.get(&url("/flaky"), &[]).await;
        assert_eq!(r.status, 200, "retried on the good server: {}", r.body);
        assert_eq!(r.header("x-origin"), Some("good"));
    }
    let tried = bad.requests("GET");
    assert!(
        tried >= 5,
        "round robin sent half the first tries to bad: {tried}"
    );
    assert_eq!(
        bad.connections.load(Ordering::SeqCst),
        1,
        "each discarded 503 body was read to its end and its connection reused"
    );

    // POST: never retried on a status; round robin alternates, so half get the 503.
    let before = good.requests().len();
    let statuses: Vec<u16> = {
        let mut s = Vec::new();
        for _ in 0..4 {
            s.push(c.send("POST", &url("/flaky"), &[], "order").await.status);
        }
        s
    };
    assert_eq!(
        statuses.iter().filter(|&&s| s == 503).count(),
        2,
        "{statuses:?}"
    );
    assert_eq!(bad.requests("POST"), 2);
    assert_eq!(good.requests().len() - before, 2, "no POST went to both");

    // The budget: 1 % of one request in flight and no minimum leave no room for a retry.
    let mut frugal = Vec::new();
    for _ in 0..2 {
        frugal.push(c.get(&url("/frugal"), &[]).await.status);
    }
    assert!(
        frugal.contains(&503),
        "a 503 not retried for lack of budget: {frugal:?}"
    );

    // Connect failures: POST is retried only where `retry_non_idempotent on` (first, before
    // three failed connects eject the dead server); GET always.
    let mut strict = Vec::new();
    for _ in 0..2 {
        strict.push(c.send("POST", &url("/strict"), &[], "x").await.status);
    }
    assert!(
        strict.contains(&502),
        "a POST whose connect failed is not retried: {strict:?}"
    );
    for _ in 0..4 {
        assert_eq!(c.get(&url("/strict"), &[]).await.status, 200);
    }
    for _ in 0..4 {
        let r = c.send("POST", &url("/lenient"), &[], "x").await;
        assert_eq!(r.status, 200, "opted in: retried after the refused connect");
    }

    // try_timeout: a try that waits too long is cut and retried on another server (GET);
    // a POST gets 504 after the try timeout, not after the origin's 3 s.
    for _ in 0..2 {
        let started = Instant::now();
        let r = c.get(&url("/slow"), &[]).await;
        assert_eq!(r.status, 200);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
    assert!(
        sleepy.requests("GET") >= 1,
        "one of the two GETs tried sleepy first"
    );
    let mut posts = Vec::new();
    for _ in 0..2 {
        let started = Instant::now();
        let status = c.send("POST", &url("/slow"), &[], "x").await.status;
        posts.push((status, started.elapsed()));
    }
    let (status, took) = posts
        .iter()
        .find(|(s, _)| *s != 200)
        .copied()
        .expect("one POST went to sleepy");
    assert_eq!(status, 504);
    assert!(
        took < Duration::from_secs(2),
        "cut at the try timeout: {took:?}"
    );
}

const EJECTION_PROGRAM: &str = r#"
listen http LISTEN

upstream app {
    server HOLE
    server GOOD
    connect_timeout 500ms
}

route { proxy app }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_whose_connects_time_out_is_ejected_without_passive() {
    let listen = free_addr();
    let hole = Blackhole::start();
    let good = Origin::start("good", free_addr()).await;
    let source = EJECTION_PROGRAM
        .replace("LISTEN", &listen.to_string())
        .replace("HOLE", &hole.addr.to_string())
        .replace("GOOD", &good.addr.to_string());
    let bin = build_source("default_ejection", &source);
    let proxy = ProxyProcess::start(&bin, &[], 1);
    let url = format!("http://{listen}/");
    let c = HttpClient::http1();

    let mut slow = Vec::new();
    for i in 0..16 {
        let started = Instant::now();
        let r = c.get(&url, &[]).await;
        assert_eq!(r.status, 200, "retried on the good server");
        if started.elapsed() >= Duration::from_millis(400) {
            slow.push(i);
        }
    }
    // Three connect timeouts in a row eject the server (the default); then no request
    // waits for it until the cool-down (10 s) ends.
    assert!(
        slow.len() <= 3 && slow.iter().all(|&i| i < 8),
        "requests that paid the connect timeout: {slow:?}"
    );
    assert_eq!(good.requests().len(), 16);
    assert!(
        proxy.log_text().contains("backend ejected"),
        "the ejection is logged"
    );
}

const GRPC_PROGRAM: &str = r#"
listen http LISTEN

upstream rpc {
    server ORIGIN
    protocol h2
    grpc_max_timeout 500ms
}

route { proxy rpc }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_deadlines_are_lowered_to_the_cap_and_enforced() {
    let listen = free_addr();
    let origin = Origin::start("rpc", free_addr()).await;
    let source = GRPC_PROGRAM
        .replace("LISTEN", &listen.to_string())
        .replace("ORIGIN", &origin.addr.to_string());
    let bin = build_source("grpc_deadline", &source);
    let _proxy = ProxyProcess::start(&bin, &[], 1);
    let c = HttpClient::http2();
    let grpc = |timeout: Option<&'static str>| {
        let mut headers = vec![("content-type", "application/grpc")];
        headers.extend(timeout.map(|t| ("grpc-timeout", t)));
        headers
    };
    let seen = |path: &str| -> Option<String> {
        let requests = origin.requests();
        let r = requests.iter().rev().find(|r| r.uri.ends_with(path))?;
        let (_, v) = r.headers.iter().find(|(k, _)| k == "grpc-timeout")?;
        Some(v.clone())
    };

    let r = c
        .send(
            "POST",
            &format!("http://{listen}/long"),
            &grpc(Some("30S")),
            "",
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(seen("/long").as_deref(), Some("500m"), "lowered to the cap");
    c.send(
        "POST",
        &format!("http://{listen}/short"),
        &grpc(Some("200m")),
        "",
    )
    .await;
    assert_eq!(
        seen("/short").as_deref(),
        Some("200m"),
        "a shorter one is kept"
    );
    c.send("POST", &format!("http://{listen}/none"), &grpc(None), "")
        .await;
    assert_eq!(seen("/none").as_deref(), Some("500m"), "set when absent");
    c.send("POST", &format!("http://{listen}/plain"), &[], "")
        .await;
    assert_eq!(seen("/plain"), None, "not gRPC: untouched");

    // Enforced: a call the origin answers after 3 s ends at the cap, as a gRPC error.
    let started = Instant::now();
    let r = c
        .send(
            "POST",
            &format!("http://{listen}/slow/3000"),
            &grpc(Some("10S")),
            "",
        )
        .await;
    let took = started.elapsed();
    assert_eq!(r.header("grpc-status"), Some("14"), "{r:?}");
    assert!(
        took >= Duration::from_millis(450) && took < Duration::from_secs(2),
        "ended at the cap: {took:?}"
    );
}
