//! The checked program: what code generation consumes.
//!
//! Everything here has been validated: names resolved to indices, literals parsed (addresses,
//! statuses, header names in lower case, regexes compiled once by the checker), every expression
//! typed, every route path ending in a terminal action. Code generation cannot receive an
//! unchecked tree because only the checker builds these types.

use std::net::{IpAddr, SocketAddr};

mod test_case;
pub mod visit;

pub use test_case::{
    TestFailure, TestTokenAlg, TypedCheck, TypedCheckKind, TypedTest, TypedTestMessage,
    TypedTestRequest, TypedTestTls, TypedTestToken,
};

use pxy_dsl::ast::{BinOp, PurgeBy};
use pxy_dsl::Span;

use crate::catalog::settings::{ServerSetting, SettingValue};
use crate::types::Type;

/// A program that passed every check.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedProgram {
    /// The `server { }` settings in source order, each at most once.
    pub server: Vec<(ServerSetting, SettingValue)>,
    /// Listening sockets.
    pub listeners: Vec<TypedListener>,
    /// Upstreams, indexed by [`UpstreamId`].
    pub upstreams: Vec<TypedUpstream>,
    /// Statements of `on request`, run before routing.
    pub on_request: Vec<TypedStmt>,
    /// Routes in source order: the first that matches runs.
    pub routes: Vec<TypedRoute>,
    /// Statements of `on response`, run on every response.
    pub on_response: Vec<TypedStmt>,
    /// Statements of `on error`, run to build the page sent when proxying failed.
    pub on_error: Vec<TypedStmt>,
    /// Statements of `on log`, run once per request at its end to add access log fields.
    pub on_log: Vec<TypedStmt>,
    /// Regex sources, indexed by [`RegexId`]; each was compiled by the checker.
    pub regexes: Vec<String>,
    /// How many variables the generated code has (`let` bindings and capture groups);
    /// [`TypedExprKind::Var`] indexes them.
    pub variables: usize,
    /// Every `let` binding with its name, type and scope, in source order (for editors).
    pub bindings: Vec<Binding>,
    /// Rate limits, indexed by [`LimitId`], in source order.
    pub limits: Vec<TypedLimit>,
    /// `max_in_flight` statements, indexed by their `index`, in source order.
    pub in_flights: Vec<TypedInFlight>,
    /// Lists and flags read from files, indexed by [`DataId`], in source order.
    pub data: Vec<TypedData>,
    /// HTTP caches, indexed by [`CacheId`], in source order.
    pub caches: Vec<TypedCache>,
    /// JWT verifiers, indexed by [`JwtId`], in source order.
    pub jwts: Vec<TypedJwt>,
    /// Basic authentication verifiers, indexed by [`BasicId`], in source order.
    pub basic_auths: Vec<TypedBasicAuth>,
    /// Forward authentication verifiers, indexed by [`ForwardId`], in source order.
    pub forward_auths: Vec<TypedForwardAuth>,
    /// `test` blocks, in source order; only a test binary runs them.
    pub tests: Vec<TypedTest>,
}

/// A checked `compress` statement; `None` keeps the runtime's default.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TypedCompress {
    /// `types`: media types, lower case.
    pub types: Option<Vec<String>>,
    /// `min_size` in bytes.
    pub min_size: Option<u64>,
}

/// Index into [`TypedProgram::forward_auths`].
pub type ForwardId = usize;

/// A checked `forward_auth NAME { ... }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedForwardAuth {
    /// Its name, in log lines.
    pub name: String,
    /// `service`: the upstream asked.
    pub service: UpstreamId,
    /// `uri`: the path and query asked, `/` by default.
    pub uri: String,
    /// `send`: the request headers sent (lower case); empty: all of them.
    pub send: Vec<String>,
    /// `copy`: the answer's headers set on the request (lower case).
    pub copy: Vec<String>,
    /// `timeout` in milliseconds, or the runtime's default.
    pub timeout_ms: Option<u64>,
}

/// Index into [`TypedProgram::basic_auths`].
pub type BasicId = usize;

/// A checked `basic_auth NAME { ... }`. The path is as the runtime will open it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedBasicAuth {
    /// Its name, in log lines.
    pub name: String,
    /// `users`: the file of `user:hash` lines.
    pub users: String,
    /// `realm`, else the name.
    pub realm: String,
}

/// Index into [`TypedProgram::data`].
pub type DataId = usize;

/// A checked `list NAME: TYPE from file "PATH"` or `flag NAME from file "PATH"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedData {
    /// Its name (in logs).
    pub name: String,
    /// The file, as the runtime will open it (see `check/files.rs`).
    pub path: String,
    /// A list of what, or a flag.
    pub kind: TypedDataKind,
}

impl TypedData {
    /// `list` or `flag`, as declared.
    pub fn kind_word(&self) -> &'static str {
        match self.kind {
            TypedDataKind::List(_) => "list",
            TypedDataKind::Flag => "flag",
        }
    }
}

/// What a [`TypedData`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypedDataKind {
    /// A list of entries of one type.
    List(ListElement),
    /// A flag: on while its file exists.
    Flag,
}

/// The entry types a list file may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListElement {
    /// `str`: one string per line.
    Str,
    /// `int`: one decimal number per line.
    Int,
    /// `cidr`: one network or address per line; `ip in NAME` tests an address.
    Cidr,
}

impl ListElement {
    /// The element's type in the language.
    pub fn ty(self) -> Type {
        match self {
            ListElement::Str => Type::Str,
            ListElement::Int => Type::Int,
            ListElement::Cidr => Type::Cidr,
        }
    }
}

/// Index into [`TypedProgram::caches`].
pub type CacheId = usize;

/// A checked `cache NAME { size S max_object M }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedCache {
    /// Its name: the `cache` label of its metrics.
    pub name: String,
    /// The most bytes it holds (headers and bodies).
    pub size: u64,
    /// The largest object it stores, at most `size`.
    pub max_object: u64,
}

/// A route's checked `cache NAME { ... }` settings (see `pxy_runtime::cache::CacheRule`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TypedCacheRule {
    /// `key EXPR`: a `str` that replaces host, path and query in the key (the method and
    /// the `vary_on` headers stay), evaluated where the statement runs.
    pub key: Option<TypedExpr>,
    /// `ttl`, in milliseconds, more than 0.
    pub ttl_ms: Option<u64>,
    /// `default_ttl`, in milliseconds, more than 0.
    pub default_ttl_ms: Option<u64>,
    /// `statuses`: the only statuses stored (empty: as the RFC allows).
    pub statuses: Vec<u16>,
    /// `stale_while_revalidate`, in milliseconds.
    pub stale_while_revalidate_ms: Option<u64>,
    /// `stale_if_error`, in milliseconds.
    pub stale_if_error_ms: Option<u64>,
    /// `store_set_cookie on`.
    pub store_set_cookie: bool,
    /// `vary_on cookie`.
    pub key_cookie: bool,
    /// `vary_on authorization`.
    pub key_authorization: bool,
}

/// Index into [`TypedProgram::jwts`].
pub type JwtId = usize;

/// A checked `jwt NAME { ... }`. Paths are as the runtime will open them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedJwt {
    /// Its name, in log lines.
    pub name: String,
    /// Where its keys come from.
    pub keys: JwtKeys,
    /// `issuer`: the `iss` a token must have.
    pub issuer: Option<String>,
    /// `audience`: an `aud` a token must have.
    pub audience: Option<String>,
    /// `leeway`, in whole seconds (default 60).
    pub leeway_s: u64,
    /// `cookie`: where a token is looked for without `Authorization: Bearer`.
    pub cookie: Option<String>,
}

/// The one source of a verifier's keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JwtKeys {
    /// `jwks "FILE"`: a JSON Web Key Set, re-read when it changes.
    Jwks(String),
    /// `key "FILE" alg ALG`: one PEM public key.
    Pem(String, crate::catalog::settings::JwtAlg),
    /// `secret "FILE"`: an HS256 secret.
    Secret(String),
}

/// Index into [`TypedProgram::limits`].
pub type LimitId = usize;

/// A checked `limit NAME = N per D [burst B] [keys K] by KEY`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedLimit {
    /// Its name: the `limit` label of its metrics.
    pub name: String,
    /// N, at least 1.
    pub requests: u32,
    /// D in milliseconds, long enough for N (at least 1 ns per request).
    pub period_ms: u64,
    /// B, when declared.
    pub burst: Option<u32>,
    /// K, when declared.
    pub keys: Option<u64>,
}

/// A checked `max_in_flight N [by KEY] [queue D]` (the key is in its statement).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedInFlight {
    /// The `limit` label of its metrics: `max_in_flight@LINE`.
    pub label: String,
    /// N, at least 1.
    pub max: u32,
    /// D in milliseconds, when declared.
    pub queue_ms: Option<u64>,
}

/// A `let` binding as the checker saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// The variable ([`TypedExprKind::Var`]) it binds.
    pub var: usize,
    /// The name.
    pub name: String,
    /// Where the name is written in the `let`.
    pub name_span: Span,
    /// The type the checker gave it.
    pub ty: Type,
    /// Where the name can be used: from the end of the `let` to the end of its block.
    pub visible: Span,
}

/// A listening socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedListener {
    /// Where it listens.
    pub addr: SocketAddr,
    /// `listen https`: its TLS settings.
    pub tls: Option<TypedTls>,
    /// `proxy_protocol`, `trust_proxies ...`.
    pub client_address: TypedClientAddress,
}

/// How a listener learns the client's address behind a load balancer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypedClientAddress {
    /// `proxy_protocol`
    pub proxy_protocol: bool,
    /// `trust_proxies`: networks and prefix lengths (an IP is a full-length prefix).
    pub trusted: Vec<(IpAddr, u8)>,
}

impl std::fmt::Display for TypedListener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.tls {
            None => write!(f, "{}", self.addr),
            Some(tls) => {
                let certs: Vec<&str> = tls.certs.iter().map(|(c, _)| c.as_str()).collect();
                write!(f, "https {} (certificates {})", self.addr, certs.join(", "))?;
                if let Some((ca, required)) = &tls.client_ca {
                    let mode = if *required { "required" } else { "optional" };
                    write!(f, " (client certificates {mode}, CA {ca})")?;
                }
                Ok(())
            }
        }
    }
}

/// TLS termination on a listener. Paths are as the runtime will open them: relative ones
/// were joined to the program's directory when it was known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedTls {
    /// `cert "chain" key "key"` lines: the first is the default certificate.
    pub certs: Vec<(String, String)>,
    /// `alpn`: protocols in order of preference (default `h2`, `http/1.1`).
    pub alpn: Vec<TypedAlpn>,
    /// `client_ca "file" required|optional`: the CA file and whether a certificate is
    /// required.
    pub client_ca: Option<(String, bool)>,
}

/// A protocol offered through ALPN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypedAlpn {
    /// `h2`
    H2,
    /// `http/1.1`
    Http11,
}

/// TLS to an upstream's servers (`tls on`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedUpstreamTls {
    /// `tls_sni "name"`: the name sent and verified.
    pub sni: Option<String>,
    /// `tls_ca "file"`: the CAs to verify against (default: the system's).
    pub ca: Option<String>,
    /// `tls_verify off` makes this false.
    pub verify: bool,
}

/// Index into [`TypedProgram::upstreams`].
pub type UpstreamId = usize;
/// Index into [`TypedProgram::regexes`].
pub type RegexId = usize;

/// A checked upstream.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedUpstream {
    /// Its name.
    pub name: String,
    /// Where its name is written in its declaration.
    pub name_span: Span,
    /// The whole declaration.
    pub span: Span,
    /// Its servers (empty when `discovery` lists them).
    pub servers: Vec<TypedServer>,
    /// Where servers come from at run time, instead of `servers`.
    pub discovery: Option<TypedDiscovery>,
    /// The balancing policy.
    pub balance: BalancePolicy,
    /// The key of `balance hash(KEY)`, a `str` evaluated in the request phase.
    pub hash_key: Option<TypedExpr>,
    /// Timeouts, limits and retries; `None` keeps the runtime's default.
    pub settings: UpstreamSettings,
    /// `tls on` and its `tls_*` settings.
    pub tls: Option<TypedUpstreamTls>,
    /// `protocol h2`: HTTP/2 to the servers.
    pub http2: bool,
    /// `health ...`: active checks.
    pub health: Option<TypedHealth>,
    /// `passive ...`: ejection after failures of real requests.
    pub passive: Option<TypedPassive>,
}

/// A `server` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypedServer {
    /// The address.
    pub addr: SocketAddr,
    /// Its weight, at least 1.
    pub weight: u32,
    /// Used only when every primary server is down.
    pub backup: bool,
}

/// `discover ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypedDiscovery {
    /// `discover dns "name" port P every D`
    Dns {
        /// The name to resolve.
        name: String,
        /// The port of every address.
        port: u16,
        /// Milliseconds between resolutions, if given.
        every_ms: Option<u64>,
    },
    /// `discover file "path" every D`
    File {
        /// The file.
        path: String,
        /// Milliseconds between reads, if given.
        every_ms: Option<u64>,
    },
}

/// The settings of an upstream (durations in milliseconds, sizes in bytes).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UpstreamSettings {
    /// `connect_timeout`
    pub connect_timeout_ms: Option<u64>,
    /// `read_timeout`
    pub read_timeout_ms: Option<u64>,
    /// `write_timeout`
    pub write_timeout_ms: Option<u64>,
    /// `timeout`: the whole request.
    pub total_timeout_ms: Option<u64>,
    /// `try_timeout`: one try.
    pub try_timeout_ms: Option<u64>,
    /// `retries`
    pub retries: Option<u64>,
    /// `retry_on`: the statuses retried.
    pub retry_on: Option<Vec<u16>>,
    /// `retry_non_idempotent`
    pub retry_non_idempotent: Option<bool>,
    /// `retry_budget`, in percent.
    pub retry_budget_percent: Option<u64>,
    /// `retry_budget_min`
    pub retry_budget_min: Option<u64>,
    /// `retry_body_limit`
    pub retry_body_limit: Option<u64>,
    /// `max_connections`, per server.
    pub max_connections: Option<u64>,
    /// `queue_timeout`: how long a request waits for a connection beyond `max_connections`.
    pub queue_timeout_ms: Option<u64>,
    /// `max_idle`, per server.
    pub max_idle: Option<u64>,
    /// `idle_timeout`
    pub idle_timeout_ms: Option<u64>,
    /// `tunnel_idle_timeout`: a WebSocket tunnel that carries nothing.
    pub tunnel_idle_timeout_ms: Option<u64>,
    /// `grpc_max_timeout`: the cap on a gRPC call's deadline.
    pub grpc_max_timeout_ms: Option<u64>,
    /// `when_all_down unavailable` (true) or `try_anyway` (false).
    pub all_down_unavailable: Option<bool>,
}

/// `health http METHOD "path" ...` or `health tcp ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypedHealth {
    /// The method and path of an HTTP probe; `None` for TCP.
    pub http: Option<(String, String)>,
    /// `expect`: the healthy status of an HTTP probe.
    pub expect: Option<u16>,
    /// `every`, in milliseconds.
    pub every_ms: Option<u64>,
    /// `timeout`, in milliseconds.
    pub timeout_ms: Option<u64>,
    /// `rise`
    pub rise: Option<u64>,
    /// `fall`
    pub fall: Option<u64>,
}

/// `passive fails N cool_down D`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypedPassive {
    /// `fails`
    pub fails: Option<u64>,
    /// `cool_down`, in milliseconds.
    pub cool_down_ms: Option<u64>,
}

/// How an upstream spreads requests over its servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BalancePolicy {
    /// Smooth weighted round robin.
    RoundRobin,
    /// Weighted random.
    Random,
    /// Fewest in-flight requests relative to weight.
    LeastConn,
    /// The less loaded of two random choices.
    PowerOfTwo,
    /// Consistent hashing of `hash_key`.
    Hash,
}

/// A checked route.
#[derive(Debug, Clone, PartialEq)]
pub struct TypedRoute {
    /// What metrics and the status page call it: its name (`route "api"`), else the file
    /// and line it starts on (`gateway.pxy:12`).
    pub label: String,
    /// `host "..."`, in lower case.
    pub host: Option<String>,
    /// `path "/prefix"`.
    pub path_prefix: Option<String>,
    /// `path ~ /re/`.
    pub path_regex: Option<RegexId>,
    /// `method A, B` (empty: any method).
    pub methods: Vec<String>,
    /// `header "name"` / `header "name" == "value"`, names in lower case.
    pub headers: Vec<(String, Option<String>)>,
    /// `path ~ /re/ as m`: the capture groups the body uses.
    pub captures: Option<CaptureBinding>,
    /// The route's statements; every path through them ends in a terminal action.
    pub body: Vec<TypedStmt>,
    /// Its `on response` blocks: run on the responses to the requests it handled, after the
    /// program's own `on response`.
    pub on_response: Vec<TypedStmt>,
}

/// The capture groups of one regex match that a block uses (`as m` ... `m[1]`).
#[derive(Debug, Clone, PartialEq)]
pub struct CaptureBinding {
    /// The `str` the regex is matched against.
    pub subject: TypedExpr,
    /// The regex.
    pub regex: RegexId,
    /// The variable that holds whether it matched (a `bool`).
    pub matched: usize,
    /// Each group used, with the variable (a `str`) that holds its text (empty when the group
    /// did not take part in the match).
    pub groups: Vec<(usize, usize)>,
}

/// The status of a `respond`.
#[derive(Debug, Clone, PartialEq)]
pub enum StatusValue {
    /// A literal, 100..=599.
    Literal(u16),
    /// A `status`-typed field, such as `error.status`.
    Expr(TypedExpr),
}

/// Which message a header statement changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The request (to be sent upstream).
    Request,
    /// The response (to be sent to the client).
    Response,
}

/// A checked statement with the span of its source.
///
/// Equality is of behaviour: two statements are equal when they do the same, wherever they
/// are written (the span is left out), which is what comparing route bodies and programs needs.
#[derive(Debug, Clone)]
pub struct TypedStmt {
    /// What it does.
    pub kind: TypedStmtKind,
    /// The statement's source.
    pub span: Span,
}

impl PartialEq for TypedStmt {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

/// The checked statements.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedStmtKind {
    /// Replace a header.
    SetHeader {
        /// Request or response.
        side: Side,
        /// Lower-case header name.
        name: String,
        /// A `str` value.
        value: TypedExpr,
    },
    /// Append a header value.
    AddHeader {
        /// Request or response.
        side: Side,
        /// Lower-case header name.
        name: String,
        /// A `str` value.
        value: TypedExpr,
    },
    /// Remove a header.
    RemoveHeader {
        /// Request or response.
        side: Side,
        /// Lower-case header name.
        name: String,
    },
    /// Answer locally.
    Respond {
        /// The status.
        status: StatusValue,
        /// A `str` body.
        body: Option<TypedExpr>,
        /// Lower-case names and `str` values.
        headers: Vec<(String, TypedExpr)>,
    },
    /// Answer with a redirect.
    Redirect {
        /// 301, 302, 303, 307 or 308.
        status: u16,
        /// A `str` location.
        location: TypedExpr,
    },
    /// Remove a prefix from the path.
    StripPrefix(TypedExpr),
    /// Replace the path.
    RewritePath(TypedExpr),
    /// Proxy to an upstream.
    Proxy {
        /// The upstream.
        upstream: UpstreamId,
        /// Where its name is written (not part of equality: see [`SourceSpan`]).
        name_span: SourceSpan,
    },
    /// Add a field to the access log line (`on log`).
    SetLogField {
        /// The field's name, a checked token.
        name: String,
        /// A `str` value.
        value: TypedExpr,
    },
    /// Branch.
    If {
        /// Evaluated before `cond`, which refers to its `matched` variable.
        captures: Option<CaptureBinding>,
        /// A `bool`.
        cond: TypedExpr,
        /// When it holds.
        then: Vec<TypedStmt>,
        /// Otherwise.
        else_: Vec<TypedStmt>,
    },
    /// Bind variable number `var`.
    Let {
        /// Index of the variable.
        var: usize,
        /// Its value.
        value: TypedExpr,
    },
    /// `rate_limit NAME [else STMT]`.
    RateLimit {
        /// The limit.
        limit: LimitId,
        /// Its key (copied from the declaration): a `str`, `ip` or `int`.
        key: TypedExpr,
        /// What answers a refused request; `None` for the 429 error page.
        otherwise: Option<Box<TypedStmt>>,
    },
    /// `cache NAME { ... }`: answer from the cache, or fill it.
    Cache {
        /// The cache.
        cache: CacheId,
        /// This route's settings.
        rule: TypedCacheRule,
    },
    /// `purge NAME [prefix|tag EXPR]`: remove the request's target (or every entry under a
    /// path prefix, or carrying a tag) from the cache and answer.
    Purge {
        /// The cache.
        cache: CacheId,
        /// `prefix EXPR` or `tag EXPR`, a `str`; `None` for the request's target.
        scope: Option<(PurgeBy, TypedExpr)>,
    },
    /// `max_in_flight N [by KEY] [queue D] [else STMT]`.
    MaxInFlight {
        /// Index into [`TypedProgram::in_flights`].
        index: usize,
        /// The key, when given: a `str`, `ip` or `int`.
        key: Option<TypedExpr>,
        /// What answers a refused request; `None` for the 503 error page.
        otherwise: Option<Box<TypedStmt>>,
    },
    /// `verify_jwt NAME`: 401 unless the request has a token the verifier accepts.
    VerifyJwt(JwtId),
    /// `verify_basic NAME`: 401 unless the request has a user and password of the file.
    VerifyBasic(BasicId),
    /// `compress [{ ... }]`: the response is compressed when it and the client allow.
    Compress(TypedCompress),
    /// `verify_forward NAME`: the auth service's answer decides.
    VerifyForward {
        /// The `forward_auth` named.
        verifier: ForwardId,
        /// Its `service`, the upstream asked.
        service: UpstreamId,
    },
}

/// A span that every value equals, so that where a name is written does not make two
/// statements differ (see [`TypedStmt`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceSpan(pub Span);

impl PartialEq for SourceSpan {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// A typed expression. Equality, as for [`TypedStmt`], leaves the span out.
#[derive(Debug, Clone)]
pub struct TypedExpr {
    /// What it computes.
    pub kind: TypedExprKind,
    /// Its type.
    pub ty: Type,
    /// The source it was typed from (for a synthesized node, the expression it stands for).
    pub span: Span,
}

impl PartialEq for TypedExpr {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind && self.ty == other.ty
    }
}

/// The checked expressions.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedExprKind {
    /// A string without interpolation.
    Str(String),
    /// A string with interpolation.
    Interp(Vec<InterpPart>),
    /// An integer (also a status code literal).
    Int(u64),
    /// Milliseconds.
    Duration(u64),
    /// Bytes.
    Size(u64),
    /// `true` / `false`.
    Bool(bool),
    /// An HTTP method, upper case.
    Method(String),
    /// An IP address.
    Ip(IpAddr),
    /// A network and prefix length.
    Cidr(IpAddr, u8),
    /// A request, response or client field.
    Field(Field),
    /// A `let` variable.
    Var(usize),
    /// A built-in function.
    Call(Func, Vec<TypedExpr>),
    /// Boolean negation.
    Not(Box<TypedExpr>),
    /// A binary operation other than `matches`.
    Binary(BinOp, Box<TypedExpr>, Box<TypedExpr>),
    /// `value matches /re/`.
    Matches(Box<TypedExpr>, RegexId),
    /// `[a, b, c]`: literal elements; only ever the right side of `in` (see `InList`).
    List(Vec<TypedExpr>),
    /// `value in [a, b, c]` (literal elements; for an IP, CIDR elements).
    InList(Box<TypedExpr>, Vec<TypedExpr>),
    /// A list read from a file (type `list<T>`): only ever the right side of `in` (see
    /// `InData`).
    DataList(DataId),
    /// `value in NAME` for a list read from a file (a `str?` value is in no list when absent).
    InData(Box<TypedExpr>, DataId),
    /// A flag read from a file: `true` while the file exists.
    Flag(DataId),
    /// `healthy(NAME)`: at least one server of the upstream is healthy.
    Healthy(UpstreamId),
    /// `list[n]`: the element, if the list has one at `n`.
    ListIndex(Box<TypedExpr>, usize),
    /// An optional known to be present (inside `if present(x)`); absent reads as empty.
    Present(Box<TypedExpr>),
}

/// A piece of an interpolated string.
#[derive(Debug, Clone, PartialEq)]
pub enum InterpPart {
    /// Literal text.
    Text(String),
    /// A value, formatted.
    Value(TypedExpr),
}

/// The fields of the request model.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    /// `req.method`
    ReqMethod,
    /// `req.path`
    ReqPath,
    /// `req.query`
    ReqQuery,
    /// `req.host`
    ReqHost,
    /// `req.scheme`
    ReqScheme,
    /// `req.upgrade`: the lower-cased protocol an HTTP/1.1 request asks to switch to.
    ReqUpgrade,
    /// `req.headers["name"]`, lower-case name.
    ReqHeader(String),
    /// `req.header_values["name"]`: all its lines, comma-joined; lower-case name.
    ReqHeaderValues(String),
    /// `resp.status`
    RespStatus,
    /// `resp.headers["name"]`, lower-case name.
    RespHeader(String),
    /// `client.ip`
    ClientIp,
    /// `client.port`
    ClientPort,
    /// `req.query["name"]`: the raw (not decoded) value of a query parameter.
    QueryParam(String),
    /// `req.cookies["name"]`
    Cookie(String),
    /// `error.status`: the status of the error page (in `on error`).
    ErrorStatus,
    /// `error.kind`: what went wrong, e.g. `connect_refused` (in `on error`).
    ErrorKind,
    /// `tls.sni`: the server name the client asked for.
    TlsSni,
    /// `tls.version`: `TLSv1.2` or `TLSv1.3`.
    TlsVersion,
    /// `tls.client_subject`: the verified client certificate's subject.
    TlsClientSubject,
    /// `resp.status` in `on log`: the status sent, 0 when the client went away before one.
    SentStatus,
    /// `upstream.name`: the upstream of the last server tried, if any.
    UpstreamName,
    /// `upstream.addr`: the address of the last server tried, if any.
    UpstreamAddr,
    /// `cache.status`: what the cache did (`hit`, `miss`, ..., `none`).
    CacheStatus,
    /// `jwt.sub`: the subject of the token `verify_jwt` accepted.
    JwtSub,
    /// `basic.user`: the user `verify_basic` accepted.
    BasicUser,
    /// `jwt.claims["name"]`: a claim of that token, as text.
    JwtClaim(String),
}

impl Field {
    /// The header, parameter or cookie name of a keyed field (`req.headers["x-id"]`).
    pub fn key(&self) -> Option<&str> {
        match self {
            Field::ReqHeader(name)
            | Field::ReqHeaderValues(name)
            | Field::RespHeader(name)
            | Field::QueryParam(name)
            | Field::Cookie(name)
            | Field::JwtClaim(name) => Some(name),
            Field::ReqMethod
            | Field::ReqPath
            | Field::ReqQuery
            | Field::ReqHost
            | Field::ReqScheme
            | Field::ReqUpgrade
            | Field::RespStatus
            | Field::ClientIp
            | Field::ClientPort
            | Field::ErrorStatus
            | Field::ErrorKind
            | Field::TlsSni
            | Field::TlsVersion
            | Field::TlsClientSubject
            | Field::SentStatus
            | Field::UpstreamName
            | Field::UpstreamAddr
            | Field::CacheStatus => None,
            Field::JwtSub | Field::BasicUser => None,
        }
    }

    /// The request header whose value a field reads, if it reads one: `req.headers["x"]`
    /// and `req.header_values["x"]` read `x`, a cookie reads `cookie`.
    pub fn request_header(&self) -> Option<&str> {
        match self {
            Field::ReqHeader(name) | Field::ReqHeaderValues(name) => Some(name),
            Field::Cookie(_) => Some("cookie"),
            Field::ReqMethod
            | Field::ReqPath
            | Field::ReqQuery
            | Field::ReqHost
            | Field::ReqScheme
            | Field::ReqUpgrade
            | Field::RespStatus
            | Field::RespHeader(_)
            | Field::QueryParam(_)
            | Field::JwtClaim(_)
            | Field::ClientIp
            | Field::ClientPort
            | Field::ErrorStatus
            | Field::ErrorKind
            | Field::TlsSni
            | Field::TlsVersion
            | Field::TlsClientSubject
            | Field::SentStatus
            | Field::UpstreamName
            | Field::UpstreamAddr
            | Field::CacheStatus
            | Field::JwtSub
            | Field::BasicUser => None,
        }
    }

    /// True when both are the same field, whatever header, parameter or cookie they name.
    pub fn same_kind(&self, other: &Field) -> bool {
        std::mem::discriminant(self) == std::mem::discriminant(other)
    }
}

/// Built-in functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// `request_id()`: this request's unique id.
    RequestId,
    /// `lower(s)`
    Lower,
    /// `upper(s)`
    Upper,
    /// `present(x)`: whether an optional has a value.
    Present,
    /// `replace(s, from, to)`: every occurrence replaced.
    Replace,
    /// `url_encode(s)`: percent-encoding of everything but unreserved characters.
    UrlEncode,
    /// `url_decode(s)`: percent-decoding (invalid sequences are kept as they are).
    UrlDecode,
    /// `base64_encode(s)`: standard alphabet, padded.
    Base64Encode,
    /// `base64_decode(s)`: `str?`, absent when `s` is not valid base64 of UTF-8 text.
    Base64Decode,
    /// `now()`: seconds since the Unix epoch.
    Now,
    /// `hash(s)`: a stable 64-bit hash (FNV-1a) of `s`, the same in every build and process.
    Hash,
    /// `split(s, sep)`: the pieces, as a `list<str>`.
    Split,
    /// `int(s)`: `int?`, the decimal number `s` spells; absent when it spells none (or `s` is).
    Int,
    /// `ip(s)`: `ip?`, the address `s` spells; absent when it spells none (or `s` is).
    Ip,
    /// `healthy(u)`: whether a server of upstream `u` is healthy (typed as
    /// [`TypedExprKind::Healthy`]).
    Healthy,
}
