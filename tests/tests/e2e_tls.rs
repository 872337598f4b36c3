//! `examples/tls.pxy` with certificates made at test time: TLS termination with SNI,
//! ALPN (HTTP/2 and HTTP/1.1), TLS 1.2/1.3 only, session resumption, client certificates,
//! TLS and HTTP/2 to the origin, streaming of large bodies, gRPC (unary and bidirectional
//! streaming, trailers, UNAVAILABLE when the service is down), and `--test` refusing bad
//! certificates. Clients and servers are real: curl, openssl s_client, h2load, and grpcio's
//! client and server (`tests/peers/grpc_echo.py`).

use std::net::SocketAddr;
use std::process::{Command, Output};
use std::time::Duration;

use pxy_tests::{build_program, free_addr, Origin, Pki, ProxyProcess};

struct Setup {
    pki: Pki,
    http: SocketAddr,
    https: SocketAddr,
    app: SocketAddr,
    grpc: SocketAddr,
}

impl Setup {
    /// Fresh certificates and free addresses.
    fn new(name: &str) -> Setup {
        Setup {
            pki: Pki::generate(name),
            http: free_addr(),
            https: free_addr(),
            app: free_addr(),
            grpc: free_addr(),
        }
    }

    /// The TLS origin behind `app`, presenting the certificate `cert` (`app`: the right one).
    async fn start_app(&self, cert: &str) -> Origin {
        let (chain, key) = (format!("{cert}.pem"), format!("{cert}.key"));
        Origin::start_tls(
            "app",
            self.app,
            &self.pki.file(&chain),
            &self.pki.file(&key),
        )
        .await
    }
}

fn build(setup: &Setup, extra: &[(&str, &str)]) -> std::path::PathBuf {
    let certs = format!("{}/", setup.pki.dir_str());
    let mut replacements = vec![
        ("127.0.0.1:8080".to_string(), setup.http.to_string()),
        ("127.0.0.1:8443".to_string(), setup.https.to_string()),
        ("127.0.0.1:9001".to_string(), setup.app.to_string()),
        ("127.0.0.1:9002".to_string(), setup.grpc.to_string()),
    ];
    for (from, to) in extra {
        replacements.push((from.to_string(), to.to_string()));
    }
    replacements.push(("certs/".to_string(), certs));
    build_program("tls", &replacements)
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} (installed by scripts/setup.sh): {e}"))
}

/// curl through the proxy as `name` (resolved to the proxy), trusting the test CA.
fn curl(setup: &Setup, name: &str, path: &str, extra: &[&str]) -> (String, String) {
    let port = setup.https.port();
    let resolve = format!("{name}:{port}:127.0.0.1");
    let url = format!("https://{name}:{port}{path}");
    let ca = setup.pki.ca();
    let mut args = vec![
        "-sS",
        "--max-time",
        "20",
        "--cacert",
        ca.to_str().expect("UTF-8"),
        "--resolve",
        &resolve,
        "-w",
        "\n%{http_code} %{http_version}",
    ];
    args.extend_from_slice(extra);
    args.push(&url);
    let out = run("curl", &args);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').unwrap_or(("", &text));
    assert!(
        out.status.success(),
        "curl {url} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (body.to_string(), status.to_string())
}

/// openssl s_client's report of a handshake (with `args`), after sending nothing.
fn s_client(addr: SocketAddr, args: &[&str]) -> String {
    s_client_sending(addr, args, b"")
}

/// openssl s_client's report of a handshake (with `args`) after sending `input`.
fn s_client_sending(addr: SocketAddr, args: &[&str], input: &[u8]) -> String {
    use std::io::Write;
    let connect = addr.to_string();
    let mut all = vec!["s_client", "-connect", &connect];
    all.extend_from_slice(args);
    let mut child = Command::new("openssl")
        .args(&all)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("openssl");
    let mut stdin = child.stdin.take().expect("piped stdin");
    stdin.write_all(input).expect("write to s_client");
    drop(stdin);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("wait").is_none() {
        assert!(std::time::Instant::now() < deadline, "s_client hung");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_termination_sni_alpn_versions_resumption_and_client_certificates() {
    let setup = Setup::new("tls");
    let bin = build(&setup, &[]);
    let test = Command::new(&bin)
        .arg("--test")
        .output()
        .expect("run --test");
    assert!(
        test.status.success(),
        "{}",
        String::from_utf8_lossy(&test.stderr)
    );

    let app = setup.start_app("app").await;
    let proxy = ProxyProcess::start(&bin, &["--threads", "2"], 2);
    let checks = tokio::task::spawn_blocking(move || {
        // HTTP/2 downstream (ALPN), HTTP/2 over TLS upstream with SNI app.internal verified.
        let (body, status) = curl(&setup, "api.example.test", "/hello?x=1", &[]);
        assert_eq!(status, "200 2");
        let seen = json(&body);
        assert_eq!(
            seen["version"], "HTTP/2.0",
            "the origin is spoken to in HTTP/2"
        );
        let port = setup.https.port();
        assert_eq!(
            seen["uri"],
            format!("https://api.example.test:{port}/hello?x=1")
        );
        assert_eq!(seen["headers"]["x-forwarded-proto"], "https");

        // HTTP/1.1 when the client only offers it.
        let (_, status) = curl(&setup, "api.example.test", "/", &["--http1.1"]);
        assert_eq!(status, "200 1.1");

        // SNI picks the www certificate (curl verifies the name) and the language sees it.
        let (body, status) = curl(&setup, "www.example.test", "/", &[]);
        assert_eq!(status, "200 2");
        assert_eq!(body, "www over TLSv1.3\n");

        // An unknown name gets the default certificate.
        let report = s_client(setup.https, &["-servername", "unknown.test"]);
        assert!(
            report.contains("CN = api.example.test") || report.contains("CN=api.example.test"),
            "{report}"
        );

        // TLS 1.2 and 1.3 only; TLS 1.2 sessions resume.
        let v11 = s_client(setup.https, &["-tls1_1"]);
        assert!(
            v11.contains("Cipher is (NONE)"),
            "TLS 1.1 must be refused: {v11}"
        );
        let v12 = s_client(setup.https, &["-tls1_2"]);
        assert!(
            v12.contains("Protocol  : TLSv1.2") && !v12.contains("Cipher is (NONE)"),
            "{v12}"
        );
        let v13 = s_client(setup.https, &["-tls1_3"]);
        assert!(
            v13.contains("TLSv1.3") && !v13.contains("Cipher is (NONE)"),
            "{v13}"
        );
        let session = setup.pki.file("session.pem");
        let session = session.to_str().expect("UTF-8");
        let first = s_client(setup.https, &["-tls1_2", "-sess_out", session]);
        assert!(first.contains("New, "), "{first}");
        let again = s_client(setup.https, &["-tls1_2", "-sess_in", session]);
        assert!(again.contains("Reused, "), "{again}");
        // TLS 1.3 resumes with a ticket, which the proxy sends with its first response.
        let request = b"GET / HTTP/1.1\r\nHost: api.example.test\r\nConnection: close\r\n\r\n";
        let ticket = ["-tls1_3", "-ign_eof", "-servername", "api.example.test"];
        let first = s_client_sending(
            setup.https,
            &[&ticket[..], &["-sess_out", session]].concat(),
            request,
        );
        assert!(first.contains("New, TLSv1.3"), "{first}");
        let again = s_client_sending(
            setup.https,
            &[&ticket[..], &["-sess_in", session]].concat(),
            request,
        );
        assert!(again.contains("Reused, TLSv1.3"), "{again}");

        // Client certificates: optional, verified, and their subject reaches the language.
        let (body, status) = curl(&setup, "api.example.test", "/admin/users", &[]);
        assert_eq!(
            (body.as_str(), status.as_str()),
            ("a client certificate is required\n", "403 2")
        );
        let cert = setup.pki.file("client.pem");
        let key = setup.pki.file("client.key");
        let (body, status) = curl(
            &setup,
            "api.example.test",
            "/admin/users",
            &[
                "--cert",
                cert.to_str().expect("UTF-8"),
                "--key",
                key.to_str().expect("UTF-8"),
            ],
        );
        assert_eq!(status, "200 2");
        assert_eq!(
            json(&body)["headers"]["x-client-subject"],
            "CN=alice,O=Example"
        );

        // A client certificate from another CA is refused during the handshake.
        let stranger = Pki::generate("stranger");
        let out = run(
            "curl",
            &[
                "-sS",
                "--max-time",
                "20",
                "-k",
                "--cert",
                stranger.file("client.pem").to_str().expect("UTF-8"),
                "--key",
                stranger.file("client.key").to_str().expect("UTF-8"),
                &format!("https://{}/admin/users", setup.https),
            ],
        );
        assert!(
            !out.status.success(),
            "an unknown client CA must fail the handshake"
        );

        // Cleartext requests are redirected.
        let out = run(
            "curl",
            &[
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code} %{redirect_url}",
                "-H",
                "host: api.example.test",
                &format!("http://{}/x", setup.http),
            ],
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "308 https://api.example.test/x"
        );

        // Large bodies stream both ways over HTTP/2 on both sides (the proxy's memory,
        // checked below, shows neither was held whole).
        let upload = setup.pki.file("upload.bin");
        std::fs::write(&upload, vec![7u8; 64 << 20]).expect("write upload");
        let data = format!("@{}", upload.display());
        let (body, status) = curl(
            &setup,
            "api.example.test",
            "/upload",
            &["--data-binary", &data],
        );
        assert_eq!(status, "200 2");
        assert_eq!(json(&body)["body_len"], 64 << 20);
        std::fs::remove_file(&upload).expect("remove upload");
        let (body, status) = curl(&setup, "api.example.test", "/bytes/64000000", &[]);
        assert_eq!(status, "200 2");
        assert_eq!(body.len(), 64_000_000);

        // Many concurrent streams on one connection (h2load is a real HTTP/2 client).
        let url = format!("https://{}/", setup.https);
        let out = run("h2load", &["-n", "400", "-c", "2", "-m", "50", &url]);
        let report = String::from_utf8_lossy(&out.stdout);
        assert!(report.contains("400 succeeded, 0 failed"), "{report}");
        setup
    });
    let setup = checks.await.expect("checks passed");
    let peak = proxy.peak_rss_kib();
    eprintln!("proxy peak RSS after 64 MiB each way: {peak} KiB");
    assert!(
        peak < 40 * 1024,
        "64 MiB bodies went through a proxy whose peak memory was {peak} KiB: one was buffered"
    );
    // Health probes speak as the upstream does (TLS, HTTP/2), each on its own connection.
    let probes: Vec<_> = app
        .requests()
        .into_iter()
        .filter(|r| r.uri.ends_with("/healthz"))
        .collect();
    assert!(!probes.is_empty(), "the health check probed the origin");
    assert!(
        app.connections() <= 2 + probes.len(),
        "HTTP/2 to the origin shares one connection per backend (saw {} for {} probes)",
        app.connections(),
        probes.len()
    );
    assert!(app.requests().len() >= 400);
    drop(setup);
}

/// The grpcio echo server of `tests/peers/grpc_echo.py`; killed when dropped.
struct GrpcServer(std::process::Child);

impl GrpcServer {
    fn start(addr: SocketAddr) -> GrpcServer {
        use std::io::BufRead;
        let mut child = Command::new("python3")
            .arg(pxy_tests::workspace_root().join("tests/peers/grpc_echo.py"))
            .args(["server", &addr.port().to_string()])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 with grpcio (scripts/setup.sh installs it)");
        let stdout = child.stdout.take().expect("piped");
        let mut line = String::new();
        // grpcio prints nothing else on stdout; the line comes once it listens (or never, and
        // then read_line returns 0 when the process dies).
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .expect("read");
        assert_eq!(line.trim(), "serving", "the gRPC server did not start");
        GrpcServer(child)
    }
}

impl Drop for GrpcServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Runs the grpcio client against the proxy; its JSON report.
fn grpc_client(setup: &Setup, args: &[&str]) -> serde_json::Value {
    let target = setup.https.to_string();
    let ca = setup.pki.ca();
    let mut all = vec![
        args[0],
        target.as_str(),
        ca.to_str().expect("UTF-8"),
        "api.example.test",
    ];
    all.extend_from_slice(&args[1..]);
    let mut command = Command::new("timeout");
    command
        .arg("60")
        .arg("python3")
        .arg(pxy_tests::workspace_root().join("tests/peers/grpc_echo.py"))
        .args(&all);
    let out = command.output().expect("python3");
    assert!(
        out.status.success(),
        "grpc client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&String::from_utf8_lossy(&out.stdout))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grpc_passes_through_and_origin_failures_are_reported() {
    let setup = Setup::new("tls-wrong");
    let bin = build(&setup, &[]);
    // The origin presents www.example.test, not app.internal: verification must fail.
    let app = setup.start_app("www").await;
    let proxy = ProxyProcess::start(&bin, &[], 2);
    let checks = tokio::task::spawn_blocking(move || {
        // gRPC over TLS (ALPN h2) to a cleartext HTTP/2 service: unary and a bidirectional
        // stream of 500 ping-pong messages, trailers intact.
        let server = GrpcServer::start(setup.grpc);
        let report = grpc_client(&setup, &["client", "500"]);
        assert_eq!(report["unary"], "ping");
        assert_eq!(report["unary_trailers"]["x-echo-trailer"], "kept");
        assert_eq!(report["chat_count"], 500);
        assert_eq!(report["chat_equal"], true);
        assert_eq!(report["chat_code"], "OK");
        assert_eq!(report["chat_trailers"]["x-echo-trailer"], "kept");
        // The service goes down: the client gets UNAVAILABLE, not a bare 502.
        drop(server);
        let report = grpc_client(&setup, &["unary"]);
        assert_eq!(report["code"], "UNAVAILABLE", "{report}");

        // The origin presents www.example.test, not app.internal: verification fails.
        let (_, status) = curl(&setup, "api.example.test", "/", &[]);
        assert_eq!(status, "502 2");
        setup
    });
    let setup = checks.await.expect("checks passed");
    assert!(app.requests().is_empty());
    let log = proxy.log_text();
    assert!(
        log.contains("tls_handshake") || log.contains("TLS handshake"),
        "{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("/echo.Echo/Unary") && l.contains("grpc_status=\"14\"")),
        "the access log names the gRPC status it answered: {log}"
    );

    // `--test` loads every certificate and key: a key that does not match its certificate,
    // then a missing file, are reported with their paths (the binary reads them at start).
    let test = || {
        let out = Command::new(&bin)
            .arg("--test")
            .output()
            .expect("run --test");
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    std::fs::copy(setup.pki.file("other.key"), setup.pki.file("api.key")).expect("swap key");
    let err = test();
    assert!(
        err.contains("api.key") && err.contains("does not match"),
        "{err}"
    );
    std::fs::remove_file(setup.pki.file("api.key")).expect("remove key");
    let err = test();
    assert!(
        err.contains("api.key") && err.contains("cannot read"),
        "{err}"
    );
}
