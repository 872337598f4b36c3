//! Route selection as code: the routing tree ([`crate::routing`]) turned into `if`s, a branch per
//! host, then each live route's path prefix, regex, method and header tests in source order.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::names::Names;
use crate::routing::{Branch, RoutingTree};
use crate::typed::{TypedProgram, TypedRoute};

/// `fn select_route(&self, session: &Session) -> Option<usize>`, from the routing tree.
pub(crate) fn select_route(program: &TypedProgram, names: &mut Names) -> TokenStream {
    let tree = RoutingTree::new(program);
    let host_branches: Vec<_> = tree
        .hosts
        .iter()
        .map(|branch| {
            let host = branch.host.unwrap_or_default();
            let tries = tries(branch, names);
            quote! {
                if host.eq_ignore_ascii_case(#host) {
                    #tries
                }
            }
        })
        .collect();
    let fallback = tries(&tree.other_hosts, names);
    let host_binding =
        (!tree.hosts.is_empty()).then(|| quote! { let host = session.host().unwrap_or(""); });
    quote! {
        /// The index of the first route that matches the request, in source order.
        fn select_route(&self, session: &Session) -> Option<usize> {
            let path = session.path();
            #host_binding
            #(#host_branches)*
            #fallback
        }
    }
}

/// Tries a branch's live routes in order, ending with `return None` unless the last one
/// matches every request.
fn tries(branch: &Branch<'_>, names: &mut Names) -> TokenStream {
    let out: Vec<_> = branch
        .live()
        .map(|t| try_route(t.index, t.route, names))
        .collect();
    let none = branch.falls_through().then(|| quote! { return None; });
    quote! { #(#out)* #none }
}

/// The test for one route.
fn try_route(index: usize, route: &TypedRoute, names: &mut Names) -> TokenStream {
    let mut conds = Vec::new();
    if let Some(prefix) = &route.path_prefix {
        conds.push(quote! { path.starts_with(#prefix) });
    }
    if let Some(id) = route.path_regex {
        let re = format_ident!("regex_{}", id);
        conds.push(quote! { self.#re.is_match(path) });
    }
    if !route.methods.is_empty() {
        let ms = route.methods.iter().map(|m| {
            let m = super::exprs::method_value(m);
            quote! { *session.method() == #m }
        });
        conds.push(quote! { (#(#ms)||*) });
    }
    for (name, value) in &route.headers {
        let h = names.header(name);
        conds.push(match value {
            Some(v) => quote! { session.header(&#h) == Some(#v) },
            None => quote! { session.headers().contains_key(&#h) },
        });
    }
    if conds.is_empty() {
        quote! { return Some(#index); }
    } else {
        quote! { if #(#conds)&&* { return Some(#index); } }
    }
}
