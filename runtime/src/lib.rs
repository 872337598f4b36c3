//! The proxyc runtime: the engine every proxy compiled from a `.pxy` program runs on.
//!
//! Generated code implements one trait, [`Proxy`], whose hooks run at fixed phases of each
//! request, and calls [`run`] from `main`. The runtime does the rest: listening (HTTP/1.1 and
//! cleartext HTTP/2 on the same socket), header and framing rules, choosing and connecting to
//! backends ([`Upstream`]), pooled keep-alive connections, streaming bodies both ways, error
//! pages, protocol switches (WebSocket), the access log, graceful shutdown and zero-downtime
//! upgrades (a new binary takes the listening sockets over from the running one). Upstreams balance (round robin, random,
//! least connections, power of two choices, consistent hashing, backups), check backend
//! health actively and passively, retry and time out, and may discover their backends from
//! DNS or a file; [`metrics::registry`] exposes their state. Lists and flags loaded from files
//! ([`data`]) are re-read when the files change or on SIGHUP, without a restart. Generated code imports only
//! [`prelude`] and the crates re-exported here ([`http`], [`bytes`], [`regex`]).
//!
//! # Phases
//!
//! ```text
//!  request header read ─▶ new_ctx ─▶ request_filter ──── Some(response) ─────────────┐
//!                                        │ None                                      │
//!                                        ▼                                           │
//!                      ┌──────────▶ upstream_peer ─▶ connect ──fail──▶ fail_to_connect
//!                      │ retryable         │ ok                            │
//!                      └───────────────────┼───────────────────────────────┘
//!                                          ▼
//!                            upstream_request_filter ─▶ send header
//!                            request_body_filter (per chunk, streamed)
//!                                          ▼
//!                            upstream_response_filter ─▶ strip hop-by-hop
//!                                          ▼                                          │
//!  error before the response ─▶ fail_to_proxy ─▶ response_filter ◀───────────────────┘
//!  (error_while_proxy first            │
//!   if connected)                      ▼
//!                            response_body_filter (per chunk, streamed)
//!                                          ▼
//!                            logging (always, exactly once, last) ─▶ access log line
//! ```
//!
//! A route that caches names its cache in `request_filter`
//! ([`Session::use_cache`](prelude::Session::use_cache)); the request is then looked up
//! before `upstream_peer`: a fresh entry is answered like a local response (through
//! `response_filter`), a miss is proxied and stored as its body streams to the client (see
//! [`cache`]).
//!
//! A panic in a hook before the response header answers 500 (no further hook runs for that
//! request); in a body hook it aborts the response. Either is logged on `pxy::panic` with the
//! request id and counted; other requests and connections are not affected.
//!
//! A `101 Switching Protocols` (WebSocket) to an HTTP/1.1 request that asked for it has no
//! body: after `response_filter` it goes downstream, `logging` runs, and the two connections
//! are joined into a byte relay that no hook sees.
//!
//! `request_body_filter` runs as the client's body streams, so its calls may interleave with
//! the response phases. Each hook's documentation says when it runs, how often, and what its
//! return value means.
//!
//! # Stability
//!
//! The names in [`prelude`] are a contract with generated code. Default values (timeouts,
//! pool sizes) may change between versions.

#![deny(missing_docs, missing_debug_implementations)]

pub mod admin;
pub mod args;
pub mod basic;
pub mod cache;
pub mod compress;
pub mod convert;
pub mod data;
pub mod error;
mod forward;
pub mod forward_auth;
pub mod headers;
pub mod jwt;
mod lifecycle;
pub mod limit;
pub mod log;
pub mod metrics;
mod phase;
pub mod prelude;
pub mod request_id;
mod request_state;
mod response;
mod run;
mod server;
mod session;
pub mod testing;
pub mod text;
pub mod tls;
pub mod upstream;

pub use bytes;
pub use http;
pub use prometheus;
pub use regex;

pub use error::{Error, ErrorKind, ErrorSide, Result};
pub use phase::Proxy;
pub use response::Response;
pub use run::{run, run_with_args};
pub use server::{
    bind, serve, serve_until, serve_with, tls_acceptors, ClientAddress, ClientLimits, Listener,
    ListenerConfig, ServeOptions, ServerConfig, ServerSettings, Stop, StopHandle, StopSignal,
};
pub use session::Session;
pub use upstream::{
    AllDown, Backend, BackendConfig, Background, Balance, Discovery, HealthCheck, PassiveHealth,
    Peer, Probe, RetryBudget, Upstream, UpstreamOptions, UpstreamProtocol,
};
