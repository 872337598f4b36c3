//! What a server listens on, as generated code declares it, and its validation.

use std::net::SocketAddr;
use std::time::Duration;

use super::client_address::ClientAddress;
use super::limits::ClientLimits;
use super::settings::ServerSettings;
use crate::error::{Error, ErrorKind, Result};
use crate::tls::TlsConfig;

/// One listening socket: HTTP/1.1 and cleartext HTTP/2 (prior knowledge), or with `tls`,
/// HTTPS with HTTP/2 chosen through ALPN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListenerConfig {
    /// Address to bind.
    pub addr: SocketAddr,
    /// TLS termination; `None` for cleartext.
    pub tls: Option<TlsConfig>,
    /// How the client's address is learnt behind a load balancer (PROXY protocol, trusted
    /// `X-Forwarded-For`); by default the TCP peer is the client.
    pub client_address: ClientAddress,
}

impl ListenerConfig {
    /// A cleartext listener.
    pub fn http(addr: SocketAddr) -> Self {
        ListenerConfig {
            addr,
            tls: None,
            client_address: ClientAddress::default(),
        }
    }

    /// A TLS listener.
    pub fn https(addr: SocketAddr, tls: TlsConfig) -> Self {
        ListenerConfig {
            addr,
            tls: Some(tls),
            client_address: ClientAddress::default(),
        }
    }

    /// The same listener, learning the client's address as `client_address` says.
    #[must_use]
    pub fn with_client_address(mut self, client_address: ClientAddress) -> Self {
        self.client_address = client_address;
        self
    }
}

/// The static description of a proxy server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerConfig {
    /// The program's name, used in `--test` output and `--help`.
    pub name: String,
    /// What `--version` prints after the name: for a generated binary, the proxyc that built
    /// it and the SHA-256 of its source.
    pub version: String,
    /// Where to listen; at least one.
    pub listeners: Vec<ListenerConfig>,
    /// Threads, grace period, admin listener and client limits (`server { ... }`); the
    /// binary's flags override them.
    pub settings: ServerSettings,
}

impl ServerConfig {
    /// Checks that there is a listener and that no two listeners bind the same socket
    /// (including a wildcard address and a specific one on the same port).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] naming the offending address.
    pub fn validate(&self) -> Result<()> {
        if self.listeners.is_empty() {
            return Err(Error::explain(ErrorKind::InvalidConfig, "no listener"));
        }
        for (i, a) in self.listeners.iter().enumerate() {
            for b in &self.listeners[..i] {
                if overlaps(a.addr, b.addr) {
                    return Err(Error::explain(
                        ErrorKind::InvalidConfig,
                        format!("listeners {} and {} use the same socket", b.addr, a.addr),
                    ));
                }
            }
        }
        Ok(())
    }
}

fn overlaps(a: SocketAddr, b: SocketAddr) -> bool {
    if a.port() != b.port() || a.port() == 0 || a.is_ipv4() != b.is_ipv4() {
        return false;
    }
    a.ip() == b.ip() || a.ip().is_unspecified() || b.ip().is_unspecified()
}

/// Run-time options of [`serve_with`](super::serve_with). Defaults may change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeOptions {
    /// Write one `pxy::access` line per request. Default `true`.
    pub access_log: bool,
    /// Timeouts, size limits and connection limits for clients (slowloris, oversized
    /// requests, HTTP/2 floods); see [`ClientLimits`].
    pub limits: ClientLimits,
    /// After shutdown is requested, how long in-flight requests may take before their
    /// connections are abandoned. Default 30 s.
    pub grace_period: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            access_log: true,
            limits: ClientLimits::default(),
            grace_period: Duration::from_secs(30),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(addrs: &[&str]) -> ServerConfig {
        ServerConfig {
            name: "t".into(),
            version: "test".into(),
            listeners: addrs
                .iter()
                .map(|a| ListenerConfig::http(a.parse().expect("valid address")))
                .collect(),
            settings: ServerSettings::default(),
        }
    }

    #[test]
    fn validate_rejects_duplicates_and_overlaps() {
        assert!(config(&["127.0.0.1:80", "127.0.0.1:81"]).validate().is_ok());
        assert!(config(&["127.0.0.1:0", "127.0.0.1:0"]).validate().is_ok());
        assert!(config(&[]).validate().is_err());
        let err = config(&["127.0.0.1:80", "127.0.0.1:80"])
            .validate()
            .expect_err("duplicate");
        assert!(err.to_string().contains("127.0.0.1:80"));
        assert!(config(&["0.0.0.0:80", "127.0.0.1:80"]).validate().is_err());
        assert!(config(&["0.0.0.0:80", "[::]:80"]).validate().is_ok());
    }
}
