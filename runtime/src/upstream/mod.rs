//! Upstreams: named groups of backends, how one is chosen, their health, discovery and
//! pooled connections.
//!
//! An [`Upstream`] is built once at start-up, from static [`BackendConfig`]s
//! ([`Upstream::new`]) or from a [`Discovery`] source ([`Upstream::discovered`]), with a
//! [`Balance`] policy and [`UpstreamOptions`]. Its current backends form an immutable set
//! (`set.rs`) published through an `ArcSwap`, so [`Upstream::select`] is lock-free and
//! allocation-free: one snapshot load, one balancer pick (`balance.rs`), one reference-count
//! increment. It returns a [`Peer`], the value
//! [`Proxy::upstream_peer`](crate::Proxy::upstream_peer) returns; the runtime then takes a
//! connection from that backend's pool (`pool.rs`) or opens one (`connect.rs`).
//!
//! Health checks (`health.rs`, `health/probe.rs`) and discovery (`discovery.rs`) run as
//! background tasks started by [`Upstream::start_background`], which
//! [`serve`](crate::serve) calls for every upstream listed by
//! [`Proxy::upstreams`](crate::Proxy::upstreams).

mod backend;
mod background;
mod balance;
pub(crate) mod body;
pub(crate) mod connect;
mod discovery;
mod health;
mod options;
mod peer;
pub(crate) mod pool;
mod retry_budget;
mod sender;
mod set;

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use arc_swap::ArcSwap;

pub use backend::{Backend, BackendConfig};
pub use background::Background;
pub use balance::Balance;
pub use discovery::Discovery;
pub use health::{AllDown, HealthCheck, PassiveHealth, Probe};
pub use options::{UpstreamOptions, UpstreamProtocol};
pub(crate) use peer::InFlight;
pub use peer::Peer;
pub(crate) use retry_budget::InFlightGuard;
pub use retry_budget::RetryBudget;
use retry_budget::RetryLoad;
use set::BackendSet;

use crate::error::{Error, ErrorKind, Result};

/// A named group of backends and the policy that spreads requests over them.
pub struct Upstream {
    shared: Arc<Shared>,
}

/// What an upstream's background tasks and the metrics collector share with it.
pub(crate) struct Shared {
    name: Arc<str>,
    balance: Balance,
    options: Arc<UpstreamOptions>,
    set: ArcSwap<BackendSet>,
    /// The requests and retries in flight, for the retry budget.
    load: Arc<RetryLoad>,
    discovery: Option<Discovery>,
    /// Whether background tasks run for this upstream (they are started once).
    background: AtomicBool,
}

/// Set once by a test binary ([`stand_ins_only`]): a discovered upstream then starts on one
/// placeholder server without reading its source (no DNS, no file), since the test replaces
/// every server of every upstream by its stand-ins before a request is served.
static STAND_INS_ONLY: AtomicBool = AtomicBool::new(false);

/// Makes every discovered upstream built from now on skip its first read: for test binaries,
/// whose upstreams all get stand-in servers ([`Upstream::pin_for_test`]).
pub(crate) fn stand_ins_only() {
    STAND_INS_ONLY.store(true, Ordering::Release);
}

/// Where a discovered upstream of a test binary points until its stand-ins replace it: the
/// discard port, never connected to.
const PLACEHOLDER: std::net::SocketAddr = std::net::SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::LOCALHOST,
    9,
));

impl Upstream {
    /// Builds an upstream with a fixed list of backends. `options.max_retries` is capped at
    /// `backends.len() - 1`: a retry goes to another backend.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] when there is no backend, every primary (non-backup)
    /// weight is 0, every backup weight is 0, or the round-robin weights are too
    /// fine-grained (see [`Balance`]).
    pub fn new(
        name: &str,
        backends: Vec<BackendConfig>,
        balance: Balance,
        mut options: UpstreamOptions,
    ) -> Result<Self> {
        options.max_retries = options.max_retries.min(backends.len().saturating_sub(1));
        Upstream::build(name, &backends, balance, options, None)
    }

    /// Builds an upstream whose backends come from `discovery`, read once now (blocking: a
    /// DNS lookup or a file read) and then again in the background at the source's interval.
    /// `options.max_retries` is not capped (the number of backends changes).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] when the name does not resolve, the file cannot be read or
    /// parsed, or the backends it gives are invalid as for [`Upstream::new`].
    pub fn discovered(
        name: &str,
        discovery: Discovery,
        balance: Balance,
        options: UpstreamOptions,
    ) -> Result<Self> {
        let backends = match STAND_INS_ONLY.load(Ordering::Acquire) {
            true => vec![BackendConfig::new(PLACEHOLDER)],
            false => discovery
                .read_blocking()
                .map_err(|e| e.wrap(format!("upstream {name}")))?,
        };
        Upstream::build(name, &backends, balance, options, Some(discovery))
    }

    fn build(
        name: &str,
        backends: &[BackendConfig],
        balance: Balance,
        options: UpstreamOptions,
        discovery: Option<Discovery>,
    ) -> Result<Self> {
        let name: Arc<str> = Arc::from(name);
        let options = Arc::new(options);
        let load = Arc::new(RetryLoad::default());
        let set = BackendSet::new(&name, backends, balance, &options, &load, None)
            .map_err(|e| e.wrap(format!("upstream {name}")))?;
        let shared = Arc::new(Shared {
            name,
            balance,
            options,
            set: ArcSwap::from_pointee(set),
            load,
            discovery,
            background: AtomicBool::new(false),
        });
        crate::metrics::track(&shared);
        Ok(Upstream { shared })
    }

    /// The next backend according to the balance policy, among healthy ones (see
    /// [`AllDown`] when none is). Lock-free. For [`Balance::Hash`] a random key is hashed.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NoHealthyBackend`] when every backend is unhealthy and the upstream
    /// declares [`AllDown::Unavailable`].
    #[inline]
    pub fn select(&self) -> Result<Peer> {
        self.pick(None)
    }

    /// Like [`Upstream::select`], but [`Balance::Hash`] upstreams map `key` (any bytes
    /// computed from the request: a cookie, a header, the path) to a backend consistently.
    /// Other policies ignore the key.
    ///
    /// # Errors
    ///
    /// As [`Upstream::select`].
    #[inline]
    pub fn select_by_key(&self, key: &[u8]) -> Result<Peer> {
        let hashed = (self.shared.balance == Balance::Hash).then(|| balance::hash_key(key));
        self.pick(hashed)
    }

    #[inline]
    fn pick(&self, key: Option<u64>) -> Result<Peer> {
        let set = self.shared.set.load();
        match set.pick(key, self.shared.options.all_down) {
            Some(backend) => Ok(Peer::tracked(backend.clone())),
            None => Err(Error::explain(
                ErrorKind::NoHealthyBackend,
                format!("upstream {}", self.shared.name),
            )),
        }
    }

    /// The upstream's name.
    pub fn name(&self) -> &str {
        &self.shared.name
    }

    /// Its current backends, in configuration order (primaries and backups).
    pub fn backends(&self) -> Vec<Arc<Backend>> {
        self.shared.set.load().all().to_vec()
    }

    /// Whether at least one of its servers (primary or backup) is healthy now: passing its
    /// active health checks and not ejected by passive health. `healthy(NAME)` in a program.
    #[inline]
    pub fn is_healthy(&self) -> bool {
        self.shared.set.load().all().iter().any(|b| b.is_healthy())
    }

    /// Its balance policy.
    pub fn balance(&self) -> Balance {
        self.shared.balance
    }

    /// Its settings (with `max_retries` already capped for static upstreams).
    pub fn options(&self) -> &UpstreamOptions {
        &self.shared.options
    }

    /// Whether its servers come from a discovery source (`discover dns`, `discover file`).
    pub fn is_discovered(&self) -> bool {
        self.shared.discovery.is_some()
    }

    /// Serves from `servers` from now on, and never runs background tasks (health checks
    /// would probe, and discovery would bring the real servers back): a `.pxy` test's
    /// stand-ins for the program's servers (`crate::testing`).
    ///
    /// # Errors
    ///
    /// As [`Upstream::new`] for `servers`.
    pub(crate) fn pin_for_test(&self, servers: &[BackendConfig]) -> Result<()> {
        self.shared.background.store(true, Ordering::Release);
        self.shared.replace(servers)
    }

    /// Starts this upstream's background tasks: active health checks if
    /// `options.health_check` is set, and re-reading its [`Discovery`] source if it has one.
    /// They run until the returned [`Background`] is stopped or dropped. Starting again
    /// while they run starts nothing (the second handle is empty). Must be called within a
    /// Tokio runtime.
    pub fn start_background(&self) -> Background {
        if self.shared.background.swap(true, Ordering::AcqRel) {
            tracing::debug!(upstream = %self.shared.name, "background tasks already running");
            return Background::empty();
        }
        Background::start(self.shared.clone())
    }
}

impl Shared {
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The current backends.
    pub(crate) fn backends(&self) -> arc_swap::Guard<Arc<BackendSet>> {
        self.set.load()
    }

    pub(crate) fn options(&self) -> &UpstreamOptions {
        &self.options
    }

    pub(crate) fn discovery(&self) -> Option<&Discovery> {
        self.discovery.as_ref()
    }

    pub(crate) fn background_stopped(&self) {
        self.background.store(false, Ordering::Release);
    }

    /// Replaces the backends with `configs` (from discovery). Backends that stay keep their
    /// pool and health; requests in flight to removed ones complete.
    ///
    /// # Errors
    ///
    /// As [`Upstream::new`]; the current backends are then kept.
    pub(crate) fn replace(&self, configs: &[BackendConfig]) -> Result<()> {
        let current = self.set.load_full();
        let next = BackendSet::new(
            &self.name,
            configs,
            self.balance,
            &self.options,
            &self.load,
            Some(&current),
        )?;
        let added: Vec<String> = next
            .all()
            .iter()
            .filter(|b| !current.all().iter().any(|c| Arc::ptr_eq(b, c)))
            .map(|b| b.addr().to_string())
            .collect();
        let removed: Vec<String> = current
            .all()
            .iter()
            .filter(|c| !next.all().iter().any(|b| Arc::ptr_eq(b, c)))
            .map(|b| b.addr().to_string())
            .collect();
        self.set.store(Arc::new(next));
        tracing::info!(
            target: "pxy::discovery",
            upstream = %self.name,
            added = ?added,
            removed = ?removed,
            "backends changed"
        );
        Ok(())
    }
}

impl fmt::Debug for Upstream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Upstream")
            .field("name", &self.shared.name)
            .field("balance", &self.shared.balance)
            .field("backends", &self.shared.set.load().all())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
