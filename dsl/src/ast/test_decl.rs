//! `test "NAME" { ... }`: a request the program is run on by `proxyc test`, the stubs that
//! stand in for its upstreams, and what must happen. Every string in a test is plain text.

use super::{Ident, IntLit, Text};
use crate::Span;

/// `test "NAME" { ITEM* }`.
#[derive(Debug, Clone, PartialEq)]
pub struct TestDecl {
    /// The test's name.
    pub name: Text,
    /// Its lines, in source order.
    pub items: Vec<TestItem>,
    /// The whole block.
    pub span: Span,
}

/// One line of a test.
#[derive(Debug, Clone, PartialEq)]
pub enum TestItem {
    /// `send METHOD "URL" { ... }`: the request.
    Send(TestSend),
    /// `upstream NAME picks server N`: balancing stubbed, server N (from 1) takes requests.
    Pick {
        /// The upstream.
        upstream: Ident,
        /// The server, counted from 1 in declaration order.
        server: IntLit,
        /// The whole line.
        span: Span,
    },
    /// `fail upstream NAME with KIND`: every server of the upstream fails so.
    Fail {
        /// The upstream.
        upstream: Ident,
        /// `connect_refused`, `reset`, ...: checked against the catalog.
        kind: Ident,
        /// The whole line.
        span: Span,
    },
    /// `expect upstream NAME [server N] { CHECK* }`: the request reaches that upstream so.
    ExpectUpstream {
        /// The upstream.
        upstream: Ident,
        /// The server, when the test names one.
        server: Option<IntLit>,
        /// What the request must look like there.
        checks: Vec<TestCheck>,
        /// The whole line and block.
        span: Span,
    },
    /// `expect log { CHECK* }`: the request's access log line (with what `on log` adds).
    ExpectLog {
        /// The fields it must have (or not).
        checks: Vec<TestCheck>,
        /// The whole line and block.
        span: Span,
    },
    /// `reply STATUS ["BODY"] { header "N" = "V" ... }`: what the upstream answers.
    Reply {
        /// The status.
        status: IntLit,
        /// The body, empty when absent.
        body: Option<Text>,
        /// The headers.
        headers: Vec<TestHeader>,
        /// The whole line and block.
        span: Span,
    },
    /// `expect STATUS { CHECK* }`: what the client gets.
    Expect {
        /// The status.
        status: IntLit,
        /// What else the response must have.
        checks: Vec<TestCheck>,
        /// The whole line and block.
        span: Span,
    },
}

impl TestItem {
    /// The whole line (with its block).
    pub fn span(&self) -> Span {
        match self {
            TestItem::Send(send) => send.span,
            TestItem::Pick { span, .. }
            | TestItem::Fail { span, .. }
            | TestItem::ExpectUpstream { span, .. }
            | TestItem::ExpectLog { span, .. }
            | TestItem::Reply { span, .. }
            | TestItem::Expect { span, .. } => *span,
        }
    }
}

/// `send METHOD "URL" { header ... client IP body "..." }`.
#[derive(Debug, Clone, PartialEq)]
pub struct TestSend {
    /// The method (a method literal).
    pub method: Ident,
    /// The absolute URL: scheme, host, path and query.
    pub url: Text,
    /// Headers, client address and body, in source order.
    pub parts: Vec<SendPart>,
    /// The whole line and block.
    pub span: Span,
}

/// A line of `send { }`.
#[derive(Debug, Clone, PartialEq)]
pub enum SendPart {
    /// `header "NAME" = "VALUE"`
    Header(TestHeader),
    /// `client 203.0.113.7` (the address as written, brackets and all for IPv6).
    Client(Text),
    /// `body "..."`
    Body(Text),
    /// `sni "NAME"`: the server name of an `https://` request's TLS handshake.
    Sni(Text),
    /// `cert "FILE" key "FILE"`: the client certificate of an `https://` request.
    Certificate {
        /// The certificate chain file (PEM), relative to the test's file.
        cert: Text,
        /// Its private key file (PEM).
        key: Text,
        /// The whole line.
        span: Span,
    },
}

impl SendPart {
    /// The whole line.
    pub fn span(&self) -> Span {
        match self {
            SendPart::Header(header) => header.span,
            SendPart::Client(text) | SendPart::Body(text) | SendPart::Sni(text) => text.span,
            SendPart::Certificate { span, .. } => *span,
        }
    }
}

/// `header "NAME" = "VALUE"` of a request or reply.
#[derive(Debug, Clone, PartialEq)]
pub struct TestHeader {
    /// The name.
    pub name: Text,
    /// The value.
    pub value: Text,
    /// The whole line.
    pub span: Span,
}

/// One expectation about a message.
#[derive(Debug, Clone, PartialEq)]
pub struct TestCheck {
    /// What is checked.
    pub kind: TestCheckKind,
    /// The whole line.
    pub span: Span,
}

/// What an expectation checks.
#[derive(Debug, Clone, PartialEq)]
pub enum TestCheckKind {
    /// `path "/users?id=1"`: the path and query the upstream received.
    Path(Text),
    /// `method GET`: the method the upstream received.
    Method(Ident),
    /// `header "NAME" = "VALUE"`, `header "NAME" contains "PART"`.
    Header {
        /// The header's name.
        name: Text,
        /// `=` or `contains`.
        compare: Compare,
        /// The value or part.
        value: Text,
    },
    /// `no header "NAME"`.
    NoHeader(Text),
    /// `field "NAME" = "VALUE"`, `field "NAME" contains "PART"` of an access log line.
    Field {
        /// The field's name.
        name: Text,
        /// `=` or `contains`.
        compare: Compare,
        /// The value or part.
        value: Text,
    },
    /// `no field "NAME"`.
    NoField(Text),
    /// `body "..."`, `body contains "..."`.
    Body {
        /// `=` (written as nothing) or `contains`.
        compare: Compare,
        /// The body or part.
        value: Text,
    },
}

/// How an expected text is compared with what there is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compare {
    /// Exactly equal.
    Equals,
    /// Contains it.
    Contains,
}
