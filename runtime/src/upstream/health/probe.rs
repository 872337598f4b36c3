//! Active health checks: the background task that probes every backend of an upstream at
//! the check's interval.
//!
//! Each round probes the current backends concurrently (so a slow backend never delays the
//! others' verdicts) and feeds each result to that backend's [`HealthState`](super::HealthState),
//! which applies `rise` and `fall`. Backends added by discovery are probed from the next
//! round on. A probe is a TCP connect, or one HTTP request on a new connection (never a
//! pooled one: it must not disturb real traffic), spoken as the upstream speaks to its
//! backends: over TLS when it has `tls` (the handshake, verification included, is part of
//! the probe), in HTTP/2 when its protocol is HTTP/2, else HTTP/1.1 with `Connection: close`.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONNECTION, HOST, USER_AGENT};
use http::{HeaderValue, Request, StatusCode};
use http_body_util::Empty;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

use super::{HealthCheck, Probe};
use crate::upstream::{Shared, UpstreamOptions, UpstreamProtocol};

/// Probes `shared`'s backends every `check.interval`, forever (the task is aborted to stop).
pub(crate) async fn run(shared: Arc<Shared>, check: HealthCheck) {
    let check = Arc::new(check);
    let mut ticker = tokio::time::interval(check.interval.max(Duration::from_millis(1)));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let backends = shared.backends().all().to_vec();
        let mut round = JoinSet::new();
        for backend in backends {
            let check = check.clone();
            round.spawn(async move {
                let passed = probe(backend.addr(), &check, backend.options()).await;
                backend.health.record_probe(passed, &check, backend.who());
            });
        }
        while round.join_next().await.is_some() {}
    }
}

/// Whether one probe of `addr` passes within `check.timeout`.
async fn probe(addr: SocketAddr, check: &HealthCheck, options: &UpstreamOptions) -> bool {
    match tokio::time::timeout(check.timeout, attempt(addr, &check.probe, options)).await {
        Ok(Ok(())) => true,
        Ok(Err(reason)) => {
            tracing::debug!(target: "pxy::health", backend = %addr, %reason, "probe failed");
            false
        }
        Err(_) => {
            tracing::debug!(target: "pxy::health", backend = %addr, timeout = ?check.timeout, "probe timed out");
            false
        }
    }
}

async fn attempt(addr: SocketAddr, probe: &Probe, options: &UpstreamOptions) -> Result<(), String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let Probe::Http {
        method,
        path,
        host,
        expect_status,
    } = probe
    else {
        return Ok(());
    };
    let host = match host {
        Some(host) => host.clone(),
        None => addr.to_string(),
    };
    let http2 = options.protocol == UpstreamProtocol::Http2;
    let mut request = Request::builder()
        .method(method.clone())
        .header(USER_AGENT, "pxy-health-check");
    request = if http2 {
        let scheme = if options.tls.is_some() {
            "https"
        } else {
            "http"
        };
        request.uri(format!("{scheme}://{host}{path}"))
    } else {
        request
            .uri(path.as_str())
            .header(
                HOST,
                HeaderValue::from_str(&host).map_err(|e| format!("host header: {e}"))?,
            )
            .header(CONNECTION, "close")
    };
    let request = request
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("request: {e}"))?;
    let status = match &options.tls {
        None => exchange(TokioIo::new(stream), request, http2).await?,
        Some(tls) => {
            let stream = tls.connect(addr, stream).await.map_err(|e| e.to_string())?;
            exchange(TokioIo::new(stream), request, http2).await?
        }
    };
    if status == *expect_status {
        Ok(())
    } else {
        Err(format!("status {status}, expected {expect_status}"))
    }
}

/// Sends `request` on a fresh connection over `io` and returns the response status.
async fn exchange<IO>(
    io: IO,
    request: Request<Empty<Bytes>>,
    http2: bool,
) -> Result<StatusCode, String>
where
    IO: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let handshake_failed = |e: hyper::Error| format!("handshake: {e}");
    let response = if http2 {
        let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .map_err(handshake_failed)?;
        driven(conn, sender.send_request(request)).await
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(handshake_failed)?;
        driven(conn, sender.send_request(request)).await
    };
    Ok(response.map_err(|e| format!("request: {e:?}"))?.status())
}

/// Awaits `response` while `connection` runs on its own task, then stops the connection.
async fn driven<C, R>(connection: C, response: R) -> R::Output
where
    C: Future<Output = hyper::Result<()>> + Send + 'static,
    R: Future,
{
    let driver = tokio::spawn(connection);
    let response = response.await;
    driver.abort();
    response
}
