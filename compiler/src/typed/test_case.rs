//! A checked `test "NAME" { ... }` block, as code generation emits it into a test binary's
//! table (`pxy_runtime::testing::TestCase`): every text resolved, every name checked, every
//! expectation with the place it was written.

use pxy_dsl::Span;

/// One test that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedTest {
    /// Its name.
    pub name: String,
    /// `FILE:LINE:COLUMN` of the block.
    pub at: String,
    /// The whole block, for editors.
    pub span: Span,
    /// What the client sends.
    pub request: TypedTestRequest,
    /// `upstream NAME picks server N`, N from 1.
    pub picks: Vec<(String, usize)>,
    /// `fail upstream NAME with KIND`.
    pub failures: Vec<(String, TestFailure)>,
    /// `reply ...`: what every upstream answers.
    pub reply: Option<TypedTestMessage>,
    /// `upstream NAME replies ...`: what that upstream answers instead.
    pub replies: Vec<(String, TypedTestMessage)>,
    /// `upstream NAME discovers N`: a discovered upstream's stand-in servers (default 1).
    pub discovered: Vec<(String, usize)>,
    /// `upstream NAME cert "FILE" key "FILE"`: the certificate and key files (absolute) the
    /// stand-ins of a `tls on` upstream present.
    pub certificates: Vec<(String, (String, String))>,
    /// `expect upstream ...`: the upstream (and server) first, then the checks on the request.
    pub upstream: Option<Vec<TypedCheck>>,
    /// `expect STATUS ...`: the status first, then the checks on the response.
    pub response: Option<Vec<TypedCheck>>,
    /// `expect log { ... }`: the checks on the request's access log line.
    pub log: Option<Vec<TypedCheck>>,
}

/// The request of a test.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedTestRequest {
    /// The method.
    pub method: String,
    /// The path and query, in origin form.
    pub path: String,
    /// The URL's authority, sent as `Host`.
    pub host: String,
    /// Headers, names in lower case, and the body.
    pub message: TypedTestMessage,
    /// The client's address.
    pub client: String,
    /// For an `https://` URL: the client's TLS handshake.
    pub tls: Option<TypedTestTls>,
    /// How many times it is sent in a row (`times N`), at least 1.
    pub times: usize,
    /// `jwt ALG "KEY" { ... }`: a token signed when the test runs.
    pub token: Option<TypedTestToken>,
}

/// A JSON Web Token a test's client sends.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedTestToken {
    /// How it is signed.
    pub alg: TestTokenAlg,
    /// The signing key's file, as the runtime opens it.
    pub key: String,
    /// `cookie "NAME"`: the cookie it is sent in; `None` for `Authorization: Bearer`.
    pub cookie: Option<String>,
    /// The `kid` of its header.
    pub kid: Option<String>,
    /// Its string claims, in order.
    pub claims: Vec<(String, String)>,
    /// `exp`, in seconds from when the request is sent (negative for `expired`).
    pub expires_in: i64,
}

/// The algorithm a test's token is signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestTokenAlg {
    /// RSA PKCS#1 v1.5, SHA-256.
    Rs256,
    /// ECDSA P-256, SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
    /// HMAC SHA-256.
    Hs256,
}

/// The TLS handshake of an `https://` test's client.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedTestTls {
    /// The server name it sends.
    pub sni: String,
    /// Its certificate chain and key files, made absolute.
    pub certificate: Option<(String, String)>,
}

/// A status (0 for a request), headers (names in lower case) and a body.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedTestMessage {
    /// The status of a reply.
    pub status: u16,
    /// The headers, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: String,
}

/// How a test makes an upstream fail (`fail upstream NAME with KIND`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TestFailure {
    /// Nothing listens at its servers' addresses.
    ConnectRefused,
    /// Its servers accept a connection and reset it.
    Reset,
}

/// One expectation, with its place and source text.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedCheck {
    /// `FILE:LINE:COLUMN`.
    pub at: String,
    /// The expectation as written (one line).
    pub source: String,
    /// What it checks.
    pub kind: TypedCheckKind,
}

/// What an expectation checks; header names in lower case.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedCheckKind {
    /// The response's status.
    Status(u16),
    /// The upstream (and server, from 1) the request reached.
    Upstream(String, Option<usize>),
    /// The path and query the upstream received.
    Path(String),
    /// The method the upstream received.
    Method(String),
    /// A header's value (its lines joined with `, `).
    Header(String, String),
    /// A header's value contains a text.
    HeaderContains(String, String),
    /// The header is absent.
    NoHeader(String),
    /// The body, exactly.
    Body(String),
    /// The body contains a text.
    BodyContains(String),
    /// A field of the access log line has this value.
    Field(String, String),
    /// A field of the access log line contains a text.
    FieldContains(String, String),
    /// The access log line has no such field.
    NoField(String),
}
