//! `discover file` and `discover dns` through the language: servers come from a file that is
//! re-read when it changes, or from a name resolved again on an interval.

use std::time::{Duration, Instant};

use pxy_tests::{build_source, free_addr, HttpClient, Origin, ProxyProcess};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_from_a_file_follow_its_changes_and_dns_names_resolve() {
    let (listen, a_addr, b_addr) = (free_addr(), free_addr(), free_addr());
    let dir = pxy_tests::workspace_root()
        .join("target")
        .join("e2e")
        .join(format!("discovery-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let servers = dir.join("servers.txt");
    std::fs::write(&servers, format!("# the pool\n{a_addr}\n")).unwrap();
    let source = format!(
        "listen http {listen}\n\
         upstream pool {{\n    discover file \"{}\" every 100ms\n}}\n\
         upstream local {{\n    discover dns \"localhost\" port {} every 1s\n}}\n\
         route path \"/local/\" {{\n    proxy local\n}}\n\
         route {{\n    proxy pool\n}}\n",
        servers.display(),
        b_addr.port()
    );
    let bin = build_source("discovery", &source);
    let a = Origin::start("a", a_addr).await;
    let b = Origin::start("b", b_addr).await;
    let _proxy = ProxyProcess::start(&bin, &[], 1);
    let client = HttpClient::http1();
    let url = format!("http://{listen}/x");

    let r = client.get(&url, &[]).await;
    assert_eq!((r.status, r.header("x-origin")), (200, Some("a")));

    // Replace a with b in the file: within a bounded time, requests go to b only.
    std::fs::write(&servers, format!("{b_addr} weight=2\n")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut moved = false;
    while Instant::now() < deadline {
        if client.get(&url, &[]).await.header("x-origin") == Some("b") {
            moved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(moved, "the rewritten file was applied");
    let before = a.requests().len();
    for _ in 0..10 {
        assert_eq!(client.get(&url, &[]).await.header("x-origin"), Some("b"));
    }
    assert_eq!(
        a.requests().len(),
        before,
        "the removed server gets no new requests"
    );

    // `localhost` resolves to 127.0.0.1 (and maybe ::1, where nothing listens: retried).
    let r = client.get(&format!("http://{listen}/local/y"), &[]).await;
    assert_eq!(
        (r.status, r.header("x-origin")),
        (200, Some("b")),
        "{}",
        r.body
    );
    drop(b);
}
