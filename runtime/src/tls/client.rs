//! TLS to origins: one connector per upstream, built (and its CA file read) once.

use std::net::SocketAddr;

use boring::ssl::{SslConnector, SslMethod, SslVerifyMode, SslVersion};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_boring::SslStream;

use super::config::UpstreamTlsConfig;
use super::load;
use crate::error::{Error, ErrorKind, Result};

/// An upstream's TLS client: its settings and the BoringSSL context built from them.
#[derive(Clone)]
pub struct UpstreamTls {
    config: UpstreamTlsConfig,
    connector: SslConnector,
}

impl std::fmt::Debug for UpstreamTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UpstreamTls")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

// Two upstreams' TLS are the same when configured the same.
impl PartialEq for UpstreamTls {
    fn eq(&self, other: &Self) -> bool {
        self.config == other.config
    }
}

impl Eq for UpstreamTls {}

impl UpstreamTls {
    /// Builds the connector: TLS 1.2 or 1.3, ALPN `h2` or `http/1.1`, and unless
    /// `config.verify` is off, verification against `config.ca` (or the system's roots).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] naming the CA file when it cannot be read or parsed.
    pub fn new(config: UpstreamTlsConfig) -> Result<Self> {
        let fail = |what: &str, e: boring::error::ErrorStack| {
            Error::explain(ErrorKind::InvalidConfig, what.to_string()).with_cause(e)
        };
        let mut builder = SslConnector::builder(SslMethod::tls())
            .map_err(|e| fail("creating a TLS client context", e))?;
        builder
            .set_min_proto_version(Some(SslVersion::TLS1_2))
            .map_err(|e| fail("setting the TLS versions", e))?;
        let alpn: &[u8] = if config.h2 {
            b"\x02h2"
        } else {
            b"\x08http/1.1"
        };
        builder
            .set_alpn_protos(alpn)
            .map_err(|e| fail("setting ALPN", e))?;
        if config.verify {
            builder.set_verify(SslVerifyMode::PEER);
            match &config.ca {
                Some(ca) => {
                    load::chain(ca)?;
                    builder
                        .set_ca_file(ca)
                        .map_err(|e| fail(&format!("{}: loading the CA file", ca.display()), e))?;
                }
                None => builder
                    .set_default_verify_paths()
                    .map_err(|e| fail("loading the system's CA certificates", e))?,
            }
        } else {
            builder.set_verify(SslVerifyMode::NONE);
        }
        Ok(UpstreamTls {
            config,
            connector: builder.build(),
        })
    }

    /// Performs the client handshake with the backend at `addr` over `stream`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::TlsHandshake`] when the handshake fails, the certificate does not verify
    /// or the origin does not agree to `h2` when it is required.
    pub(crate) async fn connect<S>(&self, addr: SocketAddr, stream: S) -> Result<SslStream<S>>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let fail = |what: String| Error::explain(ErrorKind::TlsHandshake, what);
        let mut setup = self
            .connector
            .configure()
            .map_err(|e| fail(format!("TLS with {addr}: {e}")))?;
        let ip = addr.ip().to_string();
        let name = match &self.config.sni {
            Some(sni) => sni.as_str(),
            None => {
                setup.set_use_server_name_indication(false);
                ip.as_str()
            }
        };
        setup.set_verify_hostname(self.config.verify);
        let stream = tokio_boring::connect(setup, name, stream)
            .await
            .map_err(|e| fail(format!("TLS handshake with {addr} ({name}): {e}")))?;
        if self.config.h2 && stream.ssl().selected_alpn_protocol() != Some(b"h2") {
            return Err(fail(format!(
                "{addr} did not agree to HTTP/2 (ALPN h2) over TLS"
            )));
        }
        Ok(stream)
    }
}
