//! HEAD requests over HTTP/1.1 and h2c: the header of the response the GET would get,
//! `Content-Length` included, and never a body.

mod common;

use bytes::Bytes;
use common::*;
use http::Request;
use http_body_util::Full;
use pxy_runtime::prelude::*;

fn head(uri: &str) -> Request<Full<Bytes>> {
    Request::head(uri)
        .header("host", "proxied.test")
        .body(Full::new(Bytes::new()))
        .expect("valid request")
}

/// A client of either protocol.
enum Client {
    H1(H1),
    H2(H2),
}

impl Client {
    /// Sends `req`; a stream error (what a body sent for HEAD causes over h2) fails the test.
    async fn send(&mut self, req: Request<Full<Bytes>>) -> (http::response::Parts, Bytes) {
        match self {
            Client::H1(client) => client.send(req).await,
            Client::H2(client) => client.send(req).await,
        }
    }
}

/// Sends HEAD requests for a local response and a proxied one, and checks each answer.
async fn check_head_responses(client: &mut Client, uri_prefix: &str) {
    let (parts, body) = client.send(head(&format!("{uri_prefix}/local"))).await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(parts.headers["content-length"], "5");
    assert_eq!(parts.headers["x-local"], "yes");
    assert!(body.is_empty(), "{body:?}");

    let (parts, body) = client.send(head(&format!("{uri_prefix}/"))).await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(parts.headers["x-origin"], "a");
    assert!(body.is_empty(), "{body:?}");

    // The connection is still in step.
    let (parts, body) = client.send(get(&format!("{uri_prefix}/local"))).await;
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(body, "local");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_has_no_body_over_http1_and_h2c() {
    let origin = Origin::start("a").await;
    let server = ProxyServer::start(upstream(&[origin.addr], UpstreamOptions::default())).await;
    check_head_responses(&mut Client::H1(H1::connect(server.addr).await), "").await;
    check_head_responses(
        &mut Client::H2(H2::connect(server.addr).await),
        "http://h2.example",
    )
    .await;
    server.wait_logged(6).await;
    assert!(
        server.proxy.errors.lock().expect("lock").is_empty(),
        "a HEAD request was logged as failed"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn head_error_pages_have_no_body() {
    let dead = closed_port().await;
    let server = ProxyServer::start(upstream(&[dead], UpstreamOptions::default())).await;
    let page_length = "502 Bad Gateway\n".len().to_string();
    let clients = [
        (Client::H1(H1::connect(server.addr).await), "/"),
        (
            Client::H2(H2::connect(server.addr).await),
            "http://h2.example/",
        ),
    ];
    for (mut client, uri) in clients {
        let (parts, body) = client.send(head(uri)).await;
        assert_eq!(parts.status, StatusCode::BAD_GATEWAY);
        assert_eq!(parts.headers["content-length"], page_length.as_str());
        assert!(body.is_empty(), "{body:?}");
    }
}
