//! Protocol switches (WebSocket): the HTTP/1.1 `Upgrade` handshake proxied, then the two
//! connections joined by a byte relay.
//!
//! A request that asks to switch ([`requested_upgrade`]: HTTP/1.1, `Connection: upgrade`,
//! `Upgrade: PROTOCOL`) and has no body goes upstream with those two headers kept. Whatever
//! the origin answers other than `101 Switching Protocols` is an ordinary response, and the
//! downstream connection goes on carrying HTTP/1 requests. A `101` runs the response hooks
//! like any response (so it is logged, with status 101), goes downstream with its `Upgrade`
//! and `Connection: upgrade` put back (its other headers, `Sec-WebSocket-Accept` included,
//! are end-to-end and pass anyway), and then [`Switch::start`] takes both connections from
//! hyper once it has finished with them: the client's after the `101` is written, the
//! origin's after it is read (upstream connections are driven `with_upgrades`, and one that
//! switched never returns to its pool). [`copy_bidirectional`] relays bytes both ways until
//! both directions end: an end of stream on one side is passed on as a write shutdown to the
//! other (half-close), whose own direction continues. By default the tunnel has no timeout of
//! its own (WebSocket peers keep their connections alive with pings); the upstream's
//! `tunnel_idle_timeout` closes one that carried no byte for that long (`tunnel_idle.rs`),
//! logged with the error `tunnel idle`. Tunnels run on the server's
//! tracker, so a graceful stop (and an upgrade) waits for them within its grace period.
//!
//! The framing guard below hyper stops following the client's bytes as requests when the
//! switch is decided (`framing.rs`, [`UpgradeSwitch`]). An HTTP/2 request never switches:
//! HTTP/2 has no `Upgrade` (RFC 9113 §8.6), so it is proxied as an ordinary request.
//!
//! When the tunnel closes, a second access log line (unless the access log is off; in its
//! format and to its output, `log/tunnel.rs`) records the bytes each way and how long it was
//! open; the backend counts upgrades and open
//! tunnels for the metrics.
//!
//! [`requested_upgrade`]: crate::headers::requested_upgrade

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use http::header::UPGRADE;
use http::{HeaderMap, HeaderValue};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tokio::io::copy_bidirectional;
use tokio_util::task::TaskTracker;

use super::framing::UpgradeSwitch;
use super::tunnel_idle::{Activity, Watched};
use crate::error::{Error, ErrorKind, Result};
use crate::headers::{keep_upgrade, requested_upgrade};
use crate::request_id::RequestId;
use crate::upstream::Backend;

/// The client's side of a switch it asks for: hyper's handle on the connection, taken from a
/// request that asks to switch protocols (`None` for any other request).
pub(crate) fn take_downstream(req: &mut http::request::Parts) -> Option<OnUpgrade> {
    requested_upgrade(req.version, &req.headers)?;
    req.extensions.remove::<OnUpgrade>()
}

/// A `101 Switching Protocols` from the origin, with both connections' pending upgrades.
#[derive(Debug)]
pub(crate) struct Switch {
    downstream: OnUpgrade,
    upstream: OnUpgrade,
    /// The origin's `Upgrade`, the protocol switched to.
    protocol: HeaderValue,
}

impl Switch {
    /// Takes what a switch needs from the origin's `101` (before its hop-by-hop headers are
    /// removed) and the client's pending upgrade.
    ///
    /// # Errors
    ///
    /// `UpstreamProtocol` (a 502) when the client did not ask to switch, or the `101` names
    /// no protocol: the client cannot be told to switch then.
    pub(crate) fn new(
        response: &mut http::response::Parts,
        downstream: Option<OnUpgrade>,
    ) -> Result<Self> {
        let upstream = response.extensions.remove::<OnUpgrade>();
        let protocol = response.headers.get(UPGRADE).cloned();
        match (downstream, upstream, protocol) {
            (Some(downstream), Some(upstream), Some(protocol)) => Ok(Switch {
                downstream,
                upstream,
                protocol,
            }),
            (None, _, _) => Err(Error::explain(
                ErrorKind::UpstreamProtocol,
                "101 Switching Protocols to a request that did not ask to switch",
            )),
            _ => Err(Error::explain(
                ErrorKind::UpstreamProtocol,
                "101 Switching Protocols without an Upgrade header",
            )),
        }
    }

    /// Starts the tunnel for the `101` whose final headers are `headers` (the response hooks
    /// ran): puts `Upgrade` and `Connection: upgrade` back, tells the framing guard through
    /// `guard`, and spawns the relay on `tunnels` (so that draining waits for it). Call it
    /// just before the `101` goes to hyper.
    pub(crate) fn start(
        self,
        headers: &mut HeaderMap,
        guard: &UpgradeSwitch,
        tunnels: &TaskTracker,
        tunnel: Tunnel,
    ) {
        keep_upgrade(headers, self.protocol);
        guard.accept();
        tunnels.spawn(relay(self.downstream, self.upstream, tunnel));
    }
}

/// Who a tunnel joins, for its log line and the metrics.
#[derive(Debug)]
pub(crate) struct Tunnel {
    pub(crate) client: SocketAddr,
    pub(crate) backend: Arc<Backend>,
    /// The request id, when the access log is written.
    pub(crate) logged: Option<RequestId>,
}

/// Waits for hyper to hand both connections over, then relays bytes until both directions
/// end.
async fn relay(downstream: OnUpgrade, upstream: OnUpgrade, tunnel: Tunnel) {
    let _open = OpenTunnel::new(&tunnel.backend);
    let start = Instant::now();
    let (downstream, upstream) = match tokio::try_join!(downstream, upstream) {
        Ok(both) => both,
        Err(e) => {
            tracing::debug!(client = %tunnel.client, error = %e, "upgrade not completed");
            return;
        }
    };
    let activity = Activity::new();
    let mut downstream = Watched::new(TokioIo::new(downstream), &activity);
    let mut upstream = Watched::new(TokioIo::new(upstream), &activity);
    let relaying = copy_bidirectional(&mut downstream, &mut upstream);
    let relayed = match tunnel.backend.options().tunnel_idle_timeout {
        None => relaying.await,
        Some(limit) => tokio::select! {
            relayed = relaying => relayed,
            () = activity.idle(limit) => Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                format!("tunnel idle for {limit:?}"),
            )),
        },
    };
    let Some(request_id) = tunnel.logged else {
        return;
    };
    let duration_us = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
    let (to_upstream, to_downstream, error) = match &relayed {
        Ok((up, down)) => (Some(*up), Some(*down), None),
        Err(e) => (None, None, Some(e)),
    };
    crate::log::tunnel_closed(&crate::log::TunnelRecord {
        time: time::OffsetDateTime::now_utc(),
        client: tunnel.client,
        upstream: tunnel.backend.addr(),
        to_upstream,
        to_downstream,
        duration_us,
        request_id: request_id.as_str(),
        error,
    });
}

/// Counts a tunnel open on its backend while it lives.
struct OpenTunnel<'a>(&'a Backend);

impl<'a> OpenTunnel<'a> {
    fn new(backend: &'a Backend) -> Self {
        backend.tunnel_opened();
        OpenTunnel(backend)
    }
}

impl Drop for OpenTunnel<'_> {
    fn drop(&mut self) {
        self.0.tunnel_closed();
    }
}
