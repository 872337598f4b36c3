//! Every mistake the checker can find: one variant per mistake, holding spans and facts, never
//! prose. `crate::diagnostic` is the one place that turns these into words.

use pxy_dsl::Span;

use crate::catalog::fields::Availability;
use crate::catalog::settings::{KeyHeader, ValueKind};
use crate::catalog::words::{Phase, Section, WordKind};
use crate::types::Type;

/// A mistake the checker found in a program: an error (the program is rejected) or a warning.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckError {
    /// `set log["user id"] = ...`, `set log["status"] = ...`: not a usable log field name.
    InvalidLogField {
        /// The name's literal.
        span: Span,
        /// The name as written.
        name: String,
        /// What is wrong with it.
        reason: LogFieldProblem,
    },
    /// `set log[name] = ...`: the field name must be a plain string literal.
    LogFieldNotLiteral {
        /// The key.
        span: Span,
    },
    /// `proxy apj` where only `api` exists.
    UnknownUpstream {
        /// The reference.
        span: Span,
        /// What was written.
        name: String,
        /// The closest declared name, if any is close.
        suggestion: Option<String>,
    },
    /// `let x = 1` then `y`: a name that is not bound here.
    UnknownName {
        /// The reference.
        span: Span,
        /// What was written.
        name: String,
        /// The closest name in scope.
        suggestion: Option<String>,
    },
    /// `req.pth`: a field that does not exist.
    UnknownField {
        /// The field reference.
        span: Span,
        /// The path as written.
        path: String,
        /// The closest known field.
        suggestion: Option<String>,
    },
    /// `lowr(x)`: no such function.
    UnknownFunction {
        /// The call's name.
        span: Span,
        /// What was written.
        name: String,
        /// The closest function.
        suggestion: Option<String>,
    },
    /// `list ports: duration from file "ports.txt"`: lists hold `str`, `int` or `cidr`.
    UnsupportedListType {
        /// The element type as written.
        span: Span,
        /// What was written.
        name: String,
        /// The closest supported type.
        suggestion: Option<String>,
    },
    /// `balance round_robn`, `listen htp`, `on requets`, `conect_timeout 1s`.
    UnknownOption {
        /// The word.
        span: Span,
        /// What kind of word.
        what: WordKind,
        /// What was written.
        name: String,
        /// Valid choices.
        choices: Vec<&'static str>,
        /// The closest choice.
        suggestion: Option<String>,
    },
    /// Two upstreams named `api`, two `let x` in one scope, two listeners on one address.
    Duplicate {
        /// The second definition.
        span: Span,
        /// The first.
        first: Span,
        /// What is defined twice.
        what: DuplicateKind,
        /// The name or address.
        name: String,
    },
    /// `server { threads 127.0.0.1:80 }`: an address where the setting takes another kind.
    AddressNotExpected {
        /// The address.
        span: Span,
        /// What the setting takes.
        expected: ValueKind,
    },
    /// `set req.headers["x"] = 5`: a value of the wrong type.
    TypeMismatch {
        /// The value.
        span: Span,
        /// What the context needs.
        expected: Expected,
        /// What the value is.
        found: Type,
    },
    /// `req.headers["a"] starts_with "x"`: an optional used as if it were always there.
    OptionalUsed {
        /// The optional value.
        span: Span,
        /// Its type.
        ty: Type,
    },
    /// `lower()`: wrong number of arguments.
    Arity {
        /// The call.
        span: Span,
        /// The function.
        name: String,
        /// Expected count.
        expected: usize,
        /// Given count.
        given: usize,
    },
    /// `path ~ /(/`: the regex does not compile.
    InvalidRegex {
        /// The regex literal.
        span: Span,
        /// The regex engine's explanation.
        reason: String,
    },
    /// `req.headers["bad name"]`: not an RFC 9110 token.
    InvalidHeaderName {
        /// The header name literal.
        span: Span,
        /// What was written.
        name: String,
    },
    /// `set resp.headers["x"] = "a\nb"`: CR, LF or other control characters in a value.
    InvalidHeaderValue {
        /// The value literal.
        span: Span,
    },
    /// `respond 700`
    InvalidStatus {
        /// The status literal.
        span: Span,
        /// The number written.
        value: u64,
        /// The statuses allowed there.
        allowed: StatusRange,
    },
    /// `listen http 300.1.1.1:80`, `server localhost` without port, `10.0.0.0/33`.
    InvalidLiteral {
        /// The literal.
        span: Span,
        /// What is wrong with it.
        reason: Malformed,
    },
    /// `listen https ...` without a `cert` line.
    MissingCertificate {
        /// The listener.
        span: Span,
    },
    /// TLS settings where TLS is off: a `{ ... }` block on `listen http`, or `tls_*` settings
    /// in an upstream without `tls on`.
    TlsSettingWithoutTls {
        /// The setting.
        span: Span,
        /// Where TLS would be turned on.
        fix: TlsFix,
    },
    /// A certificate, key or CA file that does not exist at build time.
    MissingFile {
        /// The path as written.
        span: Span,
        /// What the file is.
        what: FileKind,
        /// The path looked at.
        path: String,
    },
    /// `tls_verify off`: the upstream's certificates are not checked.
    TlsVerifyOff {
        /// The setting.
        span: Span,
    },
    /// `resp.status` inside `on request`: the field does not exist yet in that phase.
    FieldNotInPhase {
        /// The field reference.
        span: Span,
        /// The field as written.
        field: String,
        /// True when the field was written (`set`), not read.
        writing: bool,
        /// The phase where it was used.
        phase: Phase,
        /// Where it is available.
        available: Availability,
    },
    /// `set req.path = ...`, `set client.ip = ...`: not a writable place.
    NotWritable {
        /// The place.
        span: Span,
        /// The place as written.
        place: String,
        /// A statement that does what was meant, when there is one.
        hint: Option<WriteHint>,
    },
    /// `proxy api` in `on response`: a statement not allowed in this section.
    StatementNotAllowed {
        /// The statement.
        span: Span,
        /// The statement.
        stmt: Statement,
        /// The section.
        section: Section,
    },
    /// `req.headers[name]`: the key must be a literal.
    KeyNotLiteral {
        /// The key.
        span: Span,
    },
    /// A route or branch that can end without `respond`, `redirect` or `proxy`.
    MissingTerminal {
        /// The route head.
        span: Span,
        /// The end of the block where it falls through.
        end: Span,
    },
    /// An upstream with no `server`.
    EmptyUpstream {
        /// The upstream's name.
        span: Span,
        /// Its name.
        name: String,
    },
    /// `weight 0`
    ZeroWeight {
        /// The weight literal.
        span: Span,
    },
    /// A route that can never run because an earlier route matches everything it would.
    /// (warning)
    UnreachableRoute {
        /// The unreachable route's head.
        span: Span,
        /// The earlier route that takes its requests.
        shadowed_by: Span,
    },
    /// Statements after `respond`, `redirect` or `proxy` in the same block. (warning)
    UnreachableStatement {
        /// The first unreachable statement.
        span: Span,
        /// The terminal statement before it.
        after: Span,
    },
    /// `set req.headers["connection"] = ...`: hop-by-hop and framing headers belong to one
    /// connection; the proxy manages them.
    HopByHopWrite {
        /// The header name.
        span: Span,
        /// The header.
        name: String,
    },
    /// `if 1 == 2`: a comparison of two literals. (warning)
    ConstantComparison {
        /// The comparison.
        span: Span,
        /// What it always is.
        value: bool,
    },
    /// `let x = ...` never used. (warning)
    UnusedLet {
        /// The name.
        span: Span,
        /// The name.
        name: String,
    },
    /// Routes exist but none matches every request: the rest get the built-in 404. (warning)
    NoFallbackRoute {
        /// The last route's head.
        span: Span,
    },
    /// Two routes match some of the same requests, neither includes the other, and they do
    /// different things: their order decides. (warning)
    OverlappingRoutes {
        /// The later route's head.
        span: Span,
        /// The earlier route's head.
        earlier: Span,
        /// A request both match, in words.
        example: String,
    },
    /// `retry_on 503` where no retry can happen. (warning)
    RetryOnNeverRetries {
        /// The `retry_on` line.
        span: Span,
        /// Why not.
        reason: NeverRetries,
    },
    /// `try_timeout` at least as long as `request_timeout`: the whole request ends first.
    /// (warning)
    TryTimeoutNeverFires {
        /// The `try_timeout` line.
        span: Span,
        /// The `request_timeout` line.
        total: Span,
    },
    /// `timeout 2s` with `connect_timeout 1s` and `retries 3`: the last tries cannot fit in the
    /// request's time. (warning)
    RetriesNeverRun {
        /// The `timeout` setting.
        span: Span,
        /// connect_timeout × (retries + 1), in milliseconds.
        needed_ms: u64,
        /// The total timeout, in milliseconds.
        total_ms: u64,
    },
    /// A declared upstream no `proxy` uses. (warning)
    UnusedUpstream {
        /// Its name.
        span: Span,
        /// The name.
        name: String,
    },
    /// No `listen` at all: the proxy would serve nothing.
    NoListener,
    /// `rate_limit per_clent`: no `limit` of that name.
    UnknownLimit {
        /// The name.
        span: Span,
        /// What was written.
        name: String,
        /// The closest declared limit.
        suggestion: Option<String>,
    },
    /// `verify_jwt apii`: no `jwt` of that name.
    UnknownJwt {
        /// The name.
        span: Span,
        /// What was written.
        name: String,
        /// The closest declared verifier.
        suggestion: Option<String>,
    },
    /// `jwt api { issuer "x" }` (no key), `jwt api { key "k.pem" }` (no `alg`),
    /// `jwt api { leeway 0s }`.
    InvalidJwt {
        /// What is wrong: the name, or the option.
        span: Span,
        /// What is wrong.
        problem: JwtProblem,
    },
    /// `verify_basic admin`: no `basic_auth` of that name.
    UnknownBasicAuth {
        /// The name.
        span: Span,
        /// What was written.
        name: String,
        /// The closest declared verifier.
        suggestion: Option<String>,
    },
    /// `basic_auth ops { realm "x" }` (no users file), `realm "a\"b"`.
    InvalidBasicAuth {
        /// What is wrong: the name, or the option's value.
        span: Span,
        /// What is wrong.
        problem: BasicAuthProblem,
    },
    /// `verify_forward ssoo`: no `forward_auth` of that name.
    UnknownForwardAuth {
        /// The name.
        span: Span,
        /// What was written.
        name: String,
        /// The closest declared verifier.
        suggestion: Option<String>,
    },
    /// `forward_auth sso { uri "/x" }` (no service), `uri "verify"`, `copy "host"`.
    InvalidForwardAuth {
        /// What is wrong: the name, or the option's value.
        span: Span,
        /// What is wrong.
        problem: ForwardAuthProblem,
    },
    /// `compress { types "html" }`: not `type/subtype`.
    InvalidMediaType {
        /// The string.
        span: Span,
        /// What was written.
        text: String,
    },
    /// `rate_limit x else set ...`: the `else` of a limit must answer the request.
    OtherwiseMustAnswer {
        /// The `else` statement.
        span: Span,
    },
    /// `cache mian` in a route, `purge mian`: no `cache` of that name.
    UnknownCache {
        /// The name.
        span: Span,
        /// What was written.
        name: String,
        /// The closest declared cache.
        suggestion: Option<String>,
    },
    /// `cache main { size 0B }`, `cache main { max_object 2MB size 1MB }`, `ttl 0s`.
    InvalidCache {
        /// The value.
        span: Span,
        /// What is wrong.
        problem: CacheProblem,
    },
    /// `route { if req.cookies["s"] == "x" { ... } cache main  proxy app }`: the route's
    /// logic reads a cookie or `Authorization`, so its answers may depend on who asks, and the
    /// cache would give one client's answer to another.
    CacheReadsCredentials {
        /// Where the route reads it.
        span: Span,
        /// The `cache` statement.
        cache: Span,
        /// What it reads.
        what: KeyHeader,
    },
    /// `route header "x-env" == "prod" { cache main ... }` beside another route caching in
    /// `main`: the key has no `x-env`, so their requests for one URL share entries.
    CacheKeyMissesHeader {
        /// The route's head.
        span: Span,
        /// The `cache` statement.
        cache: Span,
        /// The header matched on.
        header: String,
    },
    /// `route path "/purge/" { purge main }`: anyone can empty the cache.
    UncheckedPurge {
        /// The `purge` statement.
        span: Span,
    },
    /// `limit x = 0 per 1m`, `limit x = 5000000 per 1ms`, `max_in_flight 0`.
    InvalidLimit {
        /// The number.
        span: Span,
        /// What is wrong.
        problem: LimitProblem,
    },
    /// A decision on a request header in which clients name their own address
    /// (`X-Forwarded-For` and the like).
    ClientAddressHeaderRead {
        /// The header read.
        span: Span,
        /// Its name, in lower case.
        name: String,
    },
    /// `client.ip` decides something while a listener takes it from PROXY headers that any
    /// peer may send (`proxy_protocol` without `trust_proxies`).
    UntrustedProxyProtocol {
        /// The listener's `proxy_protocol`.
        span: Span,
        /// The first `client.ip` outside `on log`.
        rule: Span,
    },
    /// `on request`, `on error` or `on log` inside a route: only `on response` belongs there.
    PhaseInRoute {
        /// The phase's name.
        span: Span,
        /// The phase written.
        section: Section,
    },
    /// `server { access_log combined }` with `on log { set log["user"] = ... }`: the
    /// combined format has no place for the program's fields. (warning)
    LogFieldsNotWritten {
        /// The `access_log combined` setting.
        span: Span,
        /// The `log` of the first `on log` block.
        on_log: Span,
    },
    /// `server { access_log off access_log_file "/var/log/p.log" }`: no file is written.
    /// (warning)
    LogFileWithoutLog {
        /// The `access_log_file` setting.
        span: Span,
        /// The `access_log off` setting.
        off: Span,
    },
    /// A `jwt`, `basic_auth`, `forward_auth` or `cache` declaration no statement names.
    UnusedDeclaration {
        /// Its name.
        span: Span,
        /// The name.
        name: String,
        /// What it declares.
        kind: Declaration,
    },
    /// A `limit` that no `rate_limit` uses.
    UnusedLimit {
        /// Its name.
        span: Span,
        /// The name.
        name: String,
    },
    /// `m[3]` when the regex has two groups, or `m["nme"]` when no group has that name.
    CaptureOutOfRange {
        /// The group reference.
        span: Span,
        /// The group as written.
        group: String,
        /// How many groups the regex has.
        available: usize,
        /// The names of its named groups.
        names: Vec<String>,
    },
    /// `if a matches /x/ || b matches /y/ as m`: `as` needs exactly one `matches` that must
    /// have succeeded when the condition holds.
    CapturesNeedOneMatch {
        /// The condition.
        span: Span,
    },
    /// A `test` block that cannot run as written.
    InvalidTest {
        /// The line (or the test's name, for what the test lacks).
        span: Span,
        /// What is wrong.
        problem: TestProblem,
    },
    /// A test's request that no route's matchers (host, path, method, headers) accept: the
    /// test can only pass through `on request` answering it.
    TestMatchesNoRoute {
        /// The `send` line.
        span: Span,
    },
}

/// What is wrong with a `test` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TestProblem {
    /// No `send` line.
    NoRequest,
    /// Neither `expect STATUS` nor `expect upstream`.
    NothingExpected,
    /// The URL is not absolute (`scheme://host/path`).
    UrlNotAbsolute,
    /// The URL's scheme is neither `http` nor `https`.
    UrlScheme {
        /// The scheme written.
        scheme: String,
    },
    /// `sni` or `cert` in a test whose URL is not `https://`.
    TlsWithoutHttps,
    /// An `https://` test of a program without `listen https`.
    NoHttpsListener,
    /// `times N` with N outside 1 to 1000.
    Times,
    /// Two of `user`, a bearer `jwt` and an `authorization` header in one `send`.
    TwoAuthorizations,
    /// `claim "exp"` in a test's `jwt`.
    ExpClaim,
    /// `upstream NAME cert ...` for an upstream without `tls on`.
    CertWithoutTls {
        /// The upstream.
        upstream: String,
    },
    /// `picks server N`, `expect upstream NAME server N` beyond the upstream's servers.
    NoSuchServer {
        /// The upstream.
        upstream: String,
        /// How many servers it has in the test.
        servers: usize,
        /// Whether it discovers them (the test says how many: `upstream NAME discovers N`).
        discovered: bool,
    },
    /// `upstream NAME discovers N` for an upstream with `server` lines.
    NotDiscovered {
        /// The upstream.
        upstream: String,
    },
    /// `upstream NAME discovers N` with N outside 1 to 64.
    DiscoveredCount,
}

impl CheckError {
    /// The place the mistake is about (the first label of its diagnostic); `None` for a
    /// mistake of the whole program. Sorting uses it, so it builds no words.
    pub fn span(&self) -> Option<Span> {
        match self {
            CheckError::InvalidLogField { span, .. }
            | CheckError::LogFieldNotLiteral { span, .. }
            | CheckError::UnknownUpstream { span, .. }
            | CheckError::InvalidTest { span, .. }
            | CheckError::TestMatchesNoRoute { span }
            | CheckError::UnknownName { span, .. }
            | CheckError::UnknownField { span, .. }
            | CheckError::UnknownFunction { span, .. }
            | CheckError::UnknownOption { span, .. }
            | CheckError::UnsupportedListType { span, .. }
            | CheckError::Duplicate { span, .. }
            | CheckError::TypeMismatch { span, .. }
            | CheckError::AddressNotExpected { span, .. }
            | CheckError::OptionalUsed { span, .. }
            | CheckError::Arity { span, .. }
            | CheckError::InvalidRegex { span, .. }
            | CheckError::InvalidHeaderName { span, .. }
            | CheckError::InvalidHeaderValue { span, .. }
            | CheckError::InvalidStatus { span, .. }
            | CheckError::InvalidLiteral { span, .. }
            | CheckError::MissingCertificate { span, .. }
            | CheckError::TlsSettingWithoutTls { span, .. }
            | CheckError::MissingFile { span, .. }
            | CheckError::TlsVerifyOff { span, .. }
            | CheckError::FieldNotInPhase { span, .. }
            | CheckError::NotWritable { span, .. }
            | CheckError::StatementNotAllowed { span, .. }
            | CheckError::KeyNotLiteral { span, .. }
            | CheckError::MissingTerminal { span, .. }
            | CheckError::EmptyUpstream { span, .. }
            | CheckError::ZeroWeight { span, .. }
            | CheckError::UnreachableRoute { span, .. }
            | CheckError::UnreachableStatement { span, .. }
            | CheckError::HopByHopWrite { span, .. }
            | CheckError::ConstantComparison { span, .. }
            | CheckError::UnusedLet { span, .. }
            | CheckError::NoFallbackRoute { span, .. }
            | CheckError::OverlappingRoutes { span, .. }
            | CheckError::RetriesNeverRun { span, .. }
            | CheckError::RetryOnNeverRetries { span, .. }
            | CheckError::TryTimeoutNeverFires { span, .. }
            | CheckError::UnusedUpstream { span, .. }
            | CheckError::CaptureOutOfRange { span, .. }
            | CheckError::CapturesNeedOneMatch { span, .. }
            | CheckError::UnknownLimit { span, .. }
            | CheckError::UnknownJwt { span, .. }
            | CheckError::InvalidJwt { span, .. }
            | CheckError::UnknownBasicAuth { span, .. }
            | CheckError::InvalidBasicAuth { span, .. }
            | CheckError::UnknownForwardAuth { span, .. }
            | CheckError::InvalidForwardAuth { span, .. }
            | CheckError::InvalidMediaType { span, .. }
            | CheckError::OtherwiseMustAnswer { span }
            | CheckError::InvalidLimit { span, .. }
            | CheckError::UnknownCache { span, .. }
            | CheckError::InvalidCache { span, .. }
            | CheckError::CacheReadsCredentials { span, .. }
            | CheckError::CacheKeyMissesHeader { span, .. }
            | CheckError::UncheckedPurge { span }
            | CheckError::ClientAddressHeaderRead { span, .. }
            | CheckError::UntrustedProxyProtocol { span, .. }
            | CheckError::PhaseInRoute { span, .. }
            | CheckError::UnusedLimit { span, .. }
            | CheckError::UnusedDeclaration { span, .. }
            | CheckError::LogFieldsNotWritten { span, .. }
            | CheckError::LogFileWithoutLog { span, .. } => Some(*span),
            CheckError::NoListener => None,
        }
    }

    /// Warnings do not stop a build (unless denied); errors do.
    pub fn is_warning(&self) -> bool {
        match self {
            CheckError::MissingFile { .. }
            | CheckError::TlsVerifyOff { .. }
            | CheckError::UnreachableRoute { .. }
            | CheckError::UnreachableStatement { .. }
            | CheckError::ConstantComparison { .. }
            | CheckError::UnusedLet { .. }
            | CheckError::NoFallbackRoute { .. }
            | CheckError::OverlappingRoutes { .. }
            | CheckError::RetriesNeverRun { .. }
            | CheckError::RetryOnNeverRetries { .. }
            | CheckError::TryTimeoutNeverFires { .. }
            | CheckError::UnusedUpstream { .. }
            | CheckError::ClientAddressHeaderRead { .. }
            | CheckError::UntrustedProxyProtocol { .. }
            | CheckError::UnusedLimit { .. }
            | CheckError::UnusedDeclaration { .. }
            | CheckError::CacheReadsCredentials { .. }
            | CheckError::CacheKeyMissesHeader { .. }
            | CheckError::UncheckedPurge { .. }
            | CheckError::LogFieldsNotWritten { .. }
            | CheckError::LogFileWithoutLog { .. }
            | CheckError::TestMatchesNoRoute { .. } => true,
            CheckError::InvalidLogField { .. }
            | CheckError::PhaseInRoute { .. }
            | CheckError::LogFieldNotLiteral { .. }
            | CheckError::UnknownUpstream { .. }
            | CheckError::UnknownName { .. }
            | CheckError::UnknownField { .. }
            | CheckError::UnknownFunction { .. }
            | CheckError::UnknownOption { .. }
            | CheckError::UnsupportedListType { .. }
            | CheckError::Duplicate { .. }
            | CheckError::TypeMismatch { .. }
            | CheckError::AddressNotExpected { .. }
            | CheckError::OptionalUsed { .. }
            | CheckError::Arity { .. }
            | CheckError::InvalidRegex { .. }
            | CheckError::InvalidHeaderName { .. }
            | CheckError::InvalidHeaderValue { .. }
            | CheckError::InvalidStatus { .. }
            | CheckError::InvalidLiteral { .. }
            | CheckError::MissingCertificate { .. }
            | CheckError::TlsSettingWithoutTls { .. }
            | CheckError::FieldNotInPhase { .. }
            | CheckError::NotWritable { .. }
            | CheckError::StatementNotAllowed { .. }
            | CheckError::KeyNotLiteral { .. }
            | CheckError::MissingTerminal { .. }
            | CheckError::EmptyUpstream { .. }
            | CheckError::ZeroWeight { .. }
            | CheckError::HopByHopWrite { .. }
            | CheckError::NoListener
            | CheckError::CaptureOutOfRange { .. }
            | CheckError::CapturesNeedOneMatch { .. }
            | CheckError::UnknownLimit { .. }
            | CheckError::UnknownJwt { .. }
            | CheckError::InvalidJwt { .. }
            | CheckError::UnknownBasicAuth { .. }
            | CheckError::InvalidBasicAuth { .. }
            | CheckError::UnknownForwardAuth { .. }
            | CheckError::InvalidForwardAuth { .. }
            | CheckError::InvalidMediaType { .. }
            | CheckError::OtherwiseMustAnswer { .. }
            | CheckError::InvalidLimit { .. }
            | CheckError::UnknownCache { .. }
            | CheckError::InvalidCache { .. }
            | CheckError::InvalidTest { .. } => false,
        }
    }
}

/// Why a cache setting cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheProblem {
    /// `size 0B`: nothing could be stored.
    ZeroSize,
    /// `max_object` larger than `size`.
    ObjectLargerThanCache,
    /// `ttl 0s`, `default_ttl 0s`: stored, but never fresh.
    ZeroTtl,
}

/// What is wrong with a `basic_auth` declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasicAuthProblem {
    /// No `users "FILE"`.
    NoUsers,
    /// Two `users` lines.
    TwoUsers,
    /// A realm that is empty or holds `"`, `\` or a control character (it goes into a quoted
    /// header parameter).
    BadRealm,
}

/// What is wrong with a `forward_auth` declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardAuthProblem {
    /// No `service UPSTREAM`.
    NoService,
    /// An option written twice.
    TwoOfOption,
    /// A `uri` that is not an origin-form path (`/verify?app=web`).
    BadUri,
    /// `copy` of a header the proxy manages itself (framing, hop-by-hop, `Host`).
    ManagedHeader,
    /// `timeout 0s`: every question would fail.
    ZeroTimeout,
}

/// What is wrong with a `jwt` declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtProblem {
    /// None of `jwks`, `key`, `secret`.
    NoKeySource,
    /// More than one of `jwks`, `key`, `secret`.
    TwoKeySources,
    /// `key` without `alg`.
    KeyWithoutAlg,
    /// `alg` without `key` (a JWKS names each key's algorithm; `secret` is HS256).
    AlgWithoutKey,
    /// `leeway 0s`.
    ZeroLeeway,
    /// `leeway 1h`, or not whole seconds.
    AbsurdLeeway,
}

/// Why a limit's number cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitProblem {
    /// 0 requests per period, or `max_in_flight 0`.
    Zero,
    /// More than 4294967295.
    TooLarge,
    /// More requests than nanoseconds in the period.
    PeriodTooShort,
}

/// What a context needs, when a value of another type was given.
#[derive(Debug, Clone, PartialEq)]
pub enum Expected {
    /// A value of this type.
    Type(Type),
    /// A value, not a regex (a regex can only follow `matches`).
    NotRegex,
    /// A value that can be written as text (in an interpolation).
    Printable,
    /// One header of `req.headers`/`resp.headers` (or a cookie), not the whole map: the
    /// field's path.
    SingleHeader(String),
    /// A number literal: a position in a list.
    ListPosition,
    /// Something indexable: headers, captures or `split(...)`.
    Indexable,
    /// A literal, as list elements are.
    ListElement,
    /// A regex literal (after `matches`).
    RegexLiteral,
    /// A list of this type (after `in`).
    ListOf(Type),
    /// A CIDR literal (after `in`).
    CidrLiteral,
    /// An optional `str`, `int` or `ip` (before `??`).
    Defaultable,
    /// A value that can be compared.
    Comparable,
    /// A number, duration, size or status (for `<`, `>`, ...).
    Ordered,
    /// The value of a setting.
    Setting(ValueKind),
    /// A value a `let` can name (not a CIDR, list or capture groups).
    Nameable,
    /// What a limit counts by: a `str`, `ip` or `int` that is always there.
    LimitKey,
    /// The name of a declared upstream (`healthy(web)`).
    UpstreamName,
}

/// Why an upstream's `retry_on` can never retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeverRetries {
    /// `retries 0`
    NoRetries,
    /// One server, and a retry goes to another.
    OneServer,
}

/// What is wrong with a literal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Malformed {
    /// `[]`
    EmptyList,
    /// `x % 0`
    ModByZero,
    /// `upstream a { server ... discover ... }`
    ServersAndDiscover,
    /// Two `client_ca` lines in one listener.
    TwoClientCa,
    /// `server localhost:80`: host names are not resolved at build time.
    AddressHostName,
    /// `listen http 1.2.3.4:99999`
    Address,
    /// `balance hash` without a key.
    HashNeedsKey,
    /// `balance random(x)`: only `hash` takes a key.
    KeyWithoutHash {
        /// The policy written.
        policy: String,
    },
    /// `discover dns "name"` without `port`.
    DnsNeedsPort,
    /// `health http GET "healthz"`
    HealthPath,
    /// `health http` without a method and path.
    HttpHealthNeedsRequest,
    /// `health tcp GET "/x"`
    TcpHealthRequest,
    /// `route path "v1"`
    PathPrefix,
    /// `300.1.1.1`
    Ip,
    /// `1.2.3.x/8`
    CidrAddress,
    /// `10.0.0.0/33`
    CidrPrefix {
        /// The longest prefix for the address family.
        max: u8,
    },
}

/// What is defined twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DuplicateKind {
    /// Two upstreams of one name.
    Upstream,
    /// Two listeners on one address.
    Listener,
    /// Two `discover` lines in one upstream.
    Discover,
    /// One log field set twice.
    LogField,
    /// One setting twice in `server { }`.
    ServerSetting,
    /// Two `server { }` blocks.
    ServerBlock,
    /// Two routes of one name.
    Route,
    /// Two limits of one name.
    Limit,
    /// Two caches of one name.
    Cache,
    /// Two `jwt` verifiers of one name.
    Jwt,
    /// Two `basic_auth` verifiers of one name.
    BasicAuth,
    /// Two `forward_auth` verifiers of one name.
    ForwardAuth,
    /// A listener line (`proxy_protocol`, `trust_proxies`) written twice.
    ListenerLine,
    /// Two lists or flags of one name.
    Data,
    /// Two tests of one name.
    Test,
    /// A line a test has at most once (`send`, `reply`, `expect`, a pick or failure of one
    /// upstream) written twice.
    TestLine,
}

/// The statuses allowed in a place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusRange {
    /// 100 to 599.
    Any,
    /// 301, 302, 303, 307 or 308.
    Redirect,
}

/// Why a name cannot be a log field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFieldProblem {
    /// Not a simple token.
    NotAToken,
    /// One of the access log line's own fields.
    Reserved,
}

/// What a file the program names is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A certificate chain.
    Certificate,
    /// A private key.
    PrivateKey,
    /// A CA bundle.
    Ca,
    /// The server list of `discover file`.
    Discovery,
    /// The file of a `list`.
    List,
    /// A JWT verifier's key, secret or key set.
    JwtKey,
    /// A `basic_auth` verifier's users file.
    Users,
    /// The key a test's `jwt` is signed with.
    SigningKey,
}

/// Where TLS would be turned on for a TLS setting to take effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsFix {
    /// `listen https`
    ListenHttps,
    /// `tls on` in the upstream.
    UpstreamTlsOn,
}

/// A statement that does what an assignment meant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteHint {
    /// `rewrite path = "..."` instead of `set req.path = ...`.
    RewritePath,
}

/// A statement, as named in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Statement {
    /// `set`
    Set,
    /// `add`
    Add,
    /// `remove`
    Remove,
    /// `set log[...]`
    SetLog,
    /// `respond`
    Respond,
    /// `redirect`
    Redirect,
    /// `strip_prefix`
    StripPrefix,
    /// `rewrite path`
    RewritePath,
    /// `proxy`
    Proxy,
    /// `rate_limit`
    RateLimit,
    /// `max_in_flight`
    MaxInFlight,
    /// `cache` in a route
    Cache,
    /// `purge`
    Purge,
    /// `verify_jwt`
    VerifyJwt,
    /// `verify_basic`
    VerifyBasic,
    /// `verify_forward`
    VerifyForward,
    /// `compress`
    Compress,
}

impl Statement {
    /// Every statement, in the order help texts list them.
    pub const ALL: [Statement; 17] = [
        Statement::Set,
        Statement::Add,
        Statement::Remove,
        Statement::SetLog,
        Statement::Respond,
        Statement::Redirect,
        Statement::StripPrefix,
        Statement::RewritePath,
        Statement::Proxy,
        Statement::RateLimit,
        Statement::MaxInFlight,
        Statement::Cache,
        Statement::Purge,
        Statement::VerifyJwt,
        Statement::VerifyBasic,
        Statement::VerifyForward,
        Statement::Compress,
    ];
}

/// The declarations a statement must name to have an effect (for
/// [`CheckError::UnusedDeclaration`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Declaration {
    /// `jwt NAME { }`, named by `verify_jwt NAME`.
    Jwt,
    /// `basic_auth NAME { }`, named by `verify_basic NAME`.
    BasicAuth,
    /// `forward_auth NAME { }`, named by `verify_forward NAME`.
    ForwardAuth,
    /// `cache NAME { }`, named by `cache NAME` and `purge NAME`.
    Cache,
}

impl Declaration {
    /// The declaring keyword.
    pub fn keyword(self) -> &'static str {
        match self {
            Declaration::Jwt => "jwt",
            Declaration::BasicAuth => "basic_auth",
            Declaration::ForwardAuth => "forward_auth",
            Declaration::Cache => "cache",
        }
    }

    /// The statement that puts it to use.
    pub fn statement(self) -> &'static str {
        match self {
            Declaration::Jwt => "verify_jwt",
            Declaration::BasicAuth => "verify_basic",
            Declaration::ForwardAuth => "verify_forward",
            Declaration::Cache => "cache",
        }
    }
}
