//! Zero-downtime upgrade with real processes: one compiled `.pxy` program serves under a
//! bounded client load (HTTP/1.1 keep-alive, HTTP/1.1 with a new connection per request, and
//! HTTP/2 cleartext) while
//!
//! 1. a new binary whose certificate file is missing is started with `--upgrade` (it fails
//!    its checks and never contacts the running one),
//! 2. a new binary that cannot bind one of its listeners is started with `--upgrade` (it
//!    receives the sockets, then fails before it is ready),
//! 3. a binary compiled from another `.pxy` that answers differently is started with
//!    `--upgrade --daemon --pid-file`, as systemd's `ExecReload` in
//!    `examples/proxyc.service` does, with the default hand-over socket (no path given).
//!
//! No request may fail at any point (an HTTP/2 request that the old process's GOAWAY refused
//! unprocessed is sent again, as RFC 9113 allows and browsers do; those are counted apart); after 1 and 2 the old program still answers; after 3
//! the answers switch to the new program, a slow request in flight at the upgrade still
//! completes on the old process and an open tunnel (an HTTP/1.1 protocol switch, as
//! WebSocket) keeps working there until it is closed, the old process then exits by itself,
//! the pid file names the new one, and both processes sent their readiness messages to a
//! real `NOTIFY_SOCKET`. Then SIGHUP leaves the new process serving and SIGINT stops it at
//! once although a tunnel is open. The
//! numbers (failures, time from `--upgrade` to the old process exiting, peak RSS) are
//! printed for the record.

use std::net::SocketAddr;
use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use pxy_tests::{build_source, free_addr, DaemonProcess, Load, Origin, ProxyProcess};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Requests the load sends at least (the upgrade happens in the middle).
const TOTAL: u64 = 50_000;
/// Requests still sent after the old process exited, to see every answer come from the new.
const AFTER_EXIT: u64 = 2_000;
/// No phase of the test waits longer than this.
const DEADLINE: Duration = Duration::from_secs(120);

/// A program answering `answer` by itself, proxying `/slow/` to `origin` and `/tunnel` to
/// the echo server `echo` (which switches protocols).
fn program(
    listen: &str,
    origin: SocketAddr,
    echo: SocketAddr,
    answer: &str,
    extra: &str,
) -> String {
    format!(
        "listen http {listen}\n{extra}\n\
         upstream origin {{\n    server {origin}\n}}\n\
         upstream echo {{\n    server {echo}\n}}\n\
         route path \"/slow/\" {{\n    proxy origin\n}}\n\
         route path \"/tunnel\" {{\n    proxy echo\n}}\n\
         route {{\n    respond 200 \"{answer}\\n\"\n}}\n"
    )
}

/// An origin that answers every request with `101 Switching Protocols` and then echoes
/// bytes, like a WebSocket server without the framing.
async fn echo_origin(listener: TcpListener) {
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            return;
        };
        tokio::spawn(async move {
            let mut head = Vec::new();
            let mut byte = [0u8; 1];
            while !head.ends_with(b"\r\n\r\n") {
                if stream.read_exact(&mut byte).await.is_err() {
                    return;
                }
                head.push(byte[0]);
            }
            let switch =
                b"HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: upgrade\r\n\r\n";
            if stream.write_all(switch).await.is_err() {
                return;
            }
            let (mut read, mut write) = stream.split();
            let _ = tokio::io::copy(&mut read, &mut write).await;
        });
    }
}

/// Opens a tunnel through the proxy at `listen`: the upgrade handshake, then raw bytes.
async fn open_tunnel(listen: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(listen).await.expect("connect");
    stream
        .write_all(
            b"GET /tunnel HTTP/1.1\r\nhost: t\r\nconnection: upgrade\r\nupgrade: echo\r\n\r\n",
        )
        .await
        .expect("send the handshake");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).await.expect("read the 101");
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{}",
        String::from_utf8_lossy(&head)
    );
    stream
}

/// Sends `message` through the tunnel and reads the echo.
async fn echo_through(tunnel: &mut TcpStream, message: &[u8]) {
    tunnel
        .write_all(message)
        .await
        .expect("write into the tunnel");
    let mut back = vec![0u8; message.len()];
    tokio::time::timeout(Duration::from_secs(5), tunnel.read_exact(&mut back))
        .await
        .expect("the echo within 5 s")
        .expect("read the echo");
    assert_eq!(back, message);
}

/// Runs a binary that must fail its `--upgrade`, under load; returns its stderr.
async fn failed_upgrade(binary: &Path, args: &[&str]) -> String {
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        tokio::process::Command::new(binary).args(args).output(),
    )
    .await
    .expect("the failing binary exits within 30 s")
    .expect("it runs");
    assert!(
        !output.status.success(),
        "the upgrade must fail: {output:?}"
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Receives one datagram on a notify socket.
fn notified(socket: &UnixDatagram) -> String {
    let mut buf = [0u8; 512];
    let n = socket.recv(&mut buf).expect("a notify message within 10 s");
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upgrade_under_load_fails_no_request_and_a_failed_one_changes_nothing() {
    let origin = Origin::start("slow-origin", free_addr()).await;
    let echo_listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the echo origin");
    let echo = echo_listener.local_addr().expect("address");
    let echo_task = tokio::spawn(echo_origin(echo_listener));
    let listen = free_addr();
    let missing_cert_at = free_addr();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("hold a port");
    let taken_addr = taken.local_addr().expect("address");

    let old = build_source(
        "upgrade_old",
        &program(&listen.to_string(), origin.addr, echo, "old", ""),
    );
    let new = build_source(
        "upgrade_new",
        &program(&listen.to_string(), origin.addr, echo, "new", ""),
    );
    let dir = old.parent().expect("a scratch dir").to_path_buf();
    let missing = dir.join("missing");
    let broken = build_source(
        "upgrade_broken",
        &program(
            &listen.to_string(),
            origin.addr,
            echo,
            "broken",
            &format!(
                "listen https {missing_cert_at} {{\n    cert \"{0}/api.pem\" key \"{0}/api.key\"\n}}",
                missing.display()
            ),
        ),
    );
    let unbindable = build_source(
        "upgrade_unbindable",
        &program(
            &listen.to_string(),
            origin.addr,
            echo,
            "unbindable",
            &format!("listen http {taken_addr}"),
        ),
    );

    let pid_file = dir.join("proxy.pid");
    let pid_arg = pid_file.to_string_lossy().into_owned();
    let old_notify_path = dir.join("old-notify.sock");
    let new_notify_path = dir.join("new-notify.sock");
    let old_notify = UnixDatagram::bind(&old_notify_path).expect("bind a notify socket");
    let new_notify = UnixDatagram::bind(&new_notify_path).expect("bind a notify socket");
    for socket in [&old_notify, &new_notify] {
        socket
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
    }
    let common = ["--threads", "1", "--no-access-log", "--grace-period", "10"];
    let mut old_args = common.to_vec();
    old_args.extend(["--pid-file", &pid_arg]);
    let mut old_proxy = ProxyProcess::start_with_env(
        &old,
        &old_args,
        &[("NOTIFY_SOCKET", &old_notify_path.to_string_lossy())],
        1,
    );
    let old_pid = old_proxy.pid();
    assert_eq!(
        notified(&old_notify),
        format!("MAINPID={old_pid}\nREADY=1\n")
    );
    assert_eq!(
        std::fs::read_to_string(&pid_file).expect("pid file").trim(),
        old_pid.to_string()
    );

    let load = Load::start(
        &format!("http://{listen}/"),
        &["old\n", "new\n"],
        20 * TOTAL,
        DEADLINE,
    );
    load.wait_sent(5_000, DEADLINE).await;

    // 1. A missing certificate: the checks fail before the running process is contacted.
    let mut args = common.to_vec();
    args.push("--upgrade");
    let stderr = failed_upgrade(&broken, &args).await;
    assert!(
        stderr.contains("api.pem"),
        "names the certificate: {stderr}"
    );
    // 2. A listener that cannot be bound: the sockets were received, then the new process
    //    failed before it was ready.
    let stderr = failed_upgrade(&unbindable, &args).await;
    assert!(
        stderr.contains(&taken_addr.to_string()),
        "names the address: {stderr}"
    );
    assert!(
        old_proxy.wait_exit(Duration::ZERO).is_none(),
        "the old process still runs"
    );
    load.wait_sent(load.sent() + 5_000, DEADLINE).await;
    assert_eq!(
        load.failed(),
        0,
        "no request fails around failed upgrades: {:?}",
        load.errors()
    );
    assert!(load.answered("old\n") > 10_000 && load.answered("new\n") == 0);
    let old_log = old_proxy.log_text();
    assert!(
        old_log.contains("still serving"),
        "the old process saw the second attempt go away: {old_log}"
    );

    // 3. The real upgrade, while a slow request is in flight on the old process and a tunnel
    //    is open through it.
    let mut tunnel = open_tunnel(listen).await;
    echo_through(&mut tunnel, b"before the upgrade").await;
    let slow = tokio::spawn(async move {
        let client: Client<HttpConnector, Empty<Bytes>> =
            Client::builder(TokioExecutor::new()).build_http();
        let request = hyper::Request::get(format!("http://{listen}/slow/1500"))
            .body(Empty::new())
            .expect("a valid request");
        let response = client
            .request(request)
            .await
            .expect("the slow request is answered");
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .expect("its body")
            .to_bytes();
        (status, body)
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let mut args = common.to_vec();
    args.extend(["--upgrade", "--daemon", "--pid-file", &pid_arg]);
    let new_notify_env = new_notify_path.to_string_lossy().into_owned();
    let mut launcher = {
        let new = new.clone();
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            ProxyProcess::start_with_env(&new, &args, &[("NOTIFY_SOCKET", &new_notify_env)], 1)
        })
        .await
        .expect("the launcher starts")
    };
    let launched = launcher
        .wait_exit(Duration::from_secs(30))
        .expect("`--upgrade --daemon` returns once the new process serves");
    let taken_over = started.elapsed();
    assert!(launched.success(), "the upgrade succeeded: {launched:?}");
    let daemon = DaemonProcess::from_pid_file(&pid_file);
    assert_ne!(daemon.pid(), old_pid, "the pid file names the new process");
    assert_eq!(
        notified(&new_notify),
        format!("MAINPID={}\nREADY=1\n", daemon.pid())
    );
    assert_eq!(notified(&old_notify), "STOPPING=1\n");

    let mut old_peak = old_proxy.peak_rss_kib();
    // The tunnel still works on the old process, which waits for it after the slow request.
    let (status, body) = slow.await.expect("the slow request's task");
    assert_eq!(
        status, 200,
        "the slow request in flight finished on the old process"
    );
    assert!(String::from_utf8_lossy(&body).contains("/slow/1500"));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        old_proxy.wait_exit(Duration::ZERO).is_none(),
        "the old process waits for its open tunnel"
    );
    echo_through(&mut tunnel, b"after the upgrade, still on the old process").await;
    drop(tunnel);
    let exited = loop {
        if let Some(status) = old_proxy.wait_exit(Duration::from_millis(50)) {
            break status;
        }
        old_peak = old_proxy.peak_rss_kib().max(old_peak);
        assert!(started.elapsed() < DEADLINE, "the old process did not exit");
    };
    let old_exited_at = Instant::now();
    let drained = started.elapsed();
    assert!(
        exited.success(),
        "the old process exits cleanly: {exited:?}"
    );

    let at_exit = load.sent();
    load.wait_sent(TOTAL.max(at_exit + AFTER_EXIT), DEADLINE)
        .await;
    // Sent is counted before the answer arrives: let the requests in flight finish.
    let settled = Instant::now();
    while load.answered("old\n") + load.answered("new\n") + load.failed() < TOTAL {
        assert!(
            settled.elapsed() < DEADLINE,
            "the load's answers did not arrive"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (old_answers, new_answers, failed) = (
        load.answered("old\n"),
        load.answered("new\n"),
        load.failed(),
    );
    let last_old = load.last_answered("old\n").expect("old answers");
    let retried = load.retried();
    let errors = load.errors();
    load.finish().await;
    let new_peak = daemon.peak_rss_kib();
    println!(
        "upgrade under load: {} requests, {old_answers} answered by the old program, \
         {new_answers} by the new, {failed} failed ({retried} HTTP/2 requests refused unprocessed by \
         a GOAWAY were sent again); `--upgrade` returned after {} ms, the \
         old process exited {} ms after `--upgrade` started (it waited for a 1.5 s request and \
         a tunnel closed after about 1.6 s); peak RSS old {old_peak} KiB, new {new_peak} KiB",
        old_answers + new_answers + failed,
        taken_over.as_millis(),
        drained.as_millis(),
    );
    assert_eq!(failed, 0, "no request fails across the upgrade: {errors:?}");
    assert!(old_answers + new_answers >= TOTAL);
    assert!(
        new_answers >= AFTER_EXIT,
        "the answers switched to the new program"
    );
    assert!(
        last_old <= old_exited_at,
        "no old answer after the old process exited"
    );

    // A new tunnel goes to the new process. SIGHUP is logged, not fatal.
    let mut tunnel = open_tunnel(listen).await;
    echo_through(&mut tunnel, b"through the new process").await;
    signal(daemon.pid(), "HUP");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(daemon.is_running(), "SIGHUP does not stop the proxy");
    echo_through(&mut tunnel, b"after SIGHUP").await;
    // SIGINT is a fast stop: the open tunnel does not hold the process.
    signal(daemon.pid(), "INT");
    let stopped = Instant::now();
    while daemon.is_running() {
        assert!(
            stopped.elapsed() < Duration::from_secs(3),
            "SIGINT stops at once, tunnel or not"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(!pid_file.exists(), "the pid file is removed on exit");
    drop(taken);
    echo_task.abort();
}

fn signal(pid: u32, name: &str) {
    let status = std::process::Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status()
        .expect("run kill");
    assert!(status.success());
}
