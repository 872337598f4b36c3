//! The access log as operators ship it, through built binaries: JSON lines to a file that a
//! logrotate-style `mv` and SIGUSR1 rotate (the lines before the signal stay, complete, in
//! the moved file; later ones land in the new file), and Apache's combined format chosen by
//! flag over the program's setting, with the sizes and escaping log analysers expect.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use pxy_tests::{build_source, free_addr, HttpClient, Origin, ProxyProcess};

/// A fresh directory for this test's log files, under the target dir.
fn log_dir(name: &str) -> PathBuf {
    pxy_tests::scratch_dir(name)
}

fn lines(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// Polls `done` every 10 ms for at most 10 s.
fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not one JSON object ({e}): {line}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_go_to_a_file_that_mv_and_sigusr1_rotate() {
    let (listen, origin_addr) = (free_addr(), free_addr());
    let _origin = Origin::start("app", origin_addr).await;
    let dir = log_dir("access-json");
    let file = dir.join("access.log");
    let rotated = dir.join("access.log.1");
    let source = format!(
        "server {{ access_log json access_log_file \"{}\" }}\n\
         listen http {listen}\n\
         upstream app {{ server {origin_addr} }}\n\
         on log {{ set log[\"user\"] = req.headers[\"x-user\"] ?? \"-\" }}\n\
         route path \"/local\" {{ respond 404 \"local\\n\" }}\n\
         route {{ proxy app }}\n",
        file.display()
    );
    let bin = build_source("access_json", &source);
    // `--test` opens the log file as serving would: a directory that does not exist fails the
    // check, with the path; the program's own file passes.
    let unwritable = dir.join("no-such-dir").join("access.log");
    let checked = std::process::Command::new(&bin)
        .arg("--test")
        .arg("--access-log-file")
        .arg(&unwritable)
        .output()
        .expect("run --test");
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert!(!checked.status.success(), "{stderr}");
    assert!(
        stderr.contains(&unwritable.display().to_string()),
        "{stderr}"
    );
    let checked = std::process::Command::new(&bin)
        .arg("--test")
        .output()
        .expect("run --test");
    assert!(checked.status.success(), "{checked:?}");
    let mut proxy = ProxyProcess::start(&bin, &["--threads", "1"], 1);
    let client = HttpClient::http1();
    let base = format!("http://{listen}");
    // Quotes and backslashes a JSON line must escape.
    let user = r#"a"b\c{"x":1}"#;

    for i in 0..20 {
        let r = client
            .get(&format!("{base}/before/{i}"), &[("x-user", user)])
            .await;
        assert_eq!(r.status, 200);
    }
    // What logrotate does: the file is complete, moved, then the proxy told to reopen.
    wait_for("20 lines in the file", || lines(&file).len() == 20);
    std::fs::rename(&file, &rotated).expect("moved");
    proxy.signal("USR1");
    wait_for("the reopen", || {
        proxy.log_text().contains("reopened the access log file")
    });
    for i in 0..10 {
        let r = client.get(&format!("{base}/after/{i}"), &[]).await;
        assert_eq!(r.status, 200);
    }
    assert_eq!(client.get(&format!("{base}/local"), &[]).await.status, 404);
    proxy.terminate(Duration::from_secs(10)).expect("exits");

    let old = lines(&rotated);
    assert_eq!(
        old.len(),
        20,
        "the moved file keeps exactly its lines: {old:#?}"
    );
    for (i, line) in old.iter().enumerate() {
        let v = json(line);
        assert_eq!(v["path"], format!("/before/{i}"), "{line}");
        assert_eq!(v["method"], "GET");
        assert_eq!(v["status"], 200);
        assert_eq!(v["upstream"], origin_addr.to_string());
        assert_eq!(v["user"], user, "{line}");
        assert!(
            v["duration_us"].is_u64() && v["request_id"].is_string(),
            "{line}"
        );
        assert!(
            v["time"].as_str().is_some_and(|t| t.ends_with('Z')),
            "{line}"
        );
    }
    let new = lines(&file);
    assert_eq!(new.len(), 11, "later lines are in the new file: {new:#?}");
    for (i, line) in new.iter().take(10).enumerate() {
        assert_eq!(json(line)["path"], format!("/after/{i}"), "{line}");
        assert_eq!(json(line)["user"], "-");
    }
    let local = json(&new[10]);
    assert_eq!(
        (local["path"].as_str(), local["status"].as_u64()),
        (Some("/local"), Some(404))
    );
    assert!(
        local.get("upstream").is_none(),
        "no upstream, no key: {local}"
    );
    assert!(
        !proxy.log_text().contains("pxy::access"),
        "nothing of the access log on standard error"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flag_chooses_apaches_combined_format() {
    let (listen, origin_addr) = (free_addr(), free_addr());
    let _origin = Origin::start("app", origin_addr).await;
    let dir = log_dir("access-combined");
    let file = dir.join("combined.log");
    let source = format!(
        "server {{ access_log text }}\n\
         listen http {listen}\n\
         upstream app {{ server {origin_addr} }}\n\
         route path \"/local\" {{ respond 404 \"local\\n\" }}\n\
         route {{ proxy app }}\n"
    );
    let bin = build_source("access_combined", &source);
    let file_flag = file.display().to_string();
    let mut proxy = ProxyProcess::start(
        &bin,
        &["--access-log", "combined", "--access-log-file", &file_flag],
        1,
    );
    let base = format!("http://{listen}");
    let proxied = HttpClient::http1()
        .get(
            &format!("{base}/c?q=1"),
            &[("user-agent", r#"curl/8 "x" \y"#), ("referer", "http://r/")],
        )
        .await;
    assert_eq!(proxied.status, 200);
    let local = HttpClient::http2()
        .get(&format!("{base}/local"), &[("user-agent", "h2")])
        .await;
    assert_eq!(local.status, 404);
    proxy.terminate(Duration::from_secs(10)).expect("exits");

    let written = lines(&file);
    assert_eq!(written.len(), 2, "{written:#?}");
    let time = r"\[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2} \+0000\]";
    let first = regex::Regex::new(&format!(
        r#"^127\.0\.0\.1 - - {time} "GET /c\?q=1 HTTP/1\.1" 200 (\d+) "http://r/" "curl/8 \\"x\\" \\\\y"$"#
    ))
    .expect("a regex");
    let caps = first
        .captures(&written[0])
        .unwrap_or_else(|| panic!("not the combined format: {}", written[0]));
    assert_eq!(caps[1].parse::<usize>().ok(), Some(proxied.body.len()));
    let second = regex::Regex::new(&format!(
        r#"^127\.0\.0\.1 - - {time} "GET /local HTTP/2\.0" 404 6 "-" "h2"$"#
    ))
    .expect("a regex");
    assert!(second.is_match(&written[1]), "{}", written[1]);
}
