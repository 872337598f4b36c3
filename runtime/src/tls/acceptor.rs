//! Terminating TLS on a listener: certificates chosen by SNI, ALPN, client certificates.

use std::sync::Arc;
use std::time::Duration;

use boring::ssl::{
    AlpnError, NameType, SniError, SslAcceptor, SslContext, SslMethod, SslRef, SslVerifyMode,
    SslVersion,
};
use boring::x509::X509Name;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_boring::SslStream;

use super::config::{Alpn, ClientAuth, TlsConfig};
use super::info::TlsInfo;
use super::load::{self, name_matches, LoadedCert};
use crate::error::{Error, ErrorKind, Result};

/// How long a client may take to complete the handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The TLS side of one listener, built once from its [`TlsConfig`]; cheap to clone.
#[derive(Clone)]
pub struct TlsAcceptor {
    acceptor: Arc<SslAcceptor>,
}

impl std::fmt::Debug for TlsAcceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TlsAcceptor")
    }
}

/// One certificate's context and the host names it serves.
struct Named {
    names: Vec<String>,
    context: SslContext,
}

impl TlsAcceptor {
    /// Loads every certificate, key and CA file of `config` and builds the contexts.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] naming the file when one is missing or unreadable, is
    /// not PEM, or holds a key that does not match its certificate; or when `config` has no
    /// certificate.
    pub fn new(config: &TlsConfig) -> Result<Self> {
        let Some((first, others)) = config.certs.split_first() else {
            return Err(Error::explain(
                ErrorKind::InvalidConfig,
                "a TLS listener needs at least one certificate",
            ));
        };
        let client_cas = match &config.client_auth {
            Some(auth) => Some(load_client_cas(auth)?),
            None => None,
        };
        let mut named = Vec::with_capacity(others.len());
        for cert in others {
            let loaded = load::cert_and_key(&cert.cert, &cert.key)?;
            let names = loaded.names.clone();
            let builder = context(config, &loaded, client_cas.as_ref())?;
            named.push(Named {
                names,
                context: builder.build().into_context(),
            });
        }
        let default = load::cert_and_key(&first.cert, &first.key)?;
        let mut builder = context(config, &default, client_cas.as_ref())?;
        if !named.is_empty() {
            let default_names = default.names.clone();
            builder.set_servername_callback(move |ssl, _alert| {
                select_by_sni(ssl, &default_names, &named)
            });
        }
        Ok(TlsAcceptor {
            acceptor: Arc::new(builder.build()),
        })
    }

    /// Performs the server handshake on `stream` within 10 s.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::DownstreamProtocol`] when the handshake fails or times out.
    pub async fn accept<S>(&self, stream: S) -> Result<(SslStream<S>, TlsInfo)>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let handshake = tokio_boring::accept(&self.acceptor, stream);
        match tokio::time::timeout(HANDSHAKE_TIMEOUT, handshake).await {
            Ok(Ok(stream)) => {
                let info = TlsInfo::of(stream.ssl());
                Ok((stream, info))
            }
            Ok(Err(e)) => Err(Error::explain(
                ErrorKind::DownstreamProtocol,
                format!("TLS handshake failed: {e}"),
            )),
            Err(_) => Err(Error::explain(
                ErrorKind::DownstreamProtocol,
                "TLS handshake timed out",
            )),
        }
    }
}

fn tls_error(what: &str, e: boring::error::ErrorStack) -> Error {
    Error::explain(ErrorKind::InvalidConfig, what.to_string()).with_cause(e)
}

/// A context serving `cert`, with the listener's versions, ALPN and client verification.
fn context(
    config: &TlsConfig,
    cert: &LoadedCert,
    client_cas: Option<&ClientCas>,
) -> Result<boring::ssl::SslAcceptorBuilder> {
    let mut builder = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls())
        .map_err(|e| tls_error("creating a TLS context", e))?;
    builder
        .set_min_proto_version(Some(SslVersion::TLS1_2))
        .and_then(|()| builder.set_max_proto_version(Some(SslVersion::TLS1_3)))
        .map_err(|e| tls_error("setting the TLS versions", e))?;
    builder
        .set_certificate(&cert.chain[0])
        .map_err(|e| tls_error("using the certificate", e))?;
    for intermediate in &cert.chain[1..] {
        builder
            .add_extra_chain_cert(intermediate.clone())
            .map_err(|e| tls_error("adding an intermediate certificate", e))?;
    }
    builder
        .set_private_key(&cert.key)
        .and_then(|()| builder.check_private_key())
        .map_err(|e| tls_error("using the private key", e))?;
    // Sessions (and so resumption) are tied to this context id; needed once clients are
    // verified, harmless otherwise.
    builder
        .set_session_id_context(b"pxy")
        .map_err(|e| tls_error("setting the session id context", e))?;
    if !config.alpn.is_empty() {
        let ours = config.alpn.clone();
        builder.set_alpn_select_callback(move |_, client| {
            choose_alpn(&ours, client).ok_or(AlpnError::NOACK)
        });
    }
    if let Some(cas) = client_cas {
        let mut mode = SslVerifyMode::PEER;
        if cas.required {
            mode |= SslVerifyMode::FAIL_IF_NO_PEER_CERT;
        }
        builder.set_verify(mode);
        builder
            .set_ca_file(&cas.path)
            .map_err(|e| tls_error(&format!("{}: loading client CAs", cas.path.display()), e))?;
        builder.set_client_ca_list(cas.names()?);
    }
    Ok(builder)
}

/// The first of `ours` (the server's order of preference) that the client offers, as the
/// client's own bytes (BoringSSL keeps a pointer into its list).
fn choose_alpn<'a>(ours: &[Alpn], client: &'a [u8]) -> Option<&'a [u8]> {
    ours.iter().find_map(|alpn| {
        let mut rest = client;
        while let Some((&len, tail)) = rest.split_first() {
            let (id, after) = tail.split_at_checked(usize::from(len))?;
            if id == alpn.id() {
                return Some(id);
            }
            rest = after;
        }
        None
    })
}

/// The client CA file, checked once; its names are listed again for every context.
struct ClientCas {
    path: std::path::PathBuf,
    required: bool,
}

impl ClientCas {
    fn names(&self) -> Result<boring::stack::Stack<X509Name>> {
        X509Name::load_client_ca_file(&self.path).map_err(|e| {
            Error::explain(
                ErrorKind::InvalidConfig,
                format!("{}: not a PEM CA file", self.path.display()),
            )
            .with_cause(e)
        })
    }
}

fn load_client_cas(auth: &ClientAuth) -> Result<ClientCas> {
    // Reading the chain first gives a clear error for a missing or non-PEM file.
    load::chain(&auth.ca)?;
    let cas = ClientCas {
        path: auth.ca.clone(),
        required: auth.required,
    };
    cas.names()?;
    Ok(cas)
}

/// The SNI callback: switches to the context of the first certificate whose names cover the
/// requested host; the default certificate keeps it when it matches or nothing does.
fn select_by_sni(
    ssl: &mut SslRef,
    default_names: &[String],
    named: &[Named],
) -> std::result::Result<(), SniError> {
    let Some(host) = ssl.servername(NameType::HOST_NAME) else {
        return Ok(());
    };
    let host = host.to_ascii_lowercase();
    if default_names.iter().any(|n| name_matches(n, &host)) {
        return Ok(());
    }
    if let Some(other) = named
        .iter()
        .find(|c| c.names.iter().any(|n| name_matches(n, &host)))
    {
        ssl.set_ssl_context(&other.context)
            .map_err(|_| SniError::ALERT_FATAL)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::{choose_alpn, Alpn};

    #[test]
    fn alpn_follows_the_server_preference() {
        let client = b"\x08http/1.1\x02h2";
        assert_eq!(
            choose_alpn(&[Alpn::H2, Alpn::Http11], client),
            Some(&b"h2"[..])
        );
        assert_eq!(choose_alpn(&[Alpn::Http11], client), Some(&b"http/1.1"[..]));
        assert_eq!(choose_alpn(&[Alpn::H2], b"\x08http/1.1"), None);
        assert_eq!(choose_alpn(&[Alpn::H2], b"\x09h2"), None);
    }
}
