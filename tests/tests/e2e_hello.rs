//! `examples/hello.pxy` built with `proxyc build` and run as a process: it answers by itself
//! over HTTP/1.1 and HTTP/2 (h2c), validates with `--test`, stops cleanly on SIGTERM, and
//! applies the client limits its flags set. The same program built from two directories is
//! the same binary, whose SHA-256 `proxyc build` prints and whose `--version` names proxyc
//! and the source's hash.

use std::time::Duration;

use pxy_tests::{
    build_program, build_target_dir, free_addr, proxyc, workspace_root, HttpClient, ProxyProcess,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hello_answers_over_http1_and_http2_and_stops_on_sigterm() {
    let listen = free_addr();
    let bin = build_program("hello", &[("127.0.0.1:8080".into(), listen.to_string())]);

    let test = std::process::Command::new(&bin)
        .arg("--test")
        .output()
        .unwrap();
    assert!(test.status.success());
    assert!(String::from_utf8_lossy(&test.stdout).contains("hello: configuration ok"));

    let mut proxy = ProxyProcess::start(&bin, &["--threads", "2"], 1);
    let base = format!("http://{listen}");

    let r = HttpClient::http1().get(&format!("{base}/"), &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, "Welcome to proxyc. Try /hello/you\n");
    assert_eq!(
        r.header("server"),
        Some("proxyc"),
        "on response applies to local answers"
    );
    assert_eq!(r.header("content-type"), Some("text/plain; charset=utf-8"));

    let r = HttpClient::http1()
        .get(&format!("{base}/hello/there"), &[("x-name", "Ada")])
        .await;
    assert_eq!(r.body, "Hello, Ada! You asked for /hello/there.\n");
    assert_eq!(r.header("x-served-by"), Some("proxyc"));

    let h2 = HttpClient::http2();
    let r = h2.get(&format!("{base}/hello/h2"), &[]).await;
    assert_eq!(r.version, hyper::Version::HTTP_2);
    assert_eq!(r.body, "Hello, world! You asked for /hello/h2.\n");
    let r = h2.send("HEAD", &format!("{base}/health"), &[], "").await;
    assert_eq!(r.status, 200);
    let r = h2.send("POST", &format!("{base}/health"), &[], "x").await;
    assert_eq!(
        r.status, 200,
        "POST /health is not GET/HEAD so it falls to the catch-all route"
    );
    assert!(r.body.starts_with("Welcome"));

    // A real command-line client too.
    let curl = std::process::Command::new("curl")
        .args([
            "-s",
            "--http2-prior-knowledge",
            "-H",
            "x-name: curl",
            &format!("{base}/hello/c"),
        ])
        .output()
        .expect("curl is installed by scripts/setup.sh");
    assert_eq!(
        String::from_utf8_lossy(&curl.stdout),
        "Hello, curl! You asked for /hello/c.\n"
    );

    let status = proxy
        .terminate(Duration::from_secs(10))
        .expect("exits after SIGTERM");
    assert!(
        status.success(),
        "graceful shutdown exits 0: {status:?}\n{}",
        proxy.log_text()
    );
    assert!(
        proxy.log_text().contains("pxy::access"),
        "access log lines are written"
    );

    // The client limits' flags reach the server: a client that sends nothing is closed at
    // --header-read-timeout, a long target gets 414.
    let mut limited = ProxyProcess::start(
        &bin,
        &["--header-read-timeout", "1", "--max-uri-length", "64"],
        1,
    );
    let start = std::time::Instant::now();
    let mut silent = TcpStream::connect(listen).await.expect("connect");
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), silent.read_to_end(&mut buf))
        .await
        .expect("a silent client is closed")
        .expect("read");
    let took = start.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "closed after {took:?}"
    );
    let mut long = TcpStream::connect(listen).await.expect("connect");
    let target = format!("/{}", "a".repeat(64));
    long.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let mut reply = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), long.read_to_end(&mut reply))
        .await
        .expect("the proxy answers and closes")
        .expect("read");
    let reply = String::from_utf8_lossy(&reply);
    assert!(
        reply.starts_with("HTTP/1.1 414 URI Too Long\r\n"),
        "{reply}"
    );
    // Both refusals are logged (the log is written in the background: wait a little).
    let logged = |log: &str| log.contains("request header timeout") && log.contains("uri_too_long");
    for _ in 0..100 {
        if logged(&limited.log_text()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let log = limited.log_text();
    assert!(logged(&log), "{log}");
    let status = limited
        .terminate(Duration::from_secs(10))
        .expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}");
}

/// SHA-256 of a file, by coreutils' `sha256sum`.
fn sha256sum(path: &std::path::Path) -> String {
    let out = std::process::Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("run sha256sum");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    text.split_whitespace().next().expect("a hash").to_owned()
}

#[test]
fn the_same_program_built_from_two_directories_is_the_same_binary() {
    let first = build_program("hello", &[]);
    // A second copy of the source, elsewhere and later: nothing of the path or the time may
    // reach the binary.
    let dir = first
        .parent()
        .expect("a scratch dir")
        .with_file_name(format!("hello-again-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("another directory");
    let source = dir.join("hello.pxy");
    std::fs::copy(workspace_root().join("examples/hello.pxy"), &source).expect("copy");
    let second = dir.join("hello");
    let out = std::process::Command::new(proxyc())
        .arg("build")
        .arg("--debug")
        .arg(&source)
        .arg("-o")
        .arg(&second)
        .arg("--target-dir")
        .arg(build_target_dir())
        .output()
        .expect("run proxyc build");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let hash = sha256sum(&second);
    assert_eq!(sha256sum(&first), hash, "byte-identical binaries");
    assert!(
        stderr.contains(&format!("sha256 {hash}")),
        "proxyc prints the binary's SHA-256: {stderr}"
    );
    let version = std::process::Command::new(&second)
        .arg("--version")
        .output()
        .expect("run --version");
    let version = String::from_utf8_lossy(&version.stdout);
    let expected =
        regex::Regex::new(r"^hello \(built by proxyc \S+ from source sha256:[0-9a-f]{64}\)\n$")
            .expect("a valid regex");
    assert!(expected.is_match(&version), "{version:?}");
}
