//! Readiness for systemd (`Type=notify`): `READY=1` with `MAINPID=` once the process serves,
//! `STOPPING=1` when it starts to drain.
//!
//! Sent with the `sd-notify` crate to the datagram socket named by `NOTIFY_SOCKET`, and not
//! at all when that is unset (not under systemd). `MAINPID` lets the unit follow an upgrade:
//! the new process, started by `ExecReload` and so not the unit's main process, tells
//! systemd that it is the main process now (the unit needs `NotifyAccess=all` for that).
//! `tests/tests/e2e_upgrade.rs` reads the messages from a real datagram socket.

use sd_notify::NotifyState;

/// Tells the service manager that this process serves and is the unit's main process.
pub(crate) fn ready() {
    send(&[NotifyState::MainPid(std::process::id()), NotifyState::Ready]);
}

/// Tells the service manager that this process is stopping.
pub(crate) fn stopping() {
    send(&[NotifyState::Stopping]);
}

fn send(states: &[NotifyState<'_>]) {
    if std::env::var_os("NOTIFY_SOCKET").is_none() {
        return;
    }
    if let Err(e) = sd_notify::notify(false, states) {
        tracing::warn!(error = %e, "cannot notify the service manager");
    }
}
