//! Getting a usable connection to a backend: from its pool, or by connecting.

use std::io;
use std::sync::Arc;

use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use super::backend::Backend;
use super::pool::Sender;
use crate::error::{Error, ErrorKind, Result};

/// A connection checked out of a backend, ready for one request.
#[derive(Debug)]
pub(crate) struct Conn {
    pub(crate) sender: Sender,
    /// Whether it served an earlier request (and so may have been closed by the origin).
    pub(crate) reused: bool,
}

/// A ready connection to `backend`: a pooled one if any is usable, else a new one.
///
/// # Errors
///
/// `ConnectRefused`, `ConnectTimeout` or `ConnectError` for a new connection.
pub(crate) async fn connect(backend: &Arc<Backend>) -> Result<Conn> {
    let timeout = backend.options().connect_timeout;
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
    connect_new(backend).await
}

/// A new connection to `backend`, its connection task spawned on the runtime.
pub(crate) async fn connect_new(backend: &Arc<Backend>) -> Result<Conn> {
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
        if let Err(e) = conn.await {
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
