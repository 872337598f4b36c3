//! `examples/resilient.pxy` under failure, through a real proxy process: an origin killed in
//! the middle of a bounded request loop costs zero failed requests; brought back, it gets
//! traffic again once its health check rises; the backup serves only when every primary is
//! down; with everything down the declared 503 comes with the custom error page; sticky
//! sessions keep a session on one server.

use std::time::{Duration, Instant};

use pxy_tests::{build_program, free_addr, HttpClient, Origin, ProxyProcess};

/// Requests an origin served that were not health checks.
fn served(origin: &Origin) -> usize {
    origin
        .requests()
        .iter()
        .filter(|r| r.uri != "/healthz")
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_recovery_backup_all_down_and_sticky_sessions() {
    let (listen, a_addr, b_addr, c_addr) = (free_addr(), free_addr(), free_addr(), free_addr());
    let bin = build_program(
        "resilient",
        &[
            ("127.0.0.1:8080".into(), listen.to_string()),
            ("127.0.0.1:9001".into(), a_addr.to_string()),
            ("127.0.0.1:9002".into(), b_addr.to_string()),
            ("127.0.0.1:9003".into(), c_addr.to_string()),
            // Seconds in the example; a test cannot wait that long.
            (
                "every 5s timeout 1s rise 3 fall 2".into(),
                "every 100ms timeout 100ms rise 2 fall 2".into(),
            ),
        ],
    );
    let mut a = Some(Origin::start("a", a_addr).await);
    let b = Origin::start("b", b_addr).await;
    let c = Origin::start("c", c_addr).await;
    let admin = free_addr();
    let admin_arg = admin.to_string();
    let proxy = ProxyProcess::start(&bin, &["--admin", &admin_arg], 1);
    let url = format!("http://{listen}/v1/items");
    let api = [("host", "api.example.com")];
    let client = HttpClient::http1();

    // A bounded loop; origin a dies a third of the way through. No request may fail.
    let mut failures = Vec::new();
    for i in 0..300 {
        if i == 100 {
            a = None;
        }
        let r = client.get(&url, &api).await;
        if r.status != 200 {
            failures.push((i, r.status, r.body));
        }
    }
    assert!(failures.is_empty(), "failed requests: {failures:?}");
    assert!(served(&b) > 150, "b took over: {}", served(&b));
    assert_eq!(
        served(&c),
        0,
        "the backup is not used while a primary is up"
    );

    // a comes back: it gets traffic again once `rise` checks have passed (bounded wait).
    assert!(a.is_none());
    let back = Origin::start("a", a_addr).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while served(&back) == 0 && Instant::now() < deadline {
        assert_eq!(client.get(&url, &api).await.status, 200);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        served(&back) > 0,
        "a is back in rotation after its health check rose"
    );

    // Both primaries down: the backup serves.
    drop(back);
    drop(b);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let r = client.get(&url, &api).await;
    assert_eq!(
        (r.status, r.header("x-origin")),
        (200, Some("c")),
        "{}",
        r.body
    );

    // Everything down: `when_all_down unavailable` answers 503 with the `on error` page.
    drop(c);
    tokio::time::sleep(Duration::from_millis(600)).await;
    let r = client.get(&url, &api).await;
    assert_eq!(r.status, 503);
    assert_eq!(r.body, "upstream unavailable (no_healthy_backend)\n");
    assert!(
        proxy.log_text().contains("pxy::health"),
        "health changes are logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_stick_to_one_server() {
    let (listen, a_addr, b_addr) = (free_addr(), free_addr(), free_addr());
    let bin = build_program(
        "resilient",
        &[
            ("127.0.0.1:8080".into(), listen.to_string()),
            ("127.0.0.1:9001".into(), a_addr.to_string()),
            ("127.0.0.1:9002".into(), b_addr.to_string()),
            ("127.0.0.1:9003".into(), free_addr().to_string()),
        ],
    );
    let _a = Origin::start("a", a_addr).await;
    let _b = Origin::start("b", b_addr).await;
    let _proxy = ProxyProcess::start(&bin, &[], 1);
    let client = HttpClient::http1();
    let mut seen = std::collections::HashSet::new();
    for session in 0..40 {
        let cookie = format!("session=user-{session}");
        let first = client
            .get(&format!("http://{listen}/app/cart"), &[("cookie", &cookie)])
            .await;
        let origin = first.header("x-origin").expect("proxied").to_string();
        for _ in 0..5 {
            let again = client
                .get(&format!("http://{listen}/app/cart"), &[("cookie", &cookie)])
                .await;
            assert_eq!(
                again.header("x-origin"),
                Some(origin.as_str()),
                "session {session} moved"
            );
        }
        seen.insert(origin);
    }
    assert_eq!(seen.len(), 2, "sessions spread over both servers");
}
