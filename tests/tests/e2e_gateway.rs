//! `examples/gateway.pxy`: host and path routing, an auth check answering 401, prefix stripping,
//! request and response header rewriting, a regex route, a redirect, a custom 404, and bad
//! requests refused before they reach an origin.

use pxy_tests::{build_program, free_addr, raw_request, HttpClient, Origin, ProxyProcess};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gateway_routes_rewrites_and_refuses() {
    let (listen, api1, api2, web) = (free_addr(), free_addr(), free_addr(), free_addr());
    let bin = build_program(
        "gateway",
        &[
            ("127.0.0.1:8080".into(), listen.to_string()),
            ("127.0.0.1:9001".into(), api1.to_string()),
            ("127.0.0.1:9002".into(), api2.to_string()),
            ("127.0.0.1:9003".into(), web.to_string()),
        ],
    );
    let api1 = Origin::start("api1", api1).await;
    let api2 = Origin::start("api2", api2).await;
    let web = Origin::start("web", web).await;
    let proxy = ProxyProcess::start(&bin, &[], 1);
    let base = format!("http://{listen}");
    let c = HttpClient::http1();
    let api = [("host", "api.example.com")];

    // No token: 401 with a JSON body, answered by the proxy.
    let r = c.get(&format!("{base}/v1/users"), &api).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body, "{\"error\": \"missing token\"}\n");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
    assert_eq!(r.header("server"), Some("proxyc-gateway"));
    assert_eq!(
        r.header("x-api-version"),
        Some("1"),
        "the route's on response"
    );
    assert_eq!(api1.requests().len() + api2.requests().len(), 0);

    // With a token: /v1 stripped, headers rewritten, request id made, weights 3:1.
    let auth = [
        ("host", "api.example.com"),
        ("authorization", "Bearer t"),
        ("x-internal-debug", "1"),
    ];
    let mut ids = std::collections::HashSet::new();
    for _ in 0..8 {
        let r = c.get(&format!("{base}/v1/users?page=2"), &auth).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let seen = r.json();
        assert_eq!(seen["uri"], "/users?page=2");
        assert_eq!(seen["headers"]["x-api-version"], "1");
        assert!(seen["headers"].get("x-internal-debug").is_none());
        ids.insert(
            seen["headers"]["x-request-id"]
                .as_str()
                .expect("request id set")
                .to_string(),
        );
        assert_eq!(r.header("server"), Some("proxyc-gateway"));
        assert_eq!(r.header("x-api-version"), Some("1"));
        assert!(r.header("x-powered-by").is_none(), "removed in on response");
    }
    assert_eq!(ids.len(), 8, "a fresh request id per request");
    assert_eq!(
        (api1.requests().len(), api2.requests().len()),
        (6, 2),
        "weights 3 and 1"
    );
    let r = c
        .get(
            &format!("{base}/v1/x"),
            &[
                ("host", "api.example.com"),
                ("authorization", "Bearer t"),
                ("x-request-id", "keep-me"),
            ],
        )
        .await;
    assert_eq!(r.json()["headers"]["x-request-id"], "keep-me");

    // 5xx from the origin gets cache-control: no-store (`if resp.status >= 500`).
    let r = c.get(&format!("{base}/v1/status/503"), &auth).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    let r = c.get(&format!("{base}/v1/status/404"), &auth).await;
    assert_eq!((r.status, r.header("cache-control")), (404, None));

    // Regex route, case-insensitive host, redirect, second host, custom 404.
    let r = c
        .get(
            &format!("{base}/v2/users"),
            &[("host", "API.Example.com:8080")],
        )
        .await;
    assert_eq!(r.status, 410);
    let r = c
        .get(&format!("{base}/old/page"), &[("host", "www.example.com")])
        .await;
    assert_eq!(
        (r.status, r.header("location")),
        (301, Some("https://www.example.com/new/"))
    );
    assert_eq!(r.header("server"), Some("proxyc-gateway"), "another route");
    assert_eq!(r.header("x-api-version"), None);
    let r = c
        .get(
            &format!("{base}/index.html"),
            &[("host", "www.example.com")],
        )
        .await;
    assert_eq!((r.status, r.header("x-origin")), (200, Some("web")));
    // The route's on response runs after the program's: its `server` wins.
    assert_eq!(r.header("server"), Some("proxyc-web"));
    assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
    assert_eq!(web.requests().len(), 1);
    let r = c
        .get(&format!("{base}/nothing"), &[("host", "other.example.com")])
        .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (404, "no route for other.example.com/nothing\n")
    );
    assert_eq!(
        (
            r.header("server"),
            r.header("x-api-version"),
            r.header("cache-control")
        ),
        (Some("proxyc-gateway"), None, None)
    );

    // Malformed framing never reaches an origin: 400.
    let before = api1.requests().len() + api2.requests().len();
    let smuggle = b"POST /v1/users HTTP/1.1\r\nHost: api.example.com\r\nAuthorization: Bearer t\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /v1/admin HTTP/1.1\r\nHost: api.example.com\r\n\r\n";
    let reply = raw_request(listen, smuggle).await;
    assert!(
        reply.starts_with("HTTP/1.1 400"),
        "CL + TE is refused: {reply}"
    );
    let reply = raw_request(
        listen,
        b"GET /v1/users HTTP/1.1\r\nHost: api.example.com\r\nBad Header\r\n\r\n",
    )
    .await;
    assert!(
        reply.starts_with("HTTP/1.1 400"),
        "malformed header line: {reply}"
    );
    let huge = format!(
        "GET / HTTP/1.1\r\nHost: api.example.com\r\nX-Big: {}\r\n\r\n",
        "a".repeat(200_000)
    );
    let reply = raw_request(listen, huge.as_bytes()).await;
    assert!(
        reply.starts_with("HTTP/1.1 431") || reply.starts_with("HTTP/1.1 400"),
        "oversized header: {reply}"
    );
    assert_eq!(
        api1.requests().len() + api2.requests().len(),
        before,
        "no bad request reached an origin"
    );

    // And the proxy still serves everyone else.
    let r = c.get(&format!("{base}/v1/after"), &auth).await;
    assert_eq!(r.status, 200);
    drop(proxy);
}
