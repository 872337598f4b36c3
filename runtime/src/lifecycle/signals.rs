//! The signals a proxy process answers, as operators of nginx and Pingora expect them:
//!
//! | signal  | effect |
//! |---------|--------|
//! | SIGTERM | graceful stop: stop accepting, finish in-flight requests and tunnels within `--grace-period` |
//! | SIGQUIT | graceful stop, as SIGTERM (nginx's meaning) |
//! | SIGINT  | fast stop: close every connection now (also during a graceful stop) |
//! | SIGHUP  | re-read run-time data now: every `list` and `flag` file, every discovery file and DNS name |
//! | SIGUSR1 | reopen the access log file (after logrotate moved it) |
//!
//! An upgrade needs no signal: the new binary, started with `--upgrade`, asks the running one
//! for its sockets itself (`handover.rs`); Pingora's SIGQUIT (the old process pushes its
//! sockets to a waiting new one) and nginx's USR2 are therefore not needed. A second SIGTERM
//! or SIGQUIT during a graceful stop changes nothing; SIGINT then makes it fast.

use tokio::signal::unix::{signal, SignalKind};

use crate::error::{Error, ErrorKind, Result};
use crate::server::{Stop, StopHandle};

/// Installs the handlers (before the process serves, so that none of these signals can kill
/// it with its default action) and spawns the task that turns them into stops on `handle`.
///
/// # Errors
///
/// [`ErrorKind::Internal`] if a handler cannot be installed.
pub(crate) fn install(handle: StopHandle) -> Result<()> {
    let install = |kind: SignalKind, name: &str| {
        signal(kind).map_err(|e| {
            Error::explain(
                ErrorKind::Internal,
                format!("installing the {name} handler"),
            )
            .with_cause(e)
        })
    };
    let mut term = install(SignalKind::terminate(), "SIGTERM")?;
    let mut quit = install(SignalKind::quit(), "SIGQUIT")?;
    let mut int = install(SignalKind::interrupt(), "SIGINT")?;
    let mut hup = install(SignalKind::hangup(), "SIGHUP")?;
    let mut usr1 = install(SignalKind::user_defined1(), "SIGUSR1")?;
    tokio::spawn(async move {
        loop {
            let (name, stop) = tokio::select! {
                _ = term.recv() => ("SIGTERM", Some(Stop::Graceful)),
                _ = quit.recv() => ("SIGQUIT", Some(Stop::Graceful)),
                _ = int.recv() => ("SIGINT", Some(Stop::Fast)),
                _ = hup.recv() => ("SIGHUP", None),
                _ = usr1.recv() => {
                    crate::log::reopen_access();
                    continue;
                }
            };
            match stop {
                Some(Stop::Graceful) => {
                    tracing::info!(signal = name, "stopping gracefully");
                }
                Some(Stop::Fast) => tracing::info!(signal = name, "stopping now"),
                None => {
                    tracing::info!(signal = name, "re-reading lists, flags and discovery");
                    super::reload::request();
                }
            }
            if let Some(stop) = stop {
                handle.stop(stop);
            }
        }
    });
    Ok(())
}
