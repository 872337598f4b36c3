//! `proxyc build --upgrade` with real processes: a proxy built from `one.pxy` serves at
//! OUTPUT under a bounded client load (HTTP/1.1 keep-alive, a connection per request, HTTP/2)
//! while proxyc deploys over it:
//!
//! 1. a program whose certificate file is missing: its `--test` fails, proxyc exits 1, OUTPUT
//!    is the old binary and the old process serves on;
//! 2. a valid program whose take-over fails (its admin address is taken): the new process
//!    received the sockets and gave up before it was ready; the same;
//! 3. `two.pxy`, which answers differently: proxyc exits 0 once it serves, OUTPUT is the new
//!    binary, the pid file names the new process, the old one exits by itself, the answers
//!    switch, and no request failed at any point.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use pxy_tests::{
    build_file, build_target_dir, free_addr, proxyc, DaemonProcess, Load, ProxyProcess,
};

/// No phase of the test waits longer than this.
const DEADLINE: Duration = Duration::from_secs(120);

/// A program answering `answer` to everything on `listen`, with `extra` lines.
fn program(listen: &str, answer: &str, extra: &str) -> String {
    format!("listen http {listen}\n{extra}\nroute {{\n    respond 200 \"{answer}\\n\"\n}}\n")
}

/// `proxyc build --debug --upgrade FILE -o OUTPUT -- ARGS`, run off the async runtime.
async fn deploy(file: &Path, output: &Path, proxy_args: &[String]) -> Output {
    let mut command = tokio::process::Command::new(proxyc());
    command
        .arg("build")
        .arg("--debug")
        .arg("--upgrade")
        .arg(file)
        .arg("-o")
        .arg(output)
        .arg("--target-dir")
        .arg(build_target_dir())
        // Not OUTPUT.log, the default: the old process, started by the test harness, writes
        // its own log there.
        .arg("--proxy-log")
        .arg(output.with_extension("deploy.log"))
        .arg("--")
        .args(proxy_args);
    tokio::time::timeout(DEADLINE, command.output())
        .await
        .expect("proxyc build --upgrade returns")
        .expect("proxyc runs")
}

/// Which program the binary at `path` was built from, as its `--test` says.
fn built_from(path: &Path) -> String {
    let out = std::process::Command::new(path)
        .arg("--test")
        .output()
        .expect("run --test");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deploy_replaces_the_running_proxy_and_a_failed_one_changes_nothing() {
    let listen = free_addr().to_string();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("hold a port");
    let taken_addr = taken.local_addr().expect("address").to_string();
    let dir = pxy_tests::scratch_dir("deploy");
    let write = |name: &str, source: String| {
        let file = dir.join(format!("{name}.pxy"));
        std::fs::write(&file, source).expect("write program");
        file
    };
    let one = write("one", program(&listen, "one", ""));
    let two = write("two", program(&listen, "two", ""));
    let broken = write(
        "broken",
        program(
            &listen,
            "broken",
            &format!(
                "listen https {} {{\n    cert \"{missing}/api.pem\" key \"{missing}/api.key\"\n}}",
                free_addr(),
                missing = dir.join("missing").display(),
            ),
        ),
    );
    // Built once beforehand, so the deploys under load only link (the same generated code
    // gives the same cargo package: proxyc finds it built).
    let first = build_file(&one);
    build_file(&two);
    build_file(&broken);
    let output = dir.join("gateway");
    std::fs::copy(&first, &output).expect("install the first build");

    let pid_file = dir.join("gateway.pid");
    let pid_arg = pid_file.display().to_string();
    let common: Vec<String> = ["--threads", "1", "--no-access-log", "--grace-period", "5"]
        .map(String::from)
        .into();
    let mut old_args = common.clone();
    old_args.extend(["--pid-file".into(), pid_arg.clone()]);
    let old_args: Vec<&str> = old_args.iter().map(String::as_str).collect();
    let mut old = ProxyProcess::start(&output, &old_args, 1);
    let old_pid = old.pid();

    let load = Load::start(
        &format!("http://{listen}/"),
        &["one\n", "two\n"],
        1_000_000,
        DEADLINE,
    );
    load.wait_sent(2_000, DEADLINE).await;

    // 1. The new binary fails its own checks.
    let mut args = common.clone();
    args.extend(["--pid-file".into(), pid_arg.clone()]);
    let failed = deploy(&broken, &output, &args).await;
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("api.pem") && stderr.contains("--test"),
        "{stderr}"
    );
    assert!(stderr.contains("was not touched"), "{stderr}");
    assert_eq!(built_from(&output), "one: configuration ok");

    // 2. The new process cannot bind its admin address: it gives up before it is ready.
    let mut taken_args = args.clone();
    taken_args.extend(["--admin".into(), taken_addr.clone()]);
    let failed = deploy(&two, &output, &taken_args).await;
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert_eq!(failed.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("did not take over") && stderr.contains(&taken_addr),
        "{stderr}"
    );
    assert_eq!(built_from(&output), "one: configuration ok");
    assert!(
        old.wait_exit(Duration::ZERO).is_none(),
        "the old process serves on"
    );
    let sent = load.sent();
    load.wait_sent(sent + 2_000, DEADLINE).await;
    assert_eq!(load.answered("two\n"), 0);

    // 3. The real deploy.
    let done = deploy(&two, &output, &args).await;
    let stderr = String::from_utf8_lossy(&done.stderr);
    assert!(done.status.success(), "{stderr}");
    assert!(stderr.contains("Upgraded"), "{stderr}");
    assert_eq!(built_from(&output), "two: configuration ok");
    assert!(
        !dir.join(".gateway.new").exists(),
        "the staged binary was renamed"
    );
    let new = DaemonProcess::from_pid_file(&pid_file);
    assert_ne!(new.pid(), old_pid, "the pid file names the new process");
    assert!(stderr.contains(&format!("pid {}", new.pid())), "{stderr}");
    let exited = old
        .wait_exit(Duration::from_secs(15))
        .expect("the old process exits once drained");
    assert!(exited.success(), "{exited:?}");
    let sent = load.sent();
    load.wait_sent(sent + 2_000, DEADLINE).await;
    let (one_answers, two_answers, failed) = (
        load.answered("one\n"),
        load.answered("two\n"),
        load.failed(),
    );
    let errors = load.errors();
    load.finish().await;
    println!(
        "deploy under load: {one_answers} answered by one.pxy, {two_answers} by two.pxy, \
         {failed} failed"
    );
    assert_eq!(failed, 0, "no request fails across the deploys: {errors:?}");
    assert!(
        two_answers >= 2_000,
        "the answers switched to the new program"
    );
    drop(new);
    drop(taken);
}
