//! Reading certificates and keys from files, with errors that name the file.

use std::path::Path;

use boring::pkey::{PKey, Private};
use boring::x509::X509;

use crate::error::{Error, ErrorKind, Result};

/// A certificate chain with its key, checked to belong together.
pub(super) struct LoadedCert {
    pub(super) chain: Vec<X509>,
    pub(super) key: PKey<Private>,
    /// The DNS names the leaf is valid for (subject alternative names, else the common
    /// name), lowercased; `*.example.com` for a wildcard.
    pub(super) names: Vec<String>,
}

fn invalid(path: &Path, what: &str) -> Error {
    Error::explain(
        ErrorKind::InvalidConfig,
        format!("{}: {what}", path.display()),
    )
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| invalid(path, "cannot read the file").with_cause(e))
}

/// Reads a PEM chain (leaf first) and a PEM private key, and checks that the key is the
/// leaf's.
pub(super) fn cert_and_key(cert: &Path, key: &Path) -> Result<LoadedCert> {
    let chain = chain(cert)?;
    let key_pem = read(key)?;
    let private = PKey::private_key_from_pem(&key_pem)
        .map_err(|e| invalid(key, "not a PEM private key").with_cause(e))?;
    let leaf = &chain[0];
    let public = leaf
        .public_key()
        .map_err(|e| invalid(cert, "the certificate's public key is unreadable").with_cause(e))?;
    if !public.public_eq(&private) {
        return Err(invalid(
            key,
            &format!("this key does not match the certificate {}", cert.display()),
        ));
    }
    let names = names(leaf);
    Ok(LoadedCert {
        chain,
        key: private,
        names,
    })
}

/// Reads every certificate of a PEM file; at least one.
pub(super) fn chain(path: &Path) -> Result<Vec<X509>> {
    let pem = read(path)?;
    let chain = X509::stack_from_pem(&pem)
        .map_err(|e| invalid(path, "not a PEM certificate file").with_cause(e))?;
    if chain.is_empty() {
        return Err(invalid(path, "no certificate in the file"));
    }
    Ok(chain)
}

fn names(leaf: &X509) -> Vec<String> {
    let mut names: Vec<String> = leaf
        .subject_alt_names()
        .map(|sans| {
            sans.iter()
                .filter_map(|san| san.dnsname().map(str::to_ascii_lowercase))
                .collect()
        })
        .unwrap_or_default();
    if names.is_empty() {
        let cn = leaf
            .subject_name()
            .entries_by_nid(boring::nid::Nid::COMMONNAME)
            .filter_map(|entry| entry.data().as_utf8().ok())
            .map(|cn| cn.to_ascii_lowercase());
        names.extend(cn);
    }
    names
}

/// Whether a certificate valid for `pattern` (possibly `*.example.com`) covers `host`.
pub(super) fn name_matches(pattern: &str, host: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(suffix) => host
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == suffix),
        None => pattern == host,
    }
}

#[cfg(test)]
mod tests {
    use super::name_matches;

    #[test]
    fn wildcards_cover_one_label() {
        assert!(name_matches("api.test", "api.test"));
        assert!(!name_matches("api.test", "www.test"));
        assert!(name_matches("*.test", "api.test"));
        assert!(!name_matches("*.test", "a.b.test"));
        assert!(!name_matches("*.test", "test"));
        assert!(!name_matches("*.test", ".test"));
    }
}
