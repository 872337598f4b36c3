//! A verifier's keys, each with the `Validation` its tokens are checked against, read from
//! a JWKS, a PEM public key or an HS256 secret file.
//!
//! Each key accepts exactly one algorithm (its JWK `alg`, else the one its type implies), so
//! a token cannot choose how it is checked (no `alg` confusion, no `none`).

use std::collections::HashSet;
use std::path::Path;

use jsonwebtoken::jwk::{AlgorithmParameters, EllipticCurve, Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value};

use super::{JwtAlgorithm, JwtClaims, JwtConfig, JwtKeySource, Refusal};
use crate::error::{Error, ErrorKind, Result};

/// What every token must say, whatever key verifies it.
#[derive(Debug, Clone)]
pub(super) struct Rules {
    issuer: Option<String>,
    audience: Option<String>,
    leeway_s: u64,
}

impl Rules {
    pub(super) fn new(config: &JwtConfig) -> Self {
        Rules {
            issuer: config.issuer.clone(),
            audience: config.audience.clone(),
            leeway_s: config.leeway.as_secs(),
        }
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.leeway = self.leeway_s;
        v.validate_nbf = true;
        if let Some(issuer) = &self.issuer {
            v.set_issuer(&[issuer]);
        }
        match &self.audience {
            Some(audience) => v.set_audience(&[audience]),
            None => v.validate_aud = false,
        }
        v
    }
}

/// One key and how its tokens are checked.
struct Key {
    kid: Option<String>,
    key: DecodingKey,
    validation: Validation,
}

/// The keys of a verifier, as loaded at one time.
pub(super) struct KeySet {
    keys: Vec<Key>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kids: Vec<Option<&str>> = self.keys.iter().map(|k| k.kid.as_deref()).collect();
        f.debug_struct("KeySet").field("kids", &kids).finish()
    }
}

impl KeySet {
    /// Reads `source`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] naming the file: unreadable, not a key, or (a JWKS) no
    /// signature key of a supported type in it.
    pub(super) fn load(source: &JwtKeySource, rules: &Rules) -> Result<KeySet> {
        let (path, keys) = match source {
            JwtKeySource::Jwks(path) => (path, jwks(&read(path)?, rules)),
            JwtKeySource::Pem(path, alg) => (path, pem(&read(path)?, *alg, rules)),
            JwtKeySource::Secret(path) => (path, secret(read(path)?, rules)),
        };
        keys.map(|keys| KeySet { keys }).map_err(|why| {
            Error::explain(
                ErrorKind::InvalidConfig,
                format!("{}: {why}", path.display()),
            )
        })
    }

    /// The claims of `token` if a key of the set verifies it and they pass the rules.
    pub(super) fn verify(&self, token: &str) -> std::result::Result<JwtClaims, Refusal> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| Refusal::of(&e))?;
        let key = match (&header.kid, self.keys.as_slice()) {
            (Some(kid), keys) => keys.iter().find(|k| k.kid.as_deref() == Some(kid.as_str())),
            (None, [only]) => Some(only),
            (None, _) => None,
        }
        .ok_or(Refusal::UnknownKeyId)?;
        jsonwebtoken::decode::<Map<String, Value>>(token, &key.key, &key.validation)
            .map(|data| JwtClaims::new(data.claims))
            .map_err(|e| Refusal::of(&e))
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path)
        .map_err(|e| Error::explain(ErrorKind::InvalidConfig, format!("{}: {e}", path.display())))
}

fn jwks(bytes: &[u8], rules: &Rules) -> std::result::Result<Vec<Key>, String> {
    let set: JwkSet =
        serde_json::from_slice(bytes).map_err(|e| format!("not a JSON Web Key Set: {e}"))?;
    let mut kids = HashSet::new();
    let mut keys = Vec::new();
    for jwk in &set.keys {
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
            continue;
        }
        let kid = jwk.common.key_id.clone();
        if let Some(kid) = &kid {
            if !kids.insert(kid.clone()) {
                return Err(format!("two keys have the kid \"{kid}\""));
            }
        }
        let alg = jwk_algorithm(jwk).ok_or_else(|| {
            format!(
                "key {}: no supported algorithm",
                kid.as_deref().unwrap_or("without kid")
            )
        })?;
        let key = DecodingKey::from_jwk(jwk)
            .map_err(|e| format!("key {}: {e}", kid.as_deref().unwrap_or("without kid")))?;
        keys.push(Key {
            kid,
            key,
            validation: rules.validation(alg),
        });
    }
    if keys.is_empty() {
        return Err("no signature key in the set".into());
    }
    Ok(keys)
}

/// A JWK's algorithm: its `alg`, else what its type implies.
fn jwk_algorithm(jwk: &Jwk) -> Option<Algorithm> {
    if let Some(alg) = jwk.common.key_algorithm {
        return Algorithm::try_from(alg).ok();
    }
    match &jwk.algorithm {
        AlgorithmParameters::RSA(_) => Some(Algorithm::RS256),
        AlgorithmParameters::EllipticCurve(ec) => {
            matches!(ec.curve, EllipticCurve::P256).then_some(Algorithm::ES256)
        }
        AlgorithmParameters::OctetKeyPair(okp) => {
            matches!(okp.curve, EllipticCurve::Ed25519).then_some(Algorithm::EdDSA)
        }
        AlgorithmParameters::OctetKey(_) => Some(Algorithm::HS256),
        // Key types added to the crate later: not supported until named here.
        _ => None,
    }
}

fn pem(bytes: &[u8], alg: JwtAlgorithm, rules: &Rules) -> std::result::Result<Vec<Key>, String> {
    let (key, alg) = match alg {
        JwtAlgorithm::Rs256 => (DecodingKey::from_rsa_pem(bytes), Algorithm::RS256),
        JwtAlgorithm::Es256 => (DecodingKey::from_ec_pem(bytes), Algorithm::ES256),
        JwtAlgorithm::EdDsa => (DecodingKey::from_ed_pem(bytes), Algorithm::EdDSA),
    };
    let key = key.map_err(|e| format!("not a PEM public key for {alg:?}: {e}"))?;
    Ok(vec![Key {
        kid: None,
        key,
        validation: rules.validation(alg),
    }])
}

/// The secret an HS256 file holds: its bytes without a final line break (editors add one).
pub(crate) fn secret_of_file(mut bytes: Vec<u8>) -> Vec<u8> {
    while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
        bytes.pop();
    }
    bytes
}

fn secret(bytes: Vec<u8>, rules: &Rules) -> std::result::Result<Vec<Key>, String> {
    let bytes = secret_of_file(bytes);
    if bytes.len() < 32 {
        return Err(format!(
            "an HS256 secret needs at least 32 bytes (RFC 7518 §3.2), this one has {}",
            bytes.len()
        ));
    }
    let key = DecodingKey::from_secret(&bytes).map_err(|e| e.to_string())?;
    Ok(vec![Key {
        kid: None,
        key,
        validation: rules.validation(Algorithm::HS256),
    }])
}
