//! Expressions. Each type has one Rust shape so pieces compose without conversions:
//!
//! | .pxy type | Rust expression type |
//! |---|---|
//! | `str` | `Cow<'_, str>` (borrowed from the request when it can be) |
//! | `str?` | `Option<Cow<'_, str>>` |
//! | `bool` | `bool` |
//! | `int`, `status`, `duration` (ms), `size` (bytes) | `u64` |
//! | `method` | `&Method` |
//! | `ip` | `IpAddr` |
//! | `int?`, `ip?` | `Option<u64>`, `Option<IpAddr>` |

use std::net::{IpAddr, SocketAddr};

use proc_macro2::TokenStream;
use pxy_dsl::ast::BinOp;
use quote::{format_ident, quote};

use super::names::Names;
use crate::typed::{Field, Func, InterpPart, TypedExpr, TypedExprKind};
use crate::types::Type;

/// What generating an expression needs: the constants collected so far.
pub(crate) struct Cx<'a> {
    /// Header names and values seen so far.
    pub names: &'a mut Names,
}

/// `SocketAddr` construction without parsing at run time.
pub(crate) fn socket_addr(addr: &SocketAddr) -> TokenStream {
    let ip = ip(&addr.ip());
    let port = addr.port();
    quote! { SocketAddr::new(#ip, #port) }
}

pub(crate) fn ip(ip: &IpAddr) -> TokenStream {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, d] = v4.octets();
            quote! { IpAddr::V4(Ipv4Addr::new(#a, #b, #c, #d)) }
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            quote! { IpAddr::V6(Ipv6Addr::new(#(#s),*)) }
        }
    }
}

fn var(i: usize) -> proc_macro2::Ident {
    format_ident!("var_{}", i)
}

impl Cx<'_> {
    /// A `str` expression as `Cow<'_, str>`.
    pub(crate) fn str_(&mut self, e: &TypedExpr) -> TokenStream {
        match &e.kind {
            TypedExprKind::Str(s) => quote! { Cow::Borrowed(#s) },
            TypedExprKind::Interp(parts) => {
                let mut fmt = String::new();
                let mut args = Vec::new();
                for part in parts {
                    match part {
                        InterpPart::Text(t) => {
                            fmt.push_str(&t.replace('{', "{{").replace('}', "}}"))
                        }
                        InterpPart::Value(v) => {
                            fmt.push_str("{}");
                            args.push(self.display(v));
                        }
                    }
                }
                quote! { Cow::<str>::Owned(format!(#fmt, #(#args),*)) }
            }
            TypedExprKind::Field(Field::ReqPath) => quote! { Cow::Borrowed(session.path()) },
            TypedExprKind::Field(Field::ReqScheme) => quote! { Cow::Borrowed(session.scheme()) },
            TypedExprKind::Field(Field::ErrorKind) => quote! { Cow::Borrowed(error.kind().name()) },
            TypedExprKind::Field(Field::CacheStatus) => {
                quote! { Cow::Borrowed(session.cache_status_str()) }
            }
            TypedExprKind::Call(Func::Replace, args) => {
                let (a, from, to) = (
                    self.str_(&args[0]),
                    self.str_arg(&args[1]),
                    self.str_arg(&args[2]),
                );
                quote! { Cow::<str>::Owned((#a).replace(#from, #to)) }
            }
            TypedExprKind::Call(Func::UrlEncode, args) => {
                let a = self.str_(&args[0]);
                quote! { Cow::<str>::Owned(url_encode(&#a).into_owned()) }
            }
            TypedExprKind::Call(Func::UrlDecode, args) => {
                let a = self.str_(&args[0]);
                quote! { Cow::<str>::Owned(url_decode(&#a).into_owned()) }
            }
            TypedExprKind::Call(Func::Base64Encode, args) => {
                let a = self.str_(&args[0]);
                quote! { Cow::<str>::Owned(base64_encode(&#a)) }
            }
            TypedExprKind::Present(inner) => {
                let opt = self.opt_str(inner);
                quote! { (#opt).unwrap_or(Cow::Borrowed("")) }
            }
            TypedExprKind::Var(i) => {
                let v = var(*i);
                quote! { Cow::Borrowed(#v.as_str()) }
            }
            TypedExprKind::Call(Func::RequestId, _) => {
                quote! { Cow::Borrowed(request_id.as_str()) }
            }
            TypedExprKind::Call(Func::Lower, args) => {
                let a = self.str_(&args[0]);
                quote! { Cow::<str>::Owned((#a).to_lowercase()) }
            }
            TypedExprKind::Call(Func::Upper, args) => {
                let a = self.str_(&args[0]);
                quote! { Cow::<str>::Owned((#a).to_uppercase()) }
            }
            TypedExprKind::Binary(BinOp::Coalesce, l, r) => {
                let r = self.str_(r);
                if l.ty.is_optional() {
                    let l = self.opt_str(l);
                    quote! { match #l { Some(v) => v, None => #r } }
                } else {
                    self.str_(l)
                }
            }
            _ => unreachable!("checker: not a str expression: {e:?}"),
        }
    }

    /// A `str?` expression as `Option<Cow<'_, str>>`.
    pub(crate) fn opt_str(&mut self, e: &TypedExpr) -> TokenStream {
        match &e.kind {
            TypedExprKind::Field(Field::ReqHeader(name)) => {
                let h = self.names.header(name);
                quote! { session.header(&#h).map(Cow::Borrowed) }
            }
            TypedExprKind::Field(Field::RespHeader(name)) => {
                let h = self.names.header(name);
                quote! { response.headers.get(&#h).and_then(|v| v.to_str().ok()).map(Cow::Borrowed) }
            }
            TypedExprKind::Field(Field::ReqHeaderValues(name)) => {
                let h = self.names.header(name);
                quote! { session.header_values(&#h) }
            }
            TypedExprKind::Field(Field::ReqHost) => quote! { session.host().map(Cow::Borrowed) },
            TypedExprKind::Field(Field::ReqUpgrade) => {
                quote! { session.upgrade().map(Cow::Borrowed) }
            }
            TypedExprKind::Field(Field::UpstreamName) => {
                quote! { session.upstream().map(|peer| Cow::Borrowed(peer.upstream_name())) }
            }
            TypedExprKind::Field(Field::UpstreamAddr) => {
                quote! { session.upstream().map(|peer| Cow::Owned(peer.addr().to_string())) }
            }
            TypedExprKind::Field(Field::ReqQuery) => quote! { session.query().map(Cow::Borrowed) },
            TypedExprKind::Field(Field::JwtSub) => quote! { session.jwt_sub().map(Cow::Borrowed) },
            TypedExprKind::Field(Field::BasicUser) => {
                quote! { session.basic_user().map(Cow::Borrowed) }
            }
            TypedExprKind::Field(Field::JwtClaim(name)) => quote! { session.jwt_claim(#name) },
            TypedExprKind::Field(Field::TlsSni) => quote! { session.tls_sni().map(Cow::Borrowed) },
            TypedExprKind::Field(Field::TlsVersion) => {
                quote! { session.tls_version().map(Cow::Borrowed) }
            }
            TypedExprKind::Field(Field::TlsClientSubject) => {
                quote! { session.tls_client_subject().map(Cow::Borrowed) }
            }
            TypedExprKind::Field(Field::QueryParam(name)) => {
                quote! { session.query_param(#name).map(Cow::Borrowed) }
            }
            TypedExprKind::Field(Field::Cookie(name)) => {
                quote! { session.cookie(#name).map(Cow::Borrowed) }
            }
            TypedExprKind::Call(Func::Base64Decode, args) => {
                let a = self.str_(&args[0]);
                quote! { base64_decode(&#a).map(Cow::<str>::Owned) }
            }
            TypedExprKind::ListIndex(list, n) => {
                let TypedExprKind::Call(Func::Split, args) = &list.kind else {
                    unreachable!("checker: only split() lists are indexed")
                };
                let (s, sep) = (self.str_(&args[0]), self.str_arg(&args[1]));
                quote! { (#s).split(#sep).nth(#n).map(|piece| Cow::<str>::Owned(piece.to_owned())) }
            }
            TypedExprKind::Var(i) => {
                let v = var(*i);
                quote! { #v.as_deref().map(Cow::Borrowed) }
            }
            _ if !e.ty.is_optional() => {
                let s = self.str_(e);
                quote! { Some(#s) }
            }
            _ => unreachable!("checker: not an optional str: {e:?}"),
        }
    }

    /// A numeric expression (`int`, `status`, `duration` in ms, `size` in bytes) as `u64`.
    pub(crate) fn number(&mut self, e: &TypedExpr) -> TokenStream {
        match &e.kind {
            TypedExprKind::Int(n) | TypedExprKind::Duration(n) | TypedExprKind::Size(n) => {
                quote! { #n }
            }
            TypedExprKind::Field(Field::RespStatus) => {
                quote! { u64::from(response.status.as_u16()) }
            }
            TypedExprKind::Field(Field::SentStatus) => {
                quote! { u64::from(session.response_status().map_or(0, |s| s.as_u16())) }
            }
            TypedExprKind::Field(Field::ClientPort) => {
                quote! { u64::from(session.client_addr().port()) }
            }
            TypedExprKind::Field(Field::ErrorStatus) => {
                quote! { u64::from(error.status().as_u16()) }
            }
            TypedExprKind::Call(Func::Now, _) => quote! { unix_time() },
            TypedExprKind::Call(Func::Hash, args) => {
                let a = self.str_(&args[0]);
                quote! { hash(&#a) }
            }
            TypedExprKind::Binary(BinOp::Mod, l, r) => {
                let (a, b) = (self.number(l), self.number(r));
                quote! { (#a).checked_rem(#b).unwrap_or(0) }
            }
            TypedExprKind::Binary(BinOp::Coalesce, l, r) => {
                let r = self.number(r);
                if l.ty.is_optional() {
                    let l = self.opt_number(l);
                    quote! { (#l).unwrap_or(#r) }
                } else {
                    self.number(l)
                }
            }
            TypedExprKind::Var(i) => {
                let v = var(*i);
                quote! { #v }
            }
            _ => unreachable!("checker: not a number: {e:?}"),
        }
    }

    /// An `int?` expression as `Option<u64>`.
    fn opt_number(&mut self, e: &TypedExpr) -> TokenStream {
        match &e.kind {
            TypedExprKind::Call(Func::Int, args) => {
                let s = self.opt_str(&args[0]);
                quote! { (#s).and_then(|s| to_int(&s)) }
            }
            TypedExprKind::Var(i) => {
                let v = var(*i);
                quote! { #v }
            }
            _ if !e.ty.is_optional() => {
                let n = self.number(e);
                quote! { Some(#n) }
            }
            _ => unreachable!("checker: not an optional int: {e:?}"),
        }
    }

    /// An `ip?` expression as `Option<IpAddr>`.
    fn opt_ip(&mut self, e: &TypedExpr) -> TokenStream {
        match &e.kind {
            TypedExprKind::Call(Func::Ip, args) => {
                let s = self.opt_str(&args[0]);
                quote! { (#s).and_then(|s| to_ip(&s)) }
            }
            TypedExprKind::Var(i) => {
                let v = var(*i);
                quote! { #v }
            }
            _ if !e.ty.is_optional() => {
                let ip = self.ip_(e);
                quote! { Some(#ip) }
            }
            _ => unreachable!("checker: not an optional ip: {e:?}"),
        }
    }

    /// An optional expression of any type, as an `Option` of its type's Rust shape.
    fn optional(&mut self, e: &TypedExpr) -> TokenStream {
        match e.ty.unwrapped() {
            Type::Int => self.opt_number(e),
            Type::Ip => self.opt_ip(e),
            Type::Str => self.opt_str(e),
            Type::Bool
            | Type::Duration
            | Type::Size
            | Type::Cidr
            | Type::Regex
            | Type::Method
            | Type::Status
            | Type::Optional(_)
            | Type::Headers
            | Type::List(_)
            | Type::Captures => unreachable!("checker: optionals are of str, int or ip: {e:?}"),
        }
    }

    /// A `method` expression as `&Method`.
    fn method(&mut self, e: &TypedExpr) -> TokenStream {
        match &e.kind {
            TypedExprKind::Method(m) => {
                let m = method_value(m);
                quote! { &#m }
            }
            TypedExprKind::Field(Field::ReqMethod) => quote! { session.method() },
            TypedExprKind::Var(i) => {
                let v = var(*i);
                quote! { &#v }
            }
            _ => unreachable!("checker: not a method: {e:?}"),
        }
    }

    pub(crate) fn ip_(&mut self, e: &TypedExpr) -> TokenStream {
        match &e.kind {
            TypedExprKind::Ip(addr) => ip(addr),
            TypedExprKind::Field(Field::ClientIp) => quote! { session.client_addr().ip() },
            TypedExprKind::Binary(BinOp::Coalesce, l, r) => {
                let r = self.ip_(r);
                if l.ty.is_optional() {
                    let l = self.opt_ip(l);
                    quote! { (#l).unwrap_or(#r) }
                } else {
                    self.ip_(l)
                }
            }
            TypedExprKind::Var(i) => {
                let v = var(*i);
                quote! { #v }
            }
            _ => unreachable!("checker: not an ip: {e:?}"),
        }
    }

    /// A value formatted into an interpolated string.
    fn display(&mut self, e: &TypedExpr) -> TokenStream {
        match e.ty {
            Type::Str => {
                let s = self.str_(e);
                quote! { #s }
            }
            Type::Method => {
                let m = self.method(e);
                quote! { (#m).as_str() }
            }
            Type::Ip => self.ip_(e),
            Type::Bool => self.bool_(e),
            Type::Duration => {
                let n = self.number(e);
                quote! { format_args!("{}ms", #n) }
            }
            _ => self.number(e),
        }
    }

    /// A `bool` expression.
    pub(crate) fn bool_(&mut self, e: &TypedExpr) -> TokenStream {
        match &e.kind {
            TypedExprKind::Bool(b) => quote! { #b },
            TypedExprKind::Var(i) => {
                let v = var(*i);
                quote! { #v }
            }
            TypedExprKind::Not(inner) => {
                let inner = self.bool_(inner);
                quote! { !(#inner) }
            }
            TypedExprKind::Call(Func::Present, args) => {
                if args[0].ty.is_optional() {
                    let a = self.optional(&args[0]);
                    quote! { (#a).is_some() }
                } else {
                    quote! { true }
                }
            }
            TypedExprKind::Matches(subject, id) => {
                let s = self.str_(subject);
                let re = format_ident!("regex_{}", id);
                quote! { self.#re.is_match(&#s) }
            }
            TypedExprKind::Binary(op, l, r) => self.binary(*op, l, r),
            TypedExprKind::InList(value, items) => self.in_list(value, items),
            TypedExprKind::InData(value, id) => self.in_data(value, *id),
            TypedExprKind::Flag(id) => {
                let f = super::data::field(*id);
                quote! { self.#f.is_on() }
            }
            TypedExprKind::Healthy(id) => {
                let f = format_ident!("upstream_{}", id);
                quote! { self.#f.is_healthy() }
            }
            _ => unreachable!("checker: not a bool: {e:?}"),
        }
    }

    fn binary(&mut self, op: BinOp, l: &TypedExpr, r: &TypedExpr) -> TokenStream {
        match op {
            BinOp::And | BinOp::Or => {
                let (a, b) = (self.bool_(l), self.bool_(r));
                if op == BinOp::And {
                    quote! { (#a && #b) }
                } else {
                    quote! { (#a || #b) }
                }
            }
            BinOp::StartsWith | BinOp::EndsWith | BinOp::Contains => {
                let a = self.str_(l);
                let b = self.str_arg(r);
                match op {
                    BinOp::StartsWith => quote! { (#a).starts_with(#b) },
                    BinOp::EndsWith => quote! { (#a).ends_with(#b) },
                    _ => quote! { (#a).contains(#b) },
                }
            }
            BinOp::In => {
                self.names.uses_cidr = true;
                let a = self.ip_(l);
                let TypedExprKind::Cidr(net, bits) = &r.kind else {
                    unreachable!("checker: `in` takes a CIDR literal")
                };
                let net = ip(net);
                let bits = u32::from(*bits);
                quote! { in_cidr(#a, #net, #bits) }
            }
            BinOp::Eq | BinOp::Ne => {
                let eq = self.equal(l, r);
                if op == BinOp::Eq {
                    eq
                } else {
                    quote! { !(#eq) }
                }
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let (a, b) = (self.number(l), self.number(r));
                match op {
                    BinOp::Lt => quote! { (#a < #b) },
                    BinOp::Le => quote! { (#a <= #b) },
                    BinOp::Gt => quote! { (#a > #b) },
                    _ => quote! { (#a >= #b) },
                }
            }
            BinOp::Coalesce | BinOp::Matches | BinOp::Mod => {
                unreachable!("checker: {op:?} is not a bool operator here")
            }
        }
    }

    /// `value in [literals]`: a `match` on literal patterns where Rust has them, else a chain
    /// of comparisons; nothing is allocated.
    fn in_list(&mut self, value: &TypedExpr, items: &[TypedExpr]) -> TokenStream {
        match value.ty.unwrapped() {
            Type::Str => {
                let v = self.str_ref_opt(value);
                let lits = items.iter().map(|i| match &i.kind {
                    TypedExprKind::Str(s) => quote! { #s },
                    _ => unreachable!("checker: str list elements are literals"),
                });
                quote! { matches!(#v, Some(#(#lits)|*)) }
            }
            Type::Ip => {
                self.names.uses_cidr = true;
                let v = self.ip_(value);
                let tests = items.iter().map(|i| match &i.kind {
                    TypedExprKind::Cidr(net, bits) => {
                        let (net, bits) = (ip(net), u32::from(*bits));
                        quote! { in_cidr(ip, #net, #bits) }
                    }
                    TypedExprKind::Ip(addr) => {
                        let addr = ip(addr);
                        quote! { ip == #addr }
                    }
                    _ => unreachable!("checker: ip list elements are IPs or CIDRs"),
                });
                quote! { { let ip = #v; #(#tests)||* } }
            }
            Type::Method => {
                let v = self.method(value);
                let tests = items.iter().map(|i| {
                    let m = self.method(i);
                    quote! { *m == *#m }
                });
                quote! { { let m = #v; #(#tests)||* } }
            }
            _ => {
                let v = self.number(value);
                let lits = items.iter().map(|i| self.number(i));
                quote! { matches!(#v, #(#lits)|*) }
            }
        }
    }

    /// `value in NAME` for a list read from a file: one lookup in its current contents.
    fn in_data(&mut self, value: &TypedExpr, id: usize) -> TokenStream {
        let f = super::data::field(id);
        let v = match value.ty.unwrapped() {
            Type::Str => self.str_ref_opt(value),
            Type::Ip => self.ip_(value),
            _ => self.number(value),
        };
        quote! { self.#f.current().contains(#v) }
    }

    /// A `str` as a pattern argument: a literal stays a `&'static str`.
    fn str_arg(&mut self, e: &TypedExpr) -> TokenStream {
        match &e.kind {
            TypedExprKind::Str(s) => quote! { #s },
            _ => {
                let s = self.str_(e);
                quote! { &*#s }
            }
        }
    }

    fn equal(&mut self, l: &TypedExpr, r: &TypedExpr) -> TokenStream {
        match l.ty.unwrapped() {
            Type::Str => {
                let a = self.str_ref_opt(l);
                let b = self.str_ref_opt(r);
                quote! { (#a == #b) }
            }
            Type::Method => {
                let (a, b) = (self.method(l), self.method(r));
                quote! { (*#a == *#b) }
            }
            Type::Ip => {
                let (a, b) = (self.ip_(l), self.ip_(r));
                quote! { (#a == #b) }
            }
            Type::Bool => {
                let (a, b) = (self.bool_(l), self.bool_(r));
                quote! { (#a == #b) }
            }
            _ => {
                let (a, b) = (self.number(l), self.number(r));
                quote! { (#a == #b) }
            }
        }
    }

    /// A `str` or `str?` as `Option<&str>` for comparison; literals compare without building a
    /// `Cow`.
    fn str_ref_opt(&mut self, e: &TypedExpr) -> TokenStream {
        match &e.kind {
            TypedExprKind::Str(s) => quote! { Some(#s) },
            TypedExprKind::Field(Field::ReqHeader(name)) => {
                let h = self.names.header(name);
                quote! { session.header(&#h) }
            }
            TypedExprKind::Field(Field::ReqHost) => quote! { session.host() },
            TypedExprKind::Field(Field::ReqUpgrade) => quote! { session.upgrade() },
            TypedExprKind::Field(Field::ReqPath) => quote! { Some(session.path()) },
            TypedExprKind::Field(Field::TlsSni) => quote! { session.tls_sni() },
            TypedExprKind::Field(Field::TlsClientSubject) => {
                quote! { session.tls_client_subject() }
            }
            TypedExprKind::Field(Field::QueryParam(name)) => quote! { session.query_param(#name) },
            TypedExprKind::Field(Field::Cookie(name)) => quote! { session.cookie(#name) },
            _ if e.ty.is_optional() => {
                let o = self.opt_str(e);
                quote! { (#o).as_deref() }
            }
            _ => {
                let s = self.str_(e);
                quote! { Some(&*#s) }
            }
        }
    }

    /// A value bound by `let`, owned so that later statements may change the request.
    pub(crate) fn owned(&mut self, e: &TypedExpr) -> TokenStream {
        match &e.ty {
            Type::Str => {
                let s = self.str_(e);
                quote! { (#s).into_owned() }
            }
            Type::Optional(inner) if matches!(**inner, Type::Int | Type::Ip) => self.optional(e),
            Type::Optional(_) => {
                let o = self.opt_str(e);
                quote! { (#o).map(Cow::into_owned) }
            }
            Type::Bool => self.bool_(e),
            Type::Method => {
                let m = self.method(e);
                quote! { (#m).clone() }
            }
            Type::Ip => self.ip_(e),
            _ => self.number(e),
        }
    }
}

/// The `Method` of a method literal: an associated constant of `http::Method`, or for
/// `PURGE` (not one of RFC 9110's) the runtime's static.
pub(crate) fn method_value(method: &str) -> TokenStream {
    if method == "PURGE" {
        return quote! { (*PURGE) };
    }
    let m = format_ident!("{}", method);
    quote! { Method::#m }
}
