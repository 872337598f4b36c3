//! The life of a proxy process around serving: start-up (daemon mode, taking listeners over
//! from a running process), readiness (pid file, systemd), signals, and handing the
//! listeners to a successor.
//!
//! [`run`](crate::run) drives it in this order: fork when `--daemon` (`daemon.rs`, before any
//! thread exists), build the proxy and load every certificate, then get the listeners, either
//! bound fresh or, with `--upgrade`, received from the running process (`handover.rs`, file
//! descriptors passed by `fds.rs`), serve, tell the old process to stop accepting, write the
//! pid file (`pid_file.rs`), report readiness (`notify.rs`, the daemon's parent), and offer
//! the listeners to a future successor. Signals (`signals.rs`) and a successor's takeover
//! both end in a [`Stop`](crate::server::Stop) of the server; SIGHUP asks every task that
//! keeps run-time data current to re-read it now (`reload.rs`).

pub(crate) mod daemon;
mod fds;
pub(crate) mod handover;
pub(crate) mod notify;
pub(crate) mod pid_file;
pub(crate) mod reload;
pub(crate) mod signals;
