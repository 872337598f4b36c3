//! A compiled program's `server { }` block reaches its process: the admin listener it names
//! serves, its `max_uri_length` answers 414, its `grace_period` bounds how long a graceful
//! stop waits for a request in flight; and a flag given at start-up overrides the program.

use std::time::{Duration, Instant};

use pxy_tests::{build_source, free_addr, HttpClient, Origin, ProxyProcess};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_block_sets_admin_uri_limit_and_grace_period_and_flags_override_it() {
    let (listen, admin, origin_addr) = (free_addr(), free_addr(), free_addr());
    let origin = Origin::start("slow", origin_addr).await;
    let source = format!(
        "server {{\n    grace_period 1s\n    max_uri_length 64B\n    admin {admin}\n}}\n\
         listen http {listen}\n\
         upstream app {{ server {origin_addr} read_timeout 30s }}\n\
         route {{ proxy app }}\n"
    );
    let bin = build_source("server_settings", &source);
    // Two lines say "listening on": the listener and the admin listener.
    let mut proxy = ProxyProcess::start(&bin, &[], 2);
    let client = HttpClient::http1();

    let health = client.get(&format!("http://{admin}/healthz"), &[]).await;
    assert_eq!((health.status, health.body.as_str()), (200, "ok\n"));

    let short = format!("http://{listen}/{}", "a".repeat(40));
    assert_eq!(client.get(&short, &[]).await.status, 200);
    let long = format!("http://{listen}/{}", "a".repeat(64));
    assert_eq!(
        client.get(&long, &[]).await.status,
        414,
        "max_uri_length 64B"
    );

    // A request the origin answers in 20 s is in flight when SIGTERM comes: the process
    // waits the grace period (1 s), not the response.
    let slow = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .get(&format!("http://{listen}/slow/20000"), &[])
                .await
        }
    });
    for _ in 0..200 {
        if origin
            .requests()
            .iter()
            .any(|r| r.uri.starts_with("/slow/"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let start = Instant::now();
    let status = proxy
        .terminate(Duration::from_secs(10))
        .expect("exits within the grace period");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(4),
        "stopped after {took:?} with grace_period 1s ({status:?})\n{}",
        proxy.log_text()
    );
    slow.abort();

    // Flags override the program: a longer URI limit, no admin listener change needed.
    let mut flagged = ProxyProcess::start(&bin, &["--max-uri-length", "200"], 2);
    assert_eq!(
        client.get(&long, &[]).await.status,
        200,
        "--max-uri-length 200"
    );
    let status = flagged
        .terminate(Duration::from_secs(10))
        .expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}");
}
