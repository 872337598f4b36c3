//! The claims of an accepted token, as the session keeps them for `jwt.sub` and
//! `jwt.claims["x"]`.

use std::borrow::Cow;

use serde_json::{Map, Value};

/// The payload of a token `verify_jwt` accepted.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct JwtClaims(Map<String, Value>);

impl JwtClaims {
    /// Claims from a decoded payload.
    pub fn new(claims: Map<String, Value>) -> Self {
        JwtClaims(claims)
    }

    /// `sub`, when it is a string.
    pub fn sub(&self) -> Option<&str> {
        self.0.get("sub")?.as_str()
    }

    /// Claim `name` as text: a string as it is, a number or boolean as JSON writes it;
    /// `None` for a missing claim, `null`, arrays and objects.
    pub fn claim(&self, name: &str) -> Option<Cow<'_, str>> {
        match self.0.get(name)? {
            Value::String(s) => Some(Cow::Borrowed(s)),
            Value::Number(n) => Some(Cow::Owned(n.to_string())),
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Value::Null | Value::Array(_) | Value::Object(_) => None,
        }
    }
}
