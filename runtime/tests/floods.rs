//! Attacks on the proxy's capacity, over real sockets, each bounded in count and time: a
//! slowloris crowd, an HTTP/2 rapid-reset client, an HTTP/2 PING flood. Other clients keep
//! getting answers, and the attackers' connections are closed.

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::*;
use http::{Request, StatusCode};
use http_body_util::Full;
use pxy_runtime::prelude::*;
use pxy_runtime::ClientLimits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

async fn proxy_to(origin: SocketAddr, limits: ClientLimits) -> ProxyServer {
    let upstream = upstream(&[origin], UpstreamOptions::default());
    ProxyServer::serve_limited(TestProxy::new(upstream), limits).await
}

/// A normal client: `n` requests on one keep-alive connection, `pause` apart; the slowest
/// answer's latency. Every answer must be a 200.
async fn normal_client(addr: SocketAddr, n: usize, pause: Duration) -> Duration {
    let mut client = H1::connect(addr).await;
    let mut slowest = Duration::ZERO;
    for _ in 0..n {
        let start = Instant::now();
        let (parts, body) = client.get("/").await;
        slowest = slowest.max(start.elapsed());
        assert_eq!(parts.status, StatusCode::OK);
        assert_eq!(&body[..], b"a");
        tokio::time::sleep(pause).await;
    }
    slowest
}

/// One slowloris connection: a request head, one byte every 200 ms (100 at most) until
/// the proxy closes the connection; how long after connecting it did (`None` if it never
/// did in 20 s).
async fn slow_client(addr: SocketAddr) -> Option<Duration> {
    let start = Instant::now();
    let Ok(mut stream) = TcpStream::connect(addr).await else {
        return Some(start.elapsed());
    };
    let mut buf = [0u8; 512];
    let head = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ";
    if stream.write_all(head).await.is_err() {
        return Some(start.elapsed());
    }
    for _ in 0..100 {
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf)).await {
            Err(_elapsed) => {}
            Ok(Ok(0) | Err(_)) => return Some(start.elapsed()),
            Ok(Ok(_)) => return None,
        }
        if stream.write_all(b"a").await.is_err() {
            return Some(start.elapsed());
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slowloris_crowd_is_closed_at_the_header_timeout_while_others_are_served() {
    const CROWD: usize = 300;
    let origin = Origin::start("a").await;
    let timeout = Duration::from_secs(1);
    let limits = ClientLimits {
        header_read_timeout: timeout,
        ..ClientLimits::default()
    };
    let server = proxy_to(origin.addr, limits).await;
    let before = normal_client(server.addr, 20, Duration::from_millis(5)).await;

    let mut crowd = JoinSet::new();
    for _ in 0..CROWD {
        crowd.spawn(slow_client(server.addr));
    }
    // While the crowd holds its connections (and after it is gone).
    let during = normal_client(server.addr, 100, Duration::from_millis(20)).await;
    let mut closed = Vec::with_capacity(CROWD);
    while let Some(result) = crowd.join_next().await {
        closed.push(
            result
                .expect("slow client task")
                .expect("closed by the proxy"),
        );
    }
    let latest = closed.iter().max().copied().unwrap_or_default();
    let earliest = closed.iter().min().copied().unwrap_or_default();
    assert!(
        earliest >= timeout - Duration::from_millis(50),
        "a slow client was closed after {earliest:?}"
    );
    // Connecting 300 clients takes a moment of its own on a loaded machine.
    assert!(
        latest < timeout + Duration::from_millis(1500),
        "a slow client was closed only after {latest:?}"
    );
    assert!(
        during < Duration::from_millis(500),
        "a normal request took {during:?} during the attack (before: {before:?})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_rapid_reset_is_cut_off_and_others_are_served() {
    let origin = Origin::start("a").await;
    let server = proxy_to(origin.addr, ClientLimits::default()).await;
    let attacker = tokio::spawn(rapid_reset(server.addr, 20_000));
    let during = normal_client(server.addr, 50, Duration::from_millis(10)).await;
    let mut h2 = H2::connect(server.addr).await;
    let req = Request::get("http://x/")
        .body(Full::new(Bytes::new()))
        .expect("valid request");
    assert_eq!(h2.send(req).await.0.status, StatusCode::OK);
    let (sent, outcome) = tokio::time::timeout(Duration::from_secs(20), attacker)
        .await
        .expect("the attack ends in time")
        .expect("attacker task");
    // The proxy sends GOAWAY (ENHANCE_YOUR_CALM) and closes; the attacker, still writing,
    // may see the closed socket before it reads the GOAWAY.
    let cut_off = match &outcome {
        Some(e) if e.is_go_away() => e.reason() == Some(h2::Reason::ENHANCE_YOUR_CALM),
        Some(e) => e.is_io(),
        None => false,
    };
    assert!(
        cut_off && sent < 20_000,
        "after {sent} reset streams the connection ended with {outcome:?}"
    );
    assert!(
        during < Duration::from_millis(500),
        "a normal request took {during:?}"
    );
}

/// Opens and at once resets streams (HEADERS, then RST_STREAM), at most `max`, until the
/// connection fails; how many it sent, and the connection's error.
async fn rapid_reset(addr: SocketAddr, max: usize) -> (usize, Option<h2::Error>) {
    let stream = TcpStream::connect(addr).await.expect("connect");
    let (mut sender, connection) = h2::client::handshake(stream).await.expect("h2 handshake");
    let driver = tokio::spawn(connection);
    let mut sent = 0;
    while sent < max {
        let ready = match tokio::time::timeout(Duration::from_secs(5), sender.clone().ready()).await
        {
            Ok(Ok(ready)) => ready,
            Ok(Err(_)) | Err(_) => break,
        };
        sender = ready;
        let req = Request::get("http://x/slow").body(()).expect("valid");
        match sender.send_request(req, true) {
            Ok((_response, mut stream)) => stream.send_reset(h2::Reason::CANCEL),
            Err(_) => break,
        }
        sent += 1;
        if sent % 64 == 0 {
            // Let the connection task flush; the frames go out in bursts.
            tokio::task::yield_now().await;
        }
    }
    drop(sender);
    let outcome = match tokio::time::timeout(Duration::from_secs(5), driver).await {
        Ok(Ok(Err(e))) => Some(e),
        Ok(Ok(Ok(()))) => None,
        Ok(Err(_)) | Err(_) => None,
    };
    (sent, outcome)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http2_ping_flood_does_not_stop_others() {
    let origin = Origin::start("a").await;
    let server = proxy_to(origin.addr, ClientLimits::default()).await;
    // Preface, empty SETTINGS, then 20,000 PINGs (17 bytes each), never reading the acks.
    let mut flood =
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00".to_vec();
    let ping = b"\x00\x00\x08\x06\x00\x00\x00\x00\x00pingpong";
    for _ in 0..20_000 {
        flood.extend_from_slice(ping);
    }
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let attacker = tokio::spawn(async move {
        // The proxy stops reading once its acks fill the socket: bounded in time.
        let _ = tokio::time::timeout(Duration::from_secs(5), stream.write_all(&flood)).await;
        stream
    });
    let during = normal_client(server.addr, 50, Duration::from_millis(10)).await;
    assert!(
        during < Duration::from_millis(500),
        "a normal request took {during:?}"
    );
    drop(attacker.await.expect("attacker task"));
}
