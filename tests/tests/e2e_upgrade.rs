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
//! No request may fail at any point; after 1 and 2 the old program still answers; after 3
//! the answers switch to the new program, a slow request in flight at the upgrade still
//! completes on the old process, the old process exits by itself, the pid file names the new
//! one, and both processes sent their readiness messages to a real `NOTIFY_SOCKET`. The
//! numbers (failures, time from `--upgrade` to the old process exiting, peak RSS) are
//! printed for the record.

use std::os::unix::net::UnixDatagram;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use pxy_tests::{build_source, free_addr, DaemonProcess, Origin, ProxyProcess};

/// Requests the load sends at least (the upgrade happens in the middle).
const TOTAL: u64 = 50_000;
/// Requests still sent after the old process exited, to see every answer come from the new.
const AFTER_EXIT: u64 = 2_000;
/// No phase of the test waits longer than this.
const DEADLINE: Duration = Duration::from_secs(120);

fn program(listen: &str, origin: std::net::SocketAddr, answer: &str, extra: &str) -> String {
    format!(
        "listen http {listen}\n{extra}\n\
         upstream origin {{\n    server {origin}\n}}\n\
         route path \"/slow/\" {{\n    proxy origin\n}}\n\
         route {{\n    respond 200 \"{answer}\\n\"\n}}\n"
    )
}

/// What the clients saw.
#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    old: AtomicU64,
    new: AtomicU64,
    failed: AtomicU64,
    /// The first failures, for the assertion message.
    errors: Mutex<Vec<String>>,
    /// When the last `old` answer arrived.
    last_old: Mutex<Option<Instant>>,
}

impl Tally {
    fn fail(&self, what: String) {
        self.failed.fetch_add(1, Ordering::SeqCst);
        let mut errors = self.errors.lock().expect("not poisoned");
        if errors.len() < 10 {
            errors.push(what);
        }
    }

    fn counts(&self) -> (u64, u64, u64) {
        (
            self.old.load(Ordering::SeqCst),
            self.new.load(Ordering::SeqCst),
            self.failed.load(Ordering::SeqCst),
        )
    }
}

type HttpClient = Client<HttpConnector, Empty<Bytes>>;

/// Sends `GET url` until `stop` is set, the hard cap is reached or the deadline passes.
async fn client_loop(client: HttpClient, url: String, tally: Arc<Tally>, stop: Arc<AtomicBool>) {
    let deadline = Instant::now() + DEADLINE;
    while !stop.load(Ordering::SeqCst)
        && Instant::now() < deadline
        && tally.sent.fetch_add(1, Ordering::SeqCst) < 20 * TOTAL
    {
        let request = hyper::Request::get(&url)
            .body(Empty::new())
            .expect("a valid request");
        let answer = tokio::time::timeout(Duration::from_secs(10), async {
            let response = client
                .request(request)
                .await
                .map_err(|e| format!("{e:?}"))?;
            let status = response.status();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("body: {e:?}"))?
                .to_bytes();
            Ok::<_, String>((status, body))
        })
        .await;
        match answer {
            Ok(Ok((status, body))) if status == 200 && &body[..] == b"old\n" => {
                tally.old.fetch_add(1, Ordering::SeqCst);
                *tally.last_old.lock().expect("not poisoned") = Some(Instant::now());
            }
            Ok(Ok((status, body))) if status == 200 && &body[..] == b"new\n" => {
                tally.new.fetch_add(1, Ordering::SeqCst);
            }
            Ok(Ok((status, body))) => tally.fail(format!("{status} {body:?}")),
            Ok(Err(e)) => tally.fail(e),
            Err(_) => tally.fail("no answer within 10 s".into()),
        }
    }
}

/// Starts the load: 4 HTTP/1.1 keep-alive loops, 2 HTTP/1.1 loops opening a connection per
/// request, 4 HTTP/2 loops sharing one connection.
fn start_load(
    url: &str,
    tally: &Arc<Tally>,
    stop: &Arc<AtomicBool>,
) -> Vec<tokio::task::JoinHandle<()>> {
    let keep_alive: HttpClient = Client::builder(TokioExecutor::new()).build_http();
    let fresh: HttpClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(0)
        .build_http();
    let h2: HttpClient = Client::builder(TokioExecutor::new())
        .http2_only(true)
        .build_http();
    let clients = [(keep_alive, 4), (fresh, 2), (h2, 4)];
    let mut tasks = Vec::new();
    for (client, loops) in clients {
        for _ in 0..loops {
            tasks.push(tokio::spawn(client_loop(
                client.clone(),
                url.to_owned(),
                tally.clone(),
                stop.clone(),
            )));
        }
    }
    tasks
}

/// Waits (bounded) until `done` holds.
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + DEADLINE;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
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
    let listen = free_addr();
    let missing_cert_at = free_addr();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("hold a port");
    let taken_addr = taken.local_addr().expect("address");

    let old = build_source(
        "upgrade_old",
        &program(&listen.to_string(), origin.addr, "old", ""),
    );
    let new = build_source(
        "upgrade_new",
        &program(&listen.to_string(), origin.addr, "new", ""),
    );
    let dir = old.parent().expect("a scratch dir").to_path_buf();
    let missing = dir.join("missing");
    let broken = build_source(
        "upgrade_broken",
        &program(
            &listen.to_string(),
            origin.addr,
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

    let tally = Arc::new(Tally::default());
    let stop = Arc::new(AtomicBool::new(false));
    let load = start_load(&format!("http://{listen}/"), &tally, &stop);
    wait_until("the first requests", || {
        tally.sent.load(Ordering::SeqCst) > 5_000
    })
    .await;

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
    let before = tally.sent.load(Ordering::SeqCst);
    wait_until("more requests", || {
        tally.sent.load(Ordering::SeqCst) > before + 5_000
    })
    .await;
    let (old_answers, new_answers, failed) = tally.counts();
    assert_eq!(
        failed,
        0,
        "no request fails around failed upgrades: {:?}",
        tally.errors.lock().expect("not poisoned")
    );
    assert!(old_answers > 10_000 && new_answers == 0);
    let old_log = old_proxy.log_text();
    assert!(
        old_log.contains("still serving"),
        "the old process saw the second attempt go away: {old_log}"
    );

    // 3. The real upgrade, while a slow request is in flight on the old process.
    let slow = tokio::spawn(async move {
        let client: HttpClient = Client::builder(TokioExecutor::new()).build_http();
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
    let (status, body) = slow.await.expect("the slow request's task");
    assert_eq!(
        status, 200,
        "the slow request in flight finished on the old process"
    );
    assert!(String::from_utf8_lossy(&body).contains("/slow/1500"));

    let at_exit = tally.sent.load(Ordering::SeqCst);
    wait_until("the rest of the load", || {
        let sent = tally.sent.load(Ordering::SeqCst);
        sent >= TOTAL && sent >= at_exit + AFTER_EXIT
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    for task in load {
        task.await.expect("a client loop");
    }
    let (old_answers, new_answers, failed) = tally.counts();
    let new_peak = daemon.peak_rss_kib();
    println!(
        "upgrade under load: {} requests, {old_answers} answered by the old program, \
         {new_answers} by the new, {failed} failed; `--upgrade` returned after {} ms, the \
         old process exited {} ms after `--upgrade` started (a 1.5 s request was in flight); \
         peak RSS old {old_peak} KiB, new {new_peak} KiB",
        old_answers + new_answers + failed,
        taken_over.as_millis(),
        drained.as_millis(),
    );
    assert_eq!(
        failed,
        0,
        "no request fails across the upgrade: {:?}",
        tally.errors.lock().expect("not poisoned")
    );
    assert!(old_answers + new_answers >= TOTAL);
    assert!(
        new_answers >= AFTER_EXIT,
        "the answers switched to the new program"
    );
    let last_old = tally
        .last_old
        .lock()
        .expect("not poisoned")
        .expect("old answers");
    assert!(
        last_old <= old_exited_at,
        "no old answer after the old process exited"
    );
    drop(taken);
    drop(daemon);
}
