//! Upstreams: named groups of backends, how one is chosen, and pooled connections to them.
//!
//! An [`Upstream`] is built once at start-up from [`BackendConfig`]s, a [`Balance`] and
//! [`UpstreamOptions`]. [`Upstream::select`] is lock-free and returns a [`Peer`], the value
//! [`Proxy::upstream_peer`](crate::Proxy::upstream_peer) returns; the runtime then takes a
//! connection from that backend's pool (`pool.rs`) or opens one (`connect.rs`).

mod backend;
mod balance;
pub(crate) mod connect;
pub(crate) mod pool;

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

pub use backend::{Backend, BackendConfig, UpstreamOptions};
pub use balance::Balance;
use balance::Balancer;

use crate::error::{Error, ErrorKind, Result};

/// A named group of backends and the policy that spreads requests over them.
#[derive(Debug)]
pub struct Upstream {
    name: Arc<str>,
    backends: Vec<Arc<Backend>>,
    balancer: Balancer,
}

impl Upstream {
    /// Builds an upstream. `options.max_retries` is capped at `backends.len() - 1`: a retry
    /// goes to another backend.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] when there is no backend, every weight is 0, or the
    /// round-robin weights are too fine-grained (see [`Balance`]).
    pub fn new(
        name: &str,
        backends: Vec<BackendConfig>,
        balance: Balance,
        mut options: UpstreamOptions,
    ) -> Result<Self> {
        if backends.is_empty() {
            return Err(Error::explain(
                ErrorKind::InvalidConfig,
                format!("upstream {name} has no backend"),
            ));
        }
        let weights: Vec<u32> = backends.iter().map(|b| b.weight).collect();
        let balancer = Balancer::new(balance, &weights)
            .map_err(|e| Error::explain(e.kind(), format!("upstream {name}")).with_cause(e))?;
        options.max_retries = options.max_retries.min(backends.len() - 1);
        let name: Arc<str> = Arc::from(name);
        let backends = backends
            .into_iter()
            .map(|config| Arc::new(Backend::new(config, name.clone(), options.clone())))
            .collect();
        Ok(Upstream {
            name,
            backends,
            balancer,
        })
    }

    /// The next backend according to the balance policy. Lock-free.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::NoBackend`] never happens for an upstream built by [`Upstream::new`]; the
    /// `Result` leaves room for health checks that can take every backend out.
    pub fn select(&self) -> Result<Peer> {
        match self.backends.get(self.balancer.pick()) {
            Some(backend) => Ok(Peer::new(backend.clone())),
            None => Err(Error::explain(
                ErrorKind::NoBackend,
                format!("upstream {}", self.name),
            )),
        }
    }

    /// The upstream's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Its backends, in configuration order.
    pub fn backends(&self) -> &[Arc<Backend>] {
        &self.backends
    }
}

/// The backend chosen for one attempt of a request. Cloning is one reference-count increment.
#[derive(Clone)]
pub struct Peer {
    backend: Arc<Backend>,
}

impl Peer {
    /// A peer for `backend`.
    pub fn new(backend: Arc<Backend>) -> Self {
        Peer { backend }
    }

    /// The backend's address.
    pub fn addr(&self) -> SocketAddr {
        self.backend.addr()
    }

    /// The name of the upstream the backend belongs to.
    pub fn upstream_name(&self) -> &str {
        self.backend.upstream_name()
    }

    /// The backend itself.
    pub fn backend(&self) -> &Arc<Backend> {
        &self.backend
    }
}

impl fmt::Debug for Peer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Peer")
            .field("upstream", &self.upstream_name())
            .field("addr", &self.addr())
            .finish()
    }
}

#[cfg(test)]
mod tests;
