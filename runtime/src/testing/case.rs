//! What a test written in `.pxy` says, as data the compiler emits (`static` tables in the test
//! binary): the request to send, the stubs, what the upstream answers, and the expectations,
//! each with the source position it came from so that a failure points at its line.

/// One `test "NAME" { ... }` block.
#[derive(Debug)]
pub struct TestCase {
    /// The test's name, as written.
    pub name: &'static str,
    /// Where the block starts: `FILE:LINE:COLUMN`.
    pub at: &'static str,
    /// What the client sends.
    pub request: TestRequest,
    /// `upstream NAME picks server N`: only that server (counted from 1) takes requests.
    pub picks: &'static [(&'static str, usize)],
    /// `fail upstream NAME with KIND`: every server of that upstream fails so.
    pub failures: &'static [(&'static str, Failure)],
    /// `reply STATUS ...`: what every upstream answers (absent: a request reaching an upstream
    /// fails the test, which did not say what the upstream answers).
    pub reply: Option<TestMessage>,
    /// `upstream NAME replies ...`: what that upstream answers instead of `reply`.
    pub replies: &'static [(&'static str, TestMessage)],
    /// `upstream NAME discovers N`: how many stand-ins a discovered upstream has (default 1;
    /// its discovery source is not read in a test).
    pub discovered: &'static [(&'static str, usize)],
    /// `upstream NAME cert "FILE" key "FILE"`: the upstream, certificate chain and key files
    /// the stand-ins of a `tls on` upstream present.
    pub certificates: &'static [(&'static str, &'static str, &'static str)],
    /// `expect upstream NAME { ... }`: the request must reach that upstream, and look so.
    pub upstream: Option<&'static [Check]>,
    /// `expect STATUS { ... }`: what the client must get.
    pub response: Option<&'static [Check]>,
    /// `expect log { ... }`: what the request's access log line must hold.
    pub log: Option<&'static [Check]>,
}

impl TestCase {
    /// What the servers of `upstream` answer: its own `replies`, else the test's `reply`.
    pub fn reply_of(&self, upstream: &str) -> Option<&TestMessage> {
        self.replies
            .iter()
            .find(|(name, _)| *name == upstream)
            .map(|(_, reply)| reply)
            .or(self.reply.as_ref())
    }
}

/// The request of a test: `send METHOD "URL" { ... }`.
#[derive(Debug)]
pub struct TestRequest {
    /// The method.
    pub method: &'static str,
    /// The path and query, in origin form.
    pub path: &'static str,
    /// The `Host` header (the URL's authority).
    pub host: &'static str,
    /// The message's headers and body.
    pub message: TestMessage,
    /// The client's address (`client IP`); default `192.0.2.1`.
    pub client: &'static str,
    /// For an `https://` URL: TLS to the program's first `https` listener.
    pub tls: Option<TestTls>,
    /// How many times it is sent in a row (`times N`); the expectations are about the last.
    pub times: usize,
    /// `jwt ALG "KEY" { ... }`: a token signed when the request is sent.
    pub token: Option<TestToken>,
}

/// A JSON Web Token the test's client sends, signed just before the request goes out.
#[derive(Debug)]
pub struct TestToken {
    /// How it is signed.
    pub alg: TokenAlg,
    /// The signing key's file: a PEM private key, or an HS256 secret.
    pub key: &'static str,
    /// The cookie it is sent in; `None` for `Authorization: Bearer`.
    pub cookie: Option<&'static str>,
    /// The `kid` of its header.
    pub kid: Option<&'static str>,
    /// Its string claims.
    pub claims: &'static [(&'static str, &'static str)],
    /// `exp`, in seconds from when it is signed (negative: already expired).
    pub expires_in: i64,
}

/// The algorithm a test's token is signed with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenAlg {
    /// RSA PKCS#1 v1.5, SHA-256.
    Rs256,
    /// ECDSA P-256, SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
    /// HMAC SHA-256.
    Hs256,
}

/// What the client of an `https://` test says in its TLS handshake.
#[derive(Debug)]
pub struct TestTls {
    /// The server name it asks for (`sni "NAME"`, default the URL's host).
    pub sni: &'static str,
    /// `cert "FILE" key "FILE"`: the client certificate it presents.
    pub certificate: Option<(&'static str, &'static str)>,
}

/// A status (for a reply), headers and a body.
#[derive(Debug)]
pub struct TestMessage {
    /// The status of a reply; 0 for a request.
    pub status: u16,
    /// Headers, in order.
    pub headers: &'static [(&'static str, &'static str)],
    /// The body.
    pub body: &'static str,
}

/// How an upstream fails in a test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Nothing listens: the connection is refused.
    ConnectRefused,
    /// The server accepts the connection and resets it without answering.
    Reset,
}

/// One expectation, with where it was written.
#[derive(Debug)]
pub struct Check {
    /// `FILE:LINE:COLUMN` of the expectation.
    pub at: &'static str,
    /// Its source text, shown on failure.
    pub source: &'static str,
    /// What it checks.
    pub kind: CheckKind,
}

/// What one expectation checks, on the request an upstream received or on the response the
/// client got.
#[derive(Debug)]
pub enum CheckKind {
    /// The status of the response.
    Status(u16),
    /// The upstream that received the request, and the server (from 1) when named.
    Upstream(&'static str, Option<usize>),
    /// The path and query the upstream received.
    Path(&'static str),
    /// The method the upstream received.
    Method(&'static str),
    /// A header with exactly this value (all its lines joined with `, `).
    Header(&'static str, &'static str),
    /// A header whose value contains this text.
    HeaderContains(&'static str, &'static str),
    /// No such header.
    NoHeader(&'static str),
    /// The body, exactly.
    Body(&'static str),
    /// The body contains this text.
    BodyContains(&'static str),
    /// A field of the access log line, exactly.
    Field(&'static str, &'static str),
    /// A field of the access log line contains this text.
    FieldContains(&'static str, &'static str),
    /// The access log line has no such field.
    NoField(&'static str),
}
