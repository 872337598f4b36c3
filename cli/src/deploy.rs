//! `proxyc build --test` and `proxyc build --upgrade`: from a changed `.pxy` to the new proxy
//! serving, in one step a CI pipeline can run, without ever disturbing the running proxy when
//! something fails.
//!
//! The new binary is built next to the output under a hidden name (the same file system, so
//! the final rename is atomic), then:
//!
//! 1. `NEW --test ARGS`: the binary checks its own configuration, certificates and upstreams
//!    (what the compiler cannot see: files may have changed since). A failure stops here.
//! 2. with `--upgrade`, `NEW --upgrade --daemon ARGS`: the new process takes the listening
//!    sockets over from the running one (found through the hand-over socket, see the
//!    runtime's `lifecycle::handover`) and the command returns once it serves, or once it has
//!    failed, in which case the running proxy never noticed.
//! 3. only then is the new binary renamed over the output, so the file at the output is
//!    always the program that serves (or, after a failure, the one that did before).
//!
//! The new process runs in the background after `proxyc` exits, so its standard output and
//! error go to a log file (appended), not to `proxyc`'s: a pipeline reading `proxyc`'s output
//! would otherwise wait for the proxy to exit.

use std::fs::{File, OpenOptions};
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

/// What to do with a freshly built binary before it replaces the output.
#[derive(Debug)]
pub struct Deploy {
    /// Arguments for the proxy, given to every run of it.
    pub proxy_args: Vec<String>,
    /// Take over from the running proxy after the checks.
    pub upgrade: bool,
    /// Where the new proxy's output goes when it is started by the upgrade.
    pub proxy_log: Option<PathBuf>,
}

/// Flags that `proxyc` itself gives the proxy; passing them too would run it wrongly.
const OWN_FLAGS: [&str; 3] = ["--test", "--upgrade", "--daemon"];

impl Deploy {
    /// Refuses proxy arguments that `proxyc` passes by itself.
    pub fn validate(&self) -> Result<(), String> {
        match self
            .proxy_args
            .iter()
            .find(|a| OWN_FLAGS.contains(&a.split('=').next().unwrap_or(a)))
        {
            Some(flag) => Err(format!(
                "`{flag}` after `--` is given by proxyc itself (see `proxyc build --help`)"
            )),
            None => Ok(()),
        }
    }

    /// The hidden path the new binary is built at, beside `output`; absolute, so that running
    /// it never searches `PATH`.
    pub fn staging_path(output: &Path) -> PathBuf {
        let output = std::path::absolute(output).unwrap_or_else(|_| output.to_path_buf());
        let name = output
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "proxy".into());
        output.with_file_name(format!(".{name}.new"))
    }

    /// Checks `staged`, performs the upgrade if asked, and renames it to `output`; on any
    /// failure removes `staged` and leaves `output` as it was.
    pub fn finish(&self, staged: &Path, output: &Path) -> ExitCode {
        let result = self.check(staged).and_then(|()| match self.upgrade {
            true => self.take_over(staged, output),
            false => Ok(()),
        });
        match result {
            Ok(()) => match std::fs::rename(staged, output) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!(
                        "error: cannot rename {} to {}: {e}",
                        staged.display(),
                        output.display()
                    );
                    ExitCode::from(1)
                }
            },
            Err(message) => {
                let _ = std::fs::remove_file(staged);
                eprintln!("error: {message}");
                let untouched = match self.upgrade {
                    true => "the running proxy was not touched, and ",
                    false => "",
                };
                eprintln!("note: {untouched}{} is unchanged", output.display());
                ExitCode::from(1)
            }
        }
    }

    /// `NEW --test ARGS`.
    fn check(&self, staged: &Path) -> Result<(), String> {
        let out = Command::new(staged)
            .arg("--test")
            .args(&self.proxy_args)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {}: {e}", staged.display()))?;
        if !out.status.success() {
            return Err(format!(
                "the new binary failed its checks (--test):\n{}",
                String::from_utf8_lossy(&out.stderr).trim_end()
            ));
        }
        eprintln!(
            "     Checked {}",
            String::from_utf8_lossy(&out.stdout).trim()
        );
        Ok(())
    }

    /// `NEW --upgrade --daemon ARGS`, its output appended to the proxy log.
    fn take_over(&self, staged: &Path, output: &Path) -> Result<(), String> {
        let log_path = self
            .proxy_log
            .clone()
            .unwrap_or_else(|| output.with_extension("log"));
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log_path)
            .map_err(|e| format!("cannot open the proxy log {}: {e}", log_path.display()))?;
        let start = log.seek(SeekFrom::End(0)).unwrap_or(0);
        let stderr = log
            .try_clone()
            .map_err(|e| format!("cannot open the proxy log {}: {e}", log_path.display()))?;
        eprintln!(
            "   Upgrading the running proxy (log: {})",
            log_path.display()
        );
        let status = Command::new(staged)
            .args(["--upgrade", "--daemon"])
            .args(&self.proxy_args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .status()
            .map_err(|e| format!("cannot run {}: {e}", staged.display()))?;
        if !status.success() {
            return Err(format!(
                "the new proxy did not take over; it said:\n{}",
                log_since(&log_path, start).trim_end()
            ));
        }
        let pid = self
            .pid_file()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .map(|pid| format!(" (pid {})", pid.trim()))
            .unwrap_or_default();
        eprintln!(
            "    Upgraded: {}{pid} serves; the old process finishes its requests and exits",
            output.display()
        );
        Ok(())
    }

    /// The `--pid-file` among the proxy arguments.
    fn pid_file(&self) -> Option<&str> {
        let mut args = self.proxy_args.iter();
        while let Some(arg) = args.next() {
            if arg == "--pid-file" {
                return args.next().map(String::as_str);
            }
            if let Some(path) = arg.strip_prefix("--pid-file=") {
                return Some(path);
            }
        }
        None
    }
}

/// What was appended to `path` after byte `start` (the new process's start-up lines).
fn log_since(path: &Path, start: u64) -> String {
    let mut text = String::new();
    if let Ok(mut file) = File::open(path) {
        if file.seek(SeekFrom::Start(start)).is_ok() {
            let _ = file.read_to_string(&mut text);
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy(args: &[&str]) -> Deploy {
        Deploy {
            proxy_args: args.iter().map(|a| a.to_string()).collect(),
            upgrade: true,
            proxy_log: None,
        }
    }

    #[test]
    fn flags_proxyc_gives_itself_are_refused() {
        assert!(deploy(&["--threads", "2"]).validate().is_ok());
        for flag in ["--daemon", "--upgrade", "--test", "--test=true"] {
            let error = deploy(&[flag]).validate().expect_err(flag);
            assert!(error.contains(flag.split('=').next().unwrap()), "{error}");
        }
    }

    #[test]
    fn the_pid_file_is_found_in_both_spellings() {
        assert_eq!(
            deploy(&["--pid-file", "/run/a.pid"]).pid_file(),
            Some("/run/a.pid")
        );
        assert_eq!(
            deploy(&["--pid-file=/run/b.pid"]).pid_file(),
            Some("/run/b.pid")
        );
        assert_eq!(deploy(&["--threads", "1"]).pid_file(), None);
    }

    #[test]
    fn the_staging_path_is_hidden_beside_the_output() {
        assert_eq!(
            Deploy::staging_path(Path::new("/usr/local/bin/gateway")),
            Path::new("/usr/local/bin/.gateway.new")
        );
        let relative = Deploy::staging_path(Path::new("gw"));
        assert!(
            relative.is_absolute() && relative.ends_with(".gw.new"),
            "{relative:?}"
        );
    }
}
