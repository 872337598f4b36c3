//! `compress`: the statement names a `CompressRule` constant on the session; the runtime
//! decides when the response header is final (`pxy_runtime::compress`).

use proc_macro2::TokenStream;
use quote::quote;

use crate::typed::TypedCompress;

/// `session.use_compression(...)` with the statement's settings over the runtime's defaults.
pub(crate) fn use_compression(compress: &TypedCompress) -> TokenStream {
    let types = compress
        .types
        .as_ref()
        .map(|types| quote! { types: &[#(#types),*], });
    let min_size = compress.min_size.map(|bytes| quote! { min_size: #bytes, });
    quote! {
        session.use_compression(const { &CompressRule { #types #min_size ..CompressRule::DEFAULT } });
    }
}
