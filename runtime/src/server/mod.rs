//! The server: listening sockets, the accept loop and graceful shutdown.
//!
//! [`serve`] accepts connections on every listener (completing the TLS handshake first on an
//! HTTPS one, see [`crate::tls`]) and serves each with hyper-util's automatic HTTP/1.1 /
//! HTTP/2 builder, through a guard that refuses HTTP/1 requests with
//! ambiguous framing before hyper sees them (`framing.rs`); every request goes through the state machine in
//! `service.rs` (a proxied one through [`crate::forward`] to its upstream) and its response
//! body (`body.rs`); an HTTP/1.1 connection the origin
//! switches to another protocol (WebSocket) becomes a byte relay (`upgrade.rs`). When asked
//! to stop ([`Stop`], `drain.rs`) the listeners close, keep-alive connections are asked to
//! finish (`Connection: close`, then hyper's graceful shutdown: in-flight requests complete,
//! idle connections close), tunnels run until their peers close them, and `serve` returns
//! once all are done or the grace period ends. The background tasks of the proxy's upstreams
//! ([`Proxy::upstreams`]: health checks, discovery) start before the first connection is
//! accepted and stop after draining.

mod batch;
mod body;
mod cached;
mod client_address;
mod config;
mod drain;
mod framing;
mod grpc;
mod limits;
mod service;
mod settings;
mod tunnel_idle;
mod upgrade;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::task::TaskTracker;

use batch::WriteBatcher;
pub use client_address::ClientAddress;
pub use config::{ListenerConfig, ServeOptions, ServerConfig};
use drain::Draining;
pub use drain::{Stop, StopHandle, StopSignal, CLOSE_DELAY};
use framing::{FramingGuard, HeadLimits, UpgradeSwitch};
pub use limits::ClientLimits;
use limits::{ConnectionSlot, ConnectionSlots};
use service::ConnInfo;
pub use settings::ServerSettings;

use crate::error::{Error, ErrorKind, Result};
use crate::metrics::requests::RouteMetrics;
use crate::phase::Proxy;
use crate::tls::{TlsAcceptor, TlsInfo, TLS_READ_BUFFER};
use crate::upstream::{Background, Upstream};

/// Serves `proxy` on `listeners` with default [`ServeOptions`] until `shutdown` completes,
/// then drains in-flight requests (30 s at most).
///
/// [`run`](crate::run) uses [`serve_until`] after parsing the process flags; tests call this
/// directly with listeners bound to port 0. Must be called within a Tokio runtime with time
/// and I/O enabled.
///
/// # Errors
///
/// None today once listening; the `Result` is kept for listener set-up failures to come.
pub async fn serve<P: Proxy>(
    proxy: Arc<P>,
    listeners: Vec<Listener>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    serve_with(proxy, listeners, ServeOptions::default(), shutdown).await
}

/// [`serve`] with explicit options. `shutdown` completing is a graceful stop.
///
/// # Errors
///
/// [`ErrorKind::InvalidConfig`] if `options.limits` cannot be applied
/// ([`ClientLimits::validate`]); otherwise see [`serve`].
pub async fn serve_with<P: Proxy>(
    proxy: Arc<P>,
    listeners: Vec<Listener>,
    options: ServeOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<()> {
    let (handle, signal) = StopHandle::new();
    let stopper = tokio::spawn(async move {
        shutdown.await;
        handle.stop(Stop::Graceful);
        // Kept so that a fast stop can still be asked for (it cannot, here: nothing else
        // holds the handle) and the signal does not read a dropped handle as a stop.
        std::future::pending::<()>().await;
    });
    let served = serve_until(proxy, listeners, options, signal).await;
    stopper.abort();
    served
}

/// [`serve_with`], stopping as `stop` says (see `drain.rs`): a graceful stop drains within
/// the grace period, a fast one (also during a graceful one) abandons open connections.
///
/// # Errors
///
/// See [`serve`].
pub async fn serve_until<P: Proxy>(
    proxy: Arc<P>,
    listeners: Vec<Listener>,
    options: ServeOptions,
    mut stop: StopSignal,
) -> Result<()> {
    let limits = options.limits;
    limits.validate()?;
    let builder = Arc::new(connection_builder(&limits));
    let slots = ConnectionSlots::new(limits.max_connections);
    let graceful = Arc::new(GracefulShutdown::new());
    let draining = Draining::default();
    let tunnels = TaskTracker::new();
    let (stop_tx, stop_rx) = watch::channel(false);
    // Health checks and discovery run from before the first request until after the last.
    let background: Vec<Background> = proxy
        .upstreams()
        .into_iter()
        .map(Upstream::start_background)
        .collect();
    // Lists and flags too; dropping the watcher (when this function returns) stops it.
    let _data = crate::data::watch(proxy.data_files());

    let serving = Arc::new(Serving {
        proxy: proxy.clone(),
        access_log: options.access_log,
        limits,
        builder,
        draining: draining.clone(),
        tunnels: tunnels.clone(),
        metrics: Arc::new(RouteMetrics::new(&proxy.route_names())),
    });
    let mut accepting = JoinSet::new();
    for listener in listeners {
        accepting.spawn(accept_loop(
            listener,
            serving.clone(),
            graceful.clone(),
            slots.clone(),
            stop_rx.clone(),
        ));
    }
    drop((stop_rx, serving));
    let how = stop.requested().await;
    let deadline = tokio::time::Instant::now()
        + match how {
            Stop::Graceful => options.grace_period,
            Stop::Fast => Duration::ZERO,
        };
    // Stop accepting: the loops drop their listeners and their handle on `graceful` (a TLS
    // handshake still under way holds only a `Watcher`, so draining does not depend on it).
    draining.start();
    let _ = stop_tx.send(true);
    while accepting.join_next().await.is_some() {}

    let Ok(graceful) = Arc::try_unwrap(graceful) else {
        tracing::error!("accept loops still running after shutdown; not draining");
        stop_background(background).await;
        return Ok(());
    };
    tracing::info!(connections = graceful.count(), stop = ?how, "draining connections");
    let drained = tokio::select! {
        drained = drain(graceful, &tunnels, deadline) => drained,
        () = stop.fast() => false,
    };
    if drained {
        tracing::info!("all connections closed");
    } else {
        tracing::warn!(
            grace_period = ?options.grace_period,
            "stopping now; abandoning remaining connections"
        );
    }
    stop_background(background).await;
    Ok(())
}

/// Steps 1 to 3 of a graceful stop (`drain.rs`), by `deadline`. True if everything closed.
async fn drain(graceful: GracefulShutdown, tunnels: &TaskTracker, deadline: Instant) -> bool {
    let tell_to_close = (Instant::now() + CLOSE_DELAY).min(deadline);
    while graceful.count() > 0 && Instant::now() < tell_to_close {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tunnels.close();
    tokio::time::timeout_at(deadline, async {
        graceful.shutdown().await;
        tunnels.wait().await;
    })
    .await
    .is_ok()
}

/// hyper's connection builder, holding every limit hyper enforces itself (see `limits.rs`).
fn connection_builder(limits: &ClientLimits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // hyper's timer starts when a connection goes idle after a response and stops at
        // the end of the next head: the idle timeout. The framing guard times the heads.
        .header_read_timeout(limits.idle_timeout)
        // The framing guard follows heads up to these limits; hyper rejects anything beyond.
        .max_buf_size(limits.head_buffer())
        .max_headers(limits.max_headers)
        // A response's head and body copied into one buffer and sent with one `send`:
        // cheaper in the kernel than a `writev` of two pieces for the small responses most
        // requests get (cache hits 17.2 -> 15.9 µs, proxied 37.7 -> 34.3 µs per request),
        // and over TLS one record without a buffer of our own (`handshake`).
        .writev(false)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.h2_max_concurrent_streams)
        // Checked by `validate` to fit.
        .max_header_list_size(u32::try_from(limits.max_header_bytes).unwrap_or(u32::MAX))
        .max_pending_accept_reset_streams(limits.h2_max_pending_accept_reset_streams)
        .max_local_error_reset_streams(limits.h2_max_local_error_reset_streams);
    builder
}

async fn stop_background(background: Vec<Background>) {
    for tasks in background {
        tasks.stop().await;
    }
}

/// A bound listening socket, with the TLS acceptor of an HTTPS listener.
#[derive(Debug)]
pub struct Listener {
    socket: TcpListener,
    tls: Option<TlsAcceptor>,
    client_address: Arc<ClientAddress>,
}

impl Listener {
    /// A listener on `socket`, terminating TLS with `tls` when given.
    pub fn new(socket: TcpListener, tls: Option<TlsAcceptor>) -> Self {
        Listener {
            socket,
            tls,
            client_address: Arc::default(),
        }
    }

    /// The same listener, learning the client's address as `client_address` says.
    #[must_use]
    pub fn with_client_address(mut self, client_address: ClientAddress) -> Self {
        self.client_address = Arc::new(client_address);
        self
    }

    /// The bound address.
    ///
    /// # Errors
    ///
    /// The socket's error, as [`TcpListener::local_addr`].
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.socket.local_addr()
    }

    /// Whether connections are TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }
}

impl std::os::fd::AsFd for Listener {
    /// The listening socket, e.g. to hand it to a new process in an upgrade.
    fn as_fd(&self) -> std::os::fd::BorrowedFd<'_> {
        self.socket.as_fd()
    }
}

impl From<TcpListener> for Listener {
    fn from(socket: TcpListener) -> Self {
        Listener::new(socket, None)
    }
}

/// What every connection is served with.
struct Serving<P> {
    proxy: Arc<P>,
    access_log: bool,
    limits: ClientLimits,
    builder: Arc<auto::Builder<TokioExecutor>>,
    draining: Draining,
    /// Open tunnels (WebSocket), which outlive their HTTP connection.
    tunnels: TaskTracker,
    /// The program's request series, resolved once.
    metrics: Arc<RouteMetrics>,
}

/// Accepts connections until `stop`. A connection over `max_connections` is accepted and
/// closed at once rather than left in the kernel's backlog: there it would wait unseen
/// (its client hanging until its own timeout) and keep the backlog full for the clients
/// that come once slots are free; closed, its client learns at once and it is counted.
async fn accept_loop<P: Proxy>(
    listener: Listener,
    serving: Arc<Serving<P>>,
    graceful: Arc<GracefulShutdown>,
    slots: ConnectionSlots,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            accepted = listener.socket.accept() => accepted,
            _ = stop.changed() => return,
        };
        match accepted {
            Ok((stream, client_addr)) => {
                let Some(slot) = slots.take() else {
                    tracing::debug!(target: "pxy::reject", client = %client_addr, "connection limit reached; connection closed");
                    drop(stream);
                    continue;
                };
                if let Err(e) = stream.set_nodelay(true) {
                    tracing::debug!(client = %client_addr, error = %e, "cannot set TCP_NODELAY");
                }
                // Watched from its accept on: a graceful stop waits for it.
                let watcher = graceful.watcher();
                let accepted = Accepted {
                    stream,
                    peer: client_addr,
                    slot,
                    watcher,
                };
                if listener.client_address.proxy_protocol {
                    // The header is read on the connection's own task: a slow load balancer
                    // never holds up the accept loop.
                    tokio::spawn(after_proxy_header(
                        accepted,
                        listener.tls.clone(),
                        listener.client_address.clone(),
                        serving.clone(),
                    ));
                } else {
                    start(accepted, &listener, &serving);
                }
            }
            Err(e) => {
                // Out of file descriptors or similar: back off instead of spinning.
                tracing::warn!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

/// A connection just accepted, with its place under `max_connections`.
struct Accepted {
    stream: TcpStream,
    /// The TCP peer; after a PROXY protocol header, the client it names.
    peer: SocketAddr,
    slot: ConnectionSlot,
    watcher: Watcher,
}

/// Serves `accepted` on `listener`: at once for cleartext, after the TLS handshake (on its own
/// task) otherwise.
fn start<P: Proxy>(accepted: Accepted, listener: &Listener, serving: &Arc<Serving<P>>) {
    start_with(
        accepted,
        listener.tls.clone(),
        listener.client_address.clone(),
        serving,
    );
}

fn start_with<P: Proxy>(
    accepted: Accepted,
    tls: Option<TlsAcceptor>,
    client_address: Arc<ClientAddress>,
    serving: &Arc<Serving<P>>,
) {
    let Accepted {
        stream,
        peer,
        slot,
        watcher,
    } = accepted;
    let conn = Downstream {
        addr: peer,
        client_address,
    };
    match tls {
        None => serve_connection(stream, conn, None, slot, serving, watcher),
        Some(tls) => {
            tokio::spawn(handshake(tls, stream, conn, slot, serving.clone(), watcher));
        }
    }
}

/// Reads the PROXY protocol header of `accepted` (within the header timeout), then serves it
/// as coming from the client the header names; a connection without a valid header, or from a
/// peer the listener does not trust when it declares trusted proxies, is closed.
async fn after_proxy_header<P: Proxy>(
    mut accepted: Accepted,
    tls: Option<TlsAcceptor>,
    client_address: Arc<ClientAddress>,
    serving: Arc<Serving<P>>,
) {
    if !client_address.may_send_proxy_header(accepted.peer.ip()) {
        crate::metrics::downstream::rejected("untrusted_proxy");
        tracing::info!(target: "pxy::reject", peer = %accepted.peer, "PROXY protocol connection from a peer that is not a trusted proxy; closed");
        return;
    }
    let timeout = serving.limits.header_read_timeout;
    match client_address::read_proxy_header(&mut accepted.stream, accepted.peer, timeout).await {
        Ok(client) => {
            accepted.peer = client;
            start_with(accepted, tls, client_address, &serving);
        }
        Err(e) => {
            crate::metrics::downstream::rejected("proxy_protocol");
            tracing::info!(target: "pxy::reject", peer = %accepted.peer, error = %e, "PROXY protocol header missing or invalid; connection closed");
        }
    }
}

/// The other end of a connection, as far as requests are concerned: its address and how the
/// listener believes what it says about the client.
struct Downstream {
    addr: SocketAddr,
    client_address: Arc<ClientAddress>,
}

/// Completes the TLS handshake of one connection (on its own task, so a slow client never
/// holds up the accept loop), then serves it.
async fn handshake<P: Proxy>(
    tls: TlsAcceptor,
    stream: TcpStream,
    peer: Downstream,
    slot: ConnectionSlot,
    serving: Arc<Serving<P>>,
    watcher: Watcher,
) {
    // BoringSSL reads a record's 5-byte header, then its body: two reads. Through a buffer
    // both come from one `recv`, with whatever else the client sent.
    let stream = BufReader::with_capacity(TLS_READ_BUFFER, stream);
    match tls.accept(stream).await {
        Ok((stream, info)) => {
            // Written unbuffered: hyper gathers an HTTP/1 response's head and body into one
            // write (`writev(false)`, `connection_builder`), and the write batcher gathers an
            // HTTP/2 connection's frames (`batch.rs`), so each flush is one TLS record of up
            // to 16 KiB without a second copy here.
            serve_connection(stream, peer, Some(Arc::new(info)), slot, &serving, watcher);
        }
        Err(e) => {
            tracing::info!(target: "pxy::reject", client = %peer.addr, error = %e, "TLS handshake failed");
        }
    }
}

/// Spawns the task serving one downstream connection, which holds `slot` until it ends.
fn serve_connection<P: Proxy, IO>(
    stream: IO,
    peer: Downstream,
    tls: Option<Arc<TlsInfo>>,
    slot: ConnectionSlot,
    serving: &Serving<P>,
    watcher: Watcher,
) where
    IO: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let upgrade = UpgradeSwitch::default();
    let scheme = if tls.is_some() { "https" } else { "http" };
    let client_addr = peer.addr;
    let info = Arc::new(ConnInfo::new(
        peer,
        scheme,
        tls,
        upgrade.clone(),
        serving.tunnels.clone(),
        serving.limits,
        serving.metrics.clone(),
    ));
    let proxy = serving.proxy.clone();
    let access_log = serving.access_log;
    let draining = serving.draining.clone();
    let service = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
        // Once draining, an HTTP/1 connection is closed after its response (`drain.rs`).
        let close = draining.is_set() && req.version() < http::Version::HTTP_2;
        // Boxed: hyper moves the service's future into its connection state, and a pointer
        // is cheaper to move than the request's whole state machine.
        let response = Box::pin(service::handle(
            proxy.clone(),
            access_log,
            info.clone(),
            req,
        ));
        async move {
            let mut response = response.await?;
            if close && response.status() != http::StatusCode::SWITCHING_PROTOCOLS {
                response.headers_mut().insert(
                    http::header::CONNECTION,
                    http::HeaderValue::from_static("close"),
                );
            }
            Ok::<_, std::convert::Infallible>(response)
        }
    });
    // With upgrades, hyper hands an HTTP/1.1 connection over after a `101` (`upgrade.rs`);
    // it ends the connection's future; the tunnel is tracked apart (`Serving::tunnels`).
    let connection = serving
        .builder
        .serve_connection_with_upgrades(
            TokioIo::new(WriteBatcher::new(FramingGuard::new(
                stream,
                client_addr,
                upgrade,
                HeadLimits::of(&serving.limits),
            ))),
            service,
        )
        .into_owned();
    let connection = watcher.watch(connection);
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            log_connection_error(client_addr, &*e);
        }
        drop(slot);
    });
}

/// Logs why a downstream connection ended badly. Requests hyper rejects before they reach
/// the service (malformed, too large, header timeout) are logged here, one line each; a
/// request the framing guard refused is logged by the guard with its reason, then here.
fn log_connection_error(client: SocketAddr, error: &(dyn std::error::Error + 'static)) {
    match error.downcast_ref::<hyper::Error>() {
        Some(e) if e.is_parse() || e.is_parse_too_large() || e.is_parse_status() => {
            tracing::info!(target: "pxy::reject", %client, error = %e, "rejected a malformed request");
        }
        Some(e) if e.is_timeout() => {
            tracing::info!(target: "pxy::reject", %client, "request header timeout; connection closed");
        }
        _ => tracing::debug!(%client, error = %error, "downstream connection error"),
    }
}

/// Loads the TLS certificates of `config`'s HTTPS listeners, then binds every listener with
/// `SO_REUSEADDR` and a backlog of 1024.
///
/// Must be called within a Tokio runtime.
///
/// # Errors
///
/// [`ErrorKind::InvalidConfig`] naming a certificate, key or CA file that cannot be used
/// (see [`TlsAcceptor::new`]); [`ErrorKind::Bind`] naming the address that failed.
pub fn bind(listeners: &[ListenerConfig]) -> Result<Vec<Listener>> {
    let acceptors = tls_acceptors(listeners)?;
    listeners
        .iter()
        .zip(acceptors)
        .map(|(l, tls)| {
            Ok(Listener::new(bind_one(l.addr)?, tls).with_client_address(l.client_address.clone()))
        })
        .collect()
}

/// The TLS acceptor of every listener (`None` for cleartext ones), with every certificate,
/// key and CA file loaded and checked.
///
/// # Errors
///
/// As [`TlsAcceptor::new`], with the listener's address added.
pub fn tls_acceptors(listeners: &[ListenerConfig]) -> Result<Vec<Option<TlsAcceptor>>> {
    listeners
        .iter()
        .map(|l| {
            l.tls
                .as_ref()
                .map(|tls| {
                    TlsAcceptor::new(tls).map_err(|e| e.wrap(format!("listener {}", l.addr)))
                })
                .transpose()
        })
        .collect()
}

/// A listener on a socket that is already bound and listening (received from a running
/// process in an upgrade), terminating TLS with `tls` when given.
///
/// # Errors
///
/// [`ErrorKind::Bind`] naming `addr` if the socket cannot be used by Tokio.
pub(crate) fn adopt(
    addr: SocketAddr,
    socket: std::net::TcpListener,
    tls: Option<TlsAcceptor>,
) -> Result<Listener> {
    let fail =
        |e: std::io::Error| Error::explain(ErrorKind::Bind, format!("{addr}: {e}")).with_cause(e);
    socket.set_nonblocking(true).map_err(fail)?;
    Ok(Listener::new(
        TcpListener::from_std(socket).map_err(fail)?,
        tls,
    ))
}

/// Binds `addr` with `SO_REUSEADDR` and a backlog of 1024.
pub(crate) fn bind_one(addr: SocketAddr) -> Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let fail =
        |e: std::io::Error| Error::explain(ErrorKind::Bind, format!("{addr}: {e}")).with_cause(e);
    let socket =
        Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP)).map_err(fail)?;
    socket.set_reuse_address(true).map_err(fail)?;
    socket.set_nonblocking(true).map_err(fail)?;
    socket.bind(&addr.into()).map_err(fail)?;
    socket.listen(1024).map_err(fail)?;
    TcpListener::from_std(socket.into()).map_err(fail)
}
