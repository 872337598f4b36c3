//! Forwarding: the way of one request from the server to an upstream and back to the
//! response header.
//!
//! The server (`crate::server`) accepts the connection, reads the request header and runs
//! `request_filter`; when the request is to be proxied it calls [`proxy_upstream`], which
//! owns everything between that and the origin's response header: choosing peers and
//! retrying (`attempt.rs`), shaping the request for the upstream (`request.rs`), reading a
//! small body whole so it can be replayed (`replay.rs`), streaming a larger one through
//! `request_body_filter` (`pump.rs`), and one send on one connection within its timeouts
//! (`exchange.rs`). Connections, pools and backends come from [`crate::upstream`]; the
//! server then streams the response body and finishes the request.
//!
//! Dependencies point one way, `server → forward → upstream`: `upstream` names neither of
//! the layers above it (`tests/layers.rs` reads the sources to keep it so).

mod attempt;
mod budget;
mod discard;
mod exchange;
mod grpc_deadline;
mod pump;
mod replay;
mod request;

pub(crate) use attempt::{proxy_upstream, Proxied};
pub(crate) use pump::RequestPump;
pub(crate) use request::Forwarding;
