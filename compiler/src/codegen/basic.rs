//! Basic authentication verifiers: each `basic_auth` becomes a `BasicVerifier` field of the
//! program, built (its users file read) once at start-up; `verify_basic` answers 401 itself or
//! leaves the accepted user in the session, where `basic.user` reads it.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::typed::{BasicId, TypedProgram};

/// The program's fields for its verifiers, and their initialisers.
pub(crate) fn fields(program: &TypedProgram) -> (Vec<TokenStream>, Vec<TokenStream>) {
    program
        .basic_auths
        .iter()
        .enumerate()
        .map(|(i, basic)| {
            let f = format_ident!("basic_{}", i);
            let (name, users, realm) = (&basic.name, &basic.users, &basic.realm);
            (
                quote! { #f: BasicVerifier },
                quote! {
                    #f: BasicVerifier::new(BasicConfig::new(#name, #users, #realm))?
                },
            )
        })
        .unzip()
}

/// `verify_basic`: refused credentials are answered 401 at once.
pub(crate) fn verify_basic(basic: BasicId) -> TokenStream {
    let f = format_ident!("basic_{}", basic);
    quote! {
        if let Some(refused) = self.#f.verify(session).await {
            return Ok(Some(refused));
        }
    }
}
