//! Every mistake the checker can find: one variant per mistake, holding spans and facts, never
//! prose. `crate::diagnostic` is the one place that turns these into words.

use pxy_dsl::Span;

use crate::types::Type;

/// A problem found in a program: an error (the program is rejected) or a warning.
#[derive(Debug, Clone, PartialEq)]
pub enum Problem {
    /// A syntax error. `route { respond }`
    Syntax(pxy_dsl::ParseError),
    /// `include "missing.pxy"`: the file cannot be read.
    IncludeUnreadable {
        /// The include's path literal.
        span: Span,
        /// The path tried (relative to the including file's directory, joined).
        path: String,
        /// Why it cannot be read.
        reason: String,
    },
    /// `a.pxy` includes `b.pxy`, which includes `a.pxy`.
    IncludeCycle {
        /// The include that closes the cycle.
        span: Span,
        /// The files of the cycle, the first repeated at the end.
        chain: Vec<String>,
    },
    /// `include "common.pxy"` a second time (here or in another included file): skipped.
    DuplicateInclude {
        /// The second include's path literal.
        span: Span,
        /// The first include's path literal.
        first: Span,
        /// The file.
        path: String,
    },
    /// `set log["user id"] = ...`, `set log["status"] = ...`: not a usable log field name.
    InvalidLogField {
        /// The name's literal.
        span: Span,
        /// The name as written.
        name: String,
        /// What a name must be.
        reason: &'static str,
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
    /// `balance round_robn`, `listen htp`, `on requets`, `conect_timeout 1s`.
    UnknownOption {
        /// The word.
        span: Span,
        /// What kind of option: "balancing policy", "listener protocol", ...
        what: &'static str,
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
        /// "upstream", "listener", ...
        what: &'static str,
        /// The name or address.
        name: String,
    },
    /// `set req.headers["x"] = 5`: a value of the wrong type.
    TypeMismatch {
        /// The value.
        span: Span,
        /// What the context needs.
        expected: String,
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
        /// The valid range or set, in words.
        allowed: &'static str,
    },
    /// `listen http 300.1.1.1:80`, `server localhost` without port, `10.0.0.0/33`.
    InvalidLiteral {
        /// The literal.
        span: Span,
        /// "address", "CIDR", ...
        what: &'static str,
        /// Why it is invalid.
        reason: String,
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
        /// Where TLS would be turned on, in words.
        fix: &'static str,
    },
    /// A certificate, key or CA file that does not exist at build time.
    MissingFile {
        /// The path as written.
        span: Span,
        /// "certificate", "private key", "CA file".
        what: &'static str,
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
        /// The field.
        field: String,
        /// The phase where it was used.
        phase: &'static str,
        /// Where it is available.
        available: &'static str,
    },
    /// `set req.path = ...`, `set client.ip = ...`: not a writable place.
    NotWritable {
        /// The place.
        span: Span,
        /// The place as written.
        place: String,
        /// A statement that does what was meant, when there is one.
        hint: Option<&'static str>,
    },
    /// `proxy api` in `on response`: a statement not allowed in this section.
    StatementNotAllowed {
        /// The statement.
        span: Span,
        /// The statement's keyword.
        stmt: &'static str,
        /// The section.
        section: &'static str,
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
}

impl Problem {
    /// Warnings do not stop a build (unless denied); errors do.
    pub fn is_warning(&self) -> bool {
        matches!(
            self,
            Problem::UnreachableRoute { .. }
                | Problem::UnreachableStatement { .. }
                | Problem::UnusedUpstream { .. }
                | Problem::ConstantComparison { .. }
                | Problem::UnusedLet { .. }
                | Problem::NoFallbackRoute { .. }
                | Problem::OverlappingRoutes { .. }
                | Problem::RetriesNeverRun { .. }
                | Problem::MissingFile { .. }
                | Problem::TlsVerifyOff { .. }
                | Problem::DuplicateInclude { .. }
        )
    }
}
