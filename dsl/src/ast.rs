//! The parsed program: a faithful tree of what the user wrote, every node with its [`Span`].
//!
//! The AST does not judge: names are unresolved, types unknown, and statements such as
//! `set resp.headers[..]` inside `on request` are representable. The checker in `pxy-compiler`
//! turns this into a typed program or explains what is wrong, pointing at these spans.

use crate::Span;

mod test_decl;

pub use test_decl::{
    Compare, SendPart, TestCheck, TestCheckKind, TestDecl, TestDuration, TestHeader, TestItem,
    TestReply, TestSend, TestToken, TokenPart,
};

/// A whole `.pxy` file.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedProgram {
    /// Top-level items in source order.
    pub items: Vec<Item>,
}

/// A name as written, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    /// The text of the name.
    pub name: String,
    /// Where it is.
    pub span: Span,
}

/// A top-level declaration.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// `include "common.pxy"`: replaced by the included file's items before checking.
    Include(Include),
    /// `server { threads 4 grace_period 30s }`: how the process runs.
    Server(ServerBlock),
    /// `listen http 0.0.0.0:8080`
    Listen(Listen),
    /// `upstream api { ... }`
    Upstream(UpstreamDecl),
    /// `limit per_key = 100 per 1m by req.headers["x-api-key"] ?? ""`
    Limit(LimitDecl),
    /// `list blocked: cidr from file "blocked.txt"`, `flag maintenance from file "m.on"`
    Data(DataDecl),
    /// `cache main { size 256MB max_object 8MB }`
    Cache(CacheDecl),
    /// `jwt api { jwks "jwks.json" issuer "https://id.example" audience "api" }`
    Jwt(JwtDecl),
    /// `basic_auth admins { users "htpasswd.txt" realm "ops" }`
    BasicAuth(BasicAuthDecl),
    /// `forward_auth sso { service auth uri "/verify" copy "x-user" }`
    ForwardAuth(ForwardAuthDecl),
    /// `route host "a" path "/v1/" { ... }`
    Route(Route),
    /// `on request { ... }`
    On(OnBlock),
    /// `test "NAME" { send GET "http://a.example/" expect 200 }`
    Test(TestDecl),
}

/// `include "PATH"`: another file's items, as if written here. The path is relative to the
/// including file; `pxy-compiler`'s include pass reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Include {
    /// The path as written (no interpolation).
    pub path: Text,
    /// The whole declaration.
    pub span: Span,
}

/// `server { NAME VALUE ... }`: the process's settings (threads, grace period, admin
/// listener, client limits). At most one per program; the checker says so.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerBlock {
    /// The settings in source order.
    pub settings: Vec<ServerSetting>,
    /// The whole block.
    pub span: Span,
}

/// `NAME VALUE` inside `server { }`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSetting {
    /// The setting's name.
    pub name: Ident,
    /// Its value.
    pub value: ServerValue,
    /// The whole line.
    pub span: Span,
}

/// The value of a server setting: an address (`admin 127.0.0.1:9100`) or what upstream
/// settings take (a literal or a word).
#[derive(Debug, Clone, PartialEq)]
pub enum ServerValue {
    /// `127.0.0.1:9100`, as written.
    Address(Text),
    /// `4`, `30s`, `64KiB`, `json`, `"/var/log/access.log"`.
    Value(Expr),
}

impl ServerValue {
    /// Where the value is written.
    pub fn span(&self) -> Span {
        match self {
            ServerValue::Address(text) => text.span,
            ServerValue::Value(expr) => expr.span,
        }
    }
}

/// `listen PROTOCOL ADDRESS`.
#[derive(Debug, Clone, PartialEq)]
pub struct Listen {
    /// `http` or `https`.
    pub protocol: Ident,
    /// The address as written, e.g. `0.0.0.0:8080`.
    pub addr: Text,
    /// The `{ ... }` block of a TLS listener, in source order; empty without one.
    pub tls: Vec<ListenItem>,
    /// The whole declaration.
    pub span: Span,
}

/// A line inside `listen PROTOCOL ADDR { ... }`.
#[derive(Debug, Clone, PartialEq)]
pub enum ListenItem {
    /// `cert "chain.pem" key "key.pem"`
    Cert {
        /// The certificate chain's file.
        cert: Text,
        /// The private key's file.
        key: Text,
        /// The whole line.
        span: Span,
    },
    /// `alpn h2, http/1.1`
    Alpn {
        /// The protocols, in order of preference.
        protocols: Vec<Text>,
        /// The whole line.
        span: Span,
    },
    /// `client_ca "clients.pem" required`
    ClientCa {
        /// The CA file client certificates must chain to.
        ca: Text,
        /// `required` or `optional`.
        mode: Ident,
        /// The whole line.
        span: Span,
    },
    /// `proxy_protocol`: connections start with a PROXY protocol header naming the client.
    ProxyProtocol {
        /// The line.
        span: Span,
    },
    /// `trust_proxies 10.0.0.0/8, 127.0.0.1`: peers whose `X-Forwarded-For` is believed.
    TrustProxies {
        /// CIDR and IP literals.
        addrs: Vec<Expr>,
        /// The whole line.
        span: Span,
    },
}

impl ListenItem {
    /// Whether the line is about TLS (only `listen https` has those).
    pub fn is_tls(&self) -> bool {
        match self {
            ListenItem::Cert { .. } | ListenItem::Alpn { .. } | ListenItem::ClientCa { .. } => true,
            ListenItem::ProxyProtocol { .. } | ListenItem::TrustProxies { .. } => false,
        }
    }

    /// The whole line.
    pub fn span(&self) -> Span {
        match self {
            ListenItem::Cert { span, .. }
            | ListenItem::Alpn { span, .. }
            | ListenItem::ClientCa { span, .. }
            | ListenItem::ProxyProtocol { span }
            | ListenItem::TrustProxies { span, .. } => *span,
        }
    }
}

/// A piece of literal text (an address, a regex body) with its span.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    /// The text as written (for strings: with escapes resolved).
    pub value: String,
    /// Where it is.
    pub span: Span,
}

/// An integer literal with its span.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntLit {
    /// The value; literals too large for `u64` are rejected by the parser.
    pub value: u64,
    /// Where it is.
    pub span: Span,
}

/// `upstream NAME { server ...; balance ...; setting value }`.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamDecl {
    /// The upstream's name, used by `proxy NAME`.
    pub name: Ident,
    /// Its contents in source order.
    pub items: Vec<UpstreamItem>,
    /// The whole declaration.
    pub span: Span,
}

/// One line inside an `upstream` block.
#[derive(Debug, Clone, PartialEq)]
pub enum UpstreamItem {
    /// `server 127.0.0.1:9001 weight 3 [backup]`
    Server(ServerDecl),
    /// `balance round_robin`, `balance hash(EXPR)`
    Balance {
        /// The policy.
        policy: Ident,
        /// The key of `hash(...)`.
        key: Option<Expr>,
        /// The whole line.
        span: Span,
    },
    /// `discover dns "api.internal" port 8080 every 30s`, `discover file "backends.txt"`
    Discover {
        /// `dns` or `file`.
        kind: Ident,
        /// The name or path.
        target: Text,
        /// `port`, `every`.
        options: Vec<Setting>,
        /// The whole line.
        span: Span,
    },
    /// `health http GET "/healthz" expect 200 every 2s ...`, `health tcp every 2s ...`
    Health {
        /// `http` or `tcp`.
        kind: Ident,
        /// The method and path of an HTTP probe.
        request: Option<(Ident, Text)>,
        /// `expect`, `every`, `timeout`, `rise`, `fall`.
        options: Vec<Setting>,
        /// The whole line.
        span: Span,
    },
    /// `passive fails 3 cool_down 10s`
    Passive {
        /// `fails`, `cool_down`.
        options: Vec<Setting>,
        /// The whole line.
        span: Span,
    },
    /// `connect_timeout 1s`, `read_timeout 30s`, `retries 2`, `when_all_down unavailable`
    Setting(Setting),
}

/// `server ADDRESS [weight N]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerDecl {
    /// The backend address.
    pub addr: Text,
    /// Its weight, when given.
    pub weight: Option<IntLit>,
    /// Used only when every other (primary) server is down.
    pub backup: bool,
    /// The whole line.
    pub span: Span,
}

impl UpstreamItem {
    /// Where the item is written.
    pub fn span(&self) -> Span {
        match self {
            UpstreamItem::Server(s) => s.span,
            UpstreamItem::Setting(s) => s.span,
            UpstreamItem::Balance { span, .. }
            | UpstreamItem::Discover { span, .. }
            | UpstreamItem::Health { span, .. }
            | UpstreamItem::Passive { span, .. } => *span,
        }
    }
}

/// `NAME VALUE` inside an upstream.
#[derive(Debug, Clone, PartialEq)]
pub struct Setting {
    /// The setting's name.
    pub name: Ident,
    /// Its value (a duration, size or integer literal, or a name such as `unavailable`).
    pub value: Expr,
    /// The whole line.
    pub span: Span,
}

/// `limit NAME = N per DURATION [burst N] [keys N] by KEY`: a rate limit, counted per value
/// of `KEY`, enforced where `rate_limit NAME` is written.
#[derive(Debug, Clone, PartialEq)]
pub struct LimitDecl {
    /// The limit's name, used by `rate_limit NAME`.
    pub name: Ident,
    /// N: requests per period.
    pub requests: IntLit,
    /// The period, a duration literal.
    pub period: Expr,
    /// `burst N`, `keys N`, in source order.
    pub options: Vec<Setting>,
    /// What requests are counted by.
    pub key: Expr,
    /// The whole declaration.
    pub span: Span,
}

/// `list NAME: TYPE from file "PATH"` or `flag NAME from file "PATH"`: data the program
/// reads from a file, re-read by the running proxy when the file changes.
#[derive(Debug, Clone, PartialEq)]
pub struct DataDecl {
    /// A list or a flag.
    pub kind: DataKind,
    /// Its name, used in expressions (`client.ip in NAME`, `if NAME { }`).
    pub name: Ident,
    /// The file, relative to the `.pxy` file (no interpolation).
    pub path: Text,
    /// The whole declaration.
    pub span: Span,
}

/// `jwt NAME { OPTION VALUE ... }`: where the keys of JSON Web Tokens come from and what
/// their claims must say; enforced where `verify_jwt NAME` is written.
#[derive(Debug, Clone, PartialEq)]
pub struct JwtDecl {
    /// The verifier's name, used by `verify_jwt NAME`.
    pub name: Ident,
    /// `jwks "FILE"`, `issuer "..."`, `leeway 30s`, ..., in source order.
    pub options: Vec<Setting>,
    /// The whole declaration.
    pub span: Span,
}

/// `basic_auth NAME { OPTION VALUE ... }`: where the users and password hashes of HTTP Basic
/// authentication are; enforced where `verify_basic NAME` is written.
#[derive(Debug, Clone, PartialEq)]
pub struct BasicAuthDecl {
    /// The verifier's name, used by `verify_basic NAME`.
    pub name: Ident,
    /// `users "FILE"`, `realm "..."`, in source order.
    pub options: Vec<Setting>,
    /// The whole declaration.
    pub span: Span,
}

/// `forward_auth NAME { OPTION VALUE ... }`: an auth service (an upstream) asked about each
/// request where `verify_forward NAME` is written.
#[derive(Debug, Clone, PartialEq)]
pub struct ForwardAuthDecl {
    /// The verifier's name, used by `verify_forward NAME`.
    pub name: Ident,
    /// `service NAME`, `uri "..."`, `send ...`, `copy ...`, `timeout D`, in source order.
    pub options: Vec<Setting>,
    /// The whole declaration.
    pub span: Span,
}

/// `cache NAME { SETTING* }`: an HTTP cache of a bounded size, used by routes that say
/// `cache NAME`.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheDecl {
    /// The cache's name, used by `cache NAME` and `purge NAME` in routes.
    pub name: Ident,
    /// `size 256MB`, `max_object 8MB`, in source order.
    pub settings: Vec<Setting>,
    /// The whole declaration.
    pub span: Span,
}

/// What a [`DataDecl`] declares.
#[derive(Debug, Clone, PartialEq)]
pub enum DataKind {
    /// `list NAME: TYPE`: one entry per line; `value in NAME` tests membership.
    List {
        /// The type of the entries, as written (`str`, `int`, `cidr`).
        element: Ident,
    },
    /// `flag NAME`: a `bool`, true while the file exists.
    Flag,
}

impl DataKind {
    /// The declaration's keyword.
    pub fn keyword(&self) -> &'static str {
        match self {
            DataKind::List { .. } => "list",
            DataKind::Flag => "flag",
        }
    }
}

/// `route MATCHERS { BODY }`: the first route (in source order) whose matchers all hold runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    /// `route "api" ...`: the name metrics and the status page show (else its line).
    pub name: Option<Text>,
    /// What a request must look like; none means "every request".
    pub matchers: Vec<Matcher>,
    /// What to do with a matching request (its span is the whole `{ ... }`).
    pub body: Block,
    /// `on PHASE { ... }` blocks inside the route (the checker allows `on response`): they
    /// run on the responses to the requests this route handled.
    pub on: Vec<OnBlock>,
    /// `route` and its matchers, without the body: what diagnostics point at.
    pub head_span: Span,
    /// The whole route.
    pub span: Span,
}

/// One condition in a route's head.
#[derive(Debug, Clone, PartialEq)]
pub struct Matcher {
    /// What is matched.
    pub kind: MatcherKind,
    /// Where it is.
    pub span: Span,
}

/// The kinds of route matcher.
#[derive(Debug, Clone, PartialEq)]
pub enum MatcherKind {
    /// `host "api.example.com"`: the request's host, case-insensitively, port ignored.
    Host(Text),
    /// `path "/v1/"`: the path starts with this prefix.
    PathPrefix(Text),
    /// `path ~ /^\/users\/(\d+)$/ [as m]`: the path matches this regex; `as m` names its
    /// capture groups (`m[1]`, `m["name"]`) for the route's body.
    PathRegex {
        /// The regex source.
        regex: Text,
        /// The name given to the captures, if any.
        captures: Option<Ident>,
    },
    /// `method GET, HEAD`: the method is one of these.
    Method(Vec<Ident>),
    /// `header "x-debug"` (present) or `header "x-env" == "staging"` (equal to a value).
    Header {
        /// The header's name.
        name: Text,
        /// The value it must equal, when given.
        value: Option<Text>,
    },
}

/// `on PHASE { BODY }`.
#[derive(Debug, Clone, PartialEq)]
pub struct OnBlock {
    /// `request` or `response`.
    pub phase: Ident,
    /// Its statements.
    pub body: Block,
    /// The whole block.
    pub span: Span,
}

/// `{ statements }`.
#[derive(Debug, Clone, PartialEq)]
pub struct Block {
    /// Statements in order.
    pub stmts: Vec<Stmt>,
    /// From `{` to `}`.
    pub span: Span,
}

/// A statement with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    /// What it does.
    pub kind: StmtKind,
    /// Where it is.
    pub span: Span,
}

/// The statements of the language.
#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    /// `set PLACE = EXPR`: replace a header (or other writable place).
    Set {
        /// What is written.
        place: Place,
        /// The new value.
        value: Expr,
    },
    /// `add PLACE = EXPR`: append a header value, keeping existing ones.
    Add {
        /// What is written.
        place: Place,
        /// The added value.
        value: Expr,
    },
    /// `remove PLACE`: delete every value of a header.
    Remove {
        /// What is removed.
        place: Place,
    },
    /// `respond STATUS [BODY] [headers { "name" = EXPR, ... }]`: answer without an upstream.
    Respond {
        /// The status code: a literal, or a field of type `status` (`error.status`).
        status: Status,
        /// The body, when given.
        body: Option<Expr>,
        /// Extra response headers.
        headers: Vec<HeaderEntry>,
    },
    /// `redirect [STATUS] LOCATION`: answer with a redirect (302 when no status is given).
    Redirect {
        /// The status code, when given.
        status: Option<IntLit>,
        /// The `Location`.
        location: Expr,
    },
    /// `strip_prefix EXPR`: remove a prefix from the path before proxying.
    StripPrefix(Expr),
    /// `rewrite path = EXPR`: replace the path (the query is kept).
    RewritePath(Expr),
    /// `proxy NAME`: send the request to an upstream.
    Proxy(Ident),
    /// `if COND [as NAME] { ... } [else ...]`
    If {
        /// The condition.
        cond: Expr,
        /// `as m`: names the capture groups of the condition's `matches` for the `then` block.
        captures: Option<Ident>,
        /// Runs when it holds.
        then: Block,
        /// Runs otherwise: a block, or another `if` (`else if`).
        else_: Option<Box<Else>>,
    },
    /// `let NAME = EXPR`: a name for a value, visible in the rest of its block.
    Let {
        /// The new name.
        name: Ident,
        /// Its value.
        value: Expr,
    },
    /// `rate_limit NAME [else STMT]`: the request counts against the limit `NAME`; over it,
    /// `STMT` runs (by default a 429 error page with `Retry-After`).
    RateLimit {
        /// The limit.
        limit: Ident,
        /// What answers a refused request, when given.
        otherwise: Option<Box<Stmt>>,
    },
    /// `max_in_flight N [by KEY] [queue DURATION] [else STMT]`: at most N requests (per value
    /// of `KEY`) at once past this point; the excess waits up to `queue`, then `STMT` runs (by
    /// default a 503 error page with `Retry-After`).
    MaxInFlight {
        /// N.
        max: IntLit,
        /// What requests are counted by, when given; otherwise all together.
        key: Option<Expr>,
        /// How long a request may wait for a place, a duration literal.
        queue: Option<Expr>,
        /// What answers a refused request, when given.
        otherwise: Option<Box<Stmt>>,
    },
    /// `cache NAME [{ SETTING* }]`: the request is answered from the cache `NAME` when it
    /// can be, and the response stored when it may be (`ttl 60s`, `statuses 200, 404`, ...).
    Cache {
        /// The cache.
        cache: Ident,
        /// This route's settings, in source order.
        settings: Vec<Setting>,
    },
    /// `purge NAME [prefix|tag EXPR]`: removes the entry of the request's target from the
    /// cache `NAME` (or every entry under a path prefix, or carrying a tag) and answers (200
    /// when there was one, 404 otherwise).
    Purge {
        /// The cache.
        cache: Ident,
        /// What else than the request's target is removed, when given.
        scope: Option<PurgeScope>,
    },
    /// `verify_jwt NAME`: the request must carry a token the verifier `NAME` accepts; without
    /// one it is answered 401 with `WWW-Authenticate: Bearer`. After it, `jwt.sub` and
    /// `jwt.claims["x"]` read the token's claims.
    VerifyJwt(Ident),
    /// `verify_basic NAME`: the request must carry a user and password the verifier `NAME`
    /// accepts; without them it is answered 401 with `WWW-Authenticate: Basic`. After it,
    /// `basic.user` is the user.
    VerifyBasic(Ident),
    /// `verify_forward NAME`: the auth service of `forward_auth NAME` is asked about the
    /// request; a `2xx` lets it go on (with the declared headers of the answer copied onto
    /// it), any other answer is sent to the client instead.
    VerifyForward(Ident),
    /// `compress [{ SETTING* }]`: the response is compressed (zstd, brotli or gzip, as the
    /// client accepts) when its type is listed and it is large enough.
    Compress(Vec<Setting>),
}

impl StmtKind {
    /// True for the statements that answer the request or hand it on, ending what a route
    /// does: `respond`, `redirect`, `proxy` and `purge`.
    pub fn ends_request(&self) -> bool {
        match self {
            StmtKind::Respond { .. }
            | StmtKind::Redirect { .. }
            | StmtKind::Proxy(_)
            | StmtKind::Purge { .. } => true,
            StmtKind::Set { .. }
            | StmtKind::Add { .. }
            | StmtKind::Remove { .. }
            | StmtKind::StripPrefix(_)
            | StmtKind::RewritePath(_)
            | StmtKind::If { .. }
            | StmtKind::Let { .. }
            | StmtKind::RateLimit { .. }
            | StmtKind::MaxInFlight { .. }
            | StmtKind::Cache { .. } => false,
            StmtKind::VerifyJwt(_)
            | StmtKind::VerifyBasic(_)
            | StmtKind::VerifyForward(_)
            | StmtKind::Compress(_) => false,
        }
    }
}

/// The status of a `respond`.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// `respond 404`
    Literal(IntLit),
    /// `respond error.status`
    Field(Expr),
}

impl Status {
    /// Where the status is written.
    pub fn span(&self) -> Span {
        match self {
            Status::Literal(lit) => lit.span,
            Status::Field(expr) => expr.span,
        }
    }
}

/// The `else` part of an `if`.
#[derive(Debug, Clone, PartialEq)]
pub enum Else {
    /// `else { ... }`
    Block(Block),
    /// `else if ...`
    If(Stmt),
}

/// `"name" = EXPR` in `respond ... headers { }`.
#[derive(Debug, Clone, PartialEq)]
pub struct HeaderEntry {
    /// The header name.
    pub name: Text,
    /// Its value.
    pub value: Expr,
    /// The whole entry.
    pub span: Span,
}

/// A writable place: a dotted path with an optional key, `resp.headers["server"]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// The dotted path, `resp.headers`.
    pub path: Vec<Ident>,
    /// The key in brackets, when given.
    pub key: Option<Expr>,
    /// The whole place.
    pub span: Span,
}

/// An expression with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What it is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

impl Expr {
    /// The values of a setting written `a, b, c`; a single value is a list of one.
    pub fn list_items(&self) -> &[Expr] {
        match &self.kind {
            ExprKind::List(items) => items,
            _ => std::slice::from_ref(self),
        }
    }

    /// The text of a string literal without `{interpolation}` (`"x-id"`, `""`); `None` for
    /// any other expression.
    pub fn plain_str(&self) -> Option<String> {
        match &self.kind {
            ExprKind::Str(parts) => plain_text(parts),
            ExprKind::Int(_)
            | ExprKind::Duration(_)
            | ExprKind::Size(_)
            | ExprKind::Bool(_)
            | ExprKind::Regex(_)
            | ExprKind::Method(_)
            | ExprKind::Ip(_)
            | ExprKind::Cidr(_)
            | ExprKind::Path(_)
            | ExprKind::Index { .. }
            | ExprKind::List(_)
            | ExprKind::Call { .. }
            | ExprKind::Not(_)
            | ExprKind::Binary { .. } => None,
        }
    }
}

/// The text of string parts when none is an interpolation.
pub fn plain_text(parts: &[StrPart]) -> Option<String> {
    let mut out = String::new();
    for part in parts {
        match part {
            StrPart::Text(t) => out.push_str(t),
            StrPart::Interp(_) => return None,
        }
    }
    Some(out)
}

/// The expressions of the language.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A string, possibly with `{interpolations}`.
    Str(Vec<StrPart>),
    /// `42`
    Int(u64),
    /// `5s`, kept in milliseconds.
    Duration(u64),
    /// `64KB`, kept in bytes.
    Size(u64),
    /// `true`, `false`
    Bool(bool),
    /// `/^\/api/`: the regex source between the slashes.
    Regex(String),
    /// `GET`
    Method(String),
    /// `10.0.0.1`
    Ip(String),
    /// `10.0.0.0/8`
    Cidr(String),
    /// `req.path`, `client.ip`, or a `let` name: a dotted path.
    Path(Vec<Ident>),
    /// `BASE[KEY]`
    Index {
        /// What is indexed.
        base: Box<Expr>,
        /// The key.
        key: Box<Expr>,
    },
    /// `[a, b, c]`
    List(Vec<Expr>),
    /// `name(args)`
    Call {
        /// The function.
        func: Ident,
        /// Its arguments.
        args: Vec<Expr>,
    },
    /// `!x`
    Not(Box<Expr>),
    /// `a OP b`
    Binary {
        /// The operator.
        op: BinOp,
        /// Where the operator is.
        op_span: Span,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
}

/// A piece of a string literal.
#[derive(Debug, Clone, PartialEq)]
pub enum StrPart {
    /// Literal text (escapes resolved).
    Text(String),
    /// `{expr}`
    Interp(Expr),
}

/// Binary operators, from loosest to tightest binding: `||`; `&&`; comparisons and word
/// operators; `??` (so `req.headers["x"] ?? "" == "y"` compares the defaulted value); `%`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `||`
    Or,
    /// `&&`
    And,
    /// `??`: the left value when present, else the right one.
    Coalesce,
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `starts_with`
    StartsWith,
    /// `ends_with`
    EndsWith,
    /// `contains`
    Contains,
    /// `matches` (a regex)
    Matches,
    /// `in` (an IP in a CIDR, a value in a list)
    In,
    /// `%` (remainder of integers)
    Mod,
}

impl BinOp {
    /// The operator as written in source.
    pub fn as_str(self) -> &'static str {
        match self {
            BinOp::Or => "||",
            BinOp::And => "&&",
            BinOp::Coalesce => "??",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::StartsWith => "starts_with",
            BinOp::EndsWith => "ends_with",
            BinOp::Contains => "contains",
            BinOp::Matches => "matches",
            BinOp::In => "in",
            BinOp::Mod => "%",
        }
    }

    /// Binding power: higher binds tighter. `a || b && c` is `a || (b && c)`.
    pub fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Coalesce => 4,
            BinOp::Mod => 5,
            _ => 3,
        }
    }
}

/// `prefix EXPR` or `tag EXPR` after `purge NAME`.
#[derive(Debug, Clone, PartialEq)]
pub struct PurgeScope {
    /// Which entries the value selects.
    pub by: PurgeBy,
    /// The span of the word `prefix` or `tag`.
    pub by_span: Span,
    /// The path prefix, or the tags (separated by spaces or commas).
    pub value: Expr,
}

/// How `purge NAME by EXPR` selects entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PurgeBy {
    /// Every `GET` entry of the request's host whose path starts with the value.
    Prefix,
    /// Every entry that carries one of the tags the value names.
    Tag,
}

impl PurgeBy {
    /// The word in the source.
    pub fn word(self) -> &'static str {
        match self {
            PurgeBy::Prefix => "prefix",
            PurgeBy::Tag => "tag",
        }
    }
}
