//! Active health checks: the background task that probes every backend of an upstream at
//! the check's interval.
//!
//! Each round probes the current backends concurrently (so a slow backend never delays the
//! others' verdicts) and feeds each result to that backend's [`HealthState`](super::HealthState),
//! which applies `rise` and `fall`. Backends added by discovery are probed from the next
//! round on. A probe is a TCP connect, or one HTTP/1.1 request on a new connection
//! (`Connection: close`), never a pooled connection: it must not disturb real traffic.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONNECTION, HOST, USER_AGENT};
use http::{HeaderValue, Request};
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::task::JoinSet;
use tokio::time::MissedTickBehavior;

use super::{HealthCheck, Probe};
use crate::upstream::Shared;

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
                let passed = probe(backend.addr(), &check).await;
                backend.health.record_probe(passed, &check, backend.who());
            });
        }
        while round.join_next().await.is_some() {}
    }
}

/// Whether one probe of `addr` passes within `check.timeout`.
async fn probe(addr: SocketAddr, check: &HealthCheck) -> bool {
    match tokio::time::timeout(check.timeout, attempt(addr, &check.probe)).await {
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

async fn attempt(addr: SocketAddr, probe: &Probe) -> Result<(), String> {
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
        Some(host) => HeaderValue::from_str(host),
        None => HeaderValue::from_str(&addr.to_string()),
    }
    .map_err(|e| format!("host header: {e}"))?;
    let request = Request::builder()
        .method(method.clone())
        .uri(path.as_str())
        .header(HOST, host)
        .header(USER_AGENT, "pxy-health-check")
        .header(CONNECTION, "close")
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("request: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    let driver = tokio::spawn(conn);
    let response = sender.send_request(request).await;
    driver.abort();
    let status = response.map_err(|e| format!("request: {e}"))?.status();
    if status == *expect_status {
        Ok(())
    } else {
        Err(format!("status {status}, expected {expect_status}"))
    }
}
