//! Lists and flags read from files, end to end: a program with a CIDR list, a string list and
//! a flag serves a steady stream of keep-alive requests while each file is changed (by an
//! atomic rename and by an in-place rewrite); no request fails, and the new behaviour shows
//! within a second. A file that does not parse keeps the previous contents and the log names
//! its line. SIGHUP re-reads a change the poll cannot see (same size, inode and modification
//! time) and a discovery file read only every hour. `healthy(NAME)` follows health checks.

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pxy_tests::{build_file, free_addr, HttpClient, Origin, ProxyProcess};

/// Writes `text` to a temporary file beside `path`, then renames it over `path`.
fn replace_atomically(path: &Path, text: &str) {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

/// Rewrites `path` in place with `text` of the same length, then sets its modification time
/// back: the poll sees the same stamp (inode, size, time), only a forced re-read sees it.
fn rewrite_unseen(path: &Path, text: &str) {
    use std::io::Write as _;
    let meta = std::fs::metadata(path).unwrap();
    assert_eq!(meta.len(), text.len() as u64, "same size");
    let modified = meta.modified().unwrap();
    let mut file = std::fs::File::options().write(true).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
    file.set_modified(modified).unwrap();
}

/// How long until `check` holds, polling every 20 ms for at most 5 s (then panics).
async fn time_until<F, Fut>(what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(5) {
        if check().await {
            return start.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{what}: not seen within 5 s");
}

/// The background load: keep-alive requests with key `k1` until told to stop (at most
/// 200,000 requests or 60 s). Any transport error panics the task (the test then fails); a
/// status other than the program's answers counts as a failure.
struct Load {
    stop: Arc<AtomicBool>,
    sent: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl Load {
    fn start(url: String) -> Load {
        let stop = Arc::new(AtomicBool::new(false));
        let sent = Arc::new(AtomicU64::new(0));
        let failed = Arc::new(AtomicU64::new(0));
        let task = tokio::spawn({
            let (stop, sent, failed) = (stop.clone(), sent.clone(), failed.clone());
            async move {
                let client = HttpClient::http1();
                let start = Instant::now();
                while !stop.load(Ordering::Relaxed)
                    && sent.load(Ordering::Relaxed) < 200_000
                    && start.elapsed() < Duration::from_secs(60)
                {
                    let r = client.get(&url, &[("x-key", "k1")]).await;
                    let expected = match r.status {
                        200 => r.header("x-origin") == Some("app"),
                        401 => r.body == "no key\n",
                        403 => r.body == "blocked\n",
                        503 => r.body == "maintenance\n",
                        _ => false,
                    };
                    if !expected {
                        failed.fetch_add(1, Ordering::Relaxed);
                    }
                    sent.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        Load {
            stop,
            sent,
            failed,
            task,
        }
    }

    /// Stops the load and returns (sent, failed).
    async fn finish(self) -> (u64, u64) {
        self.stop.store(true, Ordering::Relaxed);
        self.task
            .await
            .expect("the load's requests all got answers");
        (
            self.sent.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        )
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_and_flags_follow_their_files_under_load_and_on_sighup() {
    let (listen, app_addr, a_addr, b_addr, dead) = (
        free_addr(),
        free_addr(),
        free_addr(),
        free_addr(),
        free_addr(),
    );
    let dir = pxy_tests::scratch_dir("data");
    let (blocked, keys, flag, servers) = (
        dir.join("blocked.txt"),
        dir.join("keys.txt"),
        dir.join("maintenance.on"),
        dir.join("servers.txt"),
    );
    std::fs::write(&blocked, "# nobody yet\n10.0.0.0/8\n").unwrap();
    std::fs::write(&keys, "k1\n").unwrap();
    std::fs::write(&servers, format!("{a_addr}\n")).unwrap();
    let _ = std::fs::remove_file(&flag);
    let source = format!(
        "listen http {listen}\n\
         \n\
         upstream app {{\n    server {app_addr}\n}}\n\
         upstream pool {{\n    discover file \"servers.txt\" every 1h\n}}\n\
         upstream gone {{\n    server {dead}\n    health tcp every 100ms timeout 100ms rise 1 fall 1\n}}\n\
         \n\
         list blocked: cidr from file \"blocked.txt\"\n\
         list keys: str from file \"keys.txt\"\n\
         flag maintenance from file \"maintenance.on\"\n\
         \n\
         route path \"/health/\" {{\n    if healthy(app) && !healthy(gone) {{\n        respond 200 \"app up, gone down\\n\"\n    }}\n    respond 503 \"not yet\\n\"\n}}\n\
         route path \"/pool/\" {{\n    proxy pool\n}}\n\
         route {{\n\
         \x20   if maintenance {{\n        respond 503 \"maintenance\\n\" headers {{ \"retry-after\" = \"30\" }}\n    }}\n\
         \x20   if client.ip in blocked {{\n        respond 403 \"blocked\\n\"\n    }}\n\
         \x20   if !(req.headers[\"x-key\"] in keys) {{\n        respond 401 \"no key\\n\"\n    }}\n\
         \x20   proxy app\n\
         }}\n"
    );
    let program = dir.join("data.pxy");
    std::fs::write(&program, source).unwrap();
    let bin = build_file(&program);

    // A list file missing at start-up: `--test` refuses, naming it.
    std::fs::rename(&keys, dir.join("keys.away")).unwrap();
    let test = std::process::Command::new(&bin)
        .arg("--test")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&test.stderr);
    assert!(
        !test.status.success() && stderr.contains("keys.txt"),
        "{stderr}"
    );
    std::fs::rename(dir.join("keys.away"), &keys).unwrap();

    let _app = Origin::start("app", app_addr).await;
    let _a = Origin::start("a", a_addr).await;
    let _b = Origin::start("b", b_addr).await;
    let proxy = ProxyProcess::start(&bin, &[], 1);
    let client = HttpClient::http1();
    let url = format!("http://{listen}/x");
    let status_with = |key: &'static str| {
        let (client, url) = (client.clone(), url.clone());
        async move { client.get(&url, &[("x-key", key)]).await.status }
    };
    assert_eq!(status_with("k1").await, 200);
    assert_eq!(status_with("k2").await, 401);
    let health = format!("http://{listen}/health/");
    time_until("healthy(app) && !healthy(gone)", || async {
        client.get(&health, &[]).await.status == 200
    })
    .await;

    let load = Load::start(url.clone());
    let mut took = Vec::new();

    // The str list: a rename adds k2; an in-place rewrite drops k1 (the load then gets 401s).
    replace_atomically(&keys, "k1\nk2\n");
    took.push((
        "str list, rename",
        time_until("k2 accepted", || async { status_with("k2").await == 200 }).await,
    ));
    std::fs::write(&keys, "k2\n").unwrap();
    took.push((
        "str list, in place",
        time_until("k1 refused", || async { status_with("k1").await == 401 }).await,
    ));
    std::fs::write(&keys, "k1\nk2\n").unwrap();
    time_until("k1 back", || async { status_with("k1").await == 200 }).await;

    // The CIDR list: the client (127.0.0.1) is blocked by a rename, unblocked in place.
    replace_atomically(&blocked, "10.0.0.0/8\n127.0.0.0/8\n");
    took.push((
        "cidr list, rename",
        time_until("blocked", || async { status_with("k1").await == 403 }).await,
    ));
    std::fs::write(&blocked, "10.0.0.0/8\n").unwrap();
    took.push((
        "cidr list, in place",
        time_until("unblocked", || async { status_with("k1").await == 200 }).await,
    ));

    // A bad line (a prefix too long) keeps the previous contents, and the log names it.
    std::fs::write(&blocked, "10.0.0.0/8\n127.0.0.0/33\n").unwrap();
    time_until("the bad line logged", || async {
        proxy.log_text().contains("line=2")
    })
    .await;
    let log = proxy.log_text();
    assert!(
        log.contains("invalid list file; keeping the previous contents")
            && log.contains("blocked.txt")
            && log.contains("127.0.0.0/33"),
        "{log}"
    );
    assert_eq!(status_with("k1").await, 200, "still the previous contents");

    // The flag: on while its file exists.
    std::fs::write(&flag, "").unwrap();
    took.push((
        "flag, created",
        time_until("maintenance", || async {
            let r = client.get(&url, &[("x-key", "k1")]).await;
            r.status == 503 && r.header("retry-after") == Some("30")
        })
        .await,
    ));
    std::fs::remove_file(&flag).unwrap();
    took.push((
        "flag, removed",
        time_until("maintenance over", || async {
            status_with("k1").await == 200
        })
        .await,
    ));

    // SIGHUP: a change the poll cannot see, and a discovery file read every hour.
    let pool = format!("http://{listen}/pool/y");
    assert_eq!(client.get(&pool, &[]).await.header("x-origin"), Some("a"));
    rewrite_unseen(&keys, "k3\nk2\n");
    std::fs::write(&servers, format!("{b_addr}\n")).unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(status_with("k3").await, 401, "the poll did not see it");
    assert_eq!(
        client.get(&pool, &[]).await.header("x-origin"),
        Some("a"),
        "discovery waits an hour"
    );
    proxy.signal("HUP");
    took.push((
        "SIGHUP, list",
        time_until("k3 accepted", || async { status_with("k3").await == 200 }).await,
    ));
    took.push((
        "SIGHUP, discovery",
        time_until("the pool moved to b", || async {
            client.get(&pool, &[]).await.header("x-origin") == Some("b")
        })
        .await,
    ));

    let (sent, failed) = load.finish().await;
    eprintln!("{sent} requests under load, {failed} failed; time to apply: {took:?}");
    assert_eq!(failed, 0, "of {sent}");
    assert!(sent >= 1000, "only {sent} requests under load");
    for (what, t) in &took {
        assert!(*t < Duration::from_secs(1), "{what}: {t:?}");
    }
    let log = proxy.log_text();
    assert!(
        log.contains("re-reading lists, flags and discovery"),
        "{log}"
    );
}

/// `examples/maintenance.pxy` as written (addresses and health timings changed for the test):
/// the flag file turns the 503 page on, the office list exempts the client, and every server
/// down turns it on too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_maintenance_example_answers_503_unless_the_office_asks() {
    let (listen, a_addr, b_addr) = (free_addr(), free_addr(), free_addr());
    let bin = pxy_tests::build_program(
        "maintenance",
        &[
            ("127.0.0.1:8080".into(), listen.to_string()),
            ("127.0.0.1:9001".into(), a_addr.to_string()),
            ("127.0.0.1:9002".into(), b_addr.to_string()),
            (
                "every 2s timeout 1s rise 2 fall 2".into(),
                "every 100ms timeout 100ms rise 1 fall 1".into(),
            ),
        ],
    );
    // The files sit beside the program, which `build_program` wrote next to the binary.
    let dir = bin.parent().expect("the build's directory").to_path_buf();
    let (office, flag) = (dir.join("office.txt"), dir.join("maintenance.on"));
    std::fs::write(&office, "# the office\n10.0.0.0/8\n").unwrap();
    let a = Origin::start("a", a_addr).await;
    let b = Origin::start("b", b_addr).await;
    let _proxy = ProxyProcess::start(&bin, &[], 1);
    let client = HttpClient::http1();
    let url = format!("http://{listen}/page");
    let is_maintenance = |r: &pxy_tests::Reply| {
        r.status == 503
            && r.header("retry-after") == Some("120")
            && r.body.starts_with("down for maintenance")
    };
    assert_eq!(client.get(&url, &[]).await.status, 200);

    std::fs::write(&flag, "").unwrap();
    time_until("the flag turns the page on", || async {
        is_maintenance(&client.get(&url, &[]).await)
    })
    .await;
    // The office (the client, 127.0.0.1) still gets through.
    replace_atomically(&office, "10.0.0.0/8\n127.0.0.1\n");
    time_until("the office passes", || async {
        client.get(&url, &[]).await.status == 200
    })
    .await;
    replace_atomically(&office, "10.0.0.0/8\n");
    std::fs::remove_file(&flag).unwrap();
    time_until("the page is off", || async {
        client.get(&url, &[]).await.status == 200
    })
    .await;

    // Every server down: the page again, without the flag.
    drop((a, b));
    time_until("all down turns the page on", || async {
        is_maintenance(&client.get(&url, &[]).await)
    })
    .await;
}
