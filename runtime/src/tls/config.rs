//! What generated code declares about TLS: plain data, validated when loaded.

use std::path::PathBuf;

/// TLS termination on a listener.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsConfig {
    /// Certificates with their keys; at least one. The first is the default, sent when the
    /// client's SNI matches none (or it sent none).
    pub certs: Vec<CertKey>,
    /// Protocols offered through ALPN, in the server's order of preference. Empty: no ALPN
    /// (clients speak HTTP/1.1).
    pub alpn: Vec<Alpn>,
    /// Client certificates: asked for and verified when set.
    pub client_auth: Option<ClientAuth>,
}

/// A certificate chain (PEM: the leaf first, then intermediates) and its private key (PEM).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertKey {
    /// The chain's file.
    pub cert: PathBuf,
    /// The key's file.
    pub key: PathBuf,
}

/// A protocol negotiated through ALPN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Alpn {
    /// HTTP/2 over TLS.
    H2,
    /// HTTP/1.1.
    Http11,
}

impl Alpn {
    /// The protocol's ALPN identifier.
    pub const fn id(self) -> &'static [u8] {
        match self {
            Alpn::H2 => b"h2",
            Alpn::Http11 => b"http/1.1",
        }
    }
}

/// Client certificates (mutual TLS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAuth {
    /// The CAs (PEM) a client certificate must chain to; their names are also sent to the
    /// client as the acceptable issuers.
    pub ca: PathBuf,
    /// Refuse the handshake without a client certificate. When `false`, a client may send
    /// none (`tls.client_subject` is then absent), but a certificate it sends must verify.
    pub required: bool,
}

/// TLS to an upstream's backends.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpstreamTlsConfig {
    /// The server name sent (SNI) and verified. `None`: no SNI, and the certificate must be
    /// valid for the backend's IP address.
    pub sni: Option<String>,
    /// The CAs (PEM) an origin's certificate must chain to. `None`: the system's roots.
    pub ca: Option<PathBuf>,
    /// Verify the origin's certificate and name. Turning it off accepts any certificate,
    /// which an attacker on the path can exploit; the compiler warns about it.
    pub verify: bool,
    /// Offer only `h2` through ALPN (for `protocol h2`); otherwise `http/1.1`.
    pub h2: bool,
}
