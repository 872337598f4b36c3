//! Showing a build's progress on standard error.
//!
//! On a terminal one line is redrawn in place (`[ 97/245] boring-sys  41s`), at most ten
//! times a second, and cleared at the end. Elsewhere (CI logs, pipes) a plain line is written
//! when the build starts in earnest and then at most every fifteen seconds, so a log shows a
//! slow first build moving without filling up. The slow first build says what it is in
//! words, once.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use pxy_compiler::driver::BuildProgress;

/// How often a terminal line is redrawn.
const TERMINAL_EVERY: Duration = Duration::from_millis(100);
/// How often a plain line is written.
const PLAIN_EVERY: Duration = Duration::from_secs(15);

/// Writes progress lines for one build.
#[derive(Debug)]
pub struct ProgressDisplay {
    terminal: bool,
    last: Option<Instant>,
    announced: bool,
    drawn: bool,
    waiting: bool,
}

impl ProgressDisplay {
    /// A display for standard error, redrawn in place when it is a terminal.
    pub fn for_stderr() -> ProgressDisplay {
        ProgressDisplay {
            terminal: std::io::stderr().is_terminal(),
            last: None,
            announced: false,
            drawn: false,
            waiting: false,
        }
    }

    /// Shows `progress` if enough time went by since the last line.
    pub fn show(&mut self, progress: &BuildProgress) {
        let mut err = std::io::stderr().lock();
        if progress.first_build && !self.announced {
            self.announced = true;
            self.clear(&mut err);
            let _ = writeln!(
                err,
                "    Building the runtime once for this target directory: a few minutes on 2 cores; later builds reuse it and take seconds"
            );
        }
        // Starting to wait for another build is always said: it explains a pause.
        let starts_waiting = progress.waiting && !self.waiting;
        self.waiting = progress.waiting;
        let every = if self.terminal {
            TERMINAL_EVERY
        } else {
            PLAIN_EVERY
        };
        if !starts_waiting && self.last.is_some_and(|t| t.elapsed() < every) {
            return;
        }
        let line = progress_line(progress);
        if self.terminal {
            let _ = write!(err, "\r\x1b[2K{line}");
            self.drawn = true;
        } else if starts_waiting || progress.first_build || progress.elapsed >= PLAIN_EVERY {
            let _ = writeln!(err, "{line}");
        } else {
            // A build of the program's own crate alone takes seconds: no plain lines for it.
            return;
        }
        self.last = Some(Instant::now());
        let _ = err.flush();
    }

    /// Clears the terminal line before the build's result is printed.
    pub fn finish(&mut self) {
        let mut err = std::io::stderr().lock();
        self.clear(&mut err);
    }

    fn clear(&mut self, err: &mut impl Write) {
        if self.drawn {
            let _ = write!(err, "\r\x1b[2K");
            let _ = err.flush();
            self.drawn = false;
        }
    }
}

/// `    Building [ 97/245] boring-sys, 41s`: packages done of total, the crate being
/// compiled, time so far.
fn progress_line(progress: &BuildProgress) -> String {
    if progress.waiting {
        return format!(
            "    Waiting for another build of this target directory to finish, {}s",
            progress.elapsed.as_secs()
        );
    }
    let count = match progress.total {
        Some(total) => format!("{:>width$}/{total}", progress.done, width = digits(total)),
        None => progress.done.to_string(),
    };
    let current = progress
        .compiling
        .as_deref()
        .map(|c| format!(" {c},"))
        .unwrap_or_default();
    format!(
        "    Building [{count}]{current} {}s",
        progress.elapsed.as_secs()
    )
}

fn digits(n: usize) -> usize {
    n.to_string().len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(done: usize, total: Option<usize>, compiling: Option<&str>) -> BuildProgress {
        BuildProgress {
            done,
            total,
            compiling: compiling.map(str::to_string),
            waiting: false,
            elapsed: Duration::from_secs(41),
            first_build: true,
        }
    }

    #[test]
    fn a_line_says_count_crate_and_time() {
        assert_eq!(
            progress_line(&at(97, Some(245), Some("boring-sys"))),
            "    Building [ 97/245] boring-sys, 41s"
        );
        assert_eq!(progress_line(&at(3, None, None)), "    Building [3] 41s");
        let waiting = BuildProgress {
            waiting: true,
            ..at(0, Some(245), None)
        };
        assert_eq!(
            progress_line(&waiting),
            "    Waiting for another build of this target directory to finish, 41s"
        );
    }
}
