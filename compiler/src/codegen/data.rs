//! Lists and flags read from files: each becomes a field of the program, loaded in
//! `Program::new` (a missing or invalid list file stops start-up, and `--test` reports it) and
//! listed by `data_files` so that the runtime re-reads it when the file changes or on SIGHUP.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::typed::{ListElement, TypedDataKind, TypedProgram};

/// The program's fields for its lists and flags, and their initialisers.
pub(crate) fn fields(program: &TypedProgram) -> (Vec<TokenStream>, Vec<TokenStream>) {
    let mut fields = Vec::new();
    let mut inits = Vec::new();
    for (i, data) in program.data.iter().enumerate() {
        let f = field(i);
        let (name, path) = (&data.name, &data.path);
        match data.kind {
            TypedDataKind::Flag => {
                fields.push(quote! { #f: Flag });
                inits.push(quote! { #f: Flag::load(#name, #path) });
            }
            TypedDataKind::List(element) => {
                let set = match element {
                    ListElement::Str => quote!(StrSet),
                    ListElement::Int => quote!(IntSet),
                    ListElement::Cidr => quote!(CidrSet),
                };
                fields.push(quote! { #f: List<#set> });
                inits.push(quote! { #f: List::load(#name, #path)? });
            }
        }
    }
    (fields, inits)
}

/// The `data_files` hook, when the program has lists or flags.
pub(crate) fn data_files(program: &TypedProgram) -> Option<TokenStream> {
    if program.data.is_empty() {
        return None;
    }
    let files = (0..program.data.len()).map(|i| {
        let f = field(i);
        quote! { self.#f.data_file() }
    });
    Some(quote! {
        fn data_files(&self) -> Vec<DataFile> {
            Vec::from([#(#files),*])
        }
    })
}

/// The program's field holding list or flag `i`.
pub(crate) fn field(i: usize) -> proc_macro2::Ident {
    format_ident!("data_{}", i)
}
