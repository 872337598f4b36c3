//! The admin listener (`--admin ADDR`): `GET /metrics` in the Prometheus text format,
//! `GET /healthz` for liveness, and the status page, `GET /status` (HTML) and
//! `GET /status.json` (`admin/status.rs`). It is separate from the proxy's listeners so that
//! it can stay on loopback or a private interface, and it serves nothing else.

mod status;

use std::convert::Infallible;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::error::{Error, ErrorKind, Result};

/// Binds `addr` and serves admin requests until the task is dropped. Binding happens before
/// this returns, so a wrong address fails start-up.
///
/// # Errors
///
/// [`ErrorKind::Bind`] naming the address.
pub async fn start(addr: SocketAddr) -> Result<tokio::task::JoinHandle<()>> {
    let listener = TcpListener::bind(addr).await.map_err(|e| {
        Error::explain(ErrorKind::Bind, format!("admin listener {addr}")).with_cause(e)
    })?;
    Ok(serve(listener))
}

/// Binds the admin listener's socket (without serving it yet).
pub(crate) fn bind(addr: SocketAddr) -> Result<std::net::TcpListener> {
    std::net::TcpListener::bind(addr).map_err(|e| {
        Error::explain(ErrorKind::Bind, format!("admin listener {addr}")).with_cause(e)
    })
}

/// Serves admin requests on `listener` (bound here, or received in an upgrade) until the
/// task is dropped.
///
/// # Errors
///
/// [`ErrorKind::Bind`] if Tokio cannot use the socket.
pub(crate) fn serve_std(listener: std::net::TcpListener) -> Result<tokio::task::JoinHandle<()>> {
    let fail = |e: std::io::Error| Error::explain(ErrorKind::Bind, "admin listener").with_cause(e);
    listener.set_nonblocking(true).map_err(fail)?;
    Ok(serve(TcpListener::from_std(listener).map_err(fail)?))
}

fn serve(listener: TcpListener) -> tokio::task::JoinHandle<()> {
    if let Ok(local) = listener.local_addr() {
        println!("admin listening on {local}");
    }
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            tokio::spawn(async move {
                let service = hyper::service::service_fn(answer);
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

async fn answer(req: Request<Incoming>) -> std::result::Result<Response<Full<Bytes>>, Infallible> {
    let (status, content_type, body) = match (req.method(), req.uri().path()) {
        (&Method::GET, "/metrics") => (
            StatusCode::OK,
            "text/plain; version=0.0.4; charset=utf-8",
            Bytes::from(crate::metrics::encode_text()),
        ),
        (&Method::GET, "/healthz") => (StatusCode::OK, "text/plain", Bytes::from_static(b"ok\n")),
        (&Method::GET, "/status") => (
            StatusCode::OK,
            "text/html; charset=utf-8",
            Bytes::from_static(status::PAGE.as_bytes()),
        ),
        (&Method::GET, "/status.json") => (
            StatusCode::OK,
            "application/json",
            Bytes::from(status::json()),
        ),
        _ => (
            StatusCode::NOT_FOUND,
            "text/plain",
            Bytes::from_static(b"not found\n"),
        ),
    };
    let mut response = Response::new(Full::new(body));
    *response.status_mut() = status;
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static(content_type),
    );
    Ok(response)
}
