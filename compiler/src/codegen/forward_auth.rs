//! Forward authentication verifiers: each `forward_auth` becomes a `ForwardAuth` field of the
//! program, built once at start-up; `verify_forward` asks the verifier's upstream (a field like
//! any other upstream, so its pool and health are shared with `proxy`) and returns the auth
//! service's refusal itself, or lets the request go on with the copied headers set.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::typed::{ForwardId, TypedProgram, UpstreamId};

/// The program's fields for its verifiers, and their initialisers.
pub(crate) fn fields(program: &TypedProgram) -> (Vec<TokenStream>, Vec<TokenStream>) {
    program
        .forward_auths
        .iter()
        .enumerate()
        .map(|(i, forward)| {
            let f = format_ident!("forward_{}", i);
            let (name, uri) = (&forward.name, &forward.uri);
            let headers = |names: &[String]| {
                let names = names.iter().map(|n| quote! { HeaderName::from_static(#n) });
                quote! { Vec::from([#(#names),*]) }
            };
            let send = (!forward.send.is_empty()).then(|| {
                let send = headers(&forward.send);
                quote! { send: #send, }
            });
            let copy = (!forward.copy.is_empty()).then(|| {
                let copy = headers(&forward.copy);
                quote! { copy: #copy, }
            });
            let timeout = forward
                .timeout_ms
                .map(|ms| quote! { timeout: Duration::from_millis(#ms), });
            (
                quote! { #f: ForwardAuth },
                quote! {
                    #f: ForwardAuth::new(ForwardAuthConfig {
                        #send
                        #copy
                        #timeout
                        ..ForwardAuthConfig::new(#name, #uri)
                    })?
                },
            )
        })
        .unzip()
}

/// `verify_forward`: a refusal is the answer at once; an unreachable service fails the
/// request (its error status, through `on error`).
pub(crate) fn verify_forward(verifier: ForwardId, service: UpstreamId) -> TokenStream {
    let f = format_ident!("forward_{}", verifier);
    let service = format_ident!("upstream_{}", service);
    quote! {
        if let Some(refused) = self.#f.verify(&self.#service, session).await? {
            return Ok(Some(refused));
        }
    }
}
