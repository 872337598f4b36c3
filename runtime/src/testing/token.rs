//! The JSON Web Token of a test's `send { jwt ALG "KEY" { ... } }`, signed just before the
//! request goes out: `iat` is now and `exp` relative to now, so a test written today still
//! passes next year, and the proxy verifies it with its real keys and rules.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{Map, Value};

use super::case::{TestToken, TokenAlg};

/// The token, signed with the key file it names.
///
/// # Errors
///
/// The key file cannot be read or is not a key of the token's algorithm.
pub(super) fn sign(token: &TestToken) -> Result<String, String> {
    let bytes =
        std::fs::read(token.key).map_err(|e| format!("the token's key {}: {e}", token.key))?;
    let key = match token.alg {
        TokenAlg::Rs256 => EncodingKey::from_rsa_pem(&bytes),
        TokenAlg::Es256 => EncodingKey::from_ec_pem(&bytes),
        TokenAlg::EdDsa => EncodingKey::from_ed_pem(&bytes),
        TokenAlg::Hs256 => EncodingKey::from_secret(&crate::jwt::keys::secret_of_file(bytes)),
    }
    .map_err(|e| format!("the token's key {}: {e}", token.key))?;
    let alg = match token.alg {
        TokenAlg::Rs256 => Algorithm::RS256,
        TokenAlg::Es256 => Algorithm::ES256,
        TokenAlg::EdDsa => Algorithm::EdDSA,
        TokenAlg::Hs256 => Algorithm::HS256,
    };
    let mut header = Header::new(alg);
    header.kid = token.kid.map(str::to_owned);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let mut claims = Map::new();
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), now.saturating_add(token.expires_in).into());
    for (name, value) in token.claims {
        claims.insert((*name).into(), Value::from(*value));
    }
    encode(&header, &claims, &key).map_err(|e| format!("signing the token: {e}"))
}
