//! The admin listener's status page in a real browser (Debian's chromium, headless): the page
//! loads with no console message but its own, shows the program's routes with their counts
//! and every server with its health, and shows a server going down once its origin is
//! killed. A screenshot of that is kept under the target dir
//! (`target/e2e/status-page-PID-N/status-down.png`). One browser test, bounded in time: each
//! chromium run is killed after 60 s.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pxy_tests::{build_source, free_addr, HttpClient, Origin, ProxyProcess};

/// What one headless chromium run printed.
struct Run {
    stdout: String,
    stderr: String,
}

impl Run {
    /// The page's console messages, as chromium logs them to stderr.
    fn console(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .collect()
    }

    /// Asserts the dumped page holds `html`.
    fn assert_shows(&self, html: &str) {
        assert!(
            self.stdout.contains(html),
            "the page does not show {html}:\n{}",
            self.stdout
        );
    }
}

/// Runs chromium headless on `url` with `args` (`--dump-dom`, `--screenshot=...`), giving the
/// page 4 s of virtual time (its first fetches and redraws), killed after 60 s.
fn chromium(profile: &Path, url: &str, args: &[&str]) -> Run {
    let dir = profile.parent().expect("a parent");
    let (out, err) = (dir.join("chromium.out"), dir.join("chromium.err"));
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=4000",
            "--window-size=1280,900",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).expect("an output file"))
        .stderr(std::fs::File::create(&err).expect("an output file"))
        .spawn()
        .expect("chromium runs (scripts/setup.sh installs it)");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match child.try_wait().expect("waitable") {
            Some(_) => break,
            None if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("chromium did not finish within 60 s");
            }
            None => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let read = |p: &PathBuf| std::fs::read_to_string(p).unwrap_or_default();
    Run {
        stdout: read(&out),
        stderr: read(&err),
    }
}

/// Asserts the page said it was ready and nothing else: an error, a failed fetch or a
/// missing resource would be a console message of its own.
fn assert_clean_console(run: &Run) {
    let console = run.console();
    assert!(
        console.iter().any(|l| l.contains("pxy-status: ready")),
        "the page rendered a snapshot; chromium's stderr:\n{}",
        run.stderr
    );
    let others: Vec<&&str> = console
        .iter()
        .filter(|l| !l.contains("pxy-status: ready"))
        .collect();
    assert!(others.is_empty(), "console messages: {others:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_status_page_shows_routes_and_a_server_going_down() {
    let (listen, admin, origin_addr) = (free_addr(), free_addr(), free_addr());
    let origin = Origin::start("app", origin_addr).await;
    let source = format!(
        "server {{ admin {admin} }}\n\
         listen http {listen}\n\
         upstream app {{ server {origin_addr} health tcp every 200ms timeout 200ms rise 1 fall 1 }}\n\
         route \"api\" path \"/api/\" {{ proxy app }}\n\
         route {{ respond 404 \"no\\n\" }}\n"
    );
    let bin = build_source("status_page", &source);
    let _proxy = ProxyProcess::start(&bin, &[], 2);
    let client = HttpClient::http1();
    for _ in 0..5 {
        let r = client.get(&format!("http://{listen}/api/x"), &[]).await;
        assert_eq!(r.status, 200);
    }
    for _ in 0..2 {
        let r = client.get(&format!("http://{listen}/nope"), &[]).await;
        assert_eq!(r.status, 404);
    }
    let dir = pxy_tests::scratch_dir("status-page");
    let profile = dir.join("profile");
    let page = format!("http://{admin}/status");

    let up = chromium(&profile, &page, &["--dump-dom"]);
    assert_clean_console(&up);
    up.assert_shows(&format!(
        "data-upstream=\"app\" data-server=\"{origin_addr}\" data-health=\"up\""
    ));
    up.assert_shows(r#"<tr data-route="api"><td>api</td><td class="n" data-requests="">5</td>"#);

    // The origin is killed; the health check takes the server out.
    drop(origin);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let status = client
            .get(&format!("http://{admin}/status.json"), &[])
            .await;
        let json = status.json();
        if json["upstreams"][0]["servers"][0]["healthy"] == false {
            // Both routes (the second by file:line) and `none`, no request lost.
            assert_eq!(json["routes"].as_array().map(Vec::len), Some(3), "{json}");
            assert_eq!(
                (json["requests"].as_u64(), json["in_flight"].as_u64()),
                (Some(7), Some(0)),
                "{json}"
            );
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server never went down: {json}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let down = chromium(&profile, &page, &["--dump-dom"]);
    assert_clean_console(&down);
    down.assert_shows(&format!(
        "data-server=\"{origin_addr}\" data-health=\"down\""
    ));
    let shot = dir.join("status-down.png");
    let run = chromium(
        &profile,
        &page,
        &[&format!("--screenshot={}", shot.display())],
    );
    let png = std::fs::read(&shot)
        .unwrap_or_else(|e| panic!("no screenshot ({e}); chromium:\n{}", run.stderr));
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
}
