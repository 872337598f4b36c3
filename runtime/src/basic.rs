//! HTTP Basic authentication against a file of password hashes: what `basic_auth NAME { ... }`
//! and `verify_basic NAME` compile to.
//!
//! A [`BasicVerifier`] reads its users file (`user:hash` lines, bcrypt or argon2 hashes, see
//! [`users`]) once at start-up (a missing or bad file stops the start, and `--test`) and
//! watches it afterwards with [`crate::jwt::watch`]: a changed file (or SIGHUP) is re-read, and
//! a file with a bad line keeps the previous users and logs the line's number.
//! [`BasicVerifier::verify`] decodes `Authorization: Basic`, checks the password against the
//! user's hash on the blocking pool (bcrypt and argon2 are slow on purpose: tens of
//! milliseconds), and either leaves the user in the [`Session`] (`basic.user`) or answers 401
//! with `WWW-Authenticate: Basic realm="..."`. Successful checks are remembered in a small
//! bounded cache ([`cache`]) so that a client sending the same credentials again does not pay
//! for the hash each time. Why a request was refused is logged on `pxy::auth`; the password
//! never is.

mod cache;
#[cfg(test)]
mod tests;
pub mod users;

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;
use base64::Engine as _;
use http::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use http::{HeaderValue, StatusCode};

use cache::VerifiedCache;
pub use users::{PasswordHash, Users};

use crate::error::Result;
use crate::response::Response;
use crate::session::Session;

/// What a `basic_auth NAME { ... }` declares.
#[derive(Debug, Clone)]
pub struct BasicConfig {
    /// The declaration's name, in log lines.
    pub name: String,
    /// The users file: `user:hash` lines.
    pub users: PathBuf,
    /// The realm of the challenge (`WWW-Authenticate: Basic realm="..."`).
    pub realm: String,
    /// How many verified credentials are remembered; 0 turns the cache off.
    pub cache_entries: usize,
}

/// How many verified credentials a verifier remembers unless told otherwise.
pub const DEFAULT_CACHE_ENTRIES: usize = 1024;

impl BasicConfig {
    /// A verifier of the users in `users` with the default cache ([`DEFAULT_CACHE_ENTRIES`]).
    pub fn new(name: &str, users: &str, realm: &str) -> Self {
        BasicConfig {
            name: name.into(),
            users: users.into(),
            realm: realm.into(),
            cache_entries: DEFAULT_CACHE_ENTRIES,
        }
    }
}

/// Why a request was refused: the `reason` of the log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// No `Authorization` header, or not the `Basic` scheme.
    Missing,
    /// `Basic` with something that is not base64 of `user:password` in UTF-8.
    Malformed,
    /// The user is not in the file.
    UnknownUser,
    /// The password does not match the user's hash.
    WrongPassword,
}

impl Refusal {
    /// The word logged as `reason=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::Missing => "missing",
            Refusal::Malformed => "malformed",
            Refusal::UnknownUser => "unknown_user",
            Refusal::WrongPassword => "wrong_password",
        }
    }
}

/// A `basic_auth` declaration at run time: its users (swapped whole when the file changes),
/// its challenge, and the cache of verified credentials.
#[derive(Debug)]
pub struct BasicVerifier {
    name: Arc<str>,
    users: Arc<ArcSwap<Users>>,
    challenge: HeaderValue,
    cache: Arc<VerifiedCache>,
}

impl BasicVerifier {
    /// Reads the users file and starts watching it (a thread that looks at it every second,
    /// and on SIGHUP, and stops when the verifier is dropped).
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`](crate::error::ErrorKind::InvalidConfig) naming the file
    /// (and the line) when it cannot be read or has a line that is not `user:hash`.
    pub fn new(config: BasicConfig) -> Result<Self> {
        let name: Arc<str> = config.name.into();
        let users = Arc::new(ArcSwap::from_pointee(Users::load(&config.users)?));
        let cache = Arc::new(VerifiedCache::new(config.cache_entries));
        crate::jwt::watch::reload_on_change(config.users.clone(), Arc::downgrade(&users), {
            let (name, path, cache) = (name.clone(), config.users, cache.clone());
            move || {
                let loaded = Users::load(&path).inspect_err(|e| {
                    tracing::warn!(target: "pxy::auth", basic_auth = &*name, error = %e, "the changed users file is not used; keeping the previous users");
                });
                // Removed users and changed passwords must not pass from the cache.
                loaded.ok().inspect(|_| cache.clear())
            }
        })?;
        let challenge = HeaderValue::from_str(&format!(
            "Basic realm=\"{}\", charset=\"UTF-8\"",
            config.realm
        ))
        .unwrap_or(HeaderValue::from_static("Basic"));
        Ok(BasicVerifier {
            name,
            users,
            challenge,
            cache,
        })
    }

    /// Checks the request's credentials: on success the user goes into `session` and `None`
    /// is returned; otherwise the 401 answer to send, with the reason logged.
    #[must_use = "a refused request must be answered with the returned response"]
    pub async fn verify(&self, session: &mut Session) -> Option<Response> {
        let checked = match credentials(session) {
            Ok((user, password)) => self.check(user, password).await,
            Err(refusal) => Err(refusal),
        };
        match checked {
            Ok(user) => {
                session.set_basic_user(user);
                None
            }
            Err(refusal) => {
                let id = session.request_id_value();
                tracing::info!(target: "pxy::auth", basic_auth = &*self.name, reason = refusal.as_str(), path = session.path(), request_id = id.as_str(), "credentials refused");
                Some(self.unauthorized())
            }
        }
    }

    /// The user's name when `password` is theirs.
    async fn check(&self, user: String, password: String) -> std::result::Result<String, Refusal> {
        let users = self.users.load_full();
        let Some(hash) = users.get(&user).cloned() else {
            // As slow as a wrong password, so that timing does not tell which users exist.
            let _ = blocking(move || users::DUMMY.verify(&password)).await;
            return Err(Refusal::UnknownUser);
        };
        let key = cache::key(&user, &password);
        if self.cache.contains(&key, &hash) {
            return Ok(user);
        }
        let verified = {
            let hash = hash.clone();
            blocking(move || hash.verify(&password)).await
        };
        if verified {
            self.cache.insert(key, hash);
            Ok(user)
        } else {
            Err(Refusal::WrongPassword)
        }
    }

    fn unauthorized(&self) -> Response {
        Response::new(StatusCode::UNAUTHORIZED)
            .with_header(WWW_AUTHENTICATE, self.challenge.clone())
            .with_header(
                CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            )
            .with_body("unauthorized\n")
    }
}

/// Runs a hash check on the blocking pool (off the request threads), or here without a runtime.
async fn blocking(check: impl FnOnce() -> bool + Send + 'static) -> bool {
    match tokio::runtime::Handle::try_current() {
        Ok(_) => tokio::task::spawn_blocking(check).await.unwrap_or(false),
        Err(_) => check(),
    }
}

/// The user and password of `Authorization: Basic BASE64(user:password)` (RFC 7617).
fn credentials(session: &Session) -> std::result::Result<(String, String), Refusal> {
    let value = session.header(AUTHORIZATION).ok_or(Refusal::Missing)?;
    let (scheme, encoded) = value.trim().split_once(' ').ok_or(Refusal::Missing)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(Refusal::Missing);
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .map_err(|_| Refusal::Malformed)?;
    let text = String::from_utf8(decoded).map_err(|_| Refusal::Malformed)?;
    let (user, password) = text.split_once(':').ok_or(Refusal::Malformed)?;
    if user.is_empty() {
        return Err(Refusal::Malformed);
    }
    Ok((user.to_owned(), password.to_owned()))
}
