//! JWT verifiers: each `jwt` becomes a `JwtVerifier` field of the program, built (its key
//! file read) once at start-up; `verify_jwt` answers 401 itself or leaves the accepted
//! token's claims in the session, where `jwt.sub` and `jwt.claims["x"]` read them.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::catalog::settings::JwtAlg;
use crate::typed::{JwtId, JwtKeys, TypedProgram};

/// The program's fields for its verifiers, and their initialisers.
pub(crate) fn fields(program: &TypedProgram) -> (Vec<TokenStream>, Vec<TokenStream>) {
    program
        .jwts
        .iter()
        .enumerate()
        .map(|(i, jwt)| {
            let f = format_ident!("jwt_{}", i);
            let keys = match &jwt.keys {
                JwtKeys::Jwks(path) => quote! { JwtKeySource::Jwks(#path.into()) },
                JwtKeys::Pem(path, alg) => {
                    let alg = match alg {
                        JwtAlg::Rs256 => quote!(Rs256),
                        JwtAlg::Es256 => quote!(Es256),
                        JwtAlg::EdDsa => quote!(EdDsa),
                    };
                    quote! { JwtKeySource::Pem(#path.into(), JwtAlgorithm::#alg) }
                }
                JwtKeys::Secret(path) => quote! { JwtKeySource::Secret(#path.into()) },
            };
            let (name, leeway) = (&jwt.name, jwt.leeway_s);
            let issuer = option(jwt.issuer.as_deref());
            let audience = option(jwt.audience.as_deref());
            let cookie = option(jwt.cookie.as_deref());
            (
                quote! { #f: JwtVerifier },
                quote! {
                    #f: JwtVerifier::new(JwtConfig {
                        name: #name.into(),
                        keys: #keys,
                        issuer: #issuer,
                        audience: #audience,
                        leeway: Duration::from_secs(#leeway),
                        cookie: #cookie,
                    })?
                },
            )
        })
        .unzip()
}

/// `verify_jwt`: a refused request is answered 401 at once.
pub(crate) fn verify_jwt(jwt: JwtId) -> TokenStream {
    let f = format_ident!("jwt_{}", jwt);
    quote! {
        if let Some(refused) = self.#f.verify(session) {
            return Ok(Some(refused));
        }
    }
}

fn option(value: Option<&str>) -> TokenStream {
    match value {
        Some(v) => quote! { Some(#v.into()) },
        None => quote! { None },
    }
}
