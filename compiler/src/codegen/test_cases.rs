//! The table of a test binary: each checked `test` block as a `static`
//! `pxy_runtime::testing::TestCase`, all texts `&'static str`, nothing built at run time.

use proc_macro2::TokenStream;
use quote::quote;

use crate::typed::{
    TestFailure, TestTokenAlg, TypedCheck, TypedCheckKind, TypedTest, TypedTestMessage,
    TypedTestToken,
};

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
        replies,
        certificates,
        discovered,
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
    let times = request.times;
    let token = option(request.token.as_ref().map(token));
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
    let discovered = discovered
        .iter()
        .map(|(upstream, servers)| quote! { (#upstream, #servers) });
    let certificates = certificates
        .iter()
        .map(|(upstream, (cert, key))| quote! { (#upstream, #cert, #key) });
    let replies = replies.iter().map(|(upstream, reply)| {
        let reply = message(reply);
        quote! { (#upstream, #reply) }
    });
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
                times: #times,
                token: #token,
            },
            picks: &[#(#picks),*],
            failures: &[#(#failures),*],
            reply: #reply,
            replies: &[#(#replies),*],
            certificates: &[#(#certificates),*],
            discovered: &[#(#discovered),*],
            upstream: #upstream,
            response: #response,
            log: #log,
        }
    }
}

fn token(token: &TypedTestToken) -> TokenStream {
    let TypedTestToken {
        alg,
        key,
        cookie,
        kid,
        claims,
        expires_in,
    } = token;
    let alg = match alg {
        TestTokenAlg::Rs256 => quote!(pxy_runtime::testing::TokenAlg::Rs256),
        TestTokenAlg::Es256 => quote!(pxy_runtime::testing::TokenAlg::Es256),
        TestTokenAlg::EdDsa => quote!(pxy_runtime::testing::TokenAlg::EdDsa),
        TestTokenAlg::Hs256 => quote!(pxy_runtime::testing::TokenAlg::Hs256),
    };
    let cookie = option(cookie.as_ref().map(|c| quote!(#c)));
    let kid = option(kid.as_ref().map(|k| quote!(#k)));
    let claims = claims
        .iter()
        .map(|(name, value)| quote! { (#name, #value) });
    quote! {
        pxy_runtime::testing::TestToken {
            alg: #alg,
            key: #key,
            cookie: #cookie,
            kid: #kid,
            claims: &[#(#claims),*],
            expires_in: #expires_in,
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
