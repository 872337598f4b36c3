//! What a downstream TLS handshake established, for the language's `tls.*` fields.

use boring::ssl::{NameType, SslRef};
use boring::x509::X509NameRef;

/// The TLS facts of one downstream connection, shared by all its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsInfo {
    /// The server name the client asked for (SNI), lowercased.
    pub sni: Option<Box<str>>,
    /// The protocol version, e.g. `TLSv1.3`.
    pub version: &'static str,
    /// The protocol chosen through ALPN, e.g. `h2`.
    pub alpn: Option<Box<str>>,
    /// The subject of the client's verified certificate, RFC 4514 style
    /// (`CN=alice,O=Example`), when it sent one.
    pub client_subject: Option<Box<str>>,
    /// Whether the session was resumed.
    pub resumed: bool,
}

impl TlsInfo {
    /// Reads the facts off a completed handshake.
    pub(crate) fn of(ssl: &SslRef) -> Self {
        TlsInfo {
            sni: ssl
                .servername(NameType::HOST_NAME)
                .map(|s| s.to_ascii_lowercase().into()),
            version: ssl.version_str(),
            alpn: ssl
                .selected_alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into()),
            client_subject: ssl
                .peer_certificate()
                .map(|cert| rfc4514(cert.subject_name()).into()),
            resumed: ssl.session_reused(),
        }
    }
}

/// A distinguished name as RFC 4514 writes it: most specific attribute first
/// (`CN=alice,O=Example,C=FR`), with special characters escaped.
fn rfc4514(name: &X509NameRef) -> String {
    let mut parts: Vec<String> = name
        .entries()
        .map(|entry| {
            let key = entry.object().nid().short_name().unwrap_or("?");
            let value = entry
                .data()
                .as_utf8()
                .map(|v| v.to_string())
                .unwrap_or_default();
            format!("{key}={}", escape(&value))
        })
        .collect();
    parts.reverse();
    parts.join(",")
}

fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for (i, c) in value.chars().enumerate() {
        let special = matches!(c, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && matches!(c, '#' | ' '))
            || (i + 1 == value.chars().count() && c == ' ');
        if special {
            out.push('\\');
        }
        if c.is_control() {
            continue;
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_what_rfc_4514_requires() {
        assert_eq!(escape("alice"), "alice");
        assert_eq!(escape("Doe, John"), "Doe\\, John");
        assert_eq!(escape("#1 "), "\\#1\\ ");
        assert_eq!(escape("a\r\nb"), "ab");
    }
}
