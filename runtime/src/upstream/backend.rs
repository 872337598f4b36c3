//! One origin server of an upstream: its settings, connection pool, health and counters.
//!
//! A [`Backend`] lives behind an `Arc` shared by every backend set that contains it (service
//! discovery keeps the same `Backend` across changes, so its pool and health survive) and by
//! every [`Peer`](super::Peer) chosen for it (so a backend removed from the set still serves
//! its in-flight requests). Its counters are plain atomics read by the metrics collector.

use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use super::health::{HealthState, Who};
use super::options::UpstreamOptions;
use super::pool::Pool;
use super::retry_budget::RetryLoad;
use crate::metrics::timing::BackendTiming;

/// A backend as configured: its address, weight and whether it is a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackendConfig {
    /// Where the origin listens.
    pub addr: SocketAddr,
    /// Relative share of requests; 0 takes the backend out of rotation.
    pub weight: u32,
    /// A backup receives traffic only while no primary (non-backup) backend is healthy.
    pub backup: bool,
}

impl BackendConfig {
    /// A primary backend at `addr` with weight 1.
    pub fn new(addr: SocketAddr) -> Self {
        BackendConfig {
            addr,
            weight: 1,
            backup: false,
        }
    }

    /// A backup backend at `addr` with weight 1.
    pub fn backup(addr: SocketAddr) -> Self {
        BackendConfig {
            backup: true,
            ..BackendConfig::new(addr)
        }
    }
}

/// One origin server: address, weight, the upstream it belongs to, its connection pool,
/// health and counters.
pub struct Backend {
    addr: SocketAddr,
    weight: u32,
    backup: bool,
    upstream: Arc<str>,
    options: Arc<UpstreamOptions>,
    /// The upstream's requests and retries in flight (shared by its backends).
    pub(crate) load: Arc<RetryLoad>,
    pub(crate) pool: Pool,
    pub(crate) health: HealthState,
    in_flight: AtomicUsize,
    requests: AtomicU64,
    failures: AtomicU64,
    upgrades: AtomicU64,
    open_tunnels: AtomicUsize,
    connections_new: AtomicU64,
    connections_reused: AtomicU64,
    connect_errors: AtomicU64,
    retries: AtomicU64,
    pub(crate) timing: BackendTiming,
}

impl Backend {
    pub(crate) fn new(
        config: BackendConfig,
        upstream: Arc<str>,
        options: Arc<UpstreamOptions>,
        load: Arc<RetryLoad>,
    ) -> Self {
        let pool = Pool::new(&options);
        let timing = BackendTiming::new(&upstream, &config.addr.to_string());
        Backend {
            addr: config.addr,
            weight: config.weight,
            backup: config.backup,
            upstream,
            options,
            load,
            pool,
            health: HealthState::default(),
            in_flight: AtomicUsize::new(0),
            requests: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            upgrades: AtomicU64::new(0),
            open_tunnels: AtomicUsize::new(0),
            connections_new: AtomicU64::new(0),
            connections_reused: AtomicU64::new(0),
            connect_errors: AtomicU64::new(0),
            retries: AtomicU64::new(0),
            timing,
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

    /// Whether this is a backup backend.
    pub fn is_backup(&self) -> bool {
        self.backup
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

    /// How many connections to this backend are open (idle or busy).
    pub fn open_connections(&self) -> usize {
        self.pool.open()
    }

    /// How many requests chosen for this backend have not finished yet.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::Relaxed)
    }

    /// Whether the backend receives traffic now: not failing its active health checks and
    /// not ejected by passive health.
    pub fn is_healthy(&self) -> bool {
        self.health.is_healthy_now()
    }

    /// How many attempts were sent to this backend.
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// How many attempts failed (connect errors, resets, timeouts, `5xx` responses).
    pub fn failures(&self) -> u64 {
        self.failures.load(Ordering::Relaxed)
    }

    /// How many connections to this backend switched protocols (`101`, WebSocket) and
    /// became tunnels.
    pub fn upgrades(&self) -> u64 {
        self.upgrades.load(Ordering::Relaxed)
    }

    /// How many of those tunnels are relaying now.
    pub fn open_tunnels(&self) -> usize {
        self.open_tunnels.load(Ordering::Relaxed)
    }

    /// How many health state changes this backend went through.
    pub fn health_transitions(&self) -> u64 {
        self.health.transitions()
    }

    pub(crate) fn who(&self) -> Who<'_> {
        Who {
            upstream: &self.upstream,
            addr: self.addr,
        }
    }

    /// Whether selection may choose this backend now.
    #[inline]
    pub(crate) fn is_available(&self) -> bool {
        self.health.is_available(self.who())
    }

    #[inline]
    pub(crate) fn acquire(&self) {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn release(&self) {
        self.in_flight.fetch_sub(1, Ordering::Relaxed);
    }

    /// An attempt is about to be sent to this backend.
    pub(crate) fn record_attempt(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// Connections opened to this backend.
    pub fn connections_new(&self) -> u64 {
        self.connections_new.load(Ordering::Relaxed)
    }

    /// Attempts that took a pooled (kept-alive) connection, or a stream of the shared HTTP/2
    /// one, instead of opening a connection.
    pub fn connections_reused(&self) -> u64 {
        self.connections_reused.load(Ordering::Relaxed)
    }

    /// Connections to this backend that could not be opened (refused, timed out, TLS).
    pub fn connect_errors(&self) -> u64 {
        self.connect_errors.load(Ordering::Relaxed)
    }

    /// Attempts on this backend that failed and were retried (on it or another).
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// A connection was opened in `took` (`ok`) or could not be.
    pub(crate) fn record_connect(&self, took: std::time::Duration, ok: bool) {
        if ok {
            self.connections_new.fetch_add(1, Ordering::Relaxed);
            self.timing.connect.observe(took.as_secs_f64());
        } else {
            self.connect_errors.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// An attempt reuses a connection.
    pub(crate) fn record_reuse(&self) {
        self.connections_reused.fetch_add(1, Ordering::Relaxed);
    }

    /// An attempt on this backend failed and is retried.
    pub(crate) fn record_retry(&self) {
        self.retries.fetch_add(1, Ordering::Relaxed);
    }

    /// A tunnel to this backend opened.
    pub(crate) fn tunnel_opened(&self) {
        self.upgrades.fetch_add(1, Ordering::Relaxed);
        self.open_tunnels.fetch_add(1, Ordering::Relaxed);
    }

    /// A tunnel opened with [`Backend::tunnel_opened`] closed.
    pub(crate) fn tunnel_closed(&self) {
        self.open_tunnels.fetch_sub(1, Ordering::Relaxed);
    }

    /// An attempt got a response that is not a `5xx`.
    pub(crate) fn record_success(&self) {
        self.health.record_success();
    }

    /// An attempt failed; passive health may eject the backend.
    pub(crate) fn record_failure(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        self.health
            .record_failure(self.options.passive_health.as_ref(), self.who());
    }

    /// Connecting failed: passive health, or without it the default connect ejection, may
    /// eject the backend.
    pub(crate) fn record_connect_failure(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        let policy = self
            .options
            .passive_health
            .as_ref()
            .or(self.options.connect_ejection.as_ref());
        self.health.record_failure(policy, self.who());
    }
}

impl fmt::Debug for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backend")
            .field("addr", &self.addr)
            .field("weight", &self.weight)
            .field("backup", &self.backup)
            .field("upstream", &self.upstream)
            .finish_non_exhaustive()
    }
}
