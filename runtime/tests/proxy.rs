//! The runtime end to end: real sockets on 127.0.0.1, hyper origins, hyper clients.

mod common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use common::*;
use http::Request;
use http_body_util::Full;
use pxy_runtime::prelude::*;
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_response_skips_the_upstream_and_passes_response_filter() {
    let origin = Origin::start("a").await;
    let server = ProxyServer::start(upstream(&[origin.addr], UpstreamOptions::default())).await;
    let mut client = H1::connect(server.addr).await;
    let (parts, body) = client.get("/local").await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(body, "local");
    assert_eq!(parts.headers["x-local"], "yes");
    assert_eq!(parts.headers["x-proxy"], "pxy");
    assert_eq!(parts.headers["content-length"], "5");
    assert_eq!(origin.requests(), 0);
    server.wait_logged(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http1_request_is_rewritten_for_the_origin() {
    let origin = Origin::start("a").await;
    let server = ProxyServer::start(upstream(&[origin.addr], UpstreamOptions::default())).await;
    let mut client = H1::connect(server.addr).await;
    let req = Request::get("/path?q=1")
        .header("host", "api.example")
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-forwarded-proto", "https")
        .header("x-remove-me", "1")
        .header("connection", "x-hop")
        .header("x-hop", "1")
        .header("keep-alive", "timeout=5")
        .header("proxy-connection", "keep-alive")
        .body(Full::new(Bytes::new()))
        .expect("valid request");
    let (parts, body) = client.send(req).await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(body, "a");

    let seen = origin.last();
    assert_eq!(seen.uri, "/path?q=1");
    assert_eq!(seen.headers["host"], "api.example");
    assert_eq!(seen.headers["x-forwarded-for"], "203.0.113.9, 127.0.0.1");
    assert_eq!(seen.headers["x-forwarded-proto"], "http");
    assert_eq!(seen.headers["x-added-by-proxy"], "1");
    for absent in ["x-remove-me", "x-hop", "keep-alive", "proxy-connection"] {
        assert!(!seen.headers.contains_key(absent), "origin saw {absent}");
    }

    assert_eq!(parts.headers["x-origin"], "a");
    assert_eq!(parts.headers["x-proxy"], "pxy");
    for absent in ["x-origin-secret", "x-origin-hop", "keep-alive"] {
        assert!(!parts.headers.contains_key(absent), "client saw {absent}");
    }
    server.wait_logged(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http2_prior_knowledge_is_proxied_to_http1() {
    let origin = Origin::start("a").await;
    let server = ProxyServer::start(upstream(&[origin.addr], UpstreamOptions::default())).await;
    let mut client = H2::connect(server.addr).await;
    for _ in 0..3 {
        let req = Request::get("http://h2.example/h2?x=y")
            .body(Full::new(Bytes::new()))
            .expect("valid request");
        let (parts, body) = client.send(req).await;
        assert_eq!(parts.status, StatusCode::OK);
        assert_eq!(parts.version, http::Version::HTTP_2);
        assert_eq!(body, "a");
        assert_eq!(parts.headers["x-proxy"], "pxy");
    }
    let seen = origin.last();
    assert_eq!(seen.uri, "/h2?x=y");
    assert_eq!(seen.headers["host"], "h2.example");
    assert_eq!(seen.headers["x-forwarded-for"], "127.0.0.1");
    server.wait_logged(3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_robin_spreads_over_two_origins() {
    let a = Origin::start("a").await;
    let b = Origin::start("b").await;
    let server = ProxyServer::start(upstream(&[a.addr, b.addr], UpstreamOptions::default())).await;
    let mut client = H1::connect(server.addr).await;
    let mut bodies = Vec::new();
    for _ in 0..10 {
        bodies.push(client.get("/").await.1);
    }
    let expected: Vec<&str> = ["a", "b"].iter().cycle().take(10).copied().collect();
    assert_eq!(bodies, expected);
    assert_eq!((a.requests(), b.requests()), (5, 5));
    server.wait_logged(10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_origin_port_gives_502() {
    let dead = closed_port().await;
    let server = ProxyServer::start(upstream(&[dead], UpstreamOptions::default())).await;
    let mut client = H1::connect(server.addr).await;
    let (parts, body) = client.get("/").await;
    assert_eq!(parts.status, StatusCode::BAD_GATEWAY);
    assert_eq!(body, "502 Bad Gateway\n");
    assert_eq!(
        parts.headers["x-proxy"], "pxy",
        "response_filter runs on error pages"
    );
    server.wait_logged(1).await;
    assert_eq!(
        *server.proxy.errors.lock().expect("lock"),
        [ErrorKind::ConnectRefused]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_failure_retries_on_the_next_backend() {
    let dead = closed_port().await;
    let origin = Origin::start("a").await;
    let server =
        ProxyServer::start(upstream(&[dead, origin.addr], UpstreamOptions::default())).await;
    let mut client = H1::connect(server.addr).await;
    for _ in 0..4 {
        let (parts, body) = client.get("/").await;
        assert_eq!(parts.status, StatusCode::OK);
        assert_eq!(body, "a");
    }
    assert_eq!(origin.requests(), 4);
    server.wait_logged(4).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_origin_gives_504_after_read_timeout() {
    let origin = Origin::start("a").await;
    let options = UpstreamOptions {
        read_timeout: Duration::from_millis(200),
        ..UpstreamOptions::default()
    };
    let server = ProxyServer::start(upstream(&[origin.addr], options)).await;
    let mut client = H1::connect(server.addr).await;
    let started = std::time::Instant::now();
    let (parts, _) = client.get("/never").await;
    assert_eq!(parts.status, StatusCode::GATEWAY_TIMEOUT);
    let elapsed = started.elapsed();
    assert!(elapsed >= Duration::from_millis(200) && elapsed < Duration::from_secs(5));
    server.wait_logged(1).await;
    assert_eq!(
        *server.proxy.errors.lock().expect("lock"),
        [ErrorKind::ReadTimeout]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_reuses_one_upstream_connection() {
    let origin = Origin::start("a").await;
    let server = ProxyServer::start(upstream(&[origin.addr], UpstreamOptions::default())).await;
    let mut client = H1::connect(server.addr).await;
    for _ in 0..50 {
        let (parts, body) = client.get("/").await;
        assert_eq!(parts.status, StatusCode::OK);
        assert_eq!(body, "a");
    }
    assert_eq!(origin.requests(), 50);
    assert_eq!(origin.connections.load(Ordering::SeqCst), 1);
    server.wait_logged(50).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_bodies_stream_both_ways() {
    let origin = Origin::start("a").await;
    let server = ProxyServer::start(upstream(&[origin.addr], UpstreamOptions::default())).await;
    let mut client = H1::connect(server.addr).await;

    let payload: Bytes = (0..BIG)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into();
    let req = Request::post("/echo")
        .header("host", "proxied.test")
        .body(Full::new(payload.clone()))
        .expect("valid request");
    let (parts, body) = client.send(req).await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(body.len(), BIG);
    assert!(body == payload, "echoed body differs");

    let (parts, body) = client.get("/big").await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(body.len(), BIG);
    // Both exchanges completed fully, so the connection was pooled and reused.
    assert_eq!(origin.connections.load(Ordering::SeqCst), 1);
    server.wait_logged(2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_http10_request_without_host_reaches_the_origin_with_one() {
    let origin = Origin::start("a").await;
    let server = ProxyServer::start(upstream(&[origin.addr], UpstreamOptions::default())).await;
    let reply = raw_exchange(server.addr, b"GET /x HTTP/1.0\r\n\r\n").await;
    assert!(reply.starts_with("HTTP/1.0 200"), "{reply}");
    let seen = origin.last();
    assert_eq!(
        seen.headers.get("host").and_then(|h| h.to_str().ok()),
        Some(origin.addr.to_string().as_str()),
        "HTTP/1.1 to the origin needs a Host"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_framing_is_rejected_before_the_origin() {
    let origin = Origin::start("a").await;
    let server = ProxyServer::start(upstream(&[origin.addr], UpstreamOptions::default())).await;

    let not_chunked_last = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n";
    let reply = raw_exchange(server.addr, not_chunked_last).await;
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");

    let differing_lengths =
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd";
    let reply = raw_exchange(server.addr, differing_lengths).await;
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");

    let te_on_http10 = b"POST /echo HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
    let reply = raw_exchange(server.addr, te_on_http10).await;
    assert!(reply.starts_with("HTTP/1.1 400"), "{reply}");

    assert_eq!(
        origin.requests(),
        0,
        "a malformed request reached the origin"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_length_with_transfer_encoding_is_refused() {
    let origin = Origin::start("a").await;
    let server = ProxyServer::start(upstream(&[origin.addr], UpstreamOptions::default())).await;
    // A CL.TE smuggling attempt: a front end trusting Content-Length would see one request.
    let attack = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 44\r\n\
                   Transfer-Encoding: chunked\r\n\r\n\
                   0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";
    let reply = raw_exchange(server.addr, attack).await;
    assert!(reply.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{reply}");
    assert_eq!(reply.matches("HTTP/1.1").count(), 1, "{reply}");
    assert_eq!(
        origin.requests(),
        0,
        "the ambiguous request reached the origin"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown_lets_in_flight_requests_finish() {
    let origin = Origin::start("a").await;
    let mut server = ProxyServer::start(upstream(&[origin.addr], UpstreamOptions::default())).await;
    let addr = server.addr;
    let slow = tokio::spawn(async move {
        let mut client = H1::connect(addr).await;
        client.get("/slow").await
    });
    // Let the request reach the origin, then ask the server to stop.
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while origin.requests() == 0 {
        assert!(tokio::time::Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    server.shutdown().await;
    let (parts, body) = tokio::time::timeout(TIMEOUT, slow)
        .await
        .expect("in time")
        .expect("client task");
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(body, "slow");
    assert!(
        TcpStream::connect(addr).await.is_err(),
        "still accepting after shutdown"
    );
}
