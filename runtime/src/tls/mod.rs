//! TLS with BoringSSL: terminating client connections, and speaking TLS to origins.
//!
//! Downstream ([`TlsAcceptor`]): a listener declares one or more certificates; the one whose
//! names match the client's SNI is chosen per connection (the first is the default), ALPN
//! offers `h2` and `http/1.1` (the server's order wins), only TLS 1.2 and 1.3 are spoken,
//! sessions resume (TLS 1.3 tickets, TLS 1.2 tickets and session ids), and client
//! certificates may be asked for or required, checked against a CA file. Everything is loaded
//! and checked when the acceptor is built (`--test` does exactly that), so a missing file or
//! a key that does not match its certificate is a start-up error naming the path, never a
//! failure at the first handshake.
//!
//! Upstream ([`UpstreamTls`]): a connector per upstream that verifies the origin's
//! certificate (against a CA file or the system's roots) and its name (the SNI name, or the
//! backend's IP address), unless verification is explicitly turned off.
//!
//! What a handshake learned about the client ([`TlsInfo`]: SNI, version, ALPN, the verified
//! client certificate's subject) is attached to every request of the connection.

mod acceptor;
mod client;
mod config;
mod info;
mod load;

pub use acceptor::TlsAcceptor;
pub use client::UpstreamTls;
pub use config::{Alpn, CertKey, ClientAuth, TlsConfig, UpstreamTlsConfig};
pub use info::TlsInfo;

/// The most bytes of a TLS connection's writes gathered before they are encrypted: one TLS
/// record's worth. Used on both sides (listeners and upstream connections).
pub(crate) const TLS_WRITE_BUFFER: usize = 16 * 1024;

/// The buffer a TLS connection's socket is read through: a full record and its header.
pub(crate) const TLS_READ_BUFFER: usize = 16 * 1024 + 512;
