//! Limits: each `limit` becomes a `RateLimit` field of the program and each `max_in_flight` an
//! `InFlight` field, built once at start-up; a `max_in_flight`'s permit lives in a field of
//! the request's `Ctx`, so it is given back when the request's response ends.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::exprs::Cx;
use super::names::Names;
use super::stmts::stmt;
use crate::typed::{TypedExpr, TypedProgram, TypedStmt};
use crate::types::Type;

/// The program's fields for its limits, and their initialisers.
pub(crate) fn fields(program: &TypedProgram) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let mut fields = Vec::new();
    let mut inits = Vec::new();
    for (i, limit) in program.limits.iter().enumerate() {
        let f = format_ident!("limit_{}", i);
        let (name, requests, period) = (&limit.name, limit.requests, limit.period_ms);
        let burst = option(limit.burst.map(|b| quote!(#b)));
        let keys = option(limit.keys.map(|k| {
            let k = usize::try_from(k).unwrap_or(usize::MAX);
            quote!(#k)
        }));
        fields.push(quote! { #f: RateLimit });
        inits.push(quote! {
            #f: RateLimit::new(#name, RateQuota {
                requests: #requests,
                period: Duration::from_millis(#period),
                burst: #burst,
                keys: #keys,
            })?
        });
    }
    for (i, in_flight) in program.in_flights.iter().enumerate() {
        let f = format_ident!("in_flight_{}", i);
        let (label, max) = (&in_flight.label, in_flight.max);
        let queue = option(
            in_flight
                .queue_ms
                .map(|ms| quote!(Duration::from_millis(#ms))),
        );
        fields.push(quote! { #f: InFlight });
        inits.push(quote! { #f: InFlight::new(#label, #max, #queue)? });
    }
    (fields, inits)
}

/// The `Ctx` fields holding each `max_in_flight`'s permit.
pub(crate) fn ctx_fields(program: &TypedProgram) -> Vec<TokenStream> {
    (0..program.in_flights.len())
        .map(|i| {
            let f = format_ident!("in_flight_{}", i);
            quote! { #f: Option<InFlightPermit> }
        })
        .collect()
}

/// `rate_limit`: a refused request ends with the error page (429), or the `else` statement.
pub(crate) fn rate_limit(
    limit: usize,
    key: &TypedExpr,
    otherwise: Option<&TypedStmt>,
    names: &mut Names,
) -> TokenStream {
    let f = format_ident!("limit_{}", limit);
    let key = limit_key(key, names);
    let refused = refused(otherwise, names);
    quote! {
        if let Err(refused) = self.#f.check(#key) {
            #refused
        }
    }
}

/// `max_in_flight`: the permit is kept in `ctx`; a refused request ends as `rate_limit`'s.
pub(crate) fn max_in_flight(
    index: usize,
    key: Option<&TypedExpr>,
    otherwise: Option<&TypedStmt>,
    names: &mut Names,
) -> TokenStream {
    let f = format_ident!("in_flight_{}", index);
    let key = match key {
        Some(key) => limit_key(key, names),
        None => quote! { LimitKey::GLOBAL },
    };
    let refused = refused(otherwise, names);
    quote! {
        match self.#f.acquire(#key).await {
            Ok(permit) => ctx.#f = Some(permit),
            Err(refused) => { #refused }
        }
    }
}

/// What a refusal does: the `else` statement (its answer gets the `Retry-After` of the
/// refusal if it is a 429 or 503), or the error.
fn refused(otherwise: Option<&TypedStmt>, names: &mut Names) -> TokenStream {
    match otherwise {
        None => quote! { return Err(refused); },
        Some(s) => {
            let answer = stmt(s, names);
            quote! {
                session.set_retry_after(refused.retry_after());
                #answer
            }
        }
    }
}

/// `LimitKey::of(...)` for a `str`, `ip` or `int` key.
fn limit_key(key: &TypedExpr, names: &mut Names) -> TokenStream {
    let mut cx = Cx { names };
    match key.ty {
        Type::Ip => {
            let k = cx.ip_(key);
            quote! { LimitKey::of(&#k) }
        }
        Type::Int => {
            let k = cx.number(key);
            quote! { LimitKey::of(&#k) }
        }
        _ => {
            let k = cx.str_(key);
            quote! { LimitKey::of::<str>(&#k) }
        }
    }
}

fn option(value: Option<TokenStream>) -> TokenStream {
    match value {
        Some(v) => quote! { Some(#v) },
        None => quote! { None },
    }
}
