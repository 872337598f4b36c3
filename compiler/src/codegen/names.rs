//! What code generation collects as it goes: the compile-time constants of the generated
//! program (header names and literal header values become `const`s: no per-request parsing or
//! allocation), in first-use order so output is deterministic, and what statements need to
//! know about upstreams.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The constants a program needs, collected while generating.
#[derive(Debug, Default)]
pub(crate) struct Names {
    header_names: Vec<String>,
    header_values: Vec<String>,
    pub(crate) uses_cidr: bool,
    /// For each upstream, the key of `balance hash(KEY)`: `proxy` computes it.
    pub(crate) hash_keys: Vec<Option<crate::typed::TypedExpr>>,
}

impl Names {
    /// The constant naming a (lower-case, validated) header.
    pub(crate) fn header(&mut self, name: &str) -> TokenStream {
        let i = intern(&mut self.header_names, name);
        let id = format_ident!("H{}", i);
        quote!(#id)
    }

    /// A constant `HeaderValue` for a (validated) literal value.
    pub(crate) fn value(&mut self, value: &str) -> TokenStream {
        let i = intern(&mut self.header_values, value);
        let id = format_ident!("V{}", i);
        quote!(#id)
    }

    /// The `const` items.
    pub(crate) fn consts(&self) -> Vec<TokenStream> {
        let names = self.header_names.iter().enumerate().map(|(i, n)| {
            let id = format_ident!("H{}", i);
            quote! { const #id: HeaderName = HeaderName::from_static(#n); }
        });
        let values = self.header_values.iter().enumerate().map(|(i, v)| {
            let id = format_ident!("V{}", i);
            quote! { const #id: HeaderValue = HeaderValue::from_static(#v); }
        });
        names.chain(values).collect()
    }

    /// Helper functions, emitted only when used.
    pub(crate) fn helpers(&self) -> TokenStream {
        let header_value = quote! {
            /// A header value computed at request time; control characters are refused.
            fn header_value(value: &str) -> Result<HeaderValue> {
                HeaderValue::from_str(value).map_err(|_| {
                    Error::explain(ErrorKind::Internal, "a computed header value contains a control character")
                })
            }
        };
        let cidr = self.uses_cidr.then(|| {
            quote! {
                /// Whether `ip` is inside `net/bits`.
                fn in_cidr(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
                    match (ip, net) {
                        (IpAddr::V4(ip), IpAddr::V4(net)) => {
                            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
                            u32::from(ip) & mask == u32::from(net) & mask
                        }
                        (IpAddr::V6(ip), IpAddr::V6(net)) => {
                            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
                            u128::from(ip) & mask == u128::from(net) & mask
                        }
                        (IpAddr::V6(ip), IpAddr::V4(_)) => match ip.to_ipv4_mapped() {
                            Some(v4) => in_cidr(IpAddr::V4(v4), net, bits),
                            None => false,
                        },
                        _ => false,
                    }
                }
            }
        });
        quote! { #header_value #cidr }
    }
}

fn intern(table: &mut Vec<String>, item: &str) -> usize {
    match table.iter().position(|x| x == item) {
        Some(i) => i,
        None => {
            table.push(item.to_string());
            table.len() - 1
        }
    }
}
