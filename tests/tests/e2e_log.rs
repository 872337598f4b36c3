//! `on log` through the whole chain: a program adding access log fields is built with
//! `proxyc build` and run as a process; the fields show up, with the right values and safely
//! escaped, at the end of each request's `pxy::access` line.

use std::time::Duration;

use pxy_tests::{build_source, free_addr, HttpClient, Origin, ProxyProcess};

const PROGRAM: &str = r#"
listen http LISTEN

upstream app { server ORIGIN }

on log {
    set log["user"] = req.headers["x-user"] ?? "-"
    set log["note"] = url_decode(req.query["note"] ?? "")
    set log["sent"] = "{resp.status}"
    set log["backend"] = "{upstream.name ?? "none"}@{upstream.addr ?? "none"}"
    if resp.status >= 400 {
        set log["failed"] = "yes"
    }
}

route path "/local" { respond 404 "local\n" }
route { proxy app }
"#;

/// The access log line of the request whose path is `path`.
fn access_line(log: &str, path: &str) -> String {
    let needle = format!("path=\"{path}\"");
    log.lines()
        .find(|l| l.contains("pxy::access") && l.contains(&needle))
        .unwrap_or_else(|| panic!("no access line for {path} in:\n{log}"))
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_log_fields_end_the_access_line_escaped() {
    let listen = free_addr();
    let origin_addr = free_addr();
    let origin = Origin::start("app", origin_addr).await;
    let source = PROGRAM
        .replace("LISTEN", &listen.to_string())
        .replace("ORIGIN", &origin_addr.to_string());
    let bin = build_source("on_log", &source);
    let mut proxy = ProxyProcess::start(&bin, &["--threads", "1"], 1);
    let base = format!("http://{listen}");
    let client = HttpClient::http1();

    let r = client
        .get(&format!("{base}/proxied"), &[("x-user", "ada")])
        .await;
    assert_eq!(r.status, 200);
    let r = client.get(&format!("{base}/local"), &[]).await;
    assert_eq!(r.status, 404);
    // A decoded quote, CR/LF and a fake field must stay inside the one quoted value.
    let r = client
        .get(
            &format!("{base}/evil?note=a%22%0D%0Astatus%3D200%20x%3D%22"),
            &[],
        )
        .await;
    assert_eq!(r.status, 200);

    proxy.terminate(Duration::from_secs(10)).expect("exits");
    let log = proxy.log_text();
    origin.stop();

    let line = access_line(&log, "/proxied");
    assert!(
        line.ends_with(&format!(
            r#"user="ada" note="" sent="200" backend="app@{origin_addr}""#
        )),
        "{line}"
    );
    let line = access_line(&log, "/local");
    assert!(
        line.ends_with(r#"user="-" note="" sent="404" backend="none@none" failed="yes""#),
        "{line}"
    );
    let line = access_line(&log, "/evil");
    assert!(
        line.contains(r#"note="a\"\r\nstatus=200 x=\"" sent="200""#),
        "{line}"
    );
    assert_eq!(
        log.lines().filter(|l| l.contains("pxy::access")).count(),
        3,
        "one line per request, none split:\n{log}"
    );
}
