//! Building `.pxy` programs with the real `proxyc` binary and running the result as a process.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The `proxyc` binary of this workspace (built by `cargo test` next to the test binaries),
/// or the one `PROXYC_BIN` names (for several worktrees sharing one target directory, where
/// `target/<profile>/proxyc` is whichever was built last).
pub fn proxyc() -> PathBuf {
    if let Some(bin) = std::env::var_os("PROXYC_BIN") {
        return PathBuf::from(bin);
    }
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/<test> -> target/<profile>/proxyc
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("test binary lives in target/<profile>/deps");
    let bin = dir.join("proxyc");
    assert!(
        bin.exists(),
        "{} is missing: run the tests with `cargo test --workspace`",
        bin.display()
    );
    bin
}

/// The shared directory where generated proxies are compiled (the runtime compiles once).
pub fn build_target_dir() -> PathBuf {
    std::env::var_os("PROXYC_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::workspace_root().join("target").join("pxy-build"))
}

/// A fresh directory for one test's files, under the workspace's `target/e2e`. The first
/// call of a test binary removes what test processes no longer running left there (each
/// program binary is tens of megabytes, and every run of the suite builds about 60).
pub fn scratch_dir(name: &str) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    static SWEEP: std::sync::Once = std::sync::Once::new();
    let root = crate::workspace_root().join("target").join("e2e");
    SWEEP.call_once(|| remove_dead_scratch_dirs(&root));
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = root.join(format!("{name}-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

/// Removes the scratch directories (`NAME-PID-N`) of `root` whose process is gone.
fn remove_dead_scratch_dirs(root: &Path) {
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let mut parts = name.rsplitn(3, '-').skip(1);
        let Some(pid) = parts.next().and_then(|pid| pid.parse::<u32>().ok()) else {
            continue;
        };
        if !Path::new("/proc").join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Builds a program given as source text (for cases no example covers); `name` names the
/// binary.
pub fn build_source(name: &str, source: &str) -> PathBuf {
    let dir = scratch_dir(name);
    let file = dir.join(format!("{name}.pxy"));
    std::fs::write(&file, source).expect("write program");
    run_build(&file, &dir.join(name))
}

/// Builds the program at `file` (which may name files beside it) into a binary beside it,
/// named after it.
pub fn build_file(file: &Path) -> PathBuf {
    run_build(file, &file.with_extension(""))
}

fn run_build(file: &Path, out: &Path) -> PathBuf {
    // `--debug`: the same generated code and runtime, the runtime optimised and the
    // program's own crate not (with overflow checks), so the suite's proxies build in
    // about 3 seconds (benches/ measure the release profile that is deployed).
    let status = Command::new(proxyc())
        .arg("build")
        .arg("--debug")
        .arg(file)
        .arg("-o")
        .arg(out)
        .arg("--target-dir")
        .arg(build_target_dir())
        .status()
        .expect("run proxyc build");
    assert!(status.success(), "proxyc build {} failed", file.display());
    out.to_path_buf()
}

/// Reads `examples/<example>.pxy`, replaces each `(from, to)` text (addresses, so tests can use
/// free ports), builds it with `proxyc build` and returns the binary.
pub fn build_program(example: &str, replacements: &[(String, String)]) -> PathBuf {
    let mut source = std::fs::read_to_string(
        crate::workspace_root()
            .join("examples")
            .join(format!("{example}.pxy")),
    )
    .expect("read example");
    for (from, to) in replacements {
        assert!(
            source.contains(from.as_str()),
            "{example}.pxy does not contain {from}"
        );
        source = source.replace(from.as_str(), to);
    }
    let dir = scratch_dir(example);
    let file = dir.join(format!("{example}.pxy"));
    std::fs::write(&file, source).expect("write program");
    run_build(&file, &dir.join(example))
}

/// Builds `examples/<example>.pxy` listening on `listen` in front of one origin at `origin`
/// (the examples' `127.0.0.1:8080` and `127.0.0.1:9001`).
pub fn build_example_for(
    example: &str,
    listen: std::net::SocketAddr,
    origin: std::net::SocketAddr,
) -> PathBuf {
    build_program(
        example,
        &[
            ("127.0.0.1:8080".into(), listen.to_string()),
            ("127.0.0.1:9001".into(), origin.to_string()),
        ],
    )
}

/// A running proxy process; sent SIGTERM (then killed) when dropped.
#[derive(Debug)]
pub struct ProxyProcess {
    child: Child,
    log: PathBuf,
}

impl ProxyProcess {
    /// Starts `binary` with `args` and waits (up to 20 s) until it says `listening on` for every
    /// listener it has (`listeners` of them).
    pub fn start(binary: &Path, args: &[&str], listeners: usize) -> ProxyProcess {
        ProxyProcess::start_with_env(binary, args, &[], listeners)
    }

    /// [`ProxyProcess::start`] with extra environment variables. Its log goes to
    /// `BINARY.log`, or `BINARY.N.log` for the N-th start of the same binary.
    pub fn start_with_env(
        binary: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        listeners: usize,
    ) -> ProxyProcess {
        let mut log = binary.with_extension("log");
        for n in 1.. {
            if !log.exists() {
                break;
            }
            log = binary.with_extension(format!("{n}.log"));
        }
        let stderr = std::fs::File::create(&log).expect("create log");
        let mut child = Command::new(binary)
            .args(args)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start proxy");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.contains("listening on") && tx.send(()).is_err() {
                    return;
                }
            }
        });
        let proxy = ProxyProcess { child, log };
        for _ in 0..listeners {
            if rx.recv_timeout(Duration::from_secs(20)).is_err() {
                let log = proxy.log_text();
                panic!("proxy did not start listening within 20 s; its log:\n{log}");
            }
        }
        proxy
    }

    /// The proxy's peak resident memory so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        peak_rss_kib(self.child.id())
    }

    /// What the proxy wrote to stderr so far (its logs).
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends signal `name` (`USR1`, `HUP`, ...) without waiting for anything.
    pub fn signal(&self, name: &str) {
        signal(self.child.id(), name);
    }

    /// Sends SIGTERM and waits (up to `within`) for the exit status.
    pub fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        signal(self.child.id(), "TERM");
        self.wait_exit(within)
    }

    /// Waits (up to `within`) for the process to exit by itself.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// A process this test did not start directly (a daemon, found by its pid file); sent
/// SIGTERM (then SIGKILL) when dropped.
#[derive(Debug)]
pub struct DaemonProcess {
    pid: u32,
}

impl DaemonProcess {
    /// The process whose pid `pid_file` holds.
    pub fn from_pid_file(pid_file: &Path) -> DaemonProcess {
        let text = std::fs::read_to_string(pid_file).expect("read the pid file");
        let pid = text.trim().parse().expect("a pid in the pid file");
        DaemonProcess { pid }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the process still runs (and is not a zombie).
    pub fn is_running(&self) -> bool {
        is_running(self.pid)
    }

    /// The process's peak resident memory so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> u64 {
        peak_rss_kib(self.pid)
    }
}

impl Drop for DaemonProcess {
    fn drop(&mut self) {
        signal(self.pid, "TERM");
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        while is_running(self.pid) && std::time::Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        if is_running(self.pid) {
            signal(self.pid, "KILL");
        }
    }
}

/// Whether process `pid` exists and is not a zombie.
pub fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|stat| {
            stat.rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next().map(|s| s != "Z"))
        })
        .unwrap_or(false)
}

fn peak_rss_kib(pid: u32) -> u64 {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc/PID/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/PID/status")
}

fn signal(pid: u32, name: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .status();
}

impl Drop for ProxyProcess {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            if self.terminate(Duration::from_secs(5)).is_none() {
                let _ = self.child.kill();
                let _ = self.child.wait();
            }
        }
    }
}
