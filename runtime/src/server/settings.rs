//! The process settings a program declares in its `server { ... }` block: worker threads,
//! the grace period, the admin listener, the access log and the client limits.
//!
//! Generated code fills [`ServerSettings`] (in [`ServerConfig`](super::ServerConfig)) with
//! what the `.pxy` file says and leaves the rest at the defaults; the binary's flags
//! (`args.rs`) override any of them at start-up, so an operator can change one without a
//! rebuild.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use super::limits::ClientLimits;
use crate::log::AccessLogFormat;

/// How the process runs, as the program declares it. Defaults may change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// Worker threads; `None`: the number of available cores. Flag `--threads`.
    pub threads: Option<u16>,
    /// How long in-flight requests and open tunnels may take to finish after a graceful
    /// stop or an upgrade. Default 30 s. Flag `--grace-period`.
    pub grace_period: Duration,
    /// Where to serve `/metrics` and `/healthz`; `None`: nowhere. Flag `--admin`.
    pub admin: Option<SocketAddr>,
    /// The format of the access log, or off. Default text. Flags `--access-log`,
    /// `--no-access-log`.
    pub access_log: AccessLogFormat,
    /// The file the access log is appended to (reopened on SIGUSR1); `None`: standard
    /// error. Flag `--access-log-file`.
    pub access_log_file: Option<PathBuf>,
    /// Timeouts and size limits for clients. Flags `--header-read-timeout` and the others of
    /// [`LimitArgs`](crate::args::LimitArgs).
    pub limits: ClientLimits,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            threads: None,
            grace_period: Duration::from_secs(30),
            admin: None,
            access_log: AccessLogFormat::default(),
            access_log_file: None,
            limits: ClientLimits::default(),
        }
    }
}
