//! The types of the language.

use std::fmt;

/// A type of a `.pxy` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Type {
    /// `true` / `false`
    Bool,
    /// Whole numbers.
    Int,
    /// Text.
    Str,
    /// `5s`
    Duration,
    /// `64KB`
    Size,
    /// `10.0.0.1`
    Ip,
    /// `10.0.0.0/8`
    Cidr,
    /// `/regex/`
    Regex,
    /// `GET`
    Method,
    /// An HTTP status code, 100..=599.
    Status,
    /// A value that may be absent: a header, the query, the host.
    Optional(Box<Type>),
    /// `req.headers`, `resp.headers`: only indexable with a literal header name.
    Headers,
    /// `[a, b]`, `split(s, ",")`: indexable with an integer literal (giving `T?`), or the
    /// right side of `in`.
    List(Box<Type>),
    /// The capture groups named by `as m`: indexable with a group number or name.
    Captures,
}

impl Type {
    /// `T?`
    pub fn optional(inner: Type) -> Type {
        Type::Optional(Box::new(inner))
    }

    /// The type without its `?`.
    pub fn unwrapped(&self) -> &Type {
        match self {
            Type::Optional(inner) => inner,
            other => other,
        }
    }

    /// True for `T?`.
    pub fn is_optional(&self) -> bool {
        matches!(self, Type::Optional(_))
    }
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Type::Bool => f.write_str("bool"),
            Type::Int => f.write_str("int"),
            Type::Str => f.write_str("str"),
            Type::Duration => f.write_str("duration"),
            Type::Size => f.write_str("size"),
            Type::Ip => f.write_str("ip"),
            Type::Cidr => f.write_str("cidr"),
            Type::Regex => f.write_str("regex"),
            Type::Method => f.write_str("method"),
            Type::Status => f.write_str("status"),
            Type::Optional(inner) => write!(f, "{inner}?"),
            Type::Headers => f.write_str("headers"),
            Type::List(inner) => write!(f, "list<{inner}>"),
            Type::Captures => f.write_str("captures"),
        }
    }
}
