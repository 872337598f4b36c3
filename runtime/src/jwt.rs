//! JSON Web Token verification: what `jwt NAME { ... }` and `verify_jwt NAME` compile to.
//!
//! A [`JwtVerifier`] is built once at start-up from its [`JwtConfig`]: its key file is read
//! then (a missing or bad file stops the start, and `--test`), and a JWKS file is watched
//! afterwards (see [`watch`]). [`JwtVerifier::verify`] takes the token from
//! `Authorization: Bearer` (or the configured cookie), checks signature, `exp`, `nbf`, `iss`
//! and `aud` with the [`jsonwebtoken`] crate, and either leaves the claims in the [`Session`]
//! (`jwt.sub`, `jwt.claims["x"]`) or answers 401 with an RFC 6750 `WWW-Authenticate`
//! challenge. Why a token was refused is logged on `pxy::auth`; the token never is.

mod claims;
pub(crate) mod keys;
#[cfg(test)]
mod tests;
pub mod watch;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};
use jsonwebtoken::errors::ErrorKind as JwtErrorKind;

pub use claims::JwtClaims;
use keys::KeySet;

use crate::error::Result;
use crate::response::Response;
use crate::session::Session;

/// The algorithm of a PEM public key (`key "FILE" alg ALG`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
}

/// Where a verifier's keys come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtKeySource {
    /// A JSON Web Key Set file, re-read when it changes.
    Jwks(PathBuf),
    /// One PEM public key of the given algorithm.
    Pem(PathBuf, JwtAlgorithm),
    /// A file holding an HS256 secret (a final newline is not part of it).
    Secret(PathBuf),
}

/// What a `jwt NAME { ... }` declares.
#[derive(Debug, Clone)]
pub struct JwtConfig {
    /// The declaration's name, in log lines.
    pub name: String,
    /// The keys.
    pub keys: JwtKeySource,
    /// The `iss` a token must have, if any.
    pub issuer: Option<String>,
    /// An `aud` a token must have, if any; without it a token's `aud` is not checked.
    pub audience: Option<String>,
    /// Clock skew allowed on `exp` and `nbf` (whole seconds count).
    pub leeway: Duration,
    /// A cookie the token is taken from when there is no `Authorization: Bearer` header.
    pub cookie: Option<String>,
}

/// Why a request's token was refused: the `reason` of the log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization: Bearer` header (nor the cookie).
    Missing,
    /// Not three base64url parts of JSON, or a claim of the wrong type.
    Malformed,
    /// `exp` is past (beyond the leeway).
    Expired,
    /// `nbf` is ahead (beyond the leeway).
    NotYetValid,
    /// `iss` is not the declared issuer.
    WrongIssuer,
    /// `aud` does not name the declared audience.
    WrongAudience,
    /// The signature does not verify with the key.
    BadSignature,
    /// The token's `kid` names no key of the set (or it has none and the set has several).
    UnknownKeyId,
    /// The token's `alg` is not the key's.
    WrongAlgorithm,
    /// A required claim (`exp`) is missing.
    MissingClaim,
}

impl Refusal {
    /// The word logged as `reason=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Missing => "missing",
            Refusal::Malformed => "malformed",
            Refusal::Expired => "expired",
            Refusal::NotYetValid => "not_yet_valid",
            Refusal::WrongIssuer => "wrong_issuer",
            Refusal::WrongAudience => "wrong_audience",
            Refusal::BadSignature => "bad_signature",
            Refusal::UnknownKeyId => "unknown_key_id",
            Refusal::WrongAlgorithm => "wrong_algorithm",
            Refusal::MissingClaim => "missing_claim",
        }
    }

    /// The `error_description` of the challenge (fixed text: nothing of the token).
    fn description(self) -> &'static str {
        match self {
            Refusal::Missing => "no bearer token",
            Refusal::Malformed => "the token is malformed",
            Refusal::Expired => "the token expired",
            Refusal::NotYetValid => "the token is not valid yet",
            Refusal::WrongIssuer => "the token has the wrong issuer",
            Refusal::WrongAudience => "the token has the wrong audience",
            Refusal::BadSignature => "the token's signature is invalid",
            Refusal::UnknownKeyId => "the token's key is unknown",
            Refusal::WrongAlgorithm => "the token's algorithm is not the key's",
            Refusal::MissingClaim => "the token lacks a required claim",
        }
    }

    /// What `jsonwebtoken` reported, in these words.
    fn of(error: &jsonwebtoken::errors::Error) -> Refusal {
        match error.kind() {
            JwtErrorKind::ExpiredSignature => Refusal::Expired,
            JwtErrorKind::ImmatureSignature => Refusal::NotYetValid,
            JwtErrorKind::InvalidIssuer => Refusal::WrongIssuer,
            JwtErrorKind::InvalidAudience => Refusal::WrongAudience,
            JwtErrorKind::InvalidSignature
            | JwtErrorKind::InvalidEcdsaKey
            | JwtErrorKind::InvalidEddsaKey
            | JwtErrorKind::InvalidRsaKey(_)
            | JwtErrorKind::InvalidKeyFormat => Refusal::BadSignature,
            JwtErrorKind::InvalidAlgorithm
            | JwtErrorKind::MissingAlgorithm
            | JwtErrorKind::UnsupportedAlgorithm
            | JwtErrorKind::InvalidAlgorithmName => Refusal::WrongAlgorithm,
            JwtErrorKind::MissingRequiredClaim(_) => Refusal::MissingClaim,
            _ => Refusal::Malformed,
        }
    }
}

/// A `jwt` declaration at run time: its keys (swapped whole when a JWKS file changes) and
/// what tokens must say.
#[derive(Debug)]
pub struct JwtVerifier {
    name: Arc<str>,
    keys: Arc<ArcSwap<KeySet>>,
    cookie: Option<String>,
}

impl JwtVerifier {
    /// Reads the key file and, for a JWKS, starts watching it (a thread that checks it every
    /// second and stops when the verifier is dropped).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`](crate::error::ErrorKind::InvalidConfig) naming the file
    /// when it cannot be read or holds no usable key.
    pub fn new(config: JwtConfig) -> Result<Self> {
        let rules = keys::Rules::new(&config);
        let set = KeySet::load(&config.keys, &rules)?;
        let name: Arc<str> = config.name.into();
        let keys = Arc::new(ArcSwap::from_pointee(set));
        if let JwtKeySource::Jwks(path) = &config.keys {
            watch::reload_on_change(path.clone(), Arc::downgrade(&keys), {
                let (name, path) = (name.clone(), path.clone());
                move || {
                    KeySet::load(&JwtKeySource::Jwks(path.clone()), &rules).inspect_err(|e| {
                        tracing::warn!(target: "pxy::auth", jwt = &*name, error = %e, "the new key set is not used; keeping the previous keys");
                    }).ok()
                }
            })?;
        }
        Ok(JwtVerifier {
            name,
            keys,
            cookie: config.cookie,
        })
    }

    /// Checks the request's token: on success its claims go into `session` (replacing any
    /// earlier verifier's) and `None` is returned; otherwise the 401 answer to send, with the
    /// reason logged.
    #[must_use = "a refused request must be answered with the returned response"]
    pub fn verify(&self, session: &mut Session) -> Option<Response> {
        let claims = match self.token(session) {
            Some(token) => self.keys.load().verify(token),
            None => Err(Refusal::Missing),
        };
        match claims {
            Ok(claims) => {
                session.set_jwt(claims);
                None
            }
            Err(refusal) => {
                // The request id ties the refusal to its access log line.
                let id = session.request_id_value();
                tracing::info!(target: "pxy::auth", jwt = &*self.name, reason = refusal.as_str(), path = session.path(), request_id = id.as_str(), "token refused");
                Some(unauthorized(refusal))
            }
        }
    }

    fn token<'s>(&self, session: &'s Session) -> Option<&'s str> {
        let bearer = session.header(AUTHORIZATION).and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        bearer.or_else(|| session.cookie(self.cookie.as_deref()?))
    }
}

/// The 401 answer: `WWW-Authenticate: Bearer` (RFC 6750 §3: no error code when the request
/// had no token, `invalid_token` with a description otherwise).
fn unauthorized(refusal: Refusal) -> Response {
    let challenge = match refusal {
        Refusal::Missing => "Bearer".to_owned(),
        _ => format!(
            "Bearer error=\"invalid_token\", error_description=\"{}\"",
            refusal.description()
        ),
    };
    Response::new(StatusCode::UNAUTHORIZED)
        .with_header(
            WWW_AUTHENTICATE,
            HeaderValue::from_str(&challenge).unwrap_or(HeaderValue::from_static("Bearer")),
        )
        .with_header(
            CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )
        .with_body("unauthorized\n")
}
