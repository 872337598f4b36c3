//! The built-in functions: name, parameters, result and doc. The checker types calls from this
//! table (arity, argument and result types), so a signature shown in an editor is the one the
//! checker applies.

use crate::typed::Func;
use crate::types::Type;

/// What a parameter accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// A `str`.
    Str,
    /// Any optional value, `T?` (`present(x)`).
    AnyOptional,
    /// A `str` or a `str?`; an absent text gives an absent result (`int(req.query["n"])`).
    MaybeStr,
    /// The name of a declared upstream (`healthy(web)`).
    Upstream,
}

/// A built-in function.
#[derive(Debug)]
pub struct FunctionInfo {
    /// The function in the typed program.
    pub func: Func,
    /// Its name.
    pub name: &'static str,
    /// Its parameters, named.
    pub params: &'static [(&'static str, Param)],
    /// The type it returns.
    pub returns: fn() -> Type,
    /// One line of documentation.
    pub doc: &'static str,
}

impl FunctionInfo {
    /// How it is called: `replace(s: str, from: str, to: str) -> str`.
    pub fn signature(&self) -> String {
        let params: Vec<String> = self
            .params
            .iter()
            .map(|(name, param)| match param {
                Param::Str => format!("{name}: str"),
                Param::AnyOptional => format!("{name}: T?"),
                Param::MaybeStr => format!("{name}: str?"),
                Param::Upstream => format!("{name}: upstream"),
            })
            .collect();
        format!(
            "{}({}) -> {}",
            self.name,
            params.join(", "),
            (self.returns)()
        )
    }
}

fn optional_str() -> Type {
    Type::optional(Type::Str)
}

const S: (&str, Param) = ("s", Param::Str);

/// Every function.
pub const FUNCTIONS: &[FunctionInfo] = &[
    FunctionInfo { func: Func::RequestId, name: "request_id", params: &[], returns: || Type::Str, doc: "An id unique to this request in this process (also in the access log)." },
    FunctionInfo { func: Func::Lower, name: "lower", params: &[S], returns: || Type::Str, doc: "`s` in lower case." },
    FunctionInfo { func: Func::Upper, name: "upper", params: &[S], returns: || Type::Str, doc: "`s` in upper case." },
    FunctionInfo { func: Func::Present, name: "present", params: &[("x", Param::AnyOptional)], returns: || Type::Bool, doc: "Whether `x` has a value; inside `if present(x) { ... }`, `x` is a `T`." },
    FunctionInfo { func: Func::Replace, name: "replace", params: &[S, ("from", Param::Str), ("to", Param::Str)], returns: || Type::Str, doc: "`s` with every `from` replaced by `to`." },
    FunctionInfo { func: Func::UrlEncode, name: "url_encode", params: &[S], returns: || Type::Str, doc: "Percent-encodes everything but unreserved characters." },
    FunctionInfo { func: Func::UrlDecode, name: "url_decode", params: &[S], returns: || Type::Str, doc: "Percent-decodes `s`; invalid sequences are kept." },
    FunctionInfo { func: Func::Base64Encode, name: "base64_encode", params: &[S], returns: || Type::Str, doc: "Standard base64, padded." },
    FunctionInfo { func: Func::Base64Decode, name: "base64_decode", params: &[S], returns: optional_str, doc: "Decodes base64; absent when `s` is not base64 of UTF-8 text." },
    FunctionInfo { func: Func::Now, name: "now", params: &[], returns: || Type::Int, doc: "Seconds since the Unix epoch." },
    FunctionInfo { func: Func::Hash, name: "hash", params: &[S], returns: || Type::Int, doc: "A stable 64-bit hash (FNV-1a): the same in every build and process, for splits like `hash(id) % 100 < 5`." },
    FunctionInfo { func: Func::Int, name: "int", params: &[("s", Param::MaybeStr)], returns: || Type::optional(Type::Int), doc: "The decimal number `s` spells (spaces around it ignored); absent when it spells none or `s` is absent: `int(req.query[\"page\"]) ?? 1`." },
    FunctionInfo { func: Func::Ip, name: "ip", params: &[("s", Param::MaybeStr)], returns: || Type::optional(Type::Ip), doc: "The IPv4 or IPv6 address `s` spells (spaces around it ignored); absent when it spells none or `s` is absent: `(ip(req.query[\"addr\"]) ?? 0.0.0.0) in 10.0.0.0/8`." },
    FunctionInfo { func: Func::Healthy, name: "healthy", params: &[("u", Param::Upstream)], returns: || Type::Bool, doc: "Whether at least one server of upstream `u` is healthy now (its health checks pass and passive health has not ejected it): `if !healthy(web) { respond 503 }`." },
    FunctionInfo { func: Func::Split, name: "split", params: &[S, ("sep", Param::Str)], returns: || Type::List(Box::new(Type::Str)), doc: "The pieces of `s` between `sep`s; index with a number: `split(s, \",\")[0]` is a `str?`." },
];

/// The function called `name`, if there is one.
pub fn function(name: &str) -> Option<&'static FunctionInfo> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// The entry of a function of the typed program.
pub fn info(func: Func) -> &'static FunctionInfo {
    FUNCTIONS
        .iter()
        .find(|f| f.func == func)
        .expect("every function has an entry")
}
