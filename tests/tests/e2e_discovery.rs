//! `discover file` and `discover dns` through the language: servers come from a file that is
//! re-read when it changes, or from a name resolved again on an interval. The file's relative
//! path is relative to the `.pxy` file, not to where the binary runs; a file with no server is
//! refused at start (`--test` too) and ignored, with a warning, at run time.

use std::process::Command;
use std::time::{Duration, Instant};

use pxy_tests::{build_file, free_addr, HttpClient, Origin, ProxyProcess};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn servers_from_a_file_follow_its_changes_and_dns_names_resolve() {
    let (listen, a_addr, b_addr) = (free_addr(), free_addr(), free_addr());
    let dir = pxy_tests::scratch_dir("discovery");
    let servers = dir.join("servers.txt");
    std::fs::write(&servers, format!("# the pool\n{a_addr}\n")).unwrap();
    // Named relatively, beside the program; the proxy runs in the test's own directory.
    let source = format!(
        "listen http {listen}\n\
         upstream pool {{\n    discover file \"servers.txt\" every 100ms\n}}\n\
         upstream local {{\n    discover dns \"localhost\" port {} every 1s\n}}\n\
         route path \"/local/\" {{\n    proxy local\n}}\n\
         route {{\n    proxy pool\n}}\n",
        b_addr.port()
    );
    let program = dir.join("discovery.pxy");
    std::fs::write(&program, source).unwrap();
    let bin = build_file(&program);
    assert_ne!(std::env::current_dir().unwrap(), dir);

    // A file that lists no server: `--test` refuses it, naming it.
    std::fs::write(&servers, "# nothing yet\n").unwrap();
    let test = Command::new(&bin)
        .arg("--test")
        .output()
        .expect("run --test");
    let stderr = String::from_utf8_lossy(&test.stderr);
    assert!(!test.status.success(), "{stderr}");
    assert!(
        stderr.contains("servers.txt") && stderr.contains("no backend listed"),
        "{stderr}"
    );
    std::fs::write(&servers, format!("# the pool\n{a_addr}\n")).unwrap();

    let a = Origin::start("a", a_addr).await;
    let b = Origin::start("b", b_addr).await;
    let proxy = ProxyProcess::start(&bin, &[], 1);
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

    // Emptied at run time (a writer that truncates first): the servers it had are kept.
    std::fs::write(&servers, "").unwrap();
    tokio::time::sleep(Duration::from_millis(400)).await;
    for _ in 0..5 {
        assert_eq!(client.get(&url, &[]).await.header("x-origin"), Some("b"));
    }
    let log = proxy.log_text();
    assert!(
        log.contains("keeping the current backends") && log.contains("no backend listed"),
        "{log}"
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
