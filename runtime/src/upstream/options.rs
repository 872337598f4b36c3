//! The settings an upstream applies to all its backends: timeouts, retries, pool limits and
//! health policy.
//!
//! Kept apart from the backend itself because every field is plain configuration, written
//! by generated code as a struct literal ending in `..UpstreamOptions::default()`; new
//! fields must therefore always come with a default here.

use std::time::Duration;

use super::health::{AllDown, HealthCheck, PassiveHealth};
use super::retry_budget::RetryBudget;
use crate::tls::UpstreamTls;

/// Settings shared by every backend of an upstream. Defaults may change between versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamOptions {
    /// How long a TCP connect (or waiting for a pooled connection to become usable) may take.
    /// Default 5 s.
    pub connect_timeout: Duration,
    /// How long to wait for the response header once the request is sent, and then between
    /// two reads of the response body. Default 60 s.
    pub read_timeout: Duration,
    /// How long sending the request body upstream may stall (no chunk accepted). Default 60 s.
    pub write_timeout: Duration,
    /// The most a request may take from choosing its first backend to the end of the
    /// response body, retries included; past it the client gets `504` (or, once the
    /// response header was sent, a truncated body). Default `None`: no limit.
    pub total_timeout: Option<Duration>,
    /// How long one try may take, from choosing its backend to the response header; past
    /// it the try counts as a read timeout and may be retried like a reset. Default `None`:
    /// only `connect_timeout`, `read_timeout` and `total_timeout` bound a try.
    pub try_timeout: Option<Duration>,
    /// How many more attempts (each on a backend chosen anew) a request may get after a
    /// failed connect, after the connection was reset (or `try_timeout` passed) before any
    /// response byte, or after a response whose status is in `retry_on`. Resets, try
    /// timeouts and statuses are retried only for idempotent methods (GET, HEAD, OPTIONS,
    /// TRACE, PUT, DELETE) whose body is empty or replayable (see `retry_body_limit`);
    /// connect failures (the origin saw nothing) for idempotent methods, and for the others
    /// only with `retry_non_idempotent`. Every retry needs room in `retry_budget`.
    /// [`Upstream::new`](super::Upstream::new) caps it at the number of backends minus
    /// one. Default 3.
    pub max_retries: usize,
    /// Response statuses retried on another backend (their body is discarded). Default
    /// none.
    pub retry_on: Vec<u16>,
    /// Whether requests with a non-idempotent method (POST, PATCH, ...) are retried after a
    /// failed connect. Default `false`: they are never retried.
    pub retry_non_idempotent: bool,
    /// How many retries may be in flight at once. Default 20 % of the requests in flight,
    /// at least 3.
    pub retry_budget: RetryBudget,
    /// The largest request body (by its declared `Content-Length`) kept in memory so that an
    /// idempotent request can be sent again after a reset. Larger or unsized bodies are
    /// streamed and never retried once sent. Default 64 KiB.
    pub retry_body_limit: usize,
    /// How many idle connections each backend keeps for reuse. Default 128.
    pub max_idle_per_backend: usize,
    /// How long an idle connection is kept before it is closed instead of reused. Default 60 s.
    pub idle_timeout: Duration,
    /// The longest deadline a gRPC call (`content-type: application/grpc...`) may have:
    /// its `grpc-timeout` is lowered to it (or set to it when absent), and the call ends
    /// when it passes, as at `total_timeout`. Default `None`: the client's deadline stands.
    pub grpc_max_timeout: Option<Duration>,
    /// How long a tunnel (a connection switched by `101`, WebSocket) may carry no byte
    /// either way before both its connections are closed. Default `None`: no limit.
    pub tunnel_idle_timeout: Option<Duration>,
    /// The most connections (idle or busy) open to one backend at a time. Default `None`:
    /// unlimited.
    pub max_open_per_backend: Option<usize>,
    /// When a backend is at `max_open_per_backend`, how long a request waits for one of its
    /// connections to become free before it is answered `503`. Default 1 s.
    pub pool_wait: Duration,
    /// Active health checks run in the background. Default `None`: backends are never probed.
    pub health_check: Option<HealthCheck>,
    /// Passive health: ejection after consecutive failures of real requests. Default `None`.
    pub passive_health: Option<PassiveHealth>,
    /// While `passive_health` is `None`: ejection after consecutive failed connects (refused,
    /// timed out, TLS), so that a dead server stops costing every request its connect
    /// timeout. Default 3 failures, 10 s out; `None` turns it off.
    pub connect_ejection: Option<PassiveHealth>,
    /// What to do when every backend (backups included) is unhealthy. Default
    /// [`AllDown::TryAnyway`].
    pub all_down: AllDown,
    /// The HTTP version spoken to backends. Default [`UpstreamProtocol::Http1`].
    pub protocol: UpstreamProtocol,
    /// TLS to backends. Default `None`: cleartext.
    pub tls: Option<UpstreamTls>,
}

/// The HTTP version an upstream's backends speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UpstreamProtocol {
    /// HTTP/1.1: one request per connection at a time, connections pooled.
    #[default]
    Http1,
    /// HTTP/2 (over TLS with ALPN `h2`, or cleartext with prior knowledge): one connection
    /// per backend, shared by concurrent requests as streams. Needed for gRPC.
    Http2,
}

impl Default for UpstreamOptions {
    fn default() -> Self {
        UpstreamOptions {
            connect_timeout: Duration::from_secs(5),
            read_timeout: Duration::from_secs(60),
            write_timeout: Duration::from_secs(60),
            total_timeout: None,
            try_timeout: None,
            max_retries: 3,
            retry_on: Vec::new(),
            retry_non_idempotent: false,
            retry_budget: RetryBudget::default(),
            retry_body_limit: 64 * 1024,
            max_idle_per_backend: 128,
            idle_timeout: Duration::from_secs(60),
            tunnel_idle_timeout: None,
            grpc_max_timeout: None,
            max_open_per_backend: None,
            pool_wait: Duration::from_secs(1),
            health_check: None,
            passive_health: None,
            connect_ejection: Some(PassiveHealth::default()),
            all_down: AllDown::TryAnyway,
            protocol: UpstreamProtocol::Http1,
            tls: None,
        }
    }
}
