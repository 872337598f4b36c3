//! Service discovery: backends from a DNS name or a file, re-read in the background.
//!
//! [`Upstream::discovered`](super::Upstream::discovered) reads the source once to build the
//! upstream; the task started by [`Upstream::start_background`](super::Upstream::start_background)
//! reads it again at every interval, and at once on SIGHUP (`crate::lifecycle::reload`), and,
//! when the backends differ, publishes a new backend
//! set (`Shared::replace`). A failed read (name not resolving, file missing or invalid) is
//! logged and the current backends are kept. In-flight requests never notice a change: they
//! hold their backend.

mod file;

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::backend::BackendConfig;
use super::Shared;
use crate::error::{Error, ErrorKind, Result};
use crate::lifecycle::reload::Reloads;

/// Where an upstream's backends come from when they are not a fixed list.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Discovery {
    /// Every address `name` resolves to (A and AAAA records, or `/etc/hosts`), each a
    /// primary backend of weight 1 on `port`, resolved again every `interval`.
    Dns {
        /// The name to resolve.
        name: String,
        /// The port of every backend.
        port: u16,
        /// Time between two resolutions.
        interval: Duration,
    },
    /// The backends listed in a file, read again every `interval` and applied when they
    /// change. One backend per line: `ADDR:PORT [weight=N] [backup]`; blank lines and `#`
    /// comments are ignored.
    File {
        /// The file to read.
        path: PathBuf,
        /// Time between two reads.
        interval: Duration,
    },
}

impl Discovery {
    /// Backends from DNS `name` on `port`, resolved again every 30 s.
    pub fn dns(name: impl Into<String>, port: u16) -> Self {
        Discovery::Dns {
            name: name.into(),
            port,
            interval: Duration::from_secs(30),
        }
    }

    /// Backends from the file at `path`, read again every 5 s.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        Discovery::File {
            path: path.into(),
            interval: Duration::from_secs(5),
        }
    }

    fn interval(&self) -> Duration {
        match self {
            Discovery::Dns { interval, .. } | Discovery::File { interval, .. } => *interval,
        }
    }

    /// The backends now, read on the calling thread (for start-up).
    pub(crate) fn read_blocking(&self) -> Result<Vec<BackendConfig>> {
        match self {
            Discovery::Dns { name, port, .. } => {
                let addrs = (name.as_str(), *port)
                    .to_socket_addrs()
                    .map_err(|e| resolve_error(name, e))?;
                dns_backends(name, addrs)
            }
            Discovery::File { path, .. } => {
                let text = std::fs::read_to_string(path).map_err(|e| read_error(path, e))?;
                file::parse(&text).map_err(|e| in_file(path, e))
            }
        }
    }

    /// The backends now, without blocking the runtime.
    async fn read(&self) -> Result<Vec<BackendConfig>> {
        match self {
            Discovery::Dns { name, port, .. } => {
                let addrs = tokio::net::lookup_host((name.as_str(), *port))
                    .await
                    .map_err(|e| resolve_error(name, e))?;
                dns_backends(name, addrs)
            }
            Discovery::File { path, .. } => {
                let read_path = path.clone();
                let text = tokio::task::spawn_blocking(move || std::fs::read_to_string(read_path))
                    .await
                    .map_err(|e| Error::explain(ErrorKind::Internal, "file reader").with_cause(e))?
                    .map_err(|e| read_error(path, e))?;
                file::parse(&text).map_err(|e| in_file(path, e))
            }
        }
    }
}

/// Re-reads `shared`'s discovery source forever (the task is aborted to stop).
pub(crate) async fn run(shared: Arc<Shared>) {
    let Some(discovery) = shared.discovery().cloned() else {
        return;
    };
    let mut current = configs_of(&shared);
    let mut reloads = Reloads::new();
    loop {
        tokio::select! {
            () = tokio::time::sleep(discovery.interval().max(Duration::from_millis(1))) => {}
            () = reloads.requested() => tracing::info!(
                target: "pxy::discovery",
                upstream = shared.name(),
                "re-reading on request"
            ),
        }
        match discovery.read().await {
            Ok(configs) if configs == current => {}
            Ok(configs) => match shared.replace(&configs) {
                Ok(()) => current = configs,
                Err(e) => tracing::warn!(
                    target: "pxy::discovery",
                    upstream = shared.name(),
                    error = %crate::error::chain(&e),
                    "discovered backends are invalid; keeping the current ones"
                ),
            },
            Err(e) => tracing::warn!(
                target: "pxy::discovery",
                upstream = shared.name(),
                error = %crate::error::chain(&e),
                "discovery failed; keeping the current backends"
            ),
        }
    }
}

fn configs_of(shared: &Shared) -> Vec<BackendConfig> {
    shared
        .backends()
        .all()
        .iter()
        .map(|b| BackendConfig {
            addr: b.addr(),
            weight: b.weight(),
            backup: b.is_backup(),
        })
        .collect()
}

/// Sorted, deduplicated backends of weight 1 (so that a reordered answer is no change).
fn dns_backends(name: &str, addrs: impl Iterator<Item = SocketAddr>) -> Result<Vec<BackendConfig>> {
    let mut addrs: Vec<SocketAddr> = addrs.collect();
    addrs.sort_unstable();
    addrs.dedup();
    if addrs.is_empty() {
        return Err(Error::explain(
            ErrorKind::InvalidConfig,
            format!("{name} resolves to no address"),
        ));
    }
    Ok(addrs.into_iter().map(BackendConfig::new).collect())
}

fn resolve_error(name: &str, e: std::io::Error) -> Error {
    Error::explain(ErrorKind::InvalidConfig, format!("resolving {name}")).with_cause(e)
}

fn read_error(path: &std::path::Path, e: std::io::Error) -> Error {
    Error::explain(
        ErrorKind::InvalidConfig,
        format!("reading {}", path.display()),
    )
    .with_cause(e)
}

fn in_file(path: &std::path::Path, e: Error) -> Error {
    e.wrap(format!("in {}", path.display()))
}

#[cfg(test)]
mod tests;
