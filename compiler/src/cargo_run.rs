//! Running cargo on a generated crate, and saying how far it got.
//!
//! The first `proxyc build` on a machine compiles the runtime and a few hundred crates it
//! depends on, about a minute on two cores; cargo's own progress bar only shows when its
//! standard error is a terminal, and the driver captures it. So cargo runs with JSON messages
//! on its standard output (one `compiler-artifact` per unit finished, fresh or not) and its
//! human status lines on standard error (`Compiling NAME vX`, the current step), and both are
//! read as they come. The total is the number of packages the crate's resolve reaches (normal
//! and build dependencies, for the host), from `cargo metadata` before the build; a package
//! counts as done once one of its units finished.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde::Deserialize;

/// How far a build is, handed to the caller's progress callback whenever it moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildProgress {
    /// Packages compiled so far (or found up to date).
    pub done: usize,
    /// Packages the build needs, when `cargo metadata` could tell.
    pub total: Option<usize>,
    /// The crate cargo started compiling last, if any.
    pub compiling: Option<String>,
    /// True while cargo waits for another build to release the target directory's lock
    /// (two builds at once on one target directory take turns).
    pub waiting: bool,
    /// Time since cargo started.
    pub elapsed: Duration,
    /// True when the runtime itself is not compiled yet in this target directory: the slow,
    /// once-per-machine build.
    pub first_build: bool,
}

/// What cargo left behind: its exit status and the standard error lines that are not
/// progress (compiler errors, for the bug report).
#[derive(Debug)]
pub struct CargoOutcome {
    /// cargo's exit status.
    pub status: ExitStatus,
    /// Standard error without the `Compiling`/`Checking`/`Fresh` status lines.
    pub log: String,
}

/// Runs `cmd` (a `cargo build` without `--message-format`), calling `progress` as it goes.
pub fn run_with_progress(
    mut cmd: Command,
    total: Option<usize>,
    first_build: bool,
    progress: &mut dyn FnMut(&BuildProgress),
) -> std::io::Result<CargoOutcome> {
    let started = Instant::now();
    cmd.arg("--message-format")
        .arg("json-diagnostic-short,json-render-diagnostics")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    let (send, receive) = mpsc::channel();
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let out_send = send.clone();
    let readers = [
        std::thread::spawn(move || forward_lines(stdout, Stream::Out, &out_send)),
        std::thread::spawn(move || forward_lines(stderr, Stream::Err, &send)),
    ];
    let mut tally = Tally::new(total, first_build);
    let mut log = Vec::new();
    for (stream, line) in receive {
        let moved = match stream {
            Stream::Out => tally.artifact_line(&line),
            Stream::Err => match status_line(&line) {
                Some(Status::Compiling(name)) => tally.compiling(name),
                Some(Status::Blocking) => tally.blocked(),
                Some(Status::Other) => false,
                None => {
                    log.push(line);
                    false
                }
            },
        };
        if moved {
            progress(&tally.snapshot(started.elapsed()));
        }
    }
    for reader in readers {
        // A reader returns when its pipe closes, with nothing to report.
        let _ = reader.join();
    }
    let status = child.wait()?;
    Ok(CargoOutcome {
        status,
        log: log.join("\n"),
    })
}

/// Which of cargo's streams a line came from.
#[derive(Debug, Clone, Copy)]
enum Stream {
    Out,
    Err,
}

fn forward_lines(pipe: impl std::io::Read, stream: Stream, send: &mpsc::Sender<(Stream, String)>) {
    for line in BufReader::new(pipe).lines() {
        let Ok(line) = line else { return };
        if send.send((stream, line)).is_err() {
            return;
        }
    }
}

/// A status line cargo writes on standard error.
#[derive(Debug, PartialEq, Eq)]
enum Status {
    /// `Compiling NAME vX.Y.Z (...)`: a crate started.
    Compiling(String),
    /// `Blocking waiting for file lock on build directory`: another build holds it.
    Blocking,
    /// Another progress word (`Checking`, `Fresh`, `Finished`, `Blocking`, ...).
    Other,
}

/// Reads a cargo status line (a right-aligned verb and its subject); `None` for anything
/// else, which is kept for the log.
fn status_line(line: &str) -> Option<Status> {
    let trimmed = line.trim_start();
    let (verb, rest) = trimmed.split_once(' ')?;
    match verb {
        "Compiling" => Some(Status::Compiling(
            rest.split_whitespace().next().unwrap_or(rest).to_string(),
        )),
        "Blocking" => Some(Status::Blocking),
        "Checking" | "Fresh" | "Finished" | "Downloaded" | "Downloading" | "Locking"
        | "Updating" | "Adding" => Some(Status::Other),
        _ => None,
    }
}

/// Counts packages done from cargo's JSON messages.
#[derive(Debug)]
struct Tally {
    done: HashSet<String>,
    total: Option<usize>,
    compiling: Option<String>,
    waiting: bool,
    first_build: bool,
}

/// The part of a cargo JSON message the tally reads.
#[derive(Deserialize)]
struct Message {
    reason: String,
    #[serde(default)]
    package_id: Option<String>,
}

impl Tally {
    fn new(total: Option<usize>, first_build: bool) -> Tally {
        Tally {
            done: HashSet::new(),
            total,
            compiling: None,
            waiting: false,
            first_build,
        }
    }

    /// A line of cargo's standard output; true when a new package finished.
    fn artifact_line(&mut self, line: &str) -> bool {
        let Ok(message) = serde_json::from_str::<Message>(line) else {
            return false;
        };
        match (message.reason.as_str(), message.package_id) {
            ("compiler-artifact", Some(id)) => {
                self.waiting = false;
                self.done.insert(id)
            }
            _ => false,
        }
    }

    /// cargo waits for the target directory's lock; true the first time.
    fn blocked(&mut self) -> bool {
        !std::mem::replace(&mut self.waiting, true)
    }

    /// cargo started a crate; true when it is not the one already shown.
    fn compiling(&mut self, name: String) -> bool {
        let moved = self.waiting || self.compiling.as_deref() != Some(name.as_str());
        self.waiting = false;
        self.compiling = Some(name);
        moved
    }

    fn snapshot(&self, elapsed: Duration) -> BuildProgress {
        BuildProgress {
            done: self
                .total
                .map_or(self.done.len(), |t| self.done.len().min(t)),
            total: self.total,
            compiling: self.compiling.clone(),
            waiting: self.waiting,
            elapsed,
            first_build: self.first_build,
        }
    }
}

/// The number of packages a build of `manifest` compiles for `host`: the root and every
/// package reachable from it through normal and build dependencies. `None` when cargo
/// cannot tell (the progress then shows a count without a total).
pub fn package_count(cargo: &std::ffi::OsStr, manifest: &Path) -> Option<usize> {
    let host = host_triple(cargo)?;
    let out = Command::new(cargo)
        .arg("metadata")
        .arg("--format-version")
        .arg("1")
        .arg("--manifest-path")
        .arg(manifest)
        .arg("--filter-platform")
        .arg(host)
        .env_remove("CARGO_TARGET_DIR")
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    reachable_packages(&out.stdout)
}

/// cargo's host triple (`host:` in `cargo -vV`).
fn host_triple(cargo: &std::ffi::OsStr) -> Option<String> {
    let out = Command::new(cargo).arg("-vV").output().ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: ").map(str::to_string))
}

#[derive(Deserialize)]
struct Metadata {
    resolve: Option<Resolve>,
}

#[derive(Deserialize)]
struct Resolve {
    root: Option<String>,
    nodes: Vec<Node>,
}

#[derive(Deserialize)]
struct Node {
    id: String,
    deps: Vec<NodeDep>,
}

#[derive(Deserialize)]
struct NodeDep {
    pkg: String,
    dep_kinds: Vec<DepKind>,
}

#[derive(Deserialize)]
struct DepKind {
    /// `null` for a normal dependency, `"build"` or `"dev"`.
    kind: Option<String>,
}

/// Counts the packages of `cargo metadata` output reachable from its root without dev
/// dependencies.
fn reachable_packages(json: &[u8]) -> Option<usize> {
    let resolve = serde_json::from_slice::<Metadata>(json).ok()?.resolve?;
    let root = resolve.root?;
    let nodes: HashMap<&str, &Node> = resolve.nodes.iter().map(|n| (n.id.as_str(), n)).collect();
    let mut seen = HashSet::from([root.as_str()]);
    let mut stack = vec![root.as_str()];
    while let Some(id) = stack.pop() {
        let Some(node) = nodes.get(id) else { continue };
        for dep in &node.deps {
            let needed = dep
                .dep_kinds
                .iter()
                .any(|k| k.kind.as_deref() != Some("dev"));
            if needed && seen.insert(dep.pkg.as_str()) {
                stack.push(dep.pkg.as_str());
            }
        }
    }
    Some(seen.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines_name_the_crate_and_the_rest_is_log() {
        assert_eq!(
            status_line("   Compiling boring-sys v4.22.0"),
            Some(Status::Compiling("boring-sys".into()))
        );
        assert_eq!(
            status_line("   Compiling pxy-hello-00ff v0.1.0 (/proxyc/pxy-apps/x)"),
            Some(Status::Compiling("pxy-hello-00ff".into()))
        );
        assert_eq!(
            status_line("    Finished `quick` profile [optimized] target(s) in 3.1s"),
            Some(Status::Other)
        );
        assert_eq!(
            status_line("    Blocking waiting for file lock on build directory"),
            Some(Status::Blocking)
        );
        assert_eq!(
            status_line("src/main.rs:3:5: error[E0425]: cannot find value"),
            None
        );
        assert_eq!(status_line("error: could not compile `x`"), None);
    }

    #[test]
    fn packages_count_once_whatever_their_units() {
        let mut tally = Tally::new(Some(3), true);
        let artifact = |id: &str| {
            format!(r#"{{"reason":"compiler-artifact","package_id":"{id}","fresh":false}}"#)
        };
        assert!(tally.artifact_line(&artifact("a 1.0")));
        // A build script and the library of one package: one package.
        assert!(!tally.artifact_line(&artifact("a 1.0")));
        assert!(!tally.artifact_line(r#"{"reason":"build-script-executed","package_id":"b 1.0"}"#));
        assert!(!tally.artifact_line("not json"));
        assert!(tally.artifact_line(&artifact("b 1.0")));
        assert!(tally.compiling("c".into()));
        assert!(!tally.compiling("c".into()));
        let now = tally.snapshot(Duration::from_secs(2));
        assert_eq!((now.done, now.total), (2, Some(3)));
        assert_eq!(now.compiling.as_deref(), Some("c"));
        assert!(!now.waiting);
        // Another build holds the lock: said once, and over when cargo moves again.
        assert!(tally.blocked());
        assert!(!tally.blocked());
        assert!(tally.snapshot(Duration::ZERO).waiting);
        assert!(tally.compiling("c".into()));
        assert!(!tally.snapshot(Duration::ZERO).waiting);
    }

    #[test]
    fn the_count_follows_normal_and_build_dependencies_only() {
        let json = br#"{"packages":[],"resolve":{"root":"app","nodes":[
            {"id":"app","deps":[{"pkg":"rt","dep_kinds":[{"kind":null,"target":null}]}]},
            {"id":"rt","deps":[
                {"pkg":"cc","dep_kinds":[{"kind":"build","target":null}]},
                {"pkg":"criterion","dep_kinds":[{"kind":"dev","target":null}]},
                {"pkg":"tokio","dep_kinds":[{"kind":null,"target":null},{"kind":"dev","target":null}]}]},
            {"id":"cc","deps":[]},
            {"id":"criterion","deps":[{"pkg":"plot","dep_kinds":[{"kind":null,"target":null}]}]},
            {"id":"plot","deps":[]},
            {"id":"tokio","deps":[]}]}}"#;
        assert_eq!(reachable_packages(json), Some(4));
        assert_eq!(reachable_packages(br#"{"resolve":null}"#), None);
    }
}
