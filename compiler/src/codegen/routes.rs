//! Route selection as a decision tree: first on the host (each host tries its own routes and the
//! host-less ones, in source order), then on path prefix, regex, method and headers. The
//! first-match-wins order of the source is preserved inside each branch.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::names::Names;
use crate::typed::{TypedProgram, TypedRoute};

/// `fn select_route(&self, session: &Session) -> Option<usize>`.
pub(crate) fn select_route(program: &TypedProgram, names: &mut Names) -> TokenStream {
    let mut hosts: Vec<&str> = Vec::new();
    for route in &program.routes {
        if let Some(h) = &route.host {
            if !hosts.contains(&h.as_str()) {
                hosts.push(h);
            }
        }
    }
    let host_branches = hosts.iter().map(|host| {
        let candidates = program
            .routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.host.is_none() || r.host.as_deref() == Some(*host));
        let tries = tries(candidates, names);
        quote! {
            if host.eq_ignore_ascii_case(#host) {
                #tries
            }
        }
    });
    let host_branches: Vec<_> = host_branches.collect();
    let fallback = tries(
        program
            .routes
            .iter()
            .enumerate()
            .filter(|(_, r)| r.host.is_none()),
        names,
    );
    let host_binding =
        (!hosts.is_empty()).then(|| quote! { let host = session.host().unwrap_or(""); });
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

/// Tries candidate routes in order; stops after one that matches unconditionally (anything
/// after it is unreachable) and otherwise ends with `return None`.
fn tries<'a>(
    candidates: impl Iterator<Item = (usize, &'a TypedRoute)>,
    names: &mut Names,
) -> TokenStream {
    let mut out = Vec::new();
    for (i, route) in candidates {
        let (code, unconditional) = try_route(i, route, names);
        out.push(code);
        if unconditional {
            return quote! { #(#out)* };
        }
    }
    quote! { #(#out)* return None; }
}

/// The test for one route, and whether it matches every request.
fn try_route(index: usize, route: &TypedRoute, names: &mut Names) -> (TokenStream, bool) {
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
        (quote! { return Some(#index); }, true)
    } else {
        (quote! { if #(#conds)&&* { return Some(#index); } }, false)
    }
}
