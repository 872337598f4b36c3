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
    /// `upstream NAME replies STATUS ["BODY"] { header "N" = "V" ... }`: what that upstream
    /// answers (instead of the test's `reply`).
    Replies {
        /// The upstream.
        upstream: Ident,
        /// What it answers.
        reply: TestReply,
    },
    /// `upstream NAME discovers N`: discovery stubbed, the upstream has N servers.
    Discovers {
        /// The upstream.
        upstream: Ident,
        /// How many servers it has in the test.
        servers: IntLit,
        /// The whole line.
        span: Span,
    },
    /// `upstream NAME cert "FILE" key "FILE"`: the certificate the stand-ins of a `tls on`
    /// upstream present.
    OriginCert {
        /// The upstream.
        upstream: Ident,
        /// The certificate chain file (PEM), relative to the test's file.
        cert: Text,
        /// Its private key file (PEM).
        key: Text,
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
    /// `reply STATUS ["BODY"] { header "N" = "V" ... }`: what the upstreams answer.
    Reply(TestReply),
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
            TestItem::Reply(reply) | TestItem::Replies { reply, .. } => reply.span,
            TestItem::Pick { span, .. }
            | TestItem::Discovers { span, .. }
            | TestItem::OriginCert { span, .. }
            | TestItem::Fail { span, .. }
            | TestItem::ExpectUpstream { span, .. }
            | TestItem::ExpectLog { span, .. }
            | TestItem::Expect { span, .. } => *span,
        }
    }
}

/// What an upstream answers in a test: `STATUS ["BODY"] { header "N" = "V" ... }`.
#[derive(Debug, Clone, PartialEq)]
pub struct TestReply {
    /// The status.
    pub status: IntLit,
    /// The body, empty when absent.
    pub body: Option<Text>,
    /// The headers.
    pub headers: Vec<TestHeader>,
    /// The whole line and block.
    pub span: Span,
}

/// `send METHOD "URL" [times N] { header ... client IP body "..." }`.
#[derive(Debug, Clone, PartialEq)]
pub struct TestSend {
    /// The method (a method literal).
    pub method: Ident,
    /// The absolute URL: scheme, host, path and query.
    pub url: Text,
    /// `times N`: how many times the request is sent in a row (once when absent).
    pub times: Option<IntLit>,
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
    /// `user "NAME" password "SECRET"`: HTTP Basic credentials.
    User {
        /// The user name.
        user: Text,
        /// The password.
        password: Text,
        /// The whole line.
        span: Span,
    },
    /// `jwt ALG "KEY" [cookie "NAME"] { ... }`: a token signed when the test runs.
    Token(TestToken),
}

impl SendPart {
    /// The whole line.
    pub fn span(&self) -> Span {
        match self {
            SendPart::Header(header) => header.span,
            SendPart::Client(text) | SendPart::Body(text) | SendPart::Sni(text) => text.span,
            SendPart::Certificate { span, .. } | SendPart::User { span, .. } => *span,
            SendPart::Token(token) => token.span,
        }
    }
}

/// `jwt ALG "KEY" [cookie "NAME"] { kid "K" claim "N" = "V" expires D }`: a JSON Web Token
/// the test's client sends, signed with a private key (or HS256 secret) file.
#[derive(Debug, Clone, PartialEq)]
pub struct TestToken {
    /// The signing algorithm (`RS256`, `ES256`, `EdDSA`, `HS256`).
    pub alg: Ident,
    /// The signing key's file, relative to the test's file.
    pub key: Text,
    /// `cookie "NAME"`: sent in that cookie, not as `Authorization: Bearer`.
    pub cookie: Option<Text>,
    /// Its header's `kid`, its claims and its expiry, in source order.
    pub parts: Vec<TokenPart>,
    /// The whole line and block.
    pub span: Span,
}

/// A line of a test's `jwt { }`.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenPart {
    /// `kid "K"`: the key id in the token's header.
    Kid(Text),
    /// `claim "NAME" = "VALUE"`: a string claim.
    Claim {
        /// The claim's name.
        name: Text,
        /// Its value.
        value: Text,
        /// The whole line.
        span: Span,
    },
    /// `expires 5m`: `exp` that long after the test starts (the default is 5 minutes).
    Expires(TestDuration),
    /// `expired 1m`: `exp` that long before the test starts.
    Expired(TestDuration),
}

impl TokenPart {
    /// The whole line.
    pub fn span(&self) -> Span {
        match self {
            TokenPart::Kid(text) => text.span,
            TokenPart::Claim { span, .. } => *span,
            TokenPart::Expires(d) | TokenPart::Expired(d) => d.span,
        }
    }
}

/// A duration literal of a test (`5m`), in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestDuration {
    /// The duration in milliseconds.
    pub millis: u64,
    /// The whole line it is on (`expires 5m`).
    pub span: Span,
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
