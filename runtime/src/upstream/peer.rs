//! [`Peer`]: the backend chosen for one attempt, and the in-flight count it carries.
//!
//! A peer returned by [`Upstream::select`](super::Upstream::select) counts as one in-flight
//! request on its backend (what least-connections and power-of-two-choices balance on) until
//! it is dropped, or until the runtime takes the count over as an [`InFlight`] guard that
//! lives until the request ends (response body finished, request failed or client gone).
//! Clones do not count.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;

use super::backend::Backend;

/// The backend chosen for one attempt of a request. Cloning is one reference-count
/// increment; a clone does not count as an in-flight request.
pub struct Peer {
    backend: Arc<Backend>,
    /// Whether this handle holds one in-flight count on the backend.
    counted: bool,
}

impl Peer {
    /// A peer for `backend` that does not count as in flight (for hand-built peers).
    pub fn new(backend: Arc<Backend>) -> Self {
        Peer {
            backend,
            counted: false,
        }
    }

    /// A peer counting one in-flight request on `backend`.
    #[inline]
    pub(crate) fn tracked(backend: Arc<Backend>) -> Self {
        backend.acquire();
        Peer {
            backend,
            counted: true,
        }
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

    /// Moves this peer's in-flight count into a guard held until the request ends; a peer
    /// made with [`Peer::new`] gets a guard that counts from now on.
    pub(crate) fn take_in_flight(&mut self) -> InFlight {
        if !std::mem::replace(&mut self.counted, false) {
            self.backend.acquire();
        }
        InFlight {
            backend: self.backend.clone(),
        }
    }
}

impl Clone for Peer {
    fn clone(&self) -> Self {
        Peer::new(self.backend.clone())
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        if self.counted {
            self.backend.release();
        }
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

/// One in-flight request on a backend; the count drops with the guard.
#[derive(Debug)]
pub(crate) struct InFlight {
    backend: Arc<Backend>,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.backend.release();
    }
}
