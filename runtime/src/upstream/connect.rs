//! Getting a usable connection to a backend: from its pool, or by connecting within the
//! backend's connection limit.

use std::io;
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::backend::Backend;
use super::pool::{Reserve, Sender, Slot};
use crate::error::{Error, ErrorKind, Result};

/// A connection checked out of a backend, ready for one request.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) sender: Sender,
    /// Whether it served an earlier request (and so may have been closed by the origin).
    pub(crate) reused: bool,
}

/// A ready connection to `backend`: a pooled one if any is usable, else a new one. At the
/// backend's connection limit, waits up to `pool_wait` for a connection to be checked in or
/// closed.
///
/// # Errors
///
/// `Overloaded` when the wait ends without a connection; `ConnectRefused`,
/// `ConnectTimeout` or `ConnectError` for a new connection.
pub(crate) async fn connect(backend: &Arc<Backend>) -> Result<Conn> {
    let timeout = backend.options().connect_timeout;
    let deadline = Instant::now() + backend.options().pool_wait;
    loop {
        while let Some(mut sender) = backend.pool.checkout() {
            if sender.is_ready() {
                return Ok(Conn {
                    sender,
                    reused: true,
                });
            }
            // Its previous response just ended and the connection task has not caught up yet.
            if let Ok(Ok(())) = tokio::time::timeout(timeout, sender.ready()).await {
                return Ok(Conn {
                    sender,
                    reused: true,
                });
            }
        }
        let limit = match backend.pool.try_reserve() {
            Reserve::Ready(slot) => return connect_new(backend, slot).await,
            Reserve::Full(limit) => limit,
        };
        tokio::select! {
            permit = limit.acquire_owned() => {
                let permit = permit.map_err(|e| Error::explain(ErrorKind::Internal, "connection limit closed").with_cause(e))?;
                return connect_new(backend, backend.pool.slot_from(permit)).await;
            }
            () = backend.pool.checked_in.notified() => {}
            () = tokio::time::sleep_until(deadline) => return Err(overloaded(backend)),
        }
    }
}

/// A new connection to `backend` (never a pooled one), within its connection limit.
///
/// # Errors
///
/// As [`connect`].
pub(crate) async fn connect_fresh(backend: &Arc<Backend>) -> Result<Conn> {
    let slot = match backend.pool.try_reserve() {
        Reserve::Ready(slot) => slot,
        Reserve::Full(limit) => {
            let wait = backend.options().pool_wait;
            match tokio::time::timeout(wait, limit.acquire_owned()).await {
                Ok(Ok(permit)) => backend.pool.slot_from(permit),
                Ok(Err(e)) => {
                    return Err(
                        Error::explain(ErrorKind::Internal, "connection limit closed")
                            .with_cause(e),
                    )
                }
                Err(_) => return Err(overloaded(backend)),
            }
        }
    };
    connect_new(backend, slot).await
}

fn overloaded(backend: &Backend) -> Error {
    Error::explain(
        ErrorKind::Overloaded,
        format!(
            "{} has {} connections open, its limit; none freed within {:?}",
            backend.addr(),
            backend.open_connections(),
            backend.options().pool_wait
        ),
    )
}

/// A new connection to `backend`; its connection task, spawned on the runtime, owns `slot`.
async fn connect_new(backend: &Arc<Backend>, slot: Slot) -> Result<Conn> {
    let addr = backend.addr();
    let timeout = backend.options().connect_timeout;
    let stream = match tokio::time::timeout(timeout, TcpStream::connect(addr)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => return Err(connect_error(&e, backend).with_cause(e)),
        Err(_) => {
            return Err(Error::explain(
                ErrorKind::ConnectTimeout,
                format!("connecting to {addr} ({timeout:?})"),
            ))
        }
    };
    // Small requests and responses must not wait for Nagle.
    if let Err(e) = stream.set_nodelay(true) {
        tracing::debug!(%addr, error = %e, "cannot set TCP_NODELAY");
    }
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| {
            Error::explain(ErrorKind::ConnectError, format!("handshake with {addr}")).with_cause(e)
        })?;
    tokio::spawn(async move {
        let _slot = slot;
        // With upgrades, a `101` hands the connection to the response's upgrade (a tunnel,
        // `server/upgrade.rs`) and ends this task; without, hyper would refuse the switch.
        if let Err(e) = conn.with_upgrades().await {
            tracing::debug!(%addr, error = %e, "upstream connection ended with an error");
        }
    });
    Ok(Conn {
        sender,
        reused: false,
    })
}

fn connect_error(e: &io::Error, backend: &Backend) -> Error {
    let kind = match e.kind() {
        io::ErrorKind::ConnectionRefused => ErrorKind::ConnectRefused,
        io::ErrorKind::TimedOut => ErrorKind::ConnectTimeout,
        _ => ErrorKind::ConnectError,
    };
    Error::explain(kind, format!("connecting to {}", backend.addr()))
}
