//! One origin server of an upstream, with its settings and its connection pool.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use super::pool::Pool;

/// A backend as configured: its address and weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackendConfig {
    /// Where the origin listens.
    pub addr: SocketAddr,
    /// Relative share of requests; 0 takes the backend out of rotation.
    pub weight: u32,
}

impl BackendConfig {
    /// A backend at `addr` with weight 1.
    pub fn new(addr: SocketAddr) -> Self {
        BackendConfig { addr, weight: 1 }
    }
}

/// Settings shared by every backend of an upstream. Defaults may change between versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamOptions {
    /// How long a TCP connect (or waiting for a pooled connection to become usable) may take.
    /// Default 5 s.
    pub connect_timeout: Duration,
    /// How long to wait for the response header after sending the request, and then between
    /// two reads of the response body. Default 60 s.
    pub read_timeout: Duration,
    /// How many more backends to try after a failed connect (only connect failures are
    /// retried: the origin has seen nothing). [`Upstream::new`](super::Upstream::new) caps it
    /// at the number of backends minus one. Default 3.
    pub max_retries: usize,
    /// How many idle connections each backend keeps for reuse. Default 128.
    pub max_idle_per_backend: usize,
    /// How long an idle connection is kept before it is closed instead of reused. Default 60 s.
    pub idle_timeout: Duration,
}

impl Default for UpstreamOptions {
    fn default() -> Self {
        UpstreamOptions {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(60),
            max_retries: 3,
            max_idle_per_backend: 128,
            idle_timeout: Duration::from_secs(60),
        }
    }
}

/// One origin server: address, weight, the upstream it belongs to and its connection pool.
pub struct Backend {
    addr: SocketAddr,
    weight: u32,
    upstream: Arc<str>,
    options: UpstreamOptions,
    pub(crate) pool: Pool,
}

impl Backend {
    pub(crate) fn new(config: BackendConfig, upstream: Arc<str>, options: UpstreamOptions) -> Self {
        let pool = Pool::new(options.max_idle_per_backend, options.idle_timeout);
        Backend {
            addr: config.addr,
            weight: config.weight,
            upstream,
            options,
            pool,
        }
    }

    /// Where the origin listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The configured weight.
    pub fn weight(&self) -> u32 {
        self.weight
    }

    /// The name of the upstream this backend belongs to.
    pub fn upstream_name(&self) -> &str {
        &self.upstream
    }

    /// The upstream's settings (with `max_retries` already capped).
    pub fn options(&self) -> &UpstreamOptions {
        &self.options
    }

    /// How many idle connections the pool holds right now (closed ones may still be counted
    /// until the next checkout notices).
    pub fn idle_connections(&self) -> usize {
        self.pool.len()
    }
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backend")
            .field("addr", &self.addr)
            .field("weight", &self.weight)
            .field("upstream", &self.upstream)
            .finish_non_exhaustive()
    }
}
