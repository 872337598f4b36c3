//! Getting a usable connection to a backend: from its pool, or by connecting within the
//! backend's connection limit.

use std::io;
use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::io::{BufReader, BufWriter};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::backend::Backend;
use super::options::UpstreamProtocol;
use super::pool::{Reserve, Sender, Slot};
use crate::error::{Error, ErrorKind, Result};
use crate::tls::{TLS_READ_BUFFER, TLS_WRITE_BUFFER};

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
    if backend.options().protocol == UpstreamProtocol::Http2 {
        return connect_shared(backend).await;
    }
    let timeout = backend.options().connect_timeout;
    let deadline = Instant::now() + backend.options().pool_wait;
    loop {
        while let Some(mut sender) = backend.pool.checkout() {
            if sender.is_ready() {
                backend.record_reuse();
                return Ok(Conn {
                    sender,
                    reused: true,
                });
            }
            // Its previous response just ended and the connection task has not caught up yet.
            if let Ok(Ok(())) = tokio::time::timeout(timeout, sender.ready()).await {
                backend.record_reuse();
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

/// A stream on the backend's shared HTTP/2 connection, opening it if needed (one opener at
/// a time; the others wait for its connection).
async fn connect_shared(backend: &Arc<Backend>) -> Result<Conn> {
    if let Some(sender) = backend.pool.shared() {
        backend.record_reuse();
        return Ok(Conn {
            sender,
            reused: true,
        });
    }
    let _opening = backend.pool.opening.lock().await;
    if let Some(sender) = backend.pool.shared() {
        backend.record_reuse();
        return Ok(Conn {
            sender,
            reused: true,
        });
    }
    connect_fresh(backend).await
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
/// An HTTP/2 connection becomes the backend's shared one. Boxed: opening a connection is the
/// rare case once the pool is warm, and inline its handshake's state would be part of every
/// request's future, which is moved whole into the connection's task.
fn connect_new(
    backend: &Arc<Backend>,
    slot: Slot,
) -> std::pin::Pin<Box<impl std::future::Future<Output = Result<Conn>> + Send + '_>> {
    Box::pin(open_connection(backend, slot))
}

async fn open_connection(backend: &Arc<Backend>, slot: Slot) -> Result<Conn> {
    let addr = backend.addr();
    let options = backend.options();
    let timeout = options.connect_timeout;
    let opening = async {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| connect_error(&e, backend).with_cause(e))?;
        // Small requests and responses must not wait for Nagle.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(%addr, error = %e, "cannot set TCP_NODELAY");
        }
        match &options.tls {
            None => handshake(backend, TokioIo::new(stream), slot).await,
            Some(tls) => {
                // Buffered both ways, as on the server side: a record's header and body come
                // from one read, and pieces written together leave as one record.
                let stream = BufReader::with_capacity(TLS_READ_BUFFER, stream);
                let stream = tls.connect(addr, stream).await?;
                let stream = BufWriter::with_capacity(TLS_WRITE_BUFFER, stream);
                handshake(backend, TokioIo::new(stream), slot).await
            }
        }
    };
    // The connect timeout covers TCP, TLS and the HTTP/2 preface.
    let start = Instant::now();
    let opened = match tokio::time::timeout(timeout, opening).await {
        Ok(result) => result.map(|sender| Conn {
            sender,
            reused: false,
        }),
        Err(_) => Err(Error::explain(
            ErrorKind::ConnectTimeout,
            format!("connecting to {addr} ({timeout:?})"),
        )),
    };
    backend.record_connect(start.elapsed(), opened.is_ok());
    opened
}

/// The HTTP handshake on a connected stream, and its connection task.
async fn handshake<IO>(backend: &Backend, io: IO, slot: Slot) -> Result<Sender>
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let addr = backend.addr();
    let failed =
        |e| Error::explain(ErrorKind::ConnectError, format!("handshake with {addr}")).with_cause(e);
    let ended = move |e: hyper::Error| {
        tracing::debug!(%addr, error = %e, "upstream connection ended with an error");
    };
    match backend.options().protocol {
        UpstreamProtocol::Http1 => {
            // A request's head and body leave in one `send` (see the server's builder).
            let (sender, conn) = hyper::client::conn::http1::Builder::new()
                .writev(false)
                .handshake(io)
                .await
                .map_err(failed)?;
            tokio::spawn(async move {
                let _slot = slot;
                // With upgrades, a `101` hands the connection to the response's upgrade (a
                // tunnel, `server/upgrade.rs`) and ends this task; without, hyper would refuse
                // the switch.
                if let Err(e) = conn.with_upgrades().await {
                    ended(e);
                }
            });
            Ok(Sender::Http1(sender))
        }
        UpstreamProtocol::Http2 => {
            let (sender, conn) = hyper::client::conn::http2::Builder::new(TokioExecutor::new())
                .timer(TokioTimer::new())
                .adaptive_window(true)
                .keep_alive_interval(Duration::from_secs(30))
                .handshake(io)
                .await
                .map_err(failed)?;
            tokio::spawn(async move {
                let _slot = slot;
                if let Err(e) = conn.await {
                    ended(e);
                }
            });
            backend.pool.share(&sender);
            Ok(Sender::Http2(sender))
        }
    }
}

fn connect_error(e: &io::Error, backend: &Backend) -> Error {
    let kind = match e.kind() {
        io::ErrorKind::ConnectionRefused => ErrorKind::ConnectRefused,
        io::ErrorKind::TimedOut => ErrorKind::ConnectTimeout,
        _ => ErrorKind::ConnectError,
    };
    Error::explain(kind, format!("connecting to {}", backend.addr()))
}
