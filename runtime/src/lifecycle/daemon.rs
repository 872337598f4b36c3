//! `--daemon`: detach from the terminal, and let the parent report whether start-up worked.
//!
//! The process forks before it starts any thread (logging, the Tokio runtime), as `fork`
//! requires. The parent then waits on a pipe: the child writes one byte once it serves (its
//! listeners are bound or taken over, and the pid file is written), and the parent exits 0;
//! if the child exits first, the pipe closes empty and the parent exits 1. So
//! `./proxy --upgrade --daemon` returns only when the upgrade has happened or has failed,
//! which is what a script or systemd's `ExecReload` needs. The child starts a new session
//! (no controlling terminal) and reads standard input from `/dev/null`; standard output and
//! error stay where the caller pointed them (the journal, under systemd), and the working
//! directory stays (relative certificate paths keep working).

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::os::fd::OwnedFd;

use nix::unistd::{fork, setsid, ForkResult};

use crate::error::{Error, ErrorKind, Result};

/// Held by the daemon child until it serves; [`Ready::serving`] releases the parent.
#[derive(Debug)]
pub(crate) struct Ready {
    pipe: Option<File>,
}

impl Ready {
    /// Not a daemon: nothing to tell.
    pub(crate) fn none() -> Ready {
        Ready { pipe: None }
    }

    /// Tells the waiting parent that this process serves (it then exits 0).
    pub(crate) fn serving(&mut self) {
        if let Some(mut pipe) = self.pipe.take() {
            if let Err(e) = pipe.write_all(b"1") {
                tracing::warn!(error = %e, "cannot tell the parent process that we serve");
            }
        }
    }
}

/// Forks. In the parent, waits for the child's word and returns `Err(exit code)` for the
/// caller to exit with; in the child, returns the [`Ready`] to release the parent with.
///
/// Must be called before any thread is started.
pub(crate) fn daemonize() -> Result<std::result::Result<Ready, u8>> {
    let fail = |what: &str, e: nix::Error| {
        Error::explain(ErrorKind::Internal, format!("daemon mode: {what}")).with_cause(e)
    };
    // Close-on-exec: not inherited by anything this process might start.
    let (read, write): (OwnedFd, OwnedFd) =
        nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC).map_err(|e| fail("pipe", e))?;
    // SAFETY: the process has one thread (the caller's contract), so the child may run any
    // code, not only async-signal-safe functions.
    match unsafe { fork() }.map_err(|e| fail("fork", e))? {
        ForkResult::Parent { .. } => {
            drop(write);
            let mut word = [0u8; 1];
            let status = match File::from(read).read(&mut word) {
                Ok(1) => 0,
                _ => 1,
            };
            Ok(Err(status))
        }
        ForkResult::Child => {
            drop(read);
            setsid().map_err(|e| fail("setsid", e))?;
            let null = File::open("/dev/null").map_err(|e| {
                Error::explain(ErrorKind::Internal, "daemon mode: /dev/null").with_cause(e)
            })?;
            nix::unistd::dup2_stdin(&null).map_err(|e| fail("stdin", e))?;
            Ok(Ok(Ready {
                pipe: Some(File::from(write)),
            }))
        }
    }
}
