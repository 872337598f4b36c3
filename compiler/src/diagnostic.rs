//! The one place where problems become words: each [`Problem`] turns into a [`Diagnostic`] with a
//! stable code, a message, labelled spans and help, which renders for a terminal (miette) or as
//! LSP-shaped JSON for tools.

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource, Severity,
};
use pxy_dsl::{ParseErrorKind, Span};
use serde::Serialize;

use crate::catalog::fields::Availability;
use crate::catalog::settings::ValueKind;
use crate::catalog::words::{Phase, Section, WordKind};
use crate::check::{
    BasicAuthProblem, CacheProblem, CheckError, Declaration, DuplicateKind, Expected, FileKind,
    ForwardAuthProblem, JwtProblem, LimitProblem, LogFieldProblem, Malformed, NeverRetries,
    Statement, StatusRange, TestProblem, TlsFix, WriteHint,
};
use crate::include::IncludeError;
use crate::problem::Problem;
use crate::sources::{SourceFile, SourceMap};
use crate::types::Type;

/// A problem ready to show: code, words and places.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Stable code, `E0101`; `proxyc explain CODE` says more.
    pub code: &'static str,
    /// Whether it stops the build.
    pub is_warning: bool,
    /// One sentence.
    pub message: String,
    /// The primary place first, then related places.
    pub labels: Vec<Label>,
    /// How to fix it, when there is a clear fix.
    pub help: Option<String>,
}

/// A labelled place in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Label {
    /// Where.
    pub span: Span,
    /// What is there.
    pub text: String,
}

fn label(span: Span, text: impl Into<String>) -> Label {
    Label {
        span,
        text: text.into(),
    }
}

fn did_you_mean(suggestion: &Option<String>) -> Option<String> {
    suggestion.as_ref().map(|s| format!("did you mean `{s}`?"))
}

/// Words for a problem.
pub fn describe(problem: &Problem) -> Diagnostic {
    let (code, message, labels, help) = match problem {
        Problem::Syntax(e) => syntax(e),
        Problem::Include(e) => include(e),
        Problem::Check(e) => check(e),
    };
    Diagnostic {
        code,
        is_warning: problem.is_warning(),
        message,
        labels,
        help,
    }
}

/// A diagnostic's parts: code, message, labels, help.
type Words = (&'static str, String, Vec<Label>, Option<String>);

fn include(e: &IncludeError) -> Words {
    match e {
        IncludeError::Unreadable { span, path, reason } => (
            "E0310",
            format!("cannot read included file `{path}`"),
            vec![label(*span, reason.clone())],
            Some(
                "include paths are relative to the directory of the file that includes them".into(),
            ),
        ),
        IncludeError::Cycle { span, chain } => (
            "E0505",
            "these files include each other".into(),
            vec![label(*span, "this include closes the cycle")],
            Some(format!(
                "{}; remove one of these includes",
                chain.join(" includes ")
            )),
        ),
        IncludeError::Duplicate { span, first, path } => (
            "W0609",
            format!("`{path}` is already included"),
            vec![
                label(*span, "included again here, skipped"),
                label(*first, "first included here"),
            ],
            Some("a file's items are included once; remove this include".into()),
        ),
    }
}

fn check(e: &CheckError) -> Words {
    match e {
        CheckError::UnknownUpstream { span, name, suggestion } => (
            "E0101",
            format!("no upstream named `{name}`"),
            vec![label(*span, "not declared")],
            did_you_mean(suggestion).or_else(|| Some(format!("declare it: `upstream {name} {{ server 127.0.0.1:9000 }}`"))),
        ),
        CheckError::UnknownName { span, name, suggestion } => (
            "E0102",
            format!("`{name}` is not defined here"),
            vec![label(*span, "unknown name")],
            did_you_mean(suggestion).or_else(|| Some("names come from `let NAME = ...` earlier in the same block or an enclosing one, or from a `list` or `flag` declaration".into())),
        ),
        CheckError::UnknownField { span, path, suggestion } => (
            "E0103",
            format!("`{path}` is not a field"),
            vec![label(*span, "unknown field")],
            did_you_mean(suggestion),
        ),
        CheckError::UnknownFunction { span, name, suggestion } => (
            "E0104",
            format!("no function named `{name}`"),
            vec![label(*span, "unknown function")],
            did_you_mean(suggestion).or_else(|| Some("see the function list in docs/language.md".into())),
        ),
        CheckError::UnknownOption { span, what, name, choices, suggestion } => (
            "E0105",
            format!("unknown {} `{name}`", word_kind(*what)),
            vec![label(*span, format!("not {}", with_article(word_kind(*what))))],
            did_you_mean(suggestion).or_else(|| Some(format!("expected one of: {}", choices.join(", ")))),
        ),
        CheckError::UnsupportedListType { span, name, suggestion } => (
            "E0107",
            format!("a list cannot hold `{name}`"),
            vec![label(*span, "not a list element type")],
            match name.as_str() {
                "ip" => Some("addresses go in a `cidr` list: a plain address is a /32 (or /128) network, and `client.ip in NAME` tests it".into()),
                _ => did_you_mean(suggestion).or_else(|| Some("a list read from a file holds `str`, `int` or `cidr` entries, one per line".into())),
            },
        ),
        CheckError::Duplicate { span, first, what, name } => (
            "E0106",
            format!("{} `{name}` is defined twice", duplicate(*what)),
            vec![label(*span, "defined again here"), label(*first, "first defined here")],
            Some(match what {
                DuplicateKind::ServerBlock => "a program has one `server { }` block; move these settings into the first".into(),
                DuplicateKind::ServerSetting => "give each setting once; remove one".into(),
                DuplicateKind::ListenerLine => "give each listener line once; join the addresses into one `trust_proxies` line".into(),
                DuplicateKind::Data => "a list or flag name names one file; rename one".into(),
                DuplicateKind::TestLine => "a test sends one request, and says once what the upstream answers and what must happen; join or remove the repeated line".into(),
                DuplicateKind::Upstream | DuplicateKind::Test | DuplicateKind::Listener | DuplicateKind::Discover | DuplicateKind::LogField | DuplicateKind::Route | DuplicateKind::Limit | DuplicateKind::Cache | DuplicateKind::Jwt | DuplicateKind::BasicAuth | DuplicateKind::ForwardAuth => {
                    format!("each {} must be unique; remove or rename one", duplicate(*what))
                }
            }),
        ),
        CheckError::AddressNotExpected { span, expected } => (
            "E0201",
            format!("expected {}, found an address", value_kind(*expected)),
            vec![label(*span, "this is an address")],
            None,
        ),
        CheckError::TypeMismatch { span, expected, found } => (
            "E0201",
            format!("expected {}, found {found}", expected_words(expected)),
            vec![label(*span, format!("this is {}", article(found)))],
            match (expected, found) {
                (Expected::Type(Type::Duration) | Expected::Setting(ValueKind::Duration), Type::Int) => Some("numbers need a unit here, like `5s` or `250ms`".into()),
                (Expected::Type(Type::Method), Type::Str) => Some("write the method bare: `GET`, not `\"GET\"`".into()),
                (Expected::Setting(ValueKind::Statuses), Type::Int) => Some("only error statuses are retried; other answers go to the client as they are".into()),
                _ => None,
            },
        ),
        CheckError::OptionalUsed { span, ty } => (
            "E0202",
            format!("this value may be absent (it is `{ty}`), but a `{}` is needed", ty.unwrapped()),
            vec![label(*span, "may be absent")],
            Some("give a default with `?? \"...\"`, or test it first with `if present(...) { ... }`".into()),
        ),
        CheckError::Arity { span, name, expected, given } => (
            "E0203",
            format!("`{name}` takes {expected} argument{}, but {given} {} given", plural(*expected), if *given == 1 { "was" } else { "were" }),
            vec![label(*span, format!("{given} argument{}", plural(*given)))],
            None,
        ),
        CheckError::KeyNotLiteral { span } => (
            "E0204",
            "a header name must be a string literal".into(),
            vec![label(*span, "not a literal")],
            Some("write the name in quotes, like `req.headers[\"x-request-id\"]`; names are checked and built once, at compile time".into()),
        ),
        CheckError::LogFieldNotLiteral { span } => (
            "E0204",
            "a log field name must be a string literal".into(),
            vec![label(*span, "not a literal")],
            Some("write the name in quotes, like `log[\"user\"]`; names are checked at compile time".into()),
        ),
        CheckError::InvalidLogField { span, name, reason } => (
            "E0309",
            format!("`{}` cannot be a log field name", name.escape_debug()),
            vec![label(*span, match reason {
                LogFieldProblem::NotAToken => "a letter or `_`, then letters, digits, `_`, `-` or `.` (at most 64)",
                LogFieldProblem::Reserved => "the access log line already has this field",
            })],
            Some(match reason {
                LogFieldProblem::Reserved => format!("the access log line already has {}; choose another name", crate::check::ACCESS_LOG_FIELDS.join(", ")),
                LogFieldProblem::NotAToken => "use a simple name, like `user` or `tenant.id`".into(),
            }),
        ),
        CheckError::InvalidRegex { span, reason } => (
            "E0301",
            "invalid regex".into(),
            vec![label(*span, reason.clone())],
            None,
        ),
        CheckError::InvalidHeaderName { span, name } => (
            "E0302",
            format!("`{}` is not a valid header name", name.escape_debug()),
            vec![label(*span, "invalid header name")],
            Some("header names are letters, digits and !#$%&'*+-.^_`|~ (RFC 9110 tokens), with no spaces or colons".into()),
        ),
        CheckError::InvalidHeaderValue { span } => (
            "E0303",
            "header value contains a control character".into(),
            vec![label(*span, "CR, LF and other control characters are not allowed in header values")],
            Some("a line break would split the header and let a response be forged; remove it".into()),
        ),
        CheckError::InvalidStatus { span, value, allowed } => (
            "E0304",
            format!("{value} is not a valid status here"),
            vec![label(*span, format!("expected {}", match allowed {
                StatusRange::Any => "100 to 599",
                StatusRange::Redirect => "301, 302, 303, 307 or 308",
            }))],
            None,
        ),
        CheckError::InvalidLiteral { span, reason } => {
            let (what, why) = malformed(reason);
            ("E0305", format!("invalid {what}"), vec![label(*span, why)], None)
        }
        CheckError::FieldNotInPhase { span, field, writing, phase, available } => (
            "E0401",
            if *writing {
                format!("`{field}` is written in {}, but it can be written only in {}", phase_words(*phase), availability(*available))
            } else {
                format!("`{field}` is read in {}, but it exists only in {}", phase_words(*phase), availability(*available))
            },
            vec![label(*span, format!("only in {}", availability(*available)))],
            Some(match (available, phase) {
                (Availability::ResponseOnly | Availability::ResponseOrLog, Phase::Request | Phase::Error) => "the response does not exist before the upstream answers; move this to `on response`".to_string(),
                _ => format!("move this to {}", availability(*available)),
            }),
        ),
        CheckError::NotWritable { span, place, hint } => (
            "E0402",
            format!("`{place}` cannot be assigned"),
            vec![label(*span, "not writable")],
            hint.map(|h| match h {
                WriteHint::RewritePath => "use `rewrite path = \"/new/path\"`".to_string(),
            }).or_else(|| Some("`set`, `add` and `remove` work on `req.headers[\"...\"]` and `resp.headers[\"...\"]`".into())),
        ),
        CheckError::StatementNotAllowed { span, stmt, section } => (
            "E0403",
            format!("`{}` is not allowed in {}", statement(*stmt), section_words(*section)),
            vec![label(*span, format!("not allowed in {}", section_words(*section)))],
            Some(match (stmt, section) {
                (Statement::Proxy, _) => "`proxy` belongs in a `route`".into(),
                (Statement::Cache, _) => "`cache` belongs in a `route`, before its `proxy`; read `cache.status` in `on response` or `on log`".into(),
                (Statement::Purge, _) => "`purge` answers the request: write it in a route or `on request`, behind a check".into(),
                (Statement::SetLog, _) => "log fields are set in `on log`, which runs once per request after the response is sent".into(),
                (_, Section::OnLog) => "`on log` runs after the response was sent: it can only add access log fields with `set log[\"name\"] = ...`; change headers in `on request` or `on response`".into(),
                (_, Section::OnError) => "`on error` builds the error page with `respond` or `redirect`; change its headers in `on response`, which runs on error pages too".into(),
                (_, Section::OnResponse) => "the response has already been chosen in `on response`; answer from a route or `on request`".into(),
                (_, Section::OnRequest | Section::Route) => "paths can only be changed before routing and proxying: in `on request` or a route".into(),
            }),
        ),
        CheckError::MissingTerminal { span, end } => (
            "E0501",
            "this route can finish without answering".into(),
            vec![label(*span, "this route"), label(*end, "the request falls through here")],
            Some("end every path with `proxy NAME`, `respond STATUS` or `redirect LOCATION`".into()),
        ),
        CheckError::EmptyUpstream { span, name } => (
            "E0502",
            format!("upstream `{name}` has no servers"),
            vec![label(*span, "no `server` inside")],
            Some("add one: `server 127.0.0.1:9000`".into()),
        ),
        CheckError::ZeroWeight { span } => (
            "E0503",
            "a server's weight must be at least 1".into(),
            vec![label(*span, "weight 0 would never be chosen")],
            Some("remove the server instead, or give it `weight 1`".into()),
        ),
        CheckError::NoListener => (
            "E0504",
            "the program has no `listen`".into(),
            Vec::new(),
            Some("add one: `listen http 0.0.0.0:8080`".into()),
        ),
        CheckError::MissingCertificate { span } => (
            "E0506",
            "a TLS listener needs a certificate".into(),
            vec![label(*span, "no `cert` line")],
            Some("add one inside the listener: `{ cert \"site.pem\" key \"site.key\" }`".into()),
        ),
        CheckError::TlsSettingWithoutTls { span, fix } => (
            "E0507",
            "TLS setting where TLS is off".into(),
            vec![label(*span, "has no effect without TLS")],
            Some(match fix {
                TlsFix::ListenHttps => "write `listen https` to terminate TLS on this listener",
                TlsFix::UpstreamTlsOn => "add `tls on` to the upstream to speak TLS to its servers",
            }.into()),
        ),
        CheckError::MissingFile { span, what, path } => (
            "W0610",
            format!("{} file not found", match what {
                FileKind::Certificate => "certificate",
                FileKind::PrivateKey => "private key",
                FileKind::Ca => "CA",
                FileKind::Discovery => "discovery",
                FileKind::List => "list",
                FileKind::JwtKey => "JWT key",
                FileKind::Users => "users",
                FileKind::SigningKey => "signing key",
            }),
            vec![label(*span, format!("no file at {path}"))],
            Some("relative paths are relative to the .pxy file's directory; the proxy will refuse to start (and `--test` will fail) until the file exists".into()),
        ),
        CheckError::TlsVerifyOff { span } => (
            "W0611",
            "the upstream's certificates are not verified".into(),
            vec![label(*span, "any certificate is accepted")],
            Some("anyone on the path can impersonate the origin; give its CA with `tls_ca \"ca.pem\"` instead".into()),
        ),
        CheckError::CaptureOutOfRange { span, group, available, names } => (
            "E0307",
            format!("the regex has no capture group {group}"),
            vec![label(*span, format!("the regex has {available} group{}", plural(*available)))],
            Some(if names.is_empty() {
                format!("use a number from 0 (the whole match) to {available}")
            } else {
                format!("use a number from 0 to {available}, or a name: {}", names.join(", "))
            }),
        ),
        CheckError::CapturesNeedOneMatch { span } => (
            "E0308",
            "`as` needs exactly one `matches` that holds whenever the condition does".into(),
            vec![label(*span, "no single `matches` here")],
            Some("write one `matches` at the top of the condition or joined with `&&` (not under `||` or `!`)".into()),
        ),
        CheckError::InvalidTest { span, problem } => test_problem(*span, problem),
        CheckError::TestMatchesNoRoute { span } => (
            "W1201",
            "no route takes this test's request".into(),
            vec![label(*span, "no route's host, path, method and headers all match this")],
            Some("the test can pass only if `on request` answers it; check the URL's host and path against the routes (`proxyc routes FILE` draws them)".into()),
        ),
        CheckError::HopByHopWrite { span, name } => (
            "E0306",
            format!("`{name}` is managed by the proxy and cannot be set"),
            vec![label(*span, "connection or framing header")],
            Some("hop-by-hop and framing headers (Connection, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade, Content-Length) belong to one connection; the proxy removes and recomputes them".into()),
        ),
        CheckError::ConstantComparison { span, value } => (
            "W0604",
            format!("this comparison is always {value}"),
            vec![label(*span, "both sides are literals")],
            Some("compare a field of the request with a literal, or remove the condition".into()),
        ),
        CheckError::UnusedLet { span, name } => (
            "W0605",
            format!("`{name}` is never used"),
            vec![label(*span, "bound here")],
            Some(format!("remove it, or name it `_{name}` if it is kept on purpose")),
        ),
        CheckError::NoFallbackRoute { span } => (
            "W0606",
            "no route matches every request".into(),
            vec![label(*span, "the last route")],
            Some("requests that match no route get the built-in `404 no route`; end with `route { respond 404 \"...\" }` to choose the answer".into()),
        ),
        CheckError::OverlappingRoutes { span, earlier, example } => (
            "W0607",
            "these routes overlap, and their order decides".into(),
            vec![label(*span, format!("matches requests like {example}")), label(*earlier, "but this earlier route takes them")],
            Some("make the routes disjoint (add a matcher), or put the narrower one first if that is what you mean".into()),
        ),
        CheckError::RetriesNeverRun { span, needed_ms, total_ms } => (
            "W0608",
            "retries cannot all run within `request_timeout`".into(),
            vec![label(*span, format!("{total_ms} ms in all, but the tries may take {needed_ms} ms"))],
            Some("connect_timeout × (retries + 1) must fit in request_timeout: lower retries or connect_timeout, or raise request_timeout".into()),
        ),
        CheckError::RetryOnNeverRetries { span, reason } => (
            "W0801",
            "`retry_on` can never retry".into(),
            vec![label(*span, match reason {
                NeverRetries::NoRetries => "the upstream says `retries 0`",
                NeverRetries::OneServer => "the upstream has one server, and a retry goes to another",
            })],
            Some(match reason {
                NeverRetries::NoRetries => "allow retries (`retries 1` or more), or remove `retry_on`",
                NeverRetries::OneServer => "add a server to retry on, or remove `retry_on`",
            }.into()),
        ),
        CheckError::TryTimeoutNeverFires { span, total } => (
            "W0802",
            "`try_timeout` never fires".into(),
            vec![label(*span, "each try may take this long"), label(*total, "but the whole request ends here first")],
            Some("make `try_timeout` shorter than `request_timeout`, so a slow try leaves time for a retry".into()),
        ),
        CheckError::UnreachableRoute { span, shadowed_by } => (
            "W0601",
            "this route can never match".into(),
            vec![label(*span, "unreachable"), label(*shadowed_by, "every request it would match is taken here first")],
            Some("routes are tried in order; move the narrower route above the wider one".into()),
        ),
        CheckError::UnreachableStatement { span, after } => (
            "W0602",
            "this statement never runs".into(),
            vec![label(*span, "unreachable"), label(*after, "the request is answered here")],
            Some("remove it, or move it before the answer".into()),
        ),
        CheckError::UnknownLimit { span, name, suggestion } => (
            "E0701",
            format!("no limit named `{name}`"),
            vec![label(*span, "not declared")],
            did_you_mean(suggestion).or_else(|| Some(format!("declare it: `limit {name} = 100 per 1m by client.ip`"))),
        ),
        CheckError::UnknownJwt { span, name, suggestion } => (
            "E0901",
            format!("no jwt verifier named `{name}`"),
            vec![label(*span, "not declared")],
            did_you_mean(suggestion).or_else(|| Some(format!("declare it: `jwt {name} {{ jwks \"jwks.json\" issuer \"https://id.example\" }}`"))),
        ),
        CheckError::UnknownBasicAuth { span, name, suggestion } => (
            "E0903",
            format!("no basic_auth verifier named `{name}`"),
            vec![label(*span, "not declared")],
            did_you_mean(suggestion).or_else(|| Some(format!("declare it: `basic_auth {name} {{ users \"users.txt\" realm \"{name}\" }}`"))),
        ),
        CheckError::InvalidBasicAuth { span, problem } => (
            "E0904",
            match problem {
                BasicAuthProblem::NoUsers => "this basic_auth verifier has no users file".into(),
                BasicAuthProblem::TwoUsers => "a basic_auth verifier takes one users file".into(),
                BasicAuthProblem::BadRealm => "this realm cannot be sent in `WWW-Authenticate`".into(),
            },
            vec![label(*span, match problem {
                BasicAuthProblem::NoUsers => "no `users`",
                BasicAuthProblem::TwoUsers => "a second file",
                BasicAuthProblem::BadRealm => "empty, or has `\"`, `\\` or a control character",
            })],
            Some(match problem {
                BasicAuthProblem::NoUsers => "add `users \"FILE\"`: a file of `user:hash` lines (bcrypt, as `htpasswd -B` writes, or argon2)".into(),
                BasicAuthProblem::TwoUsers => "keep one `users` line; put every user in that file".into(),
                BasicAuthProblem::BadRealm => "use plain words, like `realm \"ops\"`; browsers show it when they ask for a password".into(),
            }),
        ),
        CheckError::UnknownForwardAuth { span, name, suggestion } => (
            "E0906",
            format!("no forward_auth verifier named `{name}`"),
            vec![label(*span, "not declared")],
            did_you_mean(suggestion).or_else(|| Some(format!("declare it: `forward_auth {name} {{ service auth uri \"/verify\" }}`, with `upstream auth {{ server ... }}`"))),
        ),
        CheckError::InvalidForwardAuth { span, problem } => (
            "E0907",
            match problem {
                ForwardAuthProblem::NoService => "this forward_auth verifier names no auth service".into(),
                ForwardAuthProblem::TwoOfOption => "this option is already given".into(),
                ForwardAuthProblem::BadUri => "this cannot be sent as a request's path".into(),
                ForwardAuthProblem::ManagedHeader => "the proxy manages this header itself".into(),
                ForwardAuthProblem::ZeroTimeout => "a timeout of 0 fails every request".into(),
            },
            vec![label(*span, match problem {
                ForwardAuthProblem::NoService => "no `service`",
                ForwardAuthProblem::TwoOfOption => "a second time",
                ForwardAuthProblem::BadUri => "not a path starting with `/` in visible ASCII",
                ForwardAuthProblem::ManagedHeader => "hop-by-hop, framing or `host`",
                ForwardAuthProblem::ZeroTimeout => "zero",
            })],
            Some(match problem {
                ForwardAuthProblem::NoService => "add `service UPSTREAM`: the upstream whose servers answer the questions".into(),
                ForwardAuthProblem::TwoOfOption => "keep one line; `send` and `copy` take several headers: `copy \"x-user\", \"x-groups\"`".into(),
                ForwardAuthProblem::BadUri => "write it as a request line carries it, like `uri \"/verify?app=web\"` (spaces and other bytes percent-encoded)".into(),
                ForwardAuthProblem::ManagedHeader => "copy the headers the auth service sets for the origin, like `x-user`; connection, framing and `host` headers are never copied".into(),
                ForwardAuthProblem::ZeroTimeout => "give it a few seconds, like `timeout 2s` (default 5s)".into(),
            }),
        ),
        CheckError::InvalidMediaType { span, text } => (
            "E1104",
            format!("`{text}` is not a media type"),
            vec![label(*span, "not `type/subtype`")],
            Some("write it as `Content-Type` names it, like `\"text/html\"` or `\"application/json\"`, or `\"text/*\"` for every text type".into()),
        ),
        CheckError::InvalidJwt { span, problem } => (
            "E0902",
            match problem {
                JwtProblem::NoKeySource => "this jwt verifier has no key".into(),
                JwtProblem::TwoKeySources => "a jwt verifier takes one source of keys".into(),
                JwtProblem::KeyWithoutAlg => "`key` needs `alg`".into(),
                JwtProblem::AlgWithoutKey => "`alg` is only for `key`".into(),
                JwtProblem::ZeroLeeway => "a leeway of 0 rejects tokens of clocks a moment apart".into(),
                JwtProblem::AbsurdLeeway => "this leeway cannot be used".into(),
            },
            vec![label(*span, match problem {
                JwtProblem::NoKeySource => "no `jwks`, `key` or `secret`",
                JwtProblem::TwoKeySources => "a second source",
                JwtProblem::KeyWithoutAlg => "which algorithm?",
                JwtProblem::AlgWithoutKey => "no `key` to apply it to",
                JwtProblem::ZeroLeeway => "0",
                JwtProblem::AbsurdLeeway => "whole seconds, at most 10m",
            })],
            Some(match problem {
                JwtProblem::NoKeySource => "add `jwks \"FILE\"` (a JSON Web Key Set), `key \"FILE\" alg RS256` (a PEM public key) or `secret \"FILE\"` (HS256)".into(),
                JwtProblem::TwoKeySources => "keep one of `jwks`, `key` and `secret`; a JWKS file holds several keys".into(),
                JwtProblem::KeyWithoutAlg => "name the key's algorithm: `alg RS256`, `alg ES256` or `alg EdDSA`".into(),
                JwtProblem::AlgWithoutKey => "a JWKS names each key's algorithm and `secret` is HS256: remove `alg`".into(),
                JwtProblem::ZeroLeeway => "leave `leeway` out for the default 60s, or allow a few seconds: `leeway 5s`".into(),
                JwtProblem::AbsurdLeeway => "use whole seconds up to 10m; an expired token should not pass for long".into(),
            }),
        ),
        CheckError::OtherwiseMustAnswer { span } => (
            "E0702",
            "the `else` of a limit must answer the request".into(),
            vec![label(*span, "this does not answer")],
            Some("write `else respond 429 \"...\"`, `else redirect ...` or `else proxy NAME`, or leave `else` out for the default error page".into()),
        ),
        CheckError::InvalidLimit { span, problem } => (
            "E0703",
            match problem {
                LimitProblem::Zero => "a limit of 0 refuses every request".into(),
                LimitProblem::TooLarge => "this number is too large for a limit".into(),
                LimitProblem::PeriodTooShort => "more requests than nanoseconds in the period".into(),
            },
            vec![label(*span, match problem {
                LimitProblem::Zero => "0",
                LimitProblem::TooLarge => "at most 4294967295",
                LimitProblem::PeriodTooShort => "too many for the period",
            })],
            Some(match problem {
                LimitProblem::Zero => "use at least 1; to refuse requests, `respond 429` or `respond 503`".into(),
                LimitProblem::TooLarge => "use a number up to 4294967295, or a longer period".into(),
                LimitProblem::PeriodTooShort => "write the same rate with a longer period: `1000 per 1s` rather than `1000000 per 1ms`".into(),
            }),
        ),
        CheckError::UnknownCache { span, name, suggestion } => (
            "E1101",
            format!("no cache named `{name}`"),
            vec![label(*span, "not declared")],
            did_you_mean(suggestion).or_else(|| Some(format!("declare it: `cache {name} {{ size 256MiB max_object 8MiB }}`"))),
        ),
        CheckError::InvalidCache { span, problem } => (
            "E1102",
            match problem {
                CacheProblem::ZeroSize => "a cache of size 0 stores nothing".into(),
                CacheProblem::ObjectLargerThanCache => "`max_object` is larger than the cache".into(),
                CacheProblem::ZeroTtl => "a TTL of 0 makes every stored response stale at once".into(),
            },
            vec![label(*span, match problem {
                CacheProblem::ZeroSize => "0 bytes",
                CacheProblem::ObjectLargerThanCache => "more than `size`",
                CacheProblem::ZeroTtl => "0",
            })],
            Some(match problem {
                CacheProblem::ZeroSize => "give it a size such as `size 64MiB`, or remove the cache".into(),
                CacheProblem::ObjectLargerThanCache => "make `max_object` at most `size` (the default is 1MiB, or `size` if smaller)".into(),
                CacheProblem::ZeroTtl => "use at least `1s`; not to cache a route, leave `cache` out of it".into(),
            }),
        ),
        CheckError::CacheReadsCredentials { span, cache, what } => {
            let (header, word) = match what {
                crate::catalog::settings::KeyHeader::Cookie => ("a cookie", "cookie"),
                crate::catalog::settings::KeyHeader::Authorization => ("`Authorization`", "authorization"),
            };
            (
                "W1101",
                format!("this route caches its answers but reads {header}, which the cache key does not include"),
                vec![label(*span, format!("the answer may depend on {header}")), label(*cache, "cached here for every client alike")],
                Some(format!("add `vary_on {word}` to the route's `cache` to keep one entry per value, or stop reading it")),
            )
        }
        CheckError::CacheKeyMissesHeader { span, cache, header } => (
            "W1105",
            format!("this route is chosen by `{header}`, which its cache key does not include"),
            vec![label(*span, format!("matches on `{header}`")), label(*cache, "another route stores in this cache too")],
            Some(format!("requests for one URL share an entry whatever their `{header}`: give the routes separate caches, put the difference in the path or query, or make the route's `key` read `{header}`")),
        ),
        CheckError::UncheckedPurge { span } => (
            "W1102",
            "any request can reach this `purge`".into(),
            vec![label(*span, "no condition guards it")],
            Some("put it behind a check, e.g. `if req.method == PURGE && client.ip in 10.0.0.0/8 { purge main }`, or a `method` or `header` matcher on its route".into()),
        ),
        CheckError::UnusedDeclaration { span, name, kind } => (
            match kind {
                Declaration::Jwt | Declaration::BasicAuth | Declaration::ForwardAuth => "W0905",
                Declaration::Cache => "W1103",
            },
            format!("{} `{name}` is never used", kind.keyword()),
            vec![label(*span, format!("no `{}` names it", kind.statement()))],
            Some(match kind {
                Declaration::Jwt | Declaration::BasicAuth | Declaration::ForwardAuth => format!("nothing is protected by it: write `{} {name}` in the routes it guards (or in `on request`), or remove it", kind.statement()),
                Declaration::Cache => format!("nothing is stored in it: write `cache {name}` in the routes to cache, or remove it"),
            }),
        ),
        CheckError::UnusedLimit { span, name } => (
            "W0701",
            format!("limit `{name}` is never used"),
            vec![label(*span, "no `rate_limit` refers to it")],
            Some(format!("enforce it with `rate_limit {name}` in a route or `on request`, or remove it")),
        ),
        CheckError::ClientAddressHeaderRead { span, name } => (
            "W0702",
            format!("`{name}` is whatever the client says it is"),
            vec![label(*span, "any client can send this header")],
            Some("declare the load balancers in front with `trust_proxies` on the listener and use `client.ip`: it reads `X-Forwarded-For` only as far as they vouch for it".into()),
        ),
        CheckError::UntrustedProxyProtocol { span, rule } => (
            "W0703",
            "any peer can choose `client.ip` on this listener".into(),
            vec![
                label(*span, "PROXY headers are believed from every peer"),
                label(*rule, "`client.ip` decides here"),
            ],
            Some("add `trust_proxies` with the load balancers' addresses: then only they may send a PROXY header, and other connections are closed".into()),
        ),
        CheckError::PhaseInRoute { span, section } => (
            "E0404",
            format!("`{}` cannot be written inside a route", section_words(*section)),
            vec![label(*span, "only `response` here")],
            Some(match section {
                Section::OnRequest | Section::Route => "a route's own statements already run before it proxies; write them in the route, or move `on request` to the top level".into(),
                Section::OnError | Section::OnLog | Section::OnResponse => format!("write `{}` at the top level: it runs for every request; inside it, test `req.path` or other fields to treat this route's requests apart", section_words(*section)),
            }),
        ),
        CheckError::LogFieldsNotWritten { span, on_log } => (
            "W0820",
            "the combined log format does not write the `on log` fields".into(),
            vec![label(*span, "Apache's combined format has a fixed set of fields"), label(*on_log, "the fields set here are left out")],
            Some("use `access_log json` or `access_log text` to keep them, or remove the `on log` block".into()),
        ),
        CheckError::LogFileWithoutLog { span, off } => (
            "W0821",
            "the access log is off, so `access_log_file` writes nothing".into(),
            vec![label(*span, "no file is written"), label(*off, "the access log is turned off here")],
            Some("remove `access_log off` to write the log to this file, or remove `access_log_file`".into()),
        ),
        CheckError::UnusedUpstream { span, name } => (
            "W0603",
            format!("upstream `{name}` is never used"),
            vec![label(*span, "no `proxy` refers to it")],
            Some(format!("use it with `proxy {name}` in a route, or remove it")),
        ),
    }
}

fn syntax(e: &pxy_dsl::ParseError) -> Words {
    let (message, text, help) = match &e.kind {
        ParseErrorKind::Unexpected { expected, found } => {
            let what = match expected.as_slice() {
                [] => "something else".to_string(),
                [one] => (*one).to_string(),
                [init @ .., last] if init.len() < 6 => format!("{} or {last}", init.join(", ")),
                _ => "a statement, declaration or expression".to_string(),
            };
            let found = if found.is_empty() {
                "end of file".to_string()
            } else {
                format!("`{found}`")
            };
            (
                format!("expected {what}, found {found}"),
                format!("expected {what}"),
                None,
            )
        }
        ParseErrorKind::KeywordAsName { keyword } => (
            format!("`{keyword}` is a keyword and cannot be used as a name"),
            "a keyword".into(),
            Some(format!("choose another name, like `{keyword}_name`")),
        ),
        ParseErrorKind::ExpressionAsStatement { text, is_word } => (
            if *is_word {
                format!("`{text}` is not a statement")
            } else {
                format!("`{text}` is an expression, not a statement")
            },
            if *is_word {
                "expected a statement".into()
            } else {
                "its value would be unused".into()
            },
            Some(format!(
                "a statement starts with {}; to keep a value, name it with `let NAME = ...` or write it with `set`",
                one_of(&statement_words()),
            )),
        ),
        ParseErrorKind::IntTooLarge => (
            "number too large".into(),
            "does not fit in 64 bits".into(),
            None,
        ),
        ParseErrorKind::TooDeep => (
            "nested too deeply".into(),
            format!(
                "more than {} levels of brackets or {} operators in one expression",
                pxy_dsl::parser::MAX_NESTING,
                pxy_dsl::parser::MAX_OPERATORS
            ),
            Some("split it with `let` bindings or separate statements".to_string()),
        ),
        ParseErrorKind::InterpolationNotAllowed => (
            "interpolation is not allowed here".into(),
            "must be known at compile time".into(),
            Some(
                "route matchers and header names are fixed text; write `{{` for a literal brace"
                    .to_string(),
            ),
        ),
    };
    ("E0001", message, vec![label(e.span, text)], help)
}

/// The words a statement starts with, as the help of a misplaced expression lists them:
/// every statement (`set log[...]` is a `set`), then `if` and `let`.
fn statement_words() -> Vec<String> {
    Statement::ALL
        .iter()
        .filter(|s| **s != Statement::SetLog)
        .map(|s| statement(*s))
        .chain(["if", "let"])
        .map(|word| format!("`{word}`"))
        .collect()
}

fn test_problem(span: Span, problem: &TestProblem) -> Words {
    let (message, text, help): (String, &str, String) = match problem {
        TestProblem::NoRequest => (
            "this test sends no request".into(),
            "no `send` line",
            "write the request: `send GET \"http://example.com/\"`".into(),
        ),
        TestProblem::NothingExpected => (
            "this test expects nothing".into(),
            "no `expect` line",
            "say what must happen: `expect 200`, `expect upstream NAME { path \"/x\" }` or `expect log { field \"status\" = \"200\" }`".into(),
        ),
        TestProblem::UrlNotAbsolute => (
            "a test's URL must be absolute".into(),
            "no scheme and host",
            "write the scheme and host, which choose the route: `\"http://api.example.com/v1/users\"`".into(),
        ),
        TestProblem::UrlScheme { scheme } => (
            format!("a test cannot send a `{scheme}` request"),
            "not `http` or `https`",
            "tests send HTTP/1.1 requests: write `http://` or `https://`".into(),
        ),
        TestProblem::TlsWithoutHttps => (
            "a TLS line in a cleartext test".into(),
            "the URL is not `https://`",
            "`sni` and `cert` say what the client's TLS handshake holds: write the URL with `https://`".into(),
        ),
        TestProblem::NoHttpsListener => (
            "this program has no TLS listener for an `https://` test".into(),
            "no `listen https`",
            "an `https://` test arrives on the program's first `listen https`; add one, or write `http://`".into(),
        ),
        TestProblem::Times => (
            "a test sends its request 1 to 1000 times".into(),
            "out of range",
            "write `times N` with N from 1 to 1000, or leave it out to send the request once".into(),
        ),
        TestProblem::TwoAuthorizations => (
            "this request would carry two `Authorization` headers".into(),
            "a second `Authorization`",
            "a request has one `Authorization`: keep `user`, the bearer `jwt` or the header, or send the token in a cookie with `jwt ALG \"KEY\" cookie \"NAME\"`".into(),
        ),
        TestProblem::ExpClaim => (
            "a test's token sets `exp` with `expires` or `expired`".into(),
            "`exp` as a claim",
            "write `expires 5m` (valid for five minutes from the request) or `expired 1m`".into(),
        ),
        TestProblem::CertWithoutTls { upstream } => (
            format!("upstream `{upstream}` does not speak TLS"),
            "a certificate for cleartext servers",
            format!("its stand-ins present a certificate only when the program says `tls on` in `upstream {upstream}`; remove this line, or turn TLS on there"),
        ),
        TestProblem::NoSuchServer {
            upstream,
            servers,
            discovered: true,
        } => (
            format!("upstream `{upstream}` has {servers} stand-in server(s) in this test"),
            "no such server",
            format!("this upstream discovers its servers, and a test stands in for them (one unless it says); give it more: `upstream {upstream} discovers N`"),
        ),
        TestProblem::NotDiscovered { upstream } => (
            format!("upstream `{upstream}` does not discover its servers"),
            "its servers are its `server` lines",
            "`discovers N` stubs `discover dns` or `discover file`; a test names this upstream's servers by position among its `server` lines".into(),
        ),
        TestProblem::DiscoveredCount => (
            "a test gives a discovered upstream 1 to 64 servers".into(),
            "out of range",
            "write `upstream NAME discovers N` with N from 1 to 64".into(),
        ),
        TestProblem::NoSuchServer {
            upstream,
            servers,
            discovered: false,
        } => (
            format!("upstream `{upstream}` has no such server"),
            "no such server",
            format!("a test names servers by their position among the `server` lines: 1 to {servers}"),
        ),
    };
    ("E1201", message, vec![label(span, text)], Some(help))
}

fn word_kind(kind: WordKind) -> &'static str {
    match kind {
        WordKind::ListenerProtocol => "listener protocol",
        WordKind::BalancingPolicy => "balancing policy",
        WordKind::Phase => "phase",
        WordKind::Discovery => "discovery",
        WordKind::HealthCheck => "health check",
        WordKind::ClientCertificateMode => "client certificate mode",
        WordKind::AlpnProtocol => "protocol for ALPN",
        WordKind::ServerSetting => "server setting",
        WordKind::UpstreamSetting => "upstream setting",
        WordKind::HealthOption => "health check option",
        WordKind::PassiveOption => "passive option",
        WordKind::DnsOption => "dns discovery option",
        WordKind::FileOption => "file discovery option",
        WordKind::LimitOption => "limit option",
        WordKind::CacheSetting => "cache setting",
        WordKind::CacheRuleSetting => "route cache setting",
        WordKind::JwtOption => "jwt option",
        WordKind::BasicAuthOption => "basic_auth option",
        WordKind::ForwardAuthOption => "forward_auth option",
        WordKind::CompressSetting => "compress setting",
        WordKind::TestFailure => "failure",
        WordKind::TestTokenAlgorithm => "token algorithm",
        WordKind::Value => "value",
    }
}

fn duplicate(kind: DuplicateKind) -> &'static str {
    match kind {
        DuplicateKind::Upstream => "upstream",
        DuplicateKind::Listener => "listener",
        DuplicateKind::Discover => "discover",
        DuplicateKind::LogField => "log field",
        DuplicateKind::ServerSetting => "server setting",
        DuplicateKind::ServerBlock => "block",
        DuplicateKind::Route => "route name",
        DuplicateKind::Limit => "limit",
        DuplicateKind::Cache => "cache",
        DuplicateKind::Jwt => "jwt verifier",
        DuplicateKind::BasicAuth => "basic_auth verifier",
        DuplicateKind::ForwardAuth => "forward_auth verifier",
        DuplicateKind::ListenerLine => "listener line",
        DuplicateKind::Data => "list or flag",
        DuplicateKind::Test => "test",
        DuplicateKind::TestLine => "test line",
    }
}

fn expected_words(expected: &Expected) -> String {
    match expected {
        Expected::Type(ty) => ty.to_string(),
        Expected::NotRegex => "a value (a regex can only follow `matches`)".into(),
        Expected::Printable => "a value that can be written as text".into(),
        Expected::SingleHeader(field) => format!("a single header, like `{field}[\"x-id\"]`"),
        Expected::ListPosition => "a number literal (a position in the list)".into(),
        Expected::Indexable => "headers, captures or split(...)".into(),
        Expected::ListElement => "a literal (lists hold values known at compile time)".into(),
        Expected::RegexLiteral => "a regex literal like `/^\\/api/`".into(),
        Expected::ListOf(ty) => format!("a list of {ty}"),
        Expected::CidrLiteral => "a CIDR literal like `10.0.0.0/8`".into(),
        Expected::Defaultable => {
            "an optional str, int or ip (`??` gives a default to a value that may be absent)".into()
        }
        Expected::Comparable => "a value that can be compared".into(),
        Expected::Ordered => "a number, duration, size or status".into(),
        Expected::Setting(kind) => value_kind(*kind),
        Expected::Nameable => {
            "a value that can be named (CIDRs and lists are written where they are used)".into()
        }
        Expected::LimitKey => "a `str`, `ip` or `int` to count by".into(),
        Expected::UpstreamName => "the name of an upstream".into(),
    }
}

fn value_kind(kind: ValueKind) -> String {
    let words = |table: Vec<&str>| format!("one of: {}", table.join(", "));
    match kind {
        ValueKind::Duration => "a duration (with a unit, like `5s`)".into(),
        ValueKind::Size => "a size (with a unit, like `64KiB`)".into(),
        ValueKind::Count { min, max: u64::MAX } => format!("a whole number, at least {min}"),
        ValueKind::Count { min, max } => format!("a whole number from {min} to {max}"),
        ValueKind::Status => "a status from 100 to 599".into(),
        ValueKind::Port => "a port from 1 to 65535".into(),
        ValueKind::Text => "a string without `{...}`, like \"api.internal\"".into(),
        ValueKind::Switch => words(crate::catalog::choices(crate::catalog::settings::SWITCH)),
        ValueKind::AllDown => words(crate::catalog::choices(
            crate::catalog::settings::WHEN_ALL_DOWN,
        )),
        ValueKind::Protocol => words(crate::catalog::choices(
            crate::catalog::settings::UPSTREAM_PROTOCOLS,
        )),
        ValueKind::Address => "an address like `127.0.0.1:9100`".into(),
        ValueKind::Statuses => "error statuses from 400 to 599, like `502, 503`".into(),
        ValueKind::LogFormat => words(crate::catalog::choices(
            crate::catalog::settings::ACCESS_LOG_FORMATS,
        )),
        ValueKind::StoredStatuses => "statuses from 200 to 599, like `200, 301, 404`".into(),
        ValueKind::KeyHeaders => words(crate::catalog::choices(
            crate::catalog::settings::KEY_HEADERS,
        )),
        ValueKind::Algorithm => words(crate::catalog::choices(
            crate::catalog::settings::JWT_ALGORITHMS,
        )),
        ValueKind::UpstreamName => "the name of an upstream".into(),
        ValueKind::HeaderNames => "header names, like `\"x-user\", \"x-groups\"`".into(),
        ValueKind::MediaTypes => "media types, like `\"text/html\", \"application/json\"`".into(),
        ValueKind::StrExpression => "a `str` expression, like `\"{req.host}{req.path}\"`".into(),
    }
}

/// What a malformed literal is, and what is wrong with it.
fn malformed(reason: &Malformed) -> (&'static str, String) {
    let (what, why): (&str, &str) = match reason {
        Malformed::EmptyList => ("list", "a list needs at least one element"),
        Malformed::ModByZero => ("divisor", "`% 0` has no value"),
        Malformed::ServersAndDiscover => (
            "upstream",
            "an upstream takes either `server` lines or one `discover`, not both",
        ),
        Malformed::TwoClientCa => (
            "listener",
            "one `client_ca` per listener; put every CA in one file",
        ),
        Malformed::AddressHostName => (
            "address",
            "host names are not resolved at build time; write an IP address like `127.0.0.1:8080`",
        ),
        Malformed::Address => (
            "address",
            "expected an IP address and a port from 0 to 65535",
        ),
        Malformed::HashNeedsKey => (
            "balancing policy",
            "`hash` needs a key, like `balance hash(req.cookies[\"session\"] ?? \"\")`",
        ),
        Malformed::KeyWithoutHash { policy } => {
            return (
                "balancing policy",
                format!("only `hash` takes a key, not `{policy}`"),
            )
        }
        Malformed::DnsNeedsPort => (
            "discovery",
            "DNS discovery needs the servers' port: `port 8080`",
        ),
        Malformed::HealthPath => ("health check path", "a path starts with `/`"),
        Malformed::HttpHealthNeedsRequest => (
            "health check",
            "an HTTP check needs a method and a path: `health http GET \"/healthz\"`",
        ),
        Malformed::TcpHealthRequest => ("health check", "a TCP check sends no request"),
        Malformed::PathPrefix => ("path prefix", "a path starts with `/`"),
        Malformed::Ip => ("IP address", "each part of an IPv4 address is 0 to 255"),
        Malformed::CidrAddress => ("CIDR", "the address part is not a valid IP address"),
        Malformed::CidrPrefix { max } => {
            return ("CIDR", format!("the prefix length must be 0 to {max}"))
        }
    };
    (what, why.to_string())
}

fn phase_words(phase: Phase) -> &'static str {
    match phase {
        Phase::Request => "`on request` or a route",
        Phase::Response => "`on response`",
        Phase::Error => "`on error`",
        Phase::Log => "`on log`",
    }
}

fn availability(available: Availability) -> &'static str {
    match available {
        Availability::Always => "every phase",
        Availability::RequestOnly => "`on request` or a route",
        Availability::ResponseOnly => "`on response`",
        Availability::ResponseOrLog => "`on response` or `on log`",
        Availability::ErrorOnly => "`on error`",
        Availability::AfterRouting => "`on response`, `on error` or `on log`",
    }
}

fn section_words(section: Section) -> &'static str {
    match section {
        Section::OnRequest => "on request",
        Section::Route => "route",
        Section::OnResponse => "on response",
        Section::OnError => "on error",
        Section::OnLog => "on log",
    }
}

fn statement(stmt: Statement) -> &'static str {
    match stmt {
        Statement::Set => "set",
        Statement::Add => "add",
        Statement::Remove => "remove",
        Statement::SetLog => "set log[...]",
        Statement::Respond => "respond",
        Statement::Redirect => "redirect",
        Statement::StripPrefix => "strip_prefix",
        Statement::RewritePath => "rewrite path",
        Statement::Proxy => "proxy",
        Statement::RateLimit => "rate_limit",
        Statement::MaxInFlight => "max_in_flight",
        Statement::Cache => "cache",
        Statement::Purge => "purge",
        Statement::VerifyJwt => "verify_jwt",
        Statement::VerifyBasic => "verify_basic",
        Statement::VerifyForward => "verify_forward",
        Statement::Compress => "compress",
    }
}

/// `a, b or c`.
fn one_of(words: &[String]) -> String {
    match words {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

fn article(ty: &crate::types::Type) -> String {
    with_article(&ty.to_string())
}

fn with_article(noun: &str) -> String {
    if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        format!("an {noun}")
    } else {
        format!("a {noun}")
    }
}

/// Renders diagnostics for a terminal, with source excerpts. `color` picks ANSI colours.
/// Each diagnostic shows the file of its primary label; labels in other files (an upstream
/// defined in an included file too) follow as notes with their own file and excerpt.
pub fn render(diagnostics: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme).with_width(100);
    let mut out = String::new();
    for d in diagnostics {
        let file = primary_file(d, sources);
        let (here, elsewhere): (Vec<&Label>, Vec<&Label>) = d
            .labels
            .iter()
            .partition(|l| sources.file_of(l.span).base == file.base);
        let mut m = MietteDiagnostic::new(d.message.clone())
            .with_code(d.code)
            .with_severity(if d.is_warning {
                Severity::Warning
            } else {
                Severity::Error
            });
        if let Some(help) = &d.help {
            m = m.with_help(help.clone());
        }
        render_one(&handler, &mut out, m, &here, file);
        for l in elsewhere {
            let note = MietteDiagnostic::new(l.text.clone()).with_severity(Severity::Advice);
            render_one(&handler, &mut out, note, &[l], sources.file_of(l.span));
        }
    }
    out
}

/// The file a diagnostic is about: its primary label's, or the main file.
fn primary_file<'a>(d: &Diagnostic, sources: &'a SourceMap) -> &'a SourceFile {
    d.labels
        .first()
        .map_or(sources.main(), |l| sources.file_of(l.span))
}

fn render_one(
    handler: &GraphicalReportHandler,
    out: &mut String,
    m: MietteDiagnostic,
    labels: &[&Label],
    file: &SourceFile,
) {
    let labels = labels.iter().enumerate().map(|(i, l)| {
        let span = file.local(l.span);
        let span = (span.start, span.len());
        if i == 0 {
            LabeledSpan::new_primary_with_span(Some(l.text.clone()), span)
        } else {
            LabeledSpan::new_with_span(Some(l.text.clone()), span)
        }
    });
    let report = miette::Report::new(m.with_labels(labels))
        .with_source_code(NamedSource::new(&file.path, file.text.clone()));
    // Writing into a String cannot fail.
    let _ = handler.render_report(out, report.as_ref());
    out.push('\n');
}

/// A position as the Language Server Protocol counts it: 0-based line, UTF-16 code units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    /// 0-based line.
    pub line: u32,
    /// 0-based column in UTF-16 code units.
    pub character: u32,
}

/// A range in LSP terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Range {
    /// Inclusive start.
    pub start: Position,
    /// Exclusive end.
    pub end: Position,
}

/// The LSP position of a byte offset in `source`.
pub fn position(source: &str, offset: usize) -> Position {
    let mut offset = offset.min(source.len());
    while !source.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &source[..offset];
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    Position {
        line: before.matches('\n').count() as u32,
        character: source[line_start..offset].encode_utf16().count() as u32,
    }
}

/// The LSP range of a span.
pub fn range(source: &str, span: Span) -> Range {
    Range {
        start: position(source, span.start),
        end: position(source, span.end),
    }
}

/// Diagnostics as LSP `Diagnostic` objects plus `file`, the path of the file the primary range
/// is in (related locations carry their own file as `uri`), one JSON array.
pub fn to_json(diagnostics: &[Diagnostic], sources: &SourceMap) -> serde_json::Value {
    let located = |span: Span| {
        let file = sources.file_of(span);
        (file.path.as_str(), range(&file.text, file.local(span)))
    };
    serde_json::Value::Array(
        diagnostics
            .iter()
            .map(|d| {
                let (path, primary) = match d.labels.first() {
                    Some(l) => located(l.span),
                    None => (sources.main().path.as_str(), range("", Span::new(0, 0))),
                };
                let related: Vec<_> = d.labels.iter().skip(1).map(|l| {
                    let (uri, range) = located(l.span);
                    serde_json::json!({ "location": { "uri": uri, "range": range }, "message": l.text })
                }).collect();
                let mut message = d.message.clone();
                if let Some(help) = &d.help {
                    message.push_str("\nhelp: ");
                    message.push_str(help);
                }
                serde_json::json!({
                    "file": path,
                    "range": primary,
                    "severity": if d.is_warning { 2 } else { 1 },
                    "code": d.code,
                    "source": "proxyc",
                    "message": message,
                    "relatedInformation": related,
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let src = "# é😀\nroute";
        assert_eq!(
            position(src, src.find("route").unwrap()),
            Position {
                line: 1,
                character: 0
            }
        );
        // '#', ' ', 'é' (1 unit), '😀' (2 units) = 5 units before the newline.
        assert_eq!(
            position(src, src.find('\n').unwrap()),
            Position {
                line: 0,
                character: 5
            }
        );
    }
}
