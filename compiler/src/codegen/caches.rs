//! Caches: each `cache NAME { }` becomes a `Cache` field of the program, built once at
//! start-up with its size; each route's `cache NAME { ... }` hands the session that cache and
//! a `CacheRule` constant (`const { &CacheRule { .. } }`: every setting is known at compile
//! time, nothing is read per request; only a route's own `key` is computed per request);
//! `purge NAME` removes the request's target and answers.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use pxy_dsl::ast::PurgeBy;

use crate::typed::{CacheId, TypedCacheRule, TypedExpr, TypedProgram};

/// The program's fields for its caches, and their initialisers.
pub(crate) fn fields(program: &TypedProgram) -> (Vec<TokenStream>, Vec<TokenStream>) {
    program
        .caches
        .iter()
        .enumerate()
        .map(|(i, cache)| {
            let f = format_ident!("cache_{}", i);
            let (name, size, max_object) = (&cache.name, cache.size, cache.max_object);
            (
                quote! { #f: Cache },
                quote! { #f: Cache::new(#name, #size, #max_object) },
            )
        })
        .unzip()
}

/// `cache NAME { ... }`: the request is looked up once `request_filter` returns; a `key`
/// is computed here, where the statement runs.
pub(crate) fn use_cache(
    cx: &mut super::exprs::Cx<'_>,
    cache: CacheId,
    rule: &TypedCacheRule,
) -> TokenStream {
    let f = format_ident!("cache_{}", cache);
    let duration = |ms: Option<u64>| match ms {
        Some(ms) => quote! { Some(Duration::from_millis(#ms)) },
        None => quote! { None },
    };
    let ttl = duration(rule.ttl_ms);
    let default_ttl = duration(rule.default_ttl_ms);
    let stale_while_revalidate = duration(rule.stale_while_revalidate_ms);
    let stale_if_error = duration(rule.stale_if_error_ms);
    let statuses = &rule.statuses;
    let (store_set_cookie, key_cookie, key_authorization) = (
        rule.store_set_cookie,
        rule.key_cookie,
        rule.key_authorization,
    );
    let (call, key) = match &rule.key {
        Some(key) => {
            let key = cx.str_(key);
            (quote! { use_cache_keyed }, quote! { , &#key })
        }
        None => (quote! { use_cache }, quote! {}),
    };
    quote! {
        session.#call(&self.#f, const { &CacheRule {
            ttl: #ttl,
            default_ttl: #default_ttl,
            statuses: &[#(#statuses),*],
            stale_while_revalidate: #stale_while_revalidate,
            stale_if_error: #stale_if_error,
            store_set_cookie: #store_set_cookie,
            key_cookie: #key_cookie,
            key_authorization: #key_authorization,
        } } #key);
    }
}

/// `purge NAME`: 200 when the cache held the request's target, 404 otherwise; with
/// `prefix EXPR` or `tag EXPR`, 200 "purged N" when it removed N > 0 entries.
pub(crate) fn purge(
    cx: &mut super::exprs::Cx<'_>,
    cache: CacheId,
    scope: Option<&(PurgeBy, TypedExpr)>,
) -> TokenStream {
    let f = format_ident!("cache_{}", cache);
    let Some((by, value)) = scope else {
        return quote! { return Ok(Some(Response::purged(session.purge(&self.#f)))); };
    };
    let value = cx.str_(value);
    let removed = match by {
        PurgeBy::Prefix => quote! { session.purge_prefix(&self.#f, &#value) },
        PurgeBy::Tag => quote! { session.purge_tags(&self.#f, &#value) },
    };
    quote! { return Ok(Some(Response::purged_many(#removed))); }
}
