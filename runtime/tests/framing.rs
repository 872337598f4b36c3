//! Requests with ambiguous framing, over real sockets: refused with 400 before any origin,
//! without disturbing other clients or well-formed pipelines.

mod common;

use std::time::Duration;

use common::*;
use pxy_runtime::prelude::*;

const CL_TE: &[u8] = b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\n\
                       Transfer-Encoding: chunked\r\n\r\n";
const TE_CL: &[u8] = b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\
                       Content-Length: 4\r\n\r\n";
const SMUGGLED: &[u8] = b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

fn assert_refused(reply: &str) {
    assert!(reply.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{reply}");
    let head = reply.to_ascii_lowercase();
    assert!(head.contains("\r\ncontent-length: 0\r\n"), "{reply}");
    assert!(head.contains("\r\nconnection: close\r\n"), "{reply}");
    assert_eq!(reply.matches("HTTP/1.1").count(), 1, "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn smuggling_attempts_get_400_and_no_origin_sees_anything() {
    let origin = Origin::start("a").await;
    let server = ProxyServer::start(upstream(&[origin.addr], UpstreamOptions::default())).await;
    for head in [CL_TE, TE_CL] {
        let attack = [head, SMUGGLED].concat();
        assert_refused(&raw_exchange(server.addr, &attack).await);
        // The head in pieces: hyper has parsed a partial head before the refusal.
        let (first, rest) = head.split_at(20);
        assert_refused(&raw_exchange_in_pieces(server.addr, &[first, rest, SMUGGLED]).await);
        // After a good request on the same connection.
        let good = b"GET /local HTTP/1.1\r\nHost: x\r\n\r\n";
        let reply = raw_exchange(server.addr, &[&good[..], head, SMUGGLED].concat()).await;
        assert!(reply.starts_with("HTTP/1.1 200 OK\r\n"), "{reply}");
        assert!(
            reply.contains("\r\n\r\nlocalHTTP/1.1 400 Bad Request\r\n"),
            "{reply}"
        );
    }
    let lf_only =
        b"POST /echo HTTP/1.1\nHost: x\nContent-Length: 4\nTransfer-Encoding: chunked\n\n";
    let (first, rest) = lf_only.split_at(30);
    assert_refused(&raw_exchange_in_pieces(server.addr, &[first, rest, SMUGGLED]).await);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(origin.requests(), 0, "a refused request reached the origin");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_client_does_not_affect_others() {
    let origin = Origin::start("a").await;
    let server = ProxyServer::start(upstream(&[origin.addr], UpstreamOptions::default())).await;
    let mut client = H1::connect(server.addr).await;
    assert_eq!(client.get("/").await.0.status, StatusCode::OK);
    assert_refused(&raw_exchange(server.addr, &[CL_TE, SMUGGLED].concat()).await);
    for _ in 0..3 {
        let (parts, body) = client.get("/").await;
        assert_eq!(parts.status, StatusCode::OK);
        assert_eq!(body, "a");
    }
    assert_eq!(origin.requests(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_requests_are_answered_in_order() {
    let origin = Origin::start("a").await;
    let server = ProxyServer::start(upstream(&[origin.addr], UpstreamOptions::default())).await;
    let pipeline = b"GET /local HTTP/1.1\r\nHost: x\r\n\r\n\
        POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\
        POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\n\r\n\
        GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let reply = raw_exchange(server.addr, pipeline).await;
    assert_eq!(reply.matches("HTTP/1.1 200 OK\r\n").count(), 4, "{reply}");
    let bodies: Vec<&str> = reply
        .split("HTTP/1.1 200 OK\r\n")
        .skip(1)
        .map(|response| response.split_once("\r\n\r\n").map_or("", |(_, body)| body))
        .collect();
    assert_eq!(bodies[0], "local");
    assert!(bodies[1].contains("hello"), "{reply}");
    assert!(bodies[2].contains("abc"), "{reply}");
    assert_eq!(bodies[3], "a");
    assert_eq!(origin.requests(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_oversized_head_gets_431_from_hyper() {
    let origin = Origin::start("a").await;
    let server = ProxyServer::start(upstream(&[origin.addr], UpstreamOptions::default())).await;
    let mut huge = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ".to_vec();
    huge.resize(100 * 1024, b'a');
    huge.extend_from_slice(b"\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n");
    let reply = raw_exchange(server.addr, &huge).await;
    assert!(reply.starts_with("HTTP/1.1 431 "), "{reply}");
    assert_eq!(origin.requests(), 0);
}
