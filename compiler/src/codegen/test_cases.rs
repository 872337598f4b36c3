//! The table of a test binary: each checked `test` block as a `static`
//! `pxy_runtime::testing::TestCase`, all texts `&'static str`, nothing built at run time.

use proc_macro2::TokenStream;
use quote::quote;

use crate::typed::{TestFailure, TypedCheck, TypedCheckKind, TypedTest, TypedTestMessage};

/// `static TESTS: &[TestCase] = &[...];`
pub(super) fn table(tests: &[TypedTest]) -> TokenStream {
    let cases = tests.iter().map(case);
    quote! {
        static TESTS: &[pxy_runtime::testing::TestCase] = &[#(#cases),*];
    }
}

fn case(test: &TypedTest) -> TokenStream {
    let TypedTest {
        name,
        at,
        span: _,
        request,
        picks,
        failures,
        reply,
        upstream,
        response,
        log,
    } = test;
    let method = &request.method;
    let path = &request.path;
    let host = &request.host;
    let client = &request.client;
    let tls = option(request.tls.as_ref().map(|tls| {
        let sni = &tls.sni;
        let certificate = option(
            tls.certificate
                .as_ref()
                .map(|(cert, key)| quote! { (#cert, #key) }),
        );
        quote! { pxy_runtime::testing::TestTls { sni: #sni, certificate: #certificate } }
    }));
    let request_message = message(&request.message);
    let picks = picks
        .iter()
        .map(|(upstream, server)| quote! { (#upstream, #server) });
    let failures = failures.iter().map(|(upstream, failure)| {
        let failure = match failure {
            TestFailure::ConnectRefused => quote!(pxy_runtime::testing::Failure::ConnectRefused),
            TestFailure::Reset => quote!(pxy_runtime::testing::Failure::Reset),
        };
        quote! { (#upstream, #failure) }
    });
    let reply = option(reply.as_ref().map(message));
    let upstream = option(upstream.as_deref().map(checks));
    let response = option(response.as_deref().map(checks));
    let log = option(log.as_deref().map(checks));
    quote! {
        pxy_runtime::testing::TestCase {
            name: #name,
            at: #at,
            request: pxy_runtime::testing::TestRequest {
                method: #method,
                path: #path,
                host: #host,
                message: #request_message,
                client: #client,
                tls: #tls,
            },
            picks: &[#(#picks),*],
            failures: &[#(#failures),*],
            reply: #reply,
            upstream: #upstream,
            response: #response,
            log: #log,
        }
    }
}

fn option(value: Option<TokenStream>) -> TokenStream {
    match value {
        Some(value) => quote! { Some(#value) },
        None => quote! { None },
    }
}

fn message(message: &TypedTestMessage) -> TokenStream {
    let status = message.status;
    let body = &message.body;
    let headers = message
        .headers
        .iter()
        .map(|(name, value)| quote! { (#name, #value) });
    quote! {
        pxy_runtime::testing::TestMessage { status: #status, headers: &[#(#headers),*], body: #body }
    }
}

fn checks(checks: &[TypedCheck]) -> TokenStream {
    let checks = checks.iter().map(|check| {
        let at = &check.at;
        let source = &check.source;
        let kind = kind(&check.kind);
        quote! { pxy_runtime::testing::Check { at: #at, source: #source, kind: #kind } }
    });
    quote! { &[#(#checks),*] }
}

fn kind(kind: &TypedCheckKind) -> TokenStream {
    let k = quote!(pxy_runtime::testing::CheckKind);
    match kind {
        TypedCheckKind::Status(status) => quote! { #k::Status(#status) },
        TypedCheckKind::Upstream(name, server) => {
            let server = option(server.map(|s| quote!(#s)));
            quote! { #k::Upstream(#name, #server) }
        }
        TypedCheckKind::Path(path) => quote! { #k::Path(#path) },
        TypedCheckKind::Method(method) => quote! { #k::Method(#method) },
        TypedCheckKind::Header(name, value) => quote! { #k::Header(#name, #value) },
        TypedCheckKind::HeaderContains(name, part) => quote! { #k::HeaderContains(#name, #part) },
        TypedCheckKind::NoHeader(name) => quote! { #k::NoHeader(#name) },
        TypedCheckKind::Body(body) => quote! { #k::Body(#body) },
        TypedCheckKind::BodyContains(part) => quote! { #k::BodyContains(#part) },
        TypedCheckKind::Field(name, value) => quote! { #k::Field(#name, #value) },
        TypedCheckKind::FieldContains(name, part) => quote! { #k::FieldContains(#name, #part) },
        TypedCheckKind::NoField(name) => quote! { #k::NoField(#name) },
    }
}
