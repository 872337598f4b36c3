//! Client limits over real sockets: 414, 431 and 413 with raw HTTP/1.1 requests (and over
//! HTTP/2), bodies cut at the limit before the origin, header and idle timeouts, and the
//! connection limit.

mod common;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use http::{Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use pxy_runtime::prelude::*;
use pxy_runtime::ClientLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// Small limits, so that tests send little.
fn small() -> ClientLimits {
    ClientLimits {
        header_read_timeout: Duration::from_millis(600),
        idle_timeout: Duration::from_millis(1500),
        max_uri_len: 100,
        max_header_bytes: 300,
        max_headers: 10,
        max_body_bytes: Some(1000),
        ..ClientLimits::default()
    }
}

/// An origin that reads each request body whole, counting every body byte it receives in
/// `body_bytes` as it arrives, then answers 200 with the count. Stopped on drop.
struct CountingOrigin {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    body_bytes: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl CountingOrigin {
    async fn start() -> CountingOrigin {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind origin");
        let addr = listener.local_addr().expect("origin address");
        let requests = Arc::new(AtomicUsize::new(0));
        let body_bytes = Arc::new(AtomicUsize::new(0));
        let (seen, counted) = (requests.clone(), body_bytes.clone());
        let task = tokio::spawn(async move {
            let mut connections = tokio::task::JoinSet::new();
            while let Ok((stream, _)) = listener.accept().await {
                let (seen, counted) = (seen.clone(), counted.clone());
                connections.spawn(async move {
                    let service = hyper::service::service_fn(move |req| {
                        count_body(seen.clone(), counted.clone(), req)
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), service)
                        .await;
                });
            }
        });
        CountingOrigin {
            addr,
            requests,
            body_bytes,
            task,
        }
    }
}

impl Drop for CountingOrigin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn count_body(
    requests: Arc<AtomicUsize>,
    body_bytes: Arc<AtomicUsize>,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    requests.fetch_add(1, Ordering::SeqCst);
    let mut body = req.into_body();
    let mut total = 0;
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            // The proxy aborted the body: no answer.
            return Ok(Response::new(Full::new(Bytes::new())));
        };
        if let Ok(data) = frame.into_data() {
            total += data.len();
            body_bytes.fetch_add(data.len(), Ordering::SeqCst);
        }
    }
    Ok(Response::new(Full::new(Bytes::from(total.to_string()))))
}

async fn proxy_to(origin: SocketAddr, limits: ClientLimits) -> ProxyServer {
    let upstream = upstream(&[origin], UpstreamOptions::default());
    ProxyServer::serve_limited(TestProxy::new(upstream), limits).await
}

/// Asserts an HTTP/1.1 answer `status` that closes the connection (and is the only one).
fn assert_refused_with(reply: &str, status: &str) {
    assert!(
        reply.starts_with(&format!("HTTP/1.1 {status}\r\n")),
        "{reply}"
    );
    assert!(
        reply
            .to_ascii_lowercase()
            .contains("\r\nconnection: close\r\n"),
        "{reply}"
    );
    assert_eq!(reply.matches("HTTP/1.1 ").count(), 1, "{reply}");
}

fn head_with(target: &str, fields: &str) -> Vec<u8> {
    format!("GET {target} HTTP/1.1\r\nHost: x\r\n{fields}\r\n").into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_heads_get_414_or_431_and_never_reach_the_origin() {
    let origin = CountingOrigin::start().await;
    let server = proxy_to(origin.addr, small()).await;
    let pipelined = "GET /after HTTP/1.1\r\nHost: x\r\n\r\n";

    // The limit itself passes.
    let at_limit = format!("/{}", "a".repeat(99));
    let reply = raw_exchange(server.addr, &head_with(&at_limit, "Connection: close\r\n")).await;
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert_eq!(origin.requests.load(Ordering::SeqCst), 1);

    let over = format!("/{}", "a".repeat(100));
    let attack = [head_with(&over, ""), pipelined.as_bytes().to_vec()].concat();
    assert_refused_with(
        &raw_exchange(server.addr, &attack).await,
        "414 URI Too Long",
    );
    // Longer than hyper's head buffer (8 KiB here), and in pieces: still 414.
    let huge = format!("/{}", "a".repeat(20_000));
    let attack = head_with(&huge, "");
    let (first, rest) = attack.split_at(3000);
    assert_refused_with(
        &raw_exchange_in_pieces(server.addr, &[first, rest]).await,
        "414 URI Too Long",
    );
    // Absolute form counts the whole target.
    let absolute = format!("http://x{}", "/a".repeat(48));
    assert_refused_with(
        &raw_exchange(server.addr, &head_with(&absolute, "")).await,
        "414 URI Too Long",
    );

    // 300 bytes of header section: "Host: x" is 4 + 1 + 4 = 9, "x-big: ..." 5 + 4 + N.
    let fits = format!(
        "x-big: {}\r\nConnection: close\r\n",
        "b".repeat(300 - 9 - 9 - 19)
    );
    let reply = raw_exchange(server.addr, &head_with("/", &fits)).await;
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    let big = format!("x-big: {}\r\n", "b".repeat(300));
    let attack = [head_with("/", &big), pipelined.as_bytes().to_vec()].concat();
    assert_refused_with(
        &raw_exchange(server.addr, &attack).await,
        "431 Request Header Fields Too Large",
    );
    // Too many fields (hyper's count, 10 here, Host included).
    let many: String = (0..10).map(|i| format!("x-{i}: 1\r\n")).collect();
    assert_refused_with(
        &raw_exchange(server.addr, &head_with("/", &many)).await,
        "431 Request Header Fields Too Large",
    );
    // A head past the buffer (URI + headers + 4 KiB, at least 8 KiB) is hyper's 431.
    let huge = format!("x-big: {}\r\n", "b".repeat(20_000));
    assert_refused_with(
        &raw_exchange(server.addr, &head_with("/", &huge)).await,
        "431 Request Header Fields Too Large",
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(
        origin.requests.load(Ordering::SeqCst),
        2,
        "a refused request reached the origin"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_limit_get_413_and_the_origin_never_gets_more() {
    let origin = CountingOrigin::start().await;
    let server = proxy_to(origin.addr, small()).await;

    // Declared: refused before anything is read or sent.
    let declared = b"POST /count HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n";
    assert_refused_with(
        &raw_exchange(server.addr, declared).await,
        "413 Payload Too Large",
    );
    assert_eq!(origin.requests.load(Ordering::SeqCst), 0);

    // At the limit, chunked: passes whole.
    let chunk = |n: usize| format!("{n:x}\r\n{}\r\n", "c".repeat(n));
    let head = "POST /count HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    let at_limit = format!("{head}{}{}0\r\n\r\n", chunk(600), chunk(400));
    let mut client = TcpStream::connect(server.addr).await.expect("connect");
    client.write_all(at_limit.as_bytes()).await.expect("write");
    let reply = read_reply(&mut client).await;
    assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
    assert!(reply.ends_with("\r\n\r\n1000"), "{reply}");
    assert_eq!(origin.body_bytes.swap(0, Ordering::SeqCst), 1000);

    // Over it, chunked, the second chunk after the first was forwarded: 413, and the origin
    // got at most the limit (the first chunk, never the terminating one).
    let mut client = TcpStream::connect(server.addr).await.expect("connect");
    client
        .write_all(format!("{head}{}", chunk(600)).as_bytes())
        .await
        .expect("write");
    let deadline = Instant::now() + TIMEOUT;
    while origin.body_bytes.load(Ordering::SeqCst) < 600 {
        assert!(Instant::now() < deadline, "the first chunk never arrived");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let rest = format!("{}0\r\n\r\n", chunk(600));
    client.write_all(rest.as_bytes()).await.expect("write");
    let mut reply = Vec::new();
    tokio::time::timeout(TIMEOUT, client.read_to_end(&mut reply))
        .await
        .expect("the proxy closes the connection")
        .expect("read");
    let reply = String::from_utf8_lossy(&reply);
    assert_refused_with(&reply, "413 Payload Too Large");
    tokio::time::sleep(Duration::from_millis(50)).await;
    let forwarded = origin.body_bytes.load(Ordering::SeqCst);
    assert!(
        (600..=1000).contains(&forwarded),
        "{forwarded} body bytes reached the origin"
    );
}

/// Reads one keep-alive reply whose body is short and arrives with its head.
async fn read_reply(stream: &mut TcpStream) -> String {
    let mut buf = vec![0u8; 4096];
    let n = tokio::time::timeout(TIMEOUT, stream.read(&mut buf))
        .await
        .expect("a reply in time")
        .expect("read");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_gets_the_same_limits() {
    let origin = CountingOrigin::start().await;
    let server = proxy_to(origin.addr, small()).await;
    let mut client = H2::connect(server.addr).await;
    let long = format!("http://x/{}", "a".repeat(100));
    let req = |uri: &str| {
        Request::get(uri)
            .body(Full::new(Bytes::new()))
            .expect("valid request")
    };
    assert_eq!(
        client.send(req(&long)).await.0.status,
        StatusCode::URI_TOO_LONG
    );
    let big = Request::get("http://x/")
        .header("x-big", "b".repeat(400))
        .body(Full::new(Bytes::new()))
        .expect("valid request");
    assert_eq!(
        client.send(big).await.0.status,
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE
    );
    let body = Request::post("http://x/count")
        .body(Full::new(Bytes::from(vec![b'c'; 1001])))
        .expect("valid request");
    assert_eq!(
        client.send(body).await.0.status,
        StatusCode::PAYLOAD_TOO_LARGE
    );
    // The connection is still good for other streams.
    let (parts, body) = client.send(req("http://x/count")).await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(&body[..], b"0");
    assert_eq!(origin.requests.load(Ordering::SeqCst), 1);

    // A body without a declared length, counted as it streams (the h2 crate directly: hyper's
    // client declares the length of a full body).
    let stream = TcpStream::connect(server.addr).await.expect("connect");
    let (sender, connection) = h2::client::handshake(stream).await.expect("h2 handshake");
    let driver = tokio::spawn(async move {
        let _ = connection.await;
    });
    let mut sender = sender.ready().await.expect("ready");
    let (response, mut body) = sender
        .send_request(
            Request::post("http://x/count").body(()).expect("valid"),
            false,
        )
        .expect("send");
    body.send_data(Bytes::from(vec![b'c'; 600]), false)
        .expect("data");
    body.send_data(Bytes::from(vec![b'c'; 600]), true)
        .expect("data");
    let response = tokio::time::timeout(TIMEOUT, response)
        .await
        .expect("in time")
        .expect("response");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(origin.body_bytes.load(Ordering::SeqCst) <= 1000);
    driver.abort();
}

/// Reads until the proxy closes `stream` (bounded by [`TIMEOUT`]); how long that took.
async fn closed_after(mut stream: TcpStream, since: Instant) -> Duration {
    let mut buf = [0u8; 1024];
    tokio::time::timeout(TIMEOUT, async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return since.elapsed(),
                Ok(_) => {}
            }
        }
    })
    .await
    .expect("the proxy closed the connection")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_partial_clients_are_closed_at_the_header_timeout() {
    let origin = Origin::start("a").await;
    let server = proxy_to(origin.addr, small()).await;
    let timeout = small().header_read_timeout;
    for sent in [
        &b""[..],
        b"G",
        b"GET / HTTP/1.1\r\nHost: x\r\n",
        b"PRI * HTTP/2.0\r\n",
    ] {
        let start = Instant::now();
        let mut stream = TcpStream::connect(server.addr).await.expect("connect");
        stream.write_all(sent).await.expect("write");
        let took = closed_after(stream, start).await;
        assert!(
            took >= timeout && took < timeout + Duration::from_millis(700),
            "{:?}: closed after {took:?}",
            String::from_utf8_lossy(sent)
        );
    }
    assert_eq!(origin.requests(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_dribbling_its_head_is_closed_at_the_timeout_of_its_first_byte() {
    let origin = Origin::start("a").await;
    let server = proxy_to(origin.addr, small()).await;
    let timeout = small().header_read_timeout;

    // The first head, a byte every 100 ms: the deadline does not move.
    let start = Instant::now();
    let stream = TcpStream::connect(server.addr).await.expect("connect");
    let took = dribble(stream, start).await;
    assert!(
        took >= timeout && took < timeout + Duration::from_millis(700),
        "closed after {took:?}"
    );

    // A second head, after a good request, counts from its own first byte: the idle wait
    // before it (400 ms) is not the header timeout's.
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    assert!(read_reply(&mut stream)
        .await
        .starts_with("HTTP/1.1 200 OK\r\n"));
    tokio::time::sleep(Duration::from_millis(400)).await;
    let start = Instant::now();
    let took = dribble(stream, start).await;
    assert!(
        took >= timeout - Duration::from_millis(100) && took < timeout + Duration::from_millis(700),
        "closed after {took:?}"
    );
    assert_eq!(origin.requests(), 1);
}

/// Sends a request head one byte every 100 ms (at most 50) until the proxy closes the
/// connection; how long after `since` it did.
async fn dribble(mut stream: TcpStream, since: Instant) -> Duration {
    let head =
        b"GET /dribble HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let mut buf = [0u8; 1024];
    for byte in head.iter().take(50) {
        if stream.write_all(&[*byte]).await.is_err() {
            return since.elapsed();
        }
        match tokio::time::timeout(Duration::from_millis(100), stream.read(&mut buf)).await {
            Err(_elapsed) => {}
            Ok(Ok(0) | Err(_)) => return since.elapsed(),
            Ok(Ok(_)) => panic!("an answer to a head never finished"),
        }
    }
    panic!("the connection was still open after 5 s");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keep_alive_connections_close_at_the_idle_timeout() {
    let origin = Origin::start("a").await;
    let server = proxy_to(origin.addr, small()).await;
    let idle = small().idle_timeout;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let request = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    stream.write_all(request).await.expect("write");
    assert!(read_reply(&mut stream)
        .await
        .starts_with("HTTP/1.1 200 OK\r\n"));
    // Longer than the header timeout, shorter than the idle one: still open.
    tokio::time::sleep(Duration::from_millis(900)).await;
    stream.write_all(request).await.expect("write");
    assert!(read_reply(&mut stream)
        .await
        .starts_with("HTTP/1.1 200 OK\r\n"));
    let start = Instant::now();
    let took = closed_after(stream, start).await;
    assert!(
        took >= idle - Duration::from_millis(100) && took < idle + Duration::from_millis(700),
        "closed after {took:?}"
    );
}

fn rejected_connections() -> f64 {
    let text = pxy_runtime::metrics::encode_text();
    text.lines()
        .find(|l| l.starts_with("pxy_downstream_rejected_total{reason=\"max_connections\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_limit_are_closed_at_once_and_counted() {
    let origin = Origin::start("a").await;
    let limits = ClientLimits {
        max_connections: 3,
        ..small()
    };
    let server = proxy_to(origin.addr, limits).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut client = H1::connect(server.addr).await;
        assert_eq!(client.get("/").await.0.status, StatusCode::OK);
        held.push(client);
    }
    let before = rejected_connections();
    let start = Instant::now();
    let extra = TcpStream::connect(server.addr).await.expect("connect");
    let took = closed_after(extra, start).await;
    assert!(took < Duration::from_millis(500), "closed after {took:?}");
    assert!(rejected_connections() >= before + 1.0);
    // A slot frees when a connection ends.
    drop(held.pop());
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let stream = TcpStream::connect(server.addr).await.expect("connect");
        let reply = {
            let mut stream = stream;
            let _ = stream
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .await;
            let mut out = Vec::new();
            let _ = tokio::time::timeout(TIMEOUT, stream.read_to_end(&mut out)).await;
            String::from_utf8_lossy(&out).into_owned()
        };
        if reply.starts_with("HTTP/1.1 200 OK\r\n") {
            break;
        }
        assert!(Instant::now() < deadline, "no slot freed");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for mut client in held {
        assert_eq!(client.get("/").await.0.status, StatusCode::OK);
    }
}
