//! Keywords, and the fixed words of each place in the language (listener protocols, balancing
//! policies, phases, kinds of health check and discovery, ...), each table mapping a word to
//! the enum value the compiler steers by.

use pxy_dsl::ast::PurgeBy;

use crate::typed::{BalancePolicy, ListElement, TestFailure, TestTokenAlg, TypedAlpn};

/// A fixed word with the value it stands for.
#[derive(Debug)]
pub struct Word<T: Copy + 'static> {
    /// The word.
    pub word: &'static str,
    /// What it means.
    pub value: T,
    /// How it is written.
    pub syntax: &'static str,
    /// One line of documentation.
    pub doc: &'static str,
}

/// A keyword: a word reserved by the grammar (`grammar/pxy.pest`'s `keyword` rule).
pub type WordInfo = Word<()>;

/// The kinds of fixed word, for the messages about a word that is none of its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordKind {
    /// `listen http|https`
    ListenerProtocol,
    /// `balance round_robin|...`
    BalancingPolicy,
    /// `on request|response|error|log`
    Phase,
    /// `discover dns|file`
    Discovery,
    /// `health http|tcp`
    HealthCheck,
    /// `client_ca "..." required|optional`
    ClientCertificateMode,
    /// `alpn h2, http/1.1`
    AlpnProtocol,
    /// `threads`, `grace_period`, ... in `server { }`
    ServerSetting,
    /// `connect_timeout`, `retries`, ... in an upstream
    UpstreamSetting,
    /// `expect`, `every`, ... after `health`
    HealthOption,
    /// `fails`, `cool_down` after `passive`
    PassiveOption,
    /// `port`, `every` after `discover dns`
    DnsOption,
    /// `every` after `discover file`
    FileOption,
    /// `burst`, `keys` in a `limit`
    LimitOption,
    /// `size`, `max_object` in a `cache` declaration
    CacheSetting,
    /// `ttl`, `statuses`, ... in a route's `cache`
    CacheRuleSetting,
    /// `jwks`, `issuer`, ... in a `jwt`
    JwtOption,
    /// `users`, `realm` in a `basic_auth`
    BasicAuthOption,
    /// `service`, `uri`, `send`, `copy`, `timeout` in a `forward_auth`
    ForwardAuthOption,
    /// `types`, `min_size` in a `compress { }`
    CompressSetting,
    /// `connect_refused`, `reset` after `fail upstream NAME with`
    TestFailure,
    /// `RS256`, `HS256`, ... after `jwt` in a test's `send`
    TestTokenAlgorithm,
    /// The value of a setting that takes a word (`tls on`, `protocol h2`).
    Value,
}

/// Where statements are written; decides which statements and fields are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    /// `on request { }`
    OnRequest,
    /// A route's body.
    Route,
    /// `on response { }`
    OnResponse,
    /// `on error { }`
    OnError,
    /// `on log { }`
    OnLog,
}

impl Section {
    /// The phase its statements run in.
    pub fn phase(self) -> Phase {
        match self {
            Section::OnRequest | Section::Route => Phase::Request,
            Section::OnResponse => Phase::Response,
            Section::OnError => Phase::Error,
            Section::OnLog => Phase::Log,
        }
    }
}

/// When statements run, which decides what exists: the request, a response, an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// `on request` and route bodies (and `balance hash(KEY)`): no response yet.
    Request,
    /// `on response`: request and response are both known.
    Response,
    /// `on error`: proxying failed; the request and the error are known, no response.
    Error,
    /// `on log`: the request is over; it and the status sent are known, nothing can change.
    Log,
}

/// `listen http` or `listen https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListenProtocol {
    /// Cleartext HTTP/1.1 and h2c.
    Http,
    /// TLS, then HTTP/1.1 or HTTP/2 by ALPN.
    Https,
}

/// `discover dns` or `discover file`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoveryKind {
    /// The addresses of a DNS name.
    Dns,
    /// The lines of a file.
    File,
}

/// `health http` or `health tcp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthKind {
    /// A request whose status must be the expected one.
    Http,
    /// A TCP connect.
    Tcp,
}

/// `client_ca "..." required|optional`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientCaMode {
    /// A client without a valid certificate is refused.
    Required,
    /// A certificate is asked for; its absence is allowed.
    Optional,
}

/// The keywords, with the statement or construct each starts.
pub const KEYWORDS: &[WordInfo] = &[
    Word { word: "listen", value: (), syntax: "listen http ADDRESS", doc: "Accept HTTP/1.1 and h2c connections on an IP and port." },
    Word { word: "include", value: (), syntax: "include \"PATH\"", doc: "Another file's declarations, as if written here; the path is relative to this file." },
    Word { word: "upstream", value: (), syntax: "upstream NAME { server ADDRESS ... }", doc: "A named group of backend servers that `proxy NAME` sends requests to." },
    Word { word: "server", value: (), syntax: "server ADDRESS [weight N] [backup] | server { SETTING VALUE ... }", doc: "A backend of an upstream (weight 1 unless given); at the top level, the process's settings (threads, grace period, admin listener, client limits)." },
    Word { word: "weight", value: (), syntax: "server ADDRESS weight N", doc: "A server's share of the requests, at least 1." },
    Word { word: "backup", value: (), syntax: "server ADDRESS backup", doc: "A server used only while every other (primary) server is down." },
    Word { word: "balance", value: (), syntax: "balance round_robin | random | least_conn | power_of_two | hash(KEY)", doc: "How an upstream picks a server; smooth weighted round robin by default." },
    Word { word: "health", value: (), syntax: "health http GET \"/healthz\" [expect 200] [every 2s] ... | health tcp ...", doc: "Active health checks of an upstream's servers." },
    Word { word: "passive", value: (), syntax: "passive fails N cool_down DURATION", doc: "Take a server out after N failed requests in a row, for the cool-down." },
    Word { word: "discover", value: (), syntax: "discover dns \"NAME\" port N [every D] | discover file \"PATH\" [every D]", doc: "An upstream's servers found at run time, instead of `server` lines." },
    Word { word: "route", value: (), syntax: "route [\"NAME\"] MATCHERS { ... }", doc: "Handles the requests its matchers all accept; the first matching route in source order runs. Its name labels its metrics." },
    Word { word: "host", value: (), syntax: "host \"NAME\"", doc: "Matcher: the request's host, case-insensitively, port ignored." },
    Word { word: "path", value: (), syntax: "path \"/prefix\" | path ~ /REGEX/ | rewrite path = EXPR", doc: "Matcher: the path starts with a prefix or matches a regex; in `rewrite`, the path to replace." },
    Word { word: "method", value: (), syntax: "method GET, HEAD", doc: "Matcher: the request's method is one of these." },
    Word { word: "header", value: (), syntax: "header \"name\" [== \"value\"]", doc: "Matcher: the header is present, or its first value equals `value`." },
    Word { word: "headers", value: (), syntax: "respond STATUS [BODY] headers { \"name\" = EXPR, ... }", doc: "Extra headers of a `respond` answer." },
    Word { word: "on", value: (), syntax: "on request { ... } | on response { ... } | on error { ... } | on log { ... }", doc: "Statements that run for every request before routing, on every response, to build error pages, or at the end to add access log fields." },
    Word { word: "set", value: (), syntax: "set PLACE = EXPR", doc: "Replace every value of a header." },
    Word { word: "add", value: (), syntax: "add PLACE = EXPR", doc: "Append a header value, keeping existing ones." },
    Word { word: "remove", value: (), syntax: "remove PLACE", doc: "Delete every value of a header." },
    Word { word: "respond", value: (), syntax: "respond STATUS [BODY] [headers { ... }]", doc: "Answer without an upstream (status 100 to 599)." },
    Word { word: "redirect", value: (), syntax: "redirect [STATUS] LOCATION", doc: "Answer with a redirect: 301, 302 (the default), 303, 307 or 308." },
    Word { word: "strip_prefix", value: (), syntax: "strip_prefix EXPR", doc: "Remove a prefix from the path, keeping a leading `/`." },
    Word { word: "rewrite", value: (), syntax: "rewrite path = EXPR", doc: "Replace the path; the query string is kept." },
    Word { word: "proxy", value: (), syntax: "proxy NAME", doc: "Send the request to an upstream (routes only)." },
    Word { word: "if", value: (), syntax: "if COND [as NAME] { ... } [else ...]", doc: "Branch on a `bool`." },
    Word { word: "else", value: (), syntax: "else { ... } | else if COND { ... }", doc: "What runs when the `if` condition does not hold." },
    Word { word: "let", value: (), syntax: "let NAME = EXPR", doc: "Name a value for the rest of the block and nested blocks." },
    Word { word: "as", value: (), syntax: "path ~ /REGEX/ as NAME | if STR matches /REGEX/ as NAME", doc: "Names the capture groups of a regex match: `NAME[1]`, `NAME[\"group\"]`." },
    Word { word: "starts_with", value: (), syntax: "str starts_with str -> bool", doc: "Whether the left string starts with the right one." },
    Word { word: "ends_with", value: (), syntax: "str ends_with str -> bool", doc: "Whether the left string ends with the right one." },
    Word { word: "contains", value: (), syntax: "str contains str -> bool", doc: "Whether the left string contains the right one." },
    Word { word: "matches", value: (), syntax: "str matches /REGEX/ -> bool", doc: "Whether the string matches the regex (checked at build time)." },
    Word { word: "in", value: (), syntax: "ip in CIDR -> bool | value in [a, b]", doc: "Whether the IP address is in the CIDR block, e.g. `client.ip in 10.0.0.0/8`, or the value is in the list." },
    Word { word: "limit", value: (), syntax: "limit NAME = N per DURATION [burst N] [keys N] by KEY", doc: "A rate limit: N requests per period per value of KEY (a `str`, `ip` or `int`), enforced where `rate_limit NAME` is written." },
    Word { word: "rate_limit", value: (), syntax: "rate_limit NAME [else STATEMENT]", doc: "Count the request against a `limit`; over it, answer 429 with `Retry-After` (or run the `else` statement)." },
    Word { word: "cache", value: (), syntax: "cache NAME { size S max_object S } | cache NAME [{ ttl D ... }]", doc: "At the top level, an HTTP cache of a bounded size; in a route, answer from that cache when RFC 9111 allows and store what the origin sends (`cache.status` says what happened)." },
    Word { word: "purge", value: (), syntax: "purge NAME [prefix|tag EXPR]", doc: "Remove the request's target from a cache (or, with `prefix EXPR`, every entry under that path of the host; with `tag EXPR`, every entry an origin tagged so in `Surrogate-Key` or `Cache-Tag`) and answer 200 (404 if it held nothing); put it behind a check." },
    Word { word: "max_in_flight", value: (), syntax: "max_in_flight N [by KEY] [queue DURATION] [else STATEMENT]", doc: "At most N requests at once (per KEY) past this point; the excess waits up to the queue time, then gets 503 with `Retry-After` (or the `else` statement)." },
    Word { word: "verify_basic", value: (), syntax: "verify_basic NAME", doc: "The request needs a user and password of the `basic_auth NAME` users file, else it is answered 401 with `WWW-Authenticate: Basic realm=\"...\"`; after it, `basic.user` is the user." },
    Word { word: "compress", value: (), syntax: "compress [{ types \"TYPE\", ... min_size S }]", doc: "Compress the response with zstd, brotli or gzip, as the client's `Accept-Encoding` takes them, when it is a `200` of a listed type, not encoded already and not smaller than `min_size`; adds `Vary: Accept-Encoding`." },
    Word { word: "verify_forward", value: (), syntax: "verify_forward NAME", doc: "Ask the auth service of `forward_auth NAME` about the request: a `2xx` answer lets it go on (with the answer's `copy` headers set on it), any other answer (a 401, a redirect to a login page) is sent to the client instead." },
    Word { word: "verify_jwt", value: (), syntax: "verify_jwt NAME", doc: "The request needs a token the `jwt NAME` verifier accepts, else it is answered 401 with `WWW-Authenticate: Bearer`; after it, `jwt.sub` and `jwt.claims[\"x\"]` read the token." },
    Word { word: "true", value: (), syntax: "true: bool", doc: "The boolean true." },
    Word { word: "false", value: (), syntax: "false: bool", doc: "The boolean false." },
];

/// The declaration words that are not keywords (`jwt` is also the object of `jwt.sub`).
pub const DECLARATION_WORDS: &[WordInfo] = &[
    Word {
        word: "jwt",
        value: (),
        syntax: "jwt NAME { jwks \"FILE\" | key \"FILE\" alg ALG | secret \"FILE\" [issuer \"ISS\"] [audience \"AUD\"] [leeway D] [cookie \"NAME\"] }",
        doc: "A JSON Web Token verifier: where its keys are and what tokens must say; enforced where `verify_jwt NAME` is written.",
    },
    Word {
        word: "basic_auth",
        value: (),
        syntax: "basic_auth NAME { users \"FILE\" [realm \"REALM\"] }",
        doc: "HTTP Basic authentication against a file of `user:hash` lines (bcrypt or argon2); enforced where `verify_basic NAME` is written.",
    },
    Word {
        word: "forward_auth",
        value: (),
        syntax: "forward_auth NAME { service UPSTREAM [uri \"/PATH\"] [send \"HEADER\", ...] [copy \"HEADER\", ...] [timeout D] }",
        doc: "An auth service, asked with a `GET` about each request where `verify_forward NAME` is written, as nginx's `auth_request` and Traefik's `forwardAuth` do.",
    },
];

/// The words inside `limit` and `max_in_flight` that are not keywords (a program may still
/// name a variable `by`).
pub const LIMIT_WORDS: &[WordInfo] = &[
    Word {
        word: "per",
        value: (),
        syntax: "limit NAME = N per DURATION ...",
        doc: "The period of a rate limit: N requests per DURATION.",
    },
    Word {
        word: "by",
        value: (),
        syntax: "... by KEY",
        doc: "What a limit counts by: each value of KEY has its own count.",
    },
    Word {
        word: "queue",
        value: (),
        syntax: "max_in_flight N queue DURATION",
        doc: "How long a request over `max_in_flight` may wait for a place before it is refused.",
    },
];

/// The words of `test "NAME" { ... }` blocks, none of them a keyword.
pub const TEST_WORDS: &[WordInfo] = &[
    Word { word: "test", value: (), syntax: "test \"NAME\" { send ... expect ... }", doc: "A test `proxyc test` runs: a request, stand-ins for the upstreams, and what must happen." },
    Word { word: "send", value: (), syntax: "send METHOD \"URL\" [times N] [{ header \"N\" = \"V\" client IP body \"...\" user \"U\" password \"P\" jwt ALG \"KEY\" { ... } sni \"NAME\" cert \"FILE\" key \"FILE\" }]", doc: "The test's request: method, absolute `http://` or `https://` URL (its host is the `Host` header), headers, client address (default 192.0.2.1), body, credentials, and for `https://` the TLS server name and a client certificate." },
    Word { word: "times", value: (), syntax: "send METHOD \"URL\" times N", doc: "Sends the request N times in a row (1 to 1000), each on a connection of its own; the expectations are about the last, so a test can reach a rate limit or hit a cache." },
    Word { word: "user", value: (), syntax: "user \"NAME\" password \"SECRET\"", doc: "HTTP Basic credentials: the request's `Authorization: Basic ...` header." },
    Word { word: "password", value: (), syntax: "user \"NAME\" password \"SECRET\"", doc: "The password of `user`." },
    Word { word: "cookie", value: (), syntax: "jwt ALG \"KEY\" cookie \"NAME\" { ... }", doc: "Sends the test's token in this cookie instead of `Authorization: Bearer`." },
    Word { word: "kid", value: (), syntax: "kid \"ID\"", doc: "In a test's `jwt { }`: the key id of the token's header, which chooses the key of a JWKS." },
    Word { word: "claim", value: (), syntax: "claim \"NAME\" = \"VALUE\"", doc: "In a test's `jwt { }`: a string claim of the token (`sub`, `iss`, `aud`, your own)." },
    Word { word: "expires", value: (), syntax: "expires DURATION", doc: "In a test's `jwt { }`: `exp` that long after the request is sent (default 5m); `iat` is always the time it is sent." },
    Word { word: "expired", value: (), syntax: "expired DURATION", doc: "In a test's `jwt { }`: `exp` that long before the request is sent, for a test of an expired token." },
    Word { word: "discovers", value: (), syntax: "upstream NAME discovers N", doc: "Discovery stubbed: the upstream's `discover dns` or `discover file` is not read in the test, and it has N stand-in servers (1 to 64; one when the test does not say), to pick or expect by number." },
    Word { word: "replies", value: (), syntax: "upstream NAME replies STATUS [\"BODY\"] [{ header \"N\" = \"V\" }]", doc: "What that upstream's servers answer, instead of the test's `reply` (an auth service and an app answering differently)." },
    Word { word: "client", value: (), syntax: "client 203.0.113.7", doc: "The address the test's request comes from (`client.ip`)." },
    Word { word: "sni", value: (), syntax: "sni \"NAME\"", doc: "The server name an `https://` test's client asks for in its TLS handshake (`tls.sni`); default the URL's host." },
    Word { word: "body", value: (), syntax: "body \"TEXT\" | body contains \"TEXT\"", doc: "A message's body: sent, or expected exactly or in part." },
    Word { word: "picks", value: (), syntax: "upstream NAME picks server N", doc: "Balancing stubbed: the upstream's server N (counted from 1, in declaration order) takes the request." },
    Word { word: "fail", value: (), syntax: "fail upstream NAME with connect_refused | reset", doc: "Every server of the upstream fails so, for the test's `on error` and retries." },
    Word { word: "with", value: (), syntax: "fail upstream NAME with KIND", doc: "How the upstream fails." },
    Word { word: "expect", value: (), syntax: "expect STATUS [{ CHECK ... }] | expect upstream NAME [server N] [{ CHECK ... }] | expect log { field ... }", doc: "What the client must get, the upstream the request must reach and how it must look there, or what the request's access log line holds." },
    Word { word: "reply", value: (), syntax: "reply STATUS [\"BODY\"] [{ header \"N\" = \"V\" }]", doc: "What the test's upstream servers answer." },
    Word { word: "no", value: (), syntax: "no header \"NAME\" | no field \"NAME\"", doc: "Expects the header (or access log field) to be absent." },
    Word { word: "field", value: (), syntax: "field \"NAME\" = \"VALUE\" | field \"NAME\" contains \"TEXT\"", doc: "In `expect log { }`: a field of the request's access log line, one of the line's own (`status`, `cache`, ...) or one `on log` sets." },
];

/// `fail upstream NAME with KIND`: how a test's upstream fails.
pub const TEST_FAILURES: &[Word<TestFailure>] = &[
    Word { word: "connect_refused", value: TestFailure::ConnectRefused, syntax: "fail upstream NAME with connect_refused", doc: "Nothing listens at the servers' addresses: every connection is refused (a 502 unless the program says otherwise)." },
    Word { word: "reset", value: TestFailure::Reset, syntax: "fail upstream NAME with reset", doc: "The servers accept the connection and reset it before answering." },
];

/// `jwt ALG "KEY" { ... }` in a test's `send`: how the test's token is signed.
pub const TEST_TOKEN_ALGORITHMS: &[Word<TestTokenAlg>] = &[
    Word { word: "RS256", value: TestTokenAlg::Rs256, syntax: "jwt RS256 \"KEY.pem\"", doc: "RSA PKCS#1 v1.5 with SHA-256; KEY is an RSA private key (PEM, PKCS#1 or PKCS#8)." },
    Word { word: "ES256", value: TestTokenAlg::Es256, syntax: "jwt ES256 \"KEY.pem\"", doc: "ECDSA P-256 with SHA-256; KEY is a P-256 private key (PEM, PKCS#8)." },
    Word { word: "EdDSA", value: TestTokenAlg::EdDsa, syntax: "jwt EdDSA \"KEY.pem\"", doc: "Ed25519; KEY is an Ed25519 private key (PEM, PKCS#8)." },
    Word { word: "HS256", value: TestTokenAlg::Hs256, syntax: "jwt HS256 \"SECRET\"", doc: "HMAC with SHA-256; SECRET is the file `jwt { secret }` reads (a final newline is not part of it)." },
];

/// `purge NAME SCOPE EXPR`: the entries besides the request's target a purge removes.
pub const PURGE_SCOPES: &[Word<PurgeBy>] = &[
    Word {
        word: "prefix",
        value: PurgeBy::Prefix,
        syntax: "purge NAME prefix EXPR",
        doc: "Every entry of the request's host whose path starts with the `str` EXPR (any query, variant or `vary_on` header).",
    },
    Word {
        word: "tag",
        value: PurgeBy::Tag,
        syntax: "purge NAME tag EXPR",
        doc: "Every entry carrying one of the tags in the `str` EXPR (separated by spaces or commas), as the origin named them in `Surrogate-Key` or `Cache-Tag`.",
    },
];

/// `listen PROTOCOL`.
pub const LISTEN_PROTOCOLS: &[Word<ListenProtocol>] = &[
    Word {
        word: "http",
        value: ListenProtocol::Http,
        syntax: "listen http ADDRESS",
        doc: "HTTP/1.1 and HTTP/2 cleartext (h2c, prior knowledge).",
    },
    Word {
        word: "https",
        value: ListenProtocol::Https,
        syntax: "listen https ADDRESS { cert \"CHAIN\" key \"KEY\" ... }",
        doc: "TLS (1.2 and 1.3), then HTTP/1.1 or HTTP/2 chosen by ALPN.",
    },
];

/// `balance POLICY`.
pub const POLICIES: &[Word<BalancePolicy>] = &[
    Word {
        word: "round_robin",
        value: BalancePolicy::RoundRobin,
        syntax: "balance round_robin",
        doc: "Smooth weighted round robin (weights 3 and 1 give a a b a).",
    },
    Word {
        word: "random",
        value: BalancePolicy::Random,
        syntax: "balance random",
        doc: "Weighted random choice of a server.",
    },
    Word {
        word: "least_conn",
        value: BalancePolicy::LeastConn,
        syntax: "balance least_conn",
        doc: "The server with the fewest requests in flight, relative to its weight.",
    },
    Word {
        word: "power_of_two",
        value: BalancePolicy::PowerOfTwo,
        syntax: "balance power_of_two",
        doc: "The less loaded of two servers chosen at random.",
    },
    Word {
        word: "hash",
        value: BalancePolicy::Hash,
        syntax: "balance hash(KEY)",
        doc: "Consistent hashing of a `str` key: the same key goes to the same server.",
    },
];

/// `on PHASE`.
pub const PHASES: &[Word<Section>] = &[
    Word { word: "request", value: Section::OnRequest, syntax: "on request { ... }", doc: "Runs for every request before routing; may answer, not `proxy`." },
    Word { word: "response", value: Section::OnResponse, syntax: "on response { ... }", doc: "Runs on every response sent to the client; may change headers, not answer." },
    Word { word: "error", value: Section::OnError, syntax: "on error { ... }", doc: "Builds the page sent when proxying failed, with `respond` or `redirect`." },
    Word { word: "log", value: Section::OnLog, syntax: "on log { ... }", doc: "Runs once per request after the response; adds access log fields with `set log[\"name\"] = ...`." },
];

/// The words of `list NAME: TYPE from file "PATH"` and `flag NAME from file "PATH"` that are
/// not keywords (a program may still name a variable `list`).
pub const DATA_WORDS: &[WordInfo] = &[
    Word {
        word: "list",
        value: (),
        syntax: "list NAME: str|int|cidr from file \"PATH\"",
        doc: "A list read from a file, one entry per line, re-read when the file changes or on SIGHUP: `value in NAME`.",
    },
    Word {
        word: "flag",
        value: (),
        syntax: "flag NAME from file \"PATH\"",
        doc: "A `bool` that is true while the file exists (looked at every second and on SIGHUP): `if NAME { ... }`.",
    },
    Word {
        word: "from",
        value: (),
        syntax: "list NAME: TYPE from file \"PATH\"",
        doc: "Where a list or flag is read from: a file, relative to the .pxy file.",
    },
];

/// The entry types of `list NAME: TYPE`.
pub const LIST_ELEMENTS: &[Word<ListElement>] = &[
    Word {
        word: "str",
        value: ListElement::Str,
        syntax: "list NAME: str from file \"PATH\"",
        doc: "Strings, one per line (spaces around trimmed); `req.headers[\"x-key\"] in NAME` (an absent value is in no list).",
    },
    Word {
        word: "int",
        value: ListElement::Int,
        syntax: "list NAME: int from file \"PATH\"",
        doc: "Whole numbers from 0 to 18446744073709551615, one per line.",
    },
    Word {
        word: "cidr",
        value: ListElement::Cidr,
        syntax: "list NAME: cidr from file \"PATH\"",
        doc: "Networks (`10.0.0.0/8`) and addresses (a /32 or /128), IPv4 and IPv6, one per line; `client.ip in NAME`.",
    },
];

/// `discover KIND`.
pub const DISCOVERY_KINDS: &[Word<DiscoveryKind>] = &[
    Word {
        word: "dns",
        value: DiscoveryKind::Dns,
        syntax: "discover dns \"NAME\" port N [every D]",
        doc: "The servers are the addresses of a DNS name, resolved again every D.",
    },
    Word {
        word: "file",
        value: DiscoveryKind::File,
        syntax: "discover file \"PATH\" [every D]",
        doc: "The servers are the `ADDRESS [weight N]` lines of a file, read again every D.",
    },
];

/// `health KIND`.
pub const HEALTH_KINDS: &[Word<HealthKind>] = &[
    Word {
        word: "http",
        value: HealthKind::Http,
        syntax: "health http METHOD \"/path\" ...",
        doc: "A request to each server; healthy when it answers the expected status.",
    },
    Word {
        word: "tcp",
        value: HealthKind::Tcp,
        syntax: "health tcp ...",
        doc: "A TCP connect to each server.",
    },
];

/// `client_ca "..." MODE`.
pub const CLIENT_CA_MODES: &[Word<ClientCaMode>] = &[
    Word {
        word: "required",
        value: ClientCaMode::Required,
        syntax: "client_ca \"CA\" required",
        doc: "Clients must present a certificate signed by the CA.",
    },
    Word {
        word: "optional",
        value: ClientCaMode::Optional,
        syntax: "client_ca \"CA\" optional",
        doc: "A certificate is asked for and verified when sent; clients without one are let in.",
    },
];

/// `alpn PROTOCOL, ...`.
pub const ALPN_PROTOCOLS: &[Word<TypedAlpn>] = &[
    Word {
        word: "h2",
        value: TypedAlpn::H2,
        syntax: "alpn h2, http/1.1",
        doc: "HTTP/2.",
    },
    Word {
        word: "http/1.1",
        value: TypedAlpn::Http11,
        syntax: "alpn h2, http/1.1",
        doc: "HTTP/1.1.",
    },
];

/// The keyword or fixed word `word`, if it is one (for hover).
pub fn word(word: &str) -> Option<WordInfo> {
    fn plain<T: Copy>(table: &'static [Word<T>], word: &str) -> Option<WordInfo> {
        table.iter().find(|w| w.word == word).map(|w| Word {
            word: w.word,
            value: (),
            syntax: w.syntax,
            doc: w.doc,
        })
    }
    plain(KEYWORDS, word)
        .or_else(|| plain(crate::catalog::settings::UPSTREAM_SETTINGS, word))
        .or_else(|| plain(crate::catalog::settings::SERVER_SETTINGS, word))
        .or_else(|| plain(crate::catalog::settings::LIMIT_OPTIONS, word))
        .or_else(|| plain(crate::catalog::settings::CACHE_SETTINGS, word))
        .or_else(|| plain(crate::catalog::settings::CACHE_RULE_SETTINGS, word))
        .or_else(|| plain(LIMIT_WORDS, word))
        .or_else(|| plain(DATA_WORDS, word))
        .or_else(|| plain(LIST_ELEMENTS, word))
        .or_else(|| plain(DECLARATION_WORDS, word))
        .or_else(|| plain(TEST_WORDS, word))
        .or_else(|| plain(TEST_FAILURES, word))
        .or_else(|| plain(TEST_TOKEN_ALGORITHMS, word))
        .or_else(|| plain(crate::catalog::settings::JWT_OPTIONS, word))
        .or_else(|| plain(crate::catalog::settings::BASIC_AUTH_OPTIONS, word))
        .or_else(|| plain(crate::catalog::settings::FORWARD_AUTH_OPTIONS, word))
        .or_else(|| plain(POLICIES, word))
        .or_else(|| plain(PHASES, word))
        .or_else(|| plain(LISTEN_PROTOCOLS, word))
}
