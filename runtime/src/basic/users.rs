//! The users file of a `basic_auth` verifier: one `user:hash` a line, as `htpasswd -B` writes
//! them; blank lines and lines starting with `#` are skipped. A hash is bcrypt (`$2a$`, `$2b$`,
//! `$2y$`) or argon2 in PHC form (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`, also argon2i
//! and argon2d). Every hash is parsed when the file is read, so a bad line is found then
//! (with its number), not at a request.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, LazyLock};

use argon2::password_hash::PasswordVerifier;

use crate::error::{Error, ErrorKind, Result};

/// One user's password hash, already checked to be well formed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordHash {
    /// `$2a$`, `$2b$` or `$2y$`.
    Bcrypt(Arc<str>),
    /// `$argon2id$...` (or argon2i, argon2d), a PHC string.
    Argon2(Arc<str>),
}

/// A hash no password has, checked for unknown users so that they take as long as known ones.
pub(super) static DUMMY: LazyLock<PasswordHash> = LazyLock::new(|| {
    let hash = bcrypt::hash("not a password of anyone", bcrypt::DEFAULT_COST)
        .expect("bcrypt of a fixed string");
    PasswordHash::Bcrypt(hash.into())
});

impl PasswordHash {
    /// Parses a hash as the file has it.
    ///
    /// # Errors
    ///
    /// A sentence saying what is wrong with it (never the hash itself).
    pub fn parse(text: &str) -> std::result::Result<Self, String> {
        if ["$2a$", "$2b$", "$2y$"].iter().any(|p| text.starts_with(p)) {
            bcrypt::HashParts::from_str(text).map_err(|e| format!("not a bcrypt hash: {e}"))?;
            Ok(PasswordHash::Bcrypt(text.into()))
        } else if text.starts_with("$argon2") {
            let parsed =
                argon2::PasswordHash::new(text).map_err(|e| format!("not an argon2 hash: {e}"))?;
            argon2::Algorithm::try_from(parsed.algorithm)
                .and_then(|_| argon2::Params::try_from(&parsed))
                .map_err(|e| format!("not an argon2 hash: {e}"))?;
            if parsed.salt.is_none() || parsed.hash.is_none() {
                return Err("not an argon2 hash: no salt or no hash".into());
            }
            Ok(PasswordHash::Argon2(text.into()))
        } else {
            Err("not a bcrypt ($2a$, $2b$, $2y$) or argon2 ($argon2id$) hash".into())
        }
    }

    /// Whether `password` is the one hashed (slow on purpose: run it off the request threads).
    pub fn verify(&self, password: &str) -> bool {
        match self {
            PasswordHash::Bcrypt(hash) => bcrypt::verify(password, hash).unwrap_or(false),
            PasswordHash::Argon2(hash) => argon2::PasswordHash::new(hash).is_ok_and(|parsed| {
                argon2::Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            }),
        }
    }
}

/// Every user of a users file.
#[derive(Debug, Default)]
pub struct Users {
    hashes: HashMap<String, PasswordHash>,
}

impl Users {
    /// Reads and parses the file at `path`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] naming the file, and the line when one is not
    /// `user:hash` with a known hash or names a user twice.
    pub fn load(path: &Path) -> Result<Users> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::explain(ErrorKind::InvalidConfig, format!("{}: {e}", path.display()))
        })?;
        Users::parse(&text).map_err(|(line, why)| {
            Error::explain(
                ErrorKind::InvalidConfig,
                format!("{}: line {line}: {why}", path.display()),
            )
        })
    }

    /// Parses a users file's text; a bad line gives its number (from 1) and why.
    ///
    /// # Errors
    ///
    /// The first bad line.
    pub fn parse(text: &str) -> std::result::Result<Users, (usize, String)> {
        let mut hashes = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (user, hash) = line
                .split_once(':')
                .ok_or((i + 1, "not `user:hash`".to_owned()))?;
            if user.is_empty() {
                return Err((i + 1, "no user name before `:`".into()));
            }
            let hash = PasswordHash::parse(hash).map_err(|why| (i + 1, why))?;
            if hashes.insert(user.to_owned(), hash).is_some() {
                return Err((i + 1, format!("user `{user}` is named twice")));
            }
        }
        Ok(Users { hashes })
    }

    /// The hash of `user`, when the file names them.
    pub fn get(&self, user: &str) -> Option<&PasswordHash> {
        self.hashes.get(user)
    }

    /// How many users the file names.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether the file names no user.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}
