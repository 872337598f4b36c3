//! The settings written `NAME VALUE`: the process's (`server { }`), an upstream's, the options of `health`,
//! `passive` and `discover`, and the words some of them take (`tls on`, `protocol h2`). Each
//! table maps a name to the enum the checker matches on exhaustively and the kind of value it
//! takes, so a new setting is a build error in the checker until it is handled.

use crate::catalog::words::Word;

/// What kind of value a setting takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    /// `5s`
    Duration,
    /// `64KiB`
    Size,
    /// A whole number from `min` to `max`.
    Count {
        /// The smallest allowed.
        min: u64,
        /// The largest allowed.
        max: u64,
    },
    /// An HTTP status, 100 to 599.
    Status,
    /// A TCP port, 1 to 65535.
    Port,
    /// A string without `{...}`.
    Text,
    /// `on` or `off` ([`SWITCH`]).
    Switch,
    /// [`WHEN_ALL_DOWN`]
    AllDown,
    /// [`UPSTREAM_PROTOCOLS`]
    Protocol,
    /// A socket address, `127.0.0.1:9100` (written bare, as in `listen`).
    Address,
    /// One or more error statuses, 400 to 599: `502, 503, 504`.
    Statuses,
    /// [`ACCESS_LOG_FORMATS`]
    LogFormat,
    /// One or more statuses a cache may store, 200 to 599: `200, 301, 404`.
    StoredStatuses,
    /// One or more of [`KEY_HEADERS`]: `cookie, authorization`.
    KeyHeaders,
    /// [`JWT_ALGORITHMS`]
    Algorithm,
    /// The name of an upstream of the program: `service auth`.
    UpstreamName,
    /// One or more header names, as strings: `"x-user", "x-groups"`.
    HeaderNames,
    /// One or more media types, as strings: `"text/html", "text/*"`.
    MediaTypes,
    /// An expression of type `str`, evaluated for each request: `"{req.host}{req.path}"`.
    StrExpression,
}

/// A setting's checked value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SettingValue {
    /// A duration in milliseconds, a size in bytes, a count, a status or a port.
    Number(u64),
    /// A string.
    Text(String),
    /// `on` (true) or `off`.
    Switch(bool),
    /// `when_all_down ...`
    AllDown(AllDown),
    /// `protocol ...`
    Protocol(UpstreamProtocol),
    /// `admin 127.0.0.1:9100`
    Address(std::net::SocketAddr),
    /// `retry_on 502, 503`
    Statuses(Vec<u16>),
    /// `access_log json`
    LogFormat(LogFormat),
    /// `vary_on cookie, authorization`
    KeyHeaders(Vec<KeyHeader>),
    /// `alg RS256`
    Algorithm(JwtAlg),
    /// `copy "x-user", "x-groups"`: valid header names, in lower case.
    HeaderNames(Vec<String>),
    /// `types "text/html", "text/*"`: valid media types, in lower case.
    MediaTypes(Vec<String>),
    /// `key "{req.host}{req.path}"`: an expression, which the statement that has the setting
    /// types in its own phase.
    Expression,
}

impl SettingValue {
    /// The number, for the kinds that are numbers.
    pub fn number(&self) -> Option<u64> {
        match self {
            SettingValue::Number(n) => Some(*n),
            SettingValue::Text(_)
            | SettingValue::Switch(_)
            | SettingValue::AllDown(_)
            | SettingValue::Protocol(_)
            | SettingValue::Address(_)
            | SettingValue::Statuses(_)
            | SettingValue::LogFormat(_)
            | SettingValue::KeyHeaders(_)
            | SettingValue::Algorithm(_)
            | SettingValue::HeaderNames(_)
            | SettingValue::MediaTypes(_)
            | SettingValue::Expression => None,
        }
    }

    /// The string, for [`ValueKind::Text`].
    pub fn into_text(self) -> Option<String> {
        match self {
            SettingValue::Text(text) => Some(text),
            SettingValue::Number(_)
            | SettingValue::Switch(_)
            | SettingValue::AllDown(_)
            | SettingValue::Protocol(_)
            | SettingValue::Address(_)
            | SettingValue::Statuses(_)
            | SettingValue::LogFormat(_)
            | SettingValue::KeyHeaders(_)
            | SettingValue::Algorithm(_)
            | SettingValue::HeaderNames(_)
            | SettingValue::MediaTypes(_)
            | SettingValue::Expression => None,
        }
    }
}

/// The settings of `server { }`: how the process runs. Each has a flag of the same name
/// (with dashes) that overrides it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerSetting {
    /// `threads N`
    Threads,
    /// `grace_period D`
    GracePeriod,
    /// `admin ADDR`
    Admin,
    /// `access_log text|json|combined|off`
    AccessLog,
    /// `access_log_file "PATH"`
    AccessLogFile,
    /// `header_read_timeout D`
    HeaderReadTimeout,
    /// `idle_timeout D`
    IdleTimeout,
    /// `max_connections N`
    MaxConnections,
    /// `max_uri_length SIZE`
    MaxUriLength,
    /// `max_header_bytes SIZE`
    MaxHeaderBytes,
    /// `max_headers N`
    MaxHeaders,
    /// `max_body_bytes SIZE`
    MaxBodyBytes,
    /// `h2_max_concurrent_streams N`
    H2MaxConcurrentStreams,
    /// `h2_max_pending_reset_streams N`
    H2MaxPendingResetStreams,
    /// `h2_max_error_reset_streams N`
    H2MaxErrorResetStreams,
}

/// Every server setting.
pub const SERVER_SETTINGS: &[SettingWord<ServerSetting>] = &[
    Word { word: "threads", value: (ServerSetting::Threads, ValueKind::Count { min: 1, max: 1024 }), syntax: "threads N", doc: "Worker threads (default: one per core); 1 runs a single-threaded runtime." },
    Word { word: "grace_period", value: (ServerSetting::GracePeriod, ValueKind::Duration), syntax: "grace_period DURATION", doc: "How long in-flight requests and tunnels may take to finish after SIGTERM or an upgrade (default 30s)." },
    Word { word: "admin", value: (ServerSetting::Admin, ValueKind::Address), syntax: "admin ADDRESS", doc: "Serve `/metrics`, `/healthz` and the status page `/status` on this address, e.g. `127.0.0.1:9100` (default: no admin listener)." },
    Word { word: "access_log", value: (ServerSetting::AccessLog, ValueKind::LogFormat), syntax: "access_log text | json | combined | off", doc: "The access log's format: `name=value` text (default), JSON lines, Apache's combined format, or none." },
    Word { word: "access_log_file", value: (ServerSetting::AccessLogFile, ValueKind::Text), syntax: "access_log_file \"PATH\"", doc: "Append the access log to this file (reopened on SIGUSR1, for logrotate) instead of standard error." },
    Word { word: "header_read_timeout", value: (ServerSetting::HeaderReadTimeout, ValueKind::Duration), syntax: "header_read_timeout DURATION", doc: "How long a client may take to send a complete request head (default 10s); then the connection is closed." },
    Word { word: "idle_timeout", value: (ServerSetting::IdleTimeout, ValueKind::Duration), syntax: "idle_timeout DURATION", doc: "How long a keep-alive connection may wait for the next request (default 60s)." },
    Word { word: "max_connections", value: (ServerSetting::MaxConnections, ValueKind::Count { min: 1, max: u64::MAX }), syntax: "max_connections N", doc: "Client connections open at once; more are accepted and closed (default 10000)." },
    Word { word: "max_uri_length", value: (ServerSetting::MaxUriLength, ValueKind::Size), syntax: "max_uri_length SIZE", doc: "The longest request target; longer: 414 (default 8KiB)." },
    Word { word: "max_header_bytes", value: (ServerSetting::MaxHeaderBytes, ValueKind::Size), syntax: "max_header_bytes SIZE", doc: "The largest request header section; larger: 431 (default 32KiB)." },
    Word { word: "max_headers", value: (ServerSetting::MaxHeaders, ValueKind::Count { min: 1, max: 256 }), syntax: "max_headers N", doc: "The most header fields of an HTTP/1 request; more: 431 (default 100)." },
    Word { word: "max_body_bytes", value: (ServerSetting::MaxBodyBytes, ValueKind::Size), syntax: "max_body_bytes SIZE", doc: "The largest request body, also chunked; larger: 413 (default 64MiB; `0B`: no limit)." },
    Word { word: "h2_max_concurrent_streams", value: (ServerSetting::H2MaxConcurrentStreams, ValueKind::Count { min: 1, max: u32::MAX as u64 }), syntax: "h2_max_concurrent_streams N", doc: "HTTP/2 streams open at once per client connection (default 100)." },
    Word { word: "h2_max_pending_reset_streams", value: (ServerSetting::H2MaxPendingResetStreams, ValueKind::Count { min: 0, max: u64::MAX }), syntax: "h2_max_pending_reset_streams N", doc: "HTTP/2 streams a client may reset before they are accepted (rapid reset) before GOAWAY (default 20)." },
    Word { word: "h2_max_error_reset_streams", value: (ServerSetting::H2MaxErrorResetStreams, ValueKind::Count { min: 0, max: u64::MAX }), syntax: "h2_max_error_reset_streams N", doc: "HTTP/2 streams the proxy may reset for a client's errors before GOAWAY (default 1024)." },
];

/// The settings of an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamSetting {
    /// `connect_timeout D`
    ConnectTimeout,
    /// `read_timeout D`
    ReadTimeout,
    /// `write_timeout D`
    WriteTimeout,
    /// `request_timeout D`
    RequestTimeout,
    /// `try_timeout D`
    TryTimeout,
    /// `retries N`
    Retries,
    /// `retry_on STATUS, ...`
    RetryOn,
    /// `retry_non_idempotent on|off`
    RetryNonIdempotent,
    /// `retry_budget PERCENT`
    RetryBudget,
    /// `retry_budget_min N`
    RetryBudgetMin,
    /// `retry_body_limit SIZE`
    RetryBodyLimit,
    /// `max_connections N`
    MaxConnections,
    /// `queue_timeout D`
    QueueTimeout,
    /// `max_idle N`
    MaxIdle,
    /// `idle_timeout D`
    IdleTimeout,
    /// `tunnel_idle_timeout D`
    TunnelIdleTimeout,
    /// `grpc_max_timeout D`
    GrpcMaxTimeout,
    /// `when_all_down try_anyway|unavailable`
    WhenAllDown,
    /// `protocol http1|h2`
    Protocol,
    /// `tls on|off`
    Tls,
    /// `tls_verify on|off`
    TlsVerify,
    /// `tls_sni "NAME"`
    TlsSni,
    /// `tls_ca "FILE"`
    TlsCa,
}

/// A setting's entry: what it is and what value it takes.
pub type SettingWord<S> = Word<(S, ValueKind)>;

/// Every upstream setting.
pub const UPSTREAM_SETTINGS: &[SettingWord<UpstreamSetting>] = &[
    Word { word: "connect_timeout", value: (UpstreamSetting::ConnectTimeout, ValueKind::Duration), syntax: "connect_timeout DURATION", doc: "How long a TCP connect to a server may take (default 5s); a timeout answers 504." },
    Word { word: "read_timeout", value: (UpstreamSetting::ReadTimeout, ValueKind::Duration), syntax: "read_timeout DURATION", doc: "How long the upstream may take to answer, and between body reads (default 60s); a timeout answers 504." },
    Word { word: "write_timeout", value: (UpstreamSetting::WriteTimeout, ValueKind::Duration), syntax: "write_timeout DURATION", doc: "How long sending the request body may stall (default 60s)." },
    Word { word: "request_timeout", value: (UpstreamSetting::RequestTimeout, ValueKind::Duration), syntax: "request_timeout DURATION", doc: "The whole request, every try included; 504 before the response header (default none)." },
    Word { word: "try_timeout", value: (UpstreamSetting::TryTimeout, ValueKind::Duration), syntax: "try_timeout DURATION", doc: "One try, connect to response header; past it the try fails like a reset and may be retried (default none)." },
    Word { word: "retries", value: (UpstreamSetting::Retries, ValueKind::Count { min: 0, max: u64::MAX }), syntax: "retries N", doc: "How many other servers to try after a failed connect, a reset, a `try_timeout` or a `retry_on` status (default one per other server, at most 3)." },
    Word { word: "retry_on", value: (UpstreamSetting::RetryOn, ValueKind::Statuses), syntax: "retry_on STATUS, ...", doc: "Response statuses (400 to 599) retried on another server, for idempotent methods; the response is discarded (default none)." },
    Word { word: "retry_non_idempotent", value: (UpstreamSetting::RetryNonIdempotent, ValueKind::Switch), syntax: "retry_non_idempotent on | off", doc: "Retry POST, PATCH and other non-idempotent requests when connecting fails, where the origin saw nothing (default off: never retried)." },
    Word { word: "retry_budget", value: (UpstreamSetting::RetryBudget, ValueKind::Count { min: 1, max: 100 }), syntax: "retry_budget PERCENT", doc: "Retries in flight at most, in percent of the upstream's requests in flight (default 20)." },
    Word { word: "retry_budget_min", value: (UpstreamSetting::RetryBudgetMin, ValueKind::Count { min: 0, max: u32::MAX as u64 }), syntax: "retry_budget_min N", doc: "Retries in flight always allowed, so that little traffic can still retry (default 3)." },
    Word { word: "retry_body_limit", value: (UpstreamSetting::RetryBodyLimit, ValueKind::Size), syntax: "retry_body_limit SIZE", doc: "The largest request body kept to replay on a retry (default 64KiB)." },
    Word { word: "max_connections", value: (UpstreamSetting::MaxConnections, ValueKind::Count { min: 1, max: u64::MAX }), syntax: "max_connections N", doc: "Open connections per server; beyond it requests wait `queue_timeout`, then 503 (default unlimited)." },
    Word { word: "queue_timeout", value: (UpstreamSetting::QueueTimeout, ValueKind::Duration), syntax: "queue_timeout DURATION", doc: "How long a request waits for a connection beyond `max_connections` (default 1s)." },
    Word { word: "max_idle", value: (UpstreamSetting::MaxIdle, ValueKind::Count { min: 0, max: u64::MAX }), syntax: "max_idle N", doc: "Idle keep-alive connections kept per server (default 128)." },
    Word { word: "idle_timeout", value: (UpstreamSetting::IdleTimeout, ValueKind::Duration), syntax: "idle_timeout DURATION", doc: "How long an idle connection is kept (default 60s)." },
    Word { word: "tunnel_idle_timeout", value: (UpstreamSetting::TunnelIdleTimeout, ValueKind::Duration), syntax: "tunnel_idle_timeout DURATION", doc: "How long a WebSocket (or other upgraded) tunnel may carry no byte either way before it is closed (default none)." },
    Word { word: "grpc_max_timeout", value: (UpstreamSetting::GrpcMaxTimeout, ValueKind::Duration), syntax: "grpc_max_timeout DURATION", doc: "The longest deadline of a gRPC call: a longer or missing `grpc-timeout` is lowered to it, and the proxy ends the call when it passes (default none)." },
    Word { word: "when_all_down", value: (UpstreamSetting::WhenAllDown, ValueKind::AllDown), syntax: "when_all_down try_anyway | unavailable", doc: "What happens when every server is down: try them anyway (default), or answer 503." },
    Word { word: "protocol", value: (UpstreamSetting::Protocol, ValueKind::Protocol), syntax: "protocol http1 | h2", doc: "The HTTP version spoken to the servers; `h2` shares one connection per server (needed for gRPC)." },
    Word { word: "tls", value: (UpstreamSetting::Tls, ValueKind::Switch), syntax: "tls on | off", doc: "Speak TLS to the servers (default off)." },
    Word { word: "tls_verify", value: (UpstreamSetting::TlsVerify, ValueKind::Switch), syntax: "tls_verify on | off", doc: "Verify the servers' certificates and names (default on); `off` is a warning." },
    Word { word: "tls_sni", value: (UpstreamSetting::TlsSni, ValueKind::Text), syntax: "tls_sni \"NAME\"", doc: "The name sent (SNI) and verified." },
    Word { word: "tls_ca", value: (UpstreamSetting::TlsCa, ValueKind::Text), syntax: "tls_ca \"FILE\"", doc: "The CAs (PEM) the servers' certificates must chain to (default the system's)." },
];

/// The options of `health` (and which kinds of check take them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HealthOption {
    /// `expect STATUS` (HTTP checks)
    Expect,
    /// `every D`
    Every,
    /// `timeout D`
    Timeout,
    /// `rise N`
    Rise,
    /// `fall N`
    Fall,
}

/// The options of `health http`.
pub const HTTP_HEALTH_OPTIONS: &[SettingWord<HealthOption>] = &[
    Word {
        word: "expect",
        value: (HealthOption::Expect, ValueKind::Status),
        syntax: "expect STATUS",
        doc: "The status of a healthy answer (default 200).",
    },
    Word {
        word: "every",
        value: (HealthOption::Every, ValueKind::Duration),
        syntax: "every DURATION",
        doc: "Time between checks of a server (default 5s).",
    },
    Word {
        word: "timeout",
        value: (HealthOption::Timeout, ValueKind::Duration),
        syntax: "timeout DURATION",
        doc: "How long one check may take (default 2s).",
    },
    Word {
        word: "rise",
        value: (
            HealthOption::Rise,
            ValueKind::Count {
                min: 1,
                max: u64::MAX,
            },
        ),
        syntax: "rise N",
        doc: "Checks in a row that must pass for a down server to be up (default 2).",
    },
    Word {
        word: "fall",
        value: (
            HealthOption::Fall,
            ValueKind::Count {
                min: 1,
                max: u64::MAX,
            },
        ),
        syntax: "fall N",
        doc: "Checks in a row that must fail for an up server to be down (default 3).",
    },
];

/// The options of `health tcp`: those of HTTP checks but `expect`.
pub const TCP_HEALTH_OPTIONS: &[SettingWord<HealthOption>] = HTTP_HEALTH_OPTIONS.split_at(1).1;

/// The options of `passive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PassiveOption {
    /// `fails N`
    Fails,
    /// `cool_down D`
    CoolDown,
}

/// The options of `passive`.
pub const PASSIVE_OPTIONS: &[SettingWord<PassiveOption>] = &[
    Word {
        word: "fails",
        value: (
            PassiveOption::Fails,
            ValueKind::Count {
                min: 1,
                max: u64::MAX,
            },
        ),
        syntax: "fails N",
        doc: "Failed requests in a row that take a server out.",
    },
    Word {
        word: "cool_down",
        value: (PassiveOption::CoolDown, ValueKind::Duration),
        syntax: "cool_down DURATION",
        doc: "How long a server stays out before it is tried again.",
    },
];

/// The options of `limit NAME = N per D ... by KEY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LimitOption {
    /// `burst N`
    Burst,
    /// `keys N`
    Keys,
}

/// The options of `limit`.
pub const LIMIT_OPTIONS: &[SettingWord<LimitOption>] = &[
    Word {
        word: "burst",
        value: (LimitOption::Burst, ValueKind::Count { min: 1, max: u32::MAX as u64 }),
        syntax: "burst N",
        doc: "Requests a key may send at once before the rate applies (default N, the requests per period).",
    },
    Word {
        word: "keys",
        value: (LimitOption::Keys, ValueKind::Count { min: 1, max: u64::MAX }),
        syntax: "keys N",
        doc: "Keys remembered at most, 77 bytes each (default 100000: 7.7 MB); beyond it the least recently seen key is forgotten.",
    },
];

/// The settings of a `cache NAME { }` declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheSetting {
    /// `size S`
    Size,
    /// `max_object S`
    MaxObject,
}

/// The settings of a `cache NAME { }` declaration.
pub const CACHE_SETTINGS: &[SettingWord<CacheSetting>] = &[
    Word {
        word: "size",
        value: (CacheSetting::Size, ValueKind::Size),
        syntax: "size S",
        doc: "The most bytes the cache holds, headers and bodies counted (default 64MiB); the least useful entries are evicted first.",
    },
    Word {
        word: "max_object",
        value: (CacheSetting::MaxObject, ValueKind::Size),
        syntax: "max_object S",
        doc: "The largest response stored (default 1MiB, at most `size`); larger ones are streamed through and never stored.",
    },
];

/// A cache's size when the program does not say.
pub const DEFAULT_CACHE_SIZE: u64 = 64 << 20;
/// A cache's largest object when the program does not say.
pub const DEFAULT_MAX_OBJECT: u64 = 1 << 20;

/// The settings of a route's `cache NAME { }` statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheRuleSetting {
    /// `key EXPR`
    Key,
    /// `ttl D`
    Ttl,
    /// `default_ttl D`
    DefaultTtl,
    /// `statuses S, ...`
    Statuses,
    /// `stale_while_revalidate D`
    StaleWhileRevalidate,
    /// `stale_if_error D`
    StaleIfError,
    /// `store_set_cookie on|off`
    StoreSetCookie,
    /// `vary_on cookie, authorization`
    VaryOn,
}

/// The settings of a route's `cache NAME { }` statement.
pub const CACHE_RULE_SETTINGS: &[SettingWord<CacheRuleSetting>] = &[
    Word { word: "key", value: (CacheRuleSetting::Key, ValueKind::StrExpression), syntax: "key EXPR", doc: "What identifies an entry instead of host, path and query (a `str`, such as `\"{req.host}{req.path}\"` to ignore the query); the method and the `vary_on` headers are still part of it." },
    Word { word: "ttl", value: (CacheRuleSetting::Ttl, ValueKind::Duration), syntax: "ttl D", doc: "How long every stored response is fresh, whatever its `Cache-Control` or `Expires` say." },
    Word { word: "default_ttl", value: (CacheRuleSetting::DefaultTtl, ValueKind::Duration), syntax: "default_ttl D", doc: "How long a response without `s-maxage`, `max-age` or `Expires` is fresh (instead of the RFC's heuristic)." },
    Word { word: "statuses", value: (CacheRuleSetting::Statuses, ValueKind::StoredStatuses), syntax: "statuses S, ...", doc: "The only statuses stored (default: those RFC 9111 allows, 200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501 and any with explicit freshness)." },
    Word { word: "stale_while_revalidate", value: (CacheRuleSetting::StaleWhileRevalidate, ValueKind::Duration), syntax: "stale_while_revalidate D", doc: "How long after expiry an entry is served while one request refreshes it in the background (a response's own `stale-while-revalidate` wins)." },
    Word { word: "stale_if_error", value: (CacheRuleSetting::StaleIfError, ValueKind::Duration), syntax: "stale_if_error D", doc: "How long after expiry an entry is served when the origin fails, times out or answers 5xx (a response's own `stale-if-error` wins)." },
    Word { word: "store_set_cookie", value: (CacheRuleSetting::StoreSetCookie, ValueKind::Switch), syntax: "store_set_cookie on", doc: "Store responses that carry `Set-Cookie` too (never by default: the cookie would go to every client)." },
    Word { word: "vary_on", value: (CacheRuleSetting::VaryOn, ValueKind::KeyHeaders), syntax: "vary_on cookie, authorization", doc: "Request headers made part of the key: one entry per value, for routes whose answer depends on who asks." },
];

/// The settings of a `compress { }` statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompressSetting {
    /// `types "TYPE", ...`
    Types,
    /// `min_size S`
    MinSize,
}

/// The settings of a `compress { }` statement.
pub const COMPRESS_SETTINGS: &[SettingWord<CompressSetting>] = &[
    Word { word: "types", value: (CompressSetting::Types, ValueKind::MediaTypes), syntax: "types \"TYPE\", ...", doc: "The media types compressed, `text/*` for a whole top-level type (default: `text/*`, JSON, JavaScript, XML, XHTML, RSS, Atom, WebAssembly and SVG)." },
    Word { word: "min_size", value: (CompressSetting::MinSize, ValueKind::Size), syntax: "min_size S", doc: "Responses whose `Content-Length` is smaller are sent as they are (default 256B)." },
];

/// A request header a route's cache key may include.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyHeader {
    /// `Cookie`
    Cookie,
    /// `Authorization`
    Authorization,
}

/// The words of `vary_on`.
pub const KEY_HEADERS: &[Word<KeyHeader>] = &[
    Word {
        word: "cookie",
        value: KeyHeader::Cookie,
        syntax: "cookie",
        doc: "The `Cookie` header.",
    },
    Word {
        word: "authorization",
        value: KeyHeader::Authorization,
        syntax: "authorization",
        doc: "The `Authorization` header.",
    },
];

/// The options of `jwt NAME { }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtOption {
    /// `jwks "FILE"`
    Jwks,
    /// `key "FILE"`
    Key,
    /// `alg ALG`
    Alg,
    /// `secret "FILE"`
    Secret,
    /// `issuer "..."`
    Issuer,
    /// `audience "..."`
    Audience,
    /// `leeway D`
    Leeway,
    /// `cookie "NAME"`
    Cookie,
}

/// The options of `jwt NAME { }`.
pub const JWT_OPTIONS: &[SettingWord<JwtOption>] = &[
    Word { word: "jwks", value: (JwtOption::Jwks, ValueKind::Text), syntax: "jwks \"FILE\"", doc: "A JSON Web Key Set file (RFC 7517): keys chosen by the token's `kid`; re-read when it changes (a bad new file keeps the old keys)." },
    Word { word: "key", value: (JwtOption::Key, ValueKind::Text), syntax: "key \"FILE\"", doc: "A PEM public key (RSA, EC P-256 or Ed25519), with `alg`." },
    Word { word: "alg", value: (JwtOption::Alg, ValueKind::Algorithm), syntax: "alg RS256 | ES256 | EdDSA", doc: "The algorithm of `key`." },
    Word { word: "secret", value: (JwtOption::Secret, ValueKind::Text), syntax: "secret \"FILE\"", doc: "A file whose bytes (without a final newline) are the HS256 secret." },
    Word { word: "issuer", value: (JwtOption::Issuer, ValueKind::Text), syntax: "issuer \"ISS\"", doc: "The `iss` a token must have." },
    Word { word: "audience", value: (JwtOption::Audience, ValueKind::Text), syntax: "audience \"AUD\"", doc: "An `aud` a token must have." },
    Word { word: "leeway", value: (JwtOption::Leeway, ValueKind::Duration), syntax: "leeway D", doc: "Clock skew allowed on `exp` and `nbf`, whole seconds up to 10m (default 60s)." },
    Word { word: "cookie", value: (JwtOption::Cookie, ValueKind::Text), syntax: "cookie \"NAME\"", doc: "Take the token from this cookie when there is no `Authorization: Bearer` header." },
];

/// The options of `basic_auth NAME { }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BasicAuthOption {
    /// `users "FILE"`
    Users,
    /// `realm "REALM"`
    Realm,
}

/// The options of `basic_auth NAME { }`.
pub const BASIC_AUTH_OPTIONS: &[SettingWord<BasicAuthOption>] = &[
    Word { word: "users", value: (BasicAuthOption::Users, ValueKind::Text), syntax: "users \"FILE\"", doc: "The users file: `user:hash` lines, bcrypt (`$2b$`, `htpasswd -B`) or argon2 (`$argon2id$`); re-read when it changes (a bad line keeps the previous users)." },
    Word { word: "realm", value: (BasicAuthOption::Realm, ValueKind::Text), syntax: "realm \"REALM\"", doc: "The realm of the `WWW-Authenticate: Basic` challenge, which browsers show (default: the verifier's name)." },
];

/// The options of `forward_auth NAME { }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ForwardAuthOption {
    /// `service UPSTREAM`
    Service,
    /// `uri "/PATH"`
    Uri,
    /// `send "HEADER", ...`
    Send,
    /// `copy "HEADER", ...`
    Copy,
    /// `timeout D`
    Timeout,
}

/// The options of `forward_auth NAME { }`.
pub const FORWARD_AUTH_OPTIONS: &[SettingWord<ForwardAuthOption>] = &[
    Word { word: "service", value: (ForwardAuthOption::Service, ValueKind::UpstreamName), syntax: "service UPSTREAM", doc: "The upstream that answers the questions (its servers, pool, TLS and health apply)." },
    Word { word: "uri", value: (ForwardAuthOption::Uri, ValueKind::Text), syntax: "uri \"/PATH\"", doc: "The path (and query) asked with `GET` (default `/`); what the client asked for is in `X-Forwarded-Method`, `-Proto`, `-Host`, `-Uri` and `-For`." },
    Word { word: "send", value: (ForwardAuthOption::Send, ValueKind::HeaderNames), syntax: "send \"HEADER\", ...", doc: "The request headers the auth service sees (default: all but hop-by-hop and framing ones)." },
    Word { word: "copy", value: (ForwardAuthOption::Copy, ValueKind::HeaderNames), syntax: "copy \"HEADER\", ...", doc: "Headers of a `2xx` answer set on the request, replacing any the client sent (default: none)." },
    Word { word: "timeout", value: (ForwardAuthOption::Timeout, ValueKind::Duration), syntax: "timeout D", doc: "How long asking may take, connecting and the answer's body included (default 5s); past it the request gets 504." },
];

/// The signature algorithms of a JWT verifier's `key` (a `secret` is HS256).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlg {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// ECDSA on P-256 with SHA-256.
    Es256,
    /// Ed25519.
    EdDsa,
}

/// The values of `alg`.
pub const JWT_ALGORITHMS: &[Word<JwtAlg>] = &[
    Word {
        word: "RS256",
        value: JwtAlg::Rs256,
        syntax: "alg RS256",
        doc: "RSA PKCS#1 v1.5 with SHA-256.",
    },
    Word {
        word: "ES256",
        value: JwtAlg::Es256,
        syntax: "alg ES256",
        doc: "ECDSA P-256 with SHA-256.",
    },
    Word {
        word: "EdDSA",
        value: JwtAlg::EdDsa,
        syntax: "alg EdDSA",
        doc: "Ed25519.",
    },
];

/// The options of `discover`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoveryOption {
    /// `port N` (DNS)
    Port,
    /// `every D`
    Every,
}

/// The options of `discover dns`.
pub const DNS_OPTIONS: &[SettingWord<DiscoveryOption>] = &[
    Word {
        word: "port",
        value: (DiscoveryOption::Port, ValueKind::Port),
        syntax: "port N",
        doc: "The port of every address the name resolves to.",
    },
    Word {
        word: "every",
        value: (DiscoveryOption::Every, ValueKind::Duration),
        syntax: "every DURATION",
        doc: "Time between resolutions.",
    },
];

/// The options of `discover file`: those of DNS but `port`.
pub const FILE_OPTIONS: &[SettingWord<DiscoveryOption>] = DNS_OPTIONS.split_at(1).1;

/// `when_all_down ...`
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllDown {
    /// Try the servers anyway.
    TryAnyway,
    /// Answer 503 at once.
    Unavailable,
}

/// The protocol spoken to an upstream's servers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpstreamProtocol {
    /// HTTP/1.1
    Http1,
    /// HTTP/2
    H2,
}

/// The format of the access log (`access_log ...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// No access log.
    Off,
    /// `name=value` pairs.
    Text,
    /// JSON lines.
    Json,
    /// Apache's combined log format.
    Combined,
}

/// The values of `access_log`.
pub const ACCESS_LOG_FORMATS: &[Word<LogFormat>] = &[
    Word {
        word: "text",
        value: LogFormat::Text,
        syntax: "access_log text",
        doc: "`TIME  INFO pxy::access: method=GET path=\"/\" status=200 ...`, then the `on log` fields (the default).",
    },
    Word {
        word: "json",
        value: LogFormat::Json,
        syntax: "access_log json",
        doc: "One JSON object per line: `time`, the same fields, then the `on log` fields.",
    },
    Word {
        word: "combined",
        value: LogFormat::Combined,
        syntax: "access_log combined",
        doc: "Apache's combined log format, as log analysers read it (`on log` fields are not written).",
    },
    Word {
        word: "off",
        value: LogFormat::Off,
        syntax: "access_log off",
        doc: "No access log.",
    },
];

/// `on` / `off`.
pub const SWITCH: &[Word<bool>] = &[
    Word {
        word: "off",
        value: false,
        syntax: "off",
        doc: "Turned off.",
    },
    Word {
        word: "on",
        value: true,
        syntax: "on",
        doc: "Turned on.",
    },
];

/// The values of `when_all_down`.
pub const WHEN_ALL_DOWN: &[Word<AllDown>] = &[
    Word {
        word: "try_anyway",
        value: AllDown::TryAnyway,
        syntax: "when_all_down try_anyway",
        doc: "Requests still go to the (down) servers.",
    },
    Word {
        word: "unavailable",
        value: AllDown::Unavailable,
        syntax: "when_all_down unavailable",
        doc: "Requests are answered 503 (`on error` can shape the page).",
    },
];

/// The values of `protocol`.
pub const UPSTREAM_PROTOCOLS: &[Word<UpstreamProtocol>] = &[
    Word {
        word: "http1",
        value: UpstreamProtocol::Http1,
        syntax: "protocol http1",
        doc: "HTTP/1.1, a pool of keep-alive connections per server.",
    },
    Word {
        word: "h2",
        value: UpstreamProtocol::H2,
        syntax: "protocol h2",
        doc: "HTTP/2, one shared connection per server.",
    },
];
