//! `examples/edge.pxy`: regex captures, query parameters and cookies, CIDR lists, a stable
//! canary split, text functions and JSON error pages, through a real proxy process.

use pxy_tests::{build_program, free_addr, HttpClient, Origin, ProxyProcess};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn captures_query_cookies_canary_functions_and_error_pages() {
    let (listen, app_addr, v2_addr) = (free_addr(), free_addr(), free_addr());
    let bin = build_program(
        "edge",
        &[
            ("127.0.0.1:8080".into(), listen.to_string()),
            ("127.0.0.1:9001".into(), app_addr.to_string()),
            ("127.0.0.1:9002".into(), v2_addr.to_string()),
        ],
    );
    let app = Origin::start("app", app_addr).await;
    let v2 = Origin::start("v2", v2_addr).await;
    let _proxy = ProxyProcess::start(&bin, &[], 1);
    let base = format!("http://{listen}");
    let c = HttpClient::http1();

    // Captures: /users/42 is rewritten with the named group; the numbered group in a header.
    let r = c
        .get(&format!("{base}/users/42?x=1"), &[("x-internal", "yes")])
        .await;
    let seen = r.json();
    assert_eq!(seen["uri"], "/api/users/42?x=1");
    assert_eq!(seen["headers"]["x-user-id"], "42");
    assert_eq!(
        seen["headers"]["x-internal"], "yes",
        "127.0.0.1 is in the internal list"
    );
    assert_eq!(c.get(&format!("{base}/users/abc"), &[]).await.status, 404);

    // Canary: beta=1 always goes to v2; sessions split stably, about 5% to v2.
    let r = c
        .get(&format!("{base}/checkout/cart"), &[("cookie", "beta=1")])
        .await;
    assert_eq!(r.header("x-origin"), Some("v2"));
    let mut to_v2 = 0;
    for i in 0..400 {
        let cookie = format!("session=s{i}");
        let first = c
            .get(&format!("{base}/checkout/"), &[("cookie", &cookie)])
            .await;
        let again = c
            .get(&format!("{base}/checkout/"), &[("cookie", &cookie)])
            .await;
        assert_eq!(
            first.header("x-origin"),
            again.header("x-origin"),
            "a session stays on its side"
        );
        if first.header("x-origin") == Some("v2") {
            to_v2 += 1;
        }
    }
    assert!(
        (4..=40).contains(&to_v2),
        "about 5% of 400 sessions go to v2, got {to_v2}"
    );
    assert!(
        v2.requests().len() > 2 * to_v2,
        "beta and canary requests reached v2"
    );

    // Query parameters, url_decode and lower.
    let r = c
        .get(&format!("{base}/search?q=Hello%20World&page=2"), &[])
        .await;
    assert_eq!(
        (r.status, r.body.as_str()),
        (200, "results for hello world (page 2)\n")
    );
    let r = c.get(&format!("{base}/search?page=3"), &[]).await;
    assert_eq!((r.status, r.body.as_str()), (400, "missing ?q=\n"));

    // `if ... matches ... as`: a redirect built from a group.
    let r = c.get(&format!("{base}/legacy/docs/intro"), &[]).await;
    assert_eq!(
        (r.status, r.header("location")),
        (308, Some("/v2/docs/intro"))
    );

    // base64_decode, replace, split.
    let r = c
        .get(
            &format!("{base}/whoami"),
            &[("authorization", "Basic dXNlcjpwYXNz")],
        )
        .await;
    assert_eq!(r.body, "hello user\n");
    let r = c.get(&format!("{base}/whoami"), &[]).await;
    assert_eq!(
        (r.status, r.header("www-authenticate")),
        (401, Some("Basic realm=\"edge\""))
    );

    // on error: a JSON page with the error's status and kind.
    // Dropping the origin aborts its tasks asynchronously: a request may still reach a
    // connection that is being torn down, so ask again (bounded) until it is gone.
    drop(app);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mut r = c.get(&format!("{base}/users/7"), &[]).await;
    while r.status == 200 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        r = c.get(&format!("{base}/users/7"), &[]).await;
    }
    assert_eq!(r.status, 502);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        r.body,
        "{\"error\": \"connect_refused\", \"status\": 502}\n"
    );
}
