//! `examples/load_balancer.pxy`: round robin over two real origins with pooled keep-alive
//! connections, forwarding headers, hop-by-hop removal, retries past a dead origin, 502 when
//! every origin is down, and HTTP/2 clients in front of HTTP/1.1 origins.

use pxy_tests::{build_program, free_addr, HttpClient, Origin, ProxyProcess};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_robin_pooling_headers_and_failures() {
    let (listen, a_addr, b_addr) = (free_addr(), free_addr(), free_addr());
    let bin = build_program(
        "load_balancer",
        &[
            ("127.0.0.1:8080".into(), listen.to_string()),
            ("127.0.0.1:9001".into(), a_addr.to_string()),
            ("127.0.0.1:9002".into(), b_addr.to_string()),
        ],
    );
    let a = Origin::start("a", a_addr).await;
    let b = Origin::start("b", b_addr).await;
    let _proxy = ProxyProcess::start(&bin, &["--threads", "1"], 1);
    let url = format!("http://{listen}/items?x=1");

    // Round robin: 40 sequential requests split evenly, over reused connections.
    let client = HttpClient::http1();
    for _ in 0..40 {
        let r = client.get(&url, &[]).await;
        assert_eq!(r.status, 200);
    }
    assert_eq!(
        (a.requests().len(), b.requests().len()),
        (20, 20),
        "even round robin spread"
    );
    assert!(
        a.connections() <= 2 && b.connections() <= 2,
        "keep-alive reuse: {} and {} connections",
        a.connections(),
        b.connections()
    );

    // What the origin sees: origin-form URI, Host kept, X-Forwarded-*, no hop-by-hop headers.
    let r = client
        .get(
            &url,
            &[
                ("connection", "x-secret"),
                ("x-secret", "1"),
                ("te", "gzip"),
                ("x-keep", "yes"),
            ],
        )
        .await;
    let seen = r.json();
    assert_eq!(seen["uri"], "/items?x=1");
    assert_eq!(seen["headers"]["host"], listen.to_string());
    assert_eq!(seen["headers"]["x-forwarded-for"], "127.0.0.1");
    assert_eq!(seen["headers"]["x-forwarded-proto"], "http");
    assert_eq!(seen["headers"]["x-keep"], "yes");
    assert!(
        seen["headers"].get("x-secret").is_none(),
        "headers named in Connection are removed"
    );
    assert!(seen["headers"].get("te").is_none(), "TE is hop-by-hop");

    // HTTP/2 downstream, HTTP/1.1 upstream.
    let r = HttpClient::http2().get(&url, &[]).await;
    assert_eq!((r.status, r.version), (200, hyper::Version::HTTP_2));
    assert_eq!(
        r.json()["headers"]["host"],
        listen.to_string(),
        "Host comes from :authority"
    );

    // One origin dies: every request still succeeds, retried on the other.
    drop(b);
    for _ in 0..10 {
        let r = HttpClient::http1().get(&url, &[]).await;
        assert_eq!(
            r.status, 200,
            "connect failures are retried on another server: {}",
            r.body
        );
        assert_eq!(r.header("x-origin"), Some("a"));
    }

    // Every origin is down: 502.
    drop(a);
    let r = HttpClient::http1().get(&url, &[]).await;
    assert_eq!(r.status, 502);
}
