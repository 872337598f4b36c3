//! What the language itself defines: the fields of the request model, the functions, the
//! keywords and the other fixed words (upstream settings, balancing policies, phases), each with
//! its type or syntax and a one-line doc taken from `docs/language.md`. The checker draws its
//! "did you mean" candidates from here and the language server its hover and completion, so the
//! two cannot disagree.

use crate::types::Type;

/// A field of the request model.
pub struct FieldInfo {
    /// The object, `req`, `resp`, `client` or `error`.
    pub object: &'static str,
    /// The field's name after the dot.
    pub name: &'static str,
    /// Its type (for `headers`: the type of one indexed header).
    pub ty: fn() -> Type,
    /// One line of documentation.
    pub doc: &'static str,
}

impl FieldInfo {
    /// True for `req.headers` and `resp.headers`, which are only read indexed: `req.headers["x"]`.
    pub fn is_headers(&self) -> bool {
        self.name == "headers"
    }
}

fn optional_str() -> Type {
    Type::optional(Type::Str)
}

/// Every field, in the order of the reference.
pub const FIELDS: &[FieldInfo] = &[
    FieldInfo { object: "req", name: "method", ty: || Type::Method, doc: "The request's method (`GET`, `POST`, ...)." },
    FieldInfo { object: "req", name: "path", ty: || Type::Str, doc: "The request's path; after `strip_prefix` or `rewrite`, the new path." },
    FieldInfo { object: "req", name: "query", ty: optional_str, doc: "The raw query string without `?`, or one parameter's raw value, `req.query[\"page\"]`." },
    FieldInfo { object: "req", name: "host", ty: optional_str, doc: "The request's host, from `Host` or `:authority`, port removed." },
    FieldInfo { object: "req", name: "scheme", ty: || Type::Str, doc: "The request's scheme: `http`, or `https` on a TLS listener." },
    FieldInfo { object: "req", name: "headers", ty: optional_str, doc: "A request header's first value, `req.headers[\"name\"]`; writable in the request phase." },
    FieldInfo { object: "req", name: "cookies", ty: optional_str, doc: "A cookie's value from the `Cookie` header, `req.cookies[\"name\"]`." },
    FieldInfo { object: "req", name: "upgrade", ty: optional_str, doc: "The protocol an HTTP/1.1 request asks to switch to (`Connection: upgrade`), lower-cased: `\"websocket\"`; absent otherwise." },
    FieldInfo { object: "resp", name: "status", ty: || Type::Status, doc: "The response's status code; only in `on response` and `on log` (there the status sent, 0 if none was)." },
    FieldInfo { object: "resp", name: "headers", ty: optional_str, doc: "A response header's first value, `resp.headers[\"name\"]`; only in `on response`, writable there." },
    FieldInfo { object: "upstream", name: "name", ty: optional_str, doc: "The upstream of the last server tried, absent if none was; not before routing." },
    FieldInfo { object: "upstream", name: "addr", ty: optional_str, doc: "The address (`ip:port`) of the last server tried, absent if none was; not before routing." },
    FieldInfo { object: "client", name: "ip", ty: || Type::Ip, doc: "The IP address of the connecting client." },
    FieldInfo { object: "client", name: "port", ty: || Type::Int, doc: "The source port of the connecting client." },
    FieldInfo { object: "error", name: "status", ty: || Type::Status, doc: "The status of the error page (502, 504, ...); only in `on error`." },
    FieldInfo { object: "tls", name: "sni", ty: optional_str, doc: "The server name the client asked for through SNI, lower case; absent without TLS or SNI." },
    FieldInfo { object: "tls", name: "version", ty: optional_str, doc: "The TLS version, `TLSv1.2` or `TLSv1.3`; absent on a cleartext listener." },
    FieldInfo { object: "tls", name: "client_subject", ty: optional_str, doc: "The subject of the client's verified certificate, like `CN=alice,O=Example`; absent when it sent none." },
    FieldInfo { object: "error", name: "kind", ty: || Type::Str, doc: "What went wrong: `connect_refused`, `connect_timeout`, `read_timeout`, `no_backend`, ...; only in `on error`." },
];

/// The field `object.name`, if there is one.
pub fn field(object: &str, name: &str) -> Option<&'static FieldInfo> {
    FIELDS.iter().find(|f| f.object == object && f.name == name)
}

/// The objects whose fields are written `object.field`.
pub const OBJECTS: &[(&str, &str)] = &[
    (
        "req",
        "The request: `method`, `path`, `query`, `query[\"k\"]`, `host`, `scheme`, `headers[\"name\"]`, `cookies[\"name\"]`, `upgrade`.",
    ),
    (
        "resp",
        "The response (in `on response`; `status` also in `on log`): `status`, `headers[\"name\"]`.",
    ),
    ("client", "The connecting client: `ip`, `port`."),
    ("tls", "The connection's TLS (on `listen https`): `sni`, `version`, `client_subject`."),
    (
        "upstream",
        "The last server tried (in `on response`, `on error` and `on log`): `name`, `addr`.",
    ),
    ("error", "Why proxying failed (in `on error` only): `status`, `kind`."),
];

/// A built-in function.
pub struct FunctionInfo {
    /// Its name.
    pub name: &'static str,
    /// How it is called, with parameter and result types.
    pub signature: &'static str,
    /// The type it returns.
    pub returns: fn() -> Type,
    /// One line of documentation.
    pub doc: &'static str,
}

/// Every function.
pub const FUNCTIONS: &[FunctionInfo] = &[
    FunctionInfo {
        name: "request_id",
        signature: "request_id() -> str",
        returns: || Type::Str,
        doc: "An id unique to this request in this process (also in the access log).",
    },
    FunctionInfo {
        name: "lower",
        signature: "lower(s: str) -> str",
        returns: || Type::Str,
        doc: "`s` in lower case.",
    },
    FunctionInfo {
        name: "upper",
        signature: "upper(s: str) -> str",
        returns: || Type::Str,
        doc: "`s` in upper case.",
    },
    FunctionInfo {
        name: "present",
        signature: "present(x: T?) -> bool",
        returns: || Type::Bool,
        doc: "Whether `x` has a value; inside `if present(x) { ... }`, `x` is a `T`.",
    },
    FunctionInfo { name: "replace", signature: "replace(s: str, from: str, to: str) -> str", returns: || Type::Str, doc: "`s` with every `from` replaced by `to`." },
    FunctionInfo { name: "url_encode", signature: "url_encode(s: str) -> str", returns: || Type::Str, doc: "Percent-encodes everything but unreserved characters." },
    FunctionInfo { name: "url_decode", signature: "url_decode(s: str) -> str", returns: || Type::Str, doc: "Percent-decodes `s`; invalid sequences are kept." },
    FunctionInfo { name: "base64_encode", signature: "base64_encode(s: str) -> str", returns: || Type::Str, doc: "Standard base64, padded." },
    FunctionInfo { name: "base64_decode", signature: "base64_decode(s: str) -> str?", returns: optional_str, doc: "Decodes base64; absent when `s` is not base64 of UTF-8 text." },
    FunctionInfo { name: "now", signature: "now() -> int", returns: || Type::Int, doc: "Seconds since the Unix epoch." },
    FunctionInfo { name: "hash", signature: "hash(s: str) -> int", returns: || Type::Int, doc: "A stable 64-bit hash (FNV-1a): the same in every build and process, for splits like `hash(id) % 100 < 5`." },
    FunctionInfo { name: "split", signature: "split(s: str, sep: str) -> list<str>", returns: || Type::List(Box::new(Type::Str)), doc: "The pieces of `s` between `sep`s; index with a number: `split(s, \",\")[0]` is a `str?`." },
];

/// The function called `name`, if there is one.
pub fn function(name: &str) -> Option<&'static FunctionInfo> {
    FUNCTIONS.iter().find(|f| f.name == name)
}

/// A fixed word of the language: a keyword, or a name with a fixed meaning in one place.
pub struct WordInfo {
    /// The word.
    pub word: &'static str,
    /// How it is written.
    pub syntax: &'static str,
    /// One line of documentation.
    pub doc: &'static str,
}

/// The keywords (`grammar/pxy.pest`'s `keyword` rule), with the statement or construct each starts.
pub const KEYWORDS: &[WordInfo] = &[
    WordInfo { word: "listen", syntax: "listen http ADDRESS", doc: "Accept HTTP/1.1 and h2c connections on an IP and port." },
    WordInfo { word: "include", syntax: "include \"PATH\"", doc: "Another file's declarations, as if written here; the path is relative to this file." },
    WordInfo { word: "upstream", syntax: "upstream NAME { server ADDRESS ... }", doc: "A named group of backend servers that `proxy NAME` sends requests to." },
    WordInfo { word: "server", syntax: "server ADDRESS [weight N]", doc: "A backend of an upstream; weight 1 unless given." },
    WordInfo { word: "weight", syntax: "server ADDRESS weight N", doc: "A server's share of the requests, at least 1." },
    WordInfo { word: "balance", syntax: "balance round_robin | random", doc: "How an upstream picks a server; smooth weighted round robin by default." },
    WordInfo { word: "route", syntax: "route MATCHERS { ... }", doc: "Handles the requests its matchers all accept; the first matching route in source order runs." },
    WordInfo { word: "host", syntax: "host \"NAME\"", doc: "Matcher: the request's host, case-insensitively, port ignored." },
    WordInfo { word: "path", syntax: "path \"/prefix\" | path ~ /REGEX/ | rewrite path = EXPR", doc: "Matcher: the path starts with a prefix or matches a regex; in `rewrite`, the path to replace." },
    WordInfo { word: "method", syntax: "method GET, HEAD", doc: "Matcher: the request's method is one of these." },
    WordInfo { word: "header", syntax: "header \"name\" [== \"value\"]", doc: "Matcher: the header is present, or its first value equals `value`." },
    WordInfo { word: "headers", syntax: "respond STATUS [BODY] headers { \"name\" = EXPR, ... }", doc: "Extra headers of a `respond` answer." },
    WordInfo { word: "on", syntax: "on request { ... } | on response { ... } | on error { ... } | on log { ... }", doc: "Statements that run for every request before routing, on every response, to build error pages, or at the end to add access log fields." },
    WordInfo { word: "set", syntax: "set PLACE = EXPR", doc: "Replace every value of a header." },
    WordInfo { word: "add", syntax: "add PLACE = EXPR", doc: "Append a header value, keeping existing ones." },
    WordInfo { word: "remove", syntax: "remove PLACE", doc: "Delete every value of a header." },
    WordInfo { word: "respond", syntax: "respond STATUS [BODY] [headers { ... }]", doc: "Answer without an upstream (status 100 to 599)." },
    WordInfo { word: "redirect", syntax: "redirect [STATUS] LOCATION", doc: "Answer with a redirect: 301, 302 (the default), 303, 307 or 308." },
    WordInfo { word: "strip_prefix", syntax: "strip_prefix EXPR", doc: "Remove a prefix from the path, keeping a leading `/`." },
    WordInfo { word: "rewrite", syntax: "rewrite path = EXPR", doc: "Replace the path; the query string is kept." },
    WordInfo { word: "proxy", syntax: "proxy NAME", doc: "Send the request to an upstream (routes only)." },
    WordInfo { word: "if", syntax: "if COND { ... } [else ...]", doc: "Branch on a `bool`." },
    WordInfo { word: "else", syntax: "else { ... } | else if COND { ... }", doc: "What runs when the `if` condition does not hold." },
    WordInfo { word: "let", syntax: "let NAME = EXPR", doc: "Name a value for the rest of the block and nested blocks." },
    WordInfo { word: "starts_with", syntax: "str starts_with str -> bool", doc: "Whether the left string starts with the right one." },
    WordInfo { word: "ends_with", syntax: "str ends_with str -> bool", doc: "Whether the left string ends with the right one." },
    WordInfo { word: "contains", syntax: "str contains str -> bool", doc: "Whether the left string contains the right one." },
    WordInfo { word: "matches", syntax: "str matches /REGEX/ -> bool", doc: "Whether the string matches the regex (checked at build time)." },
    WordInfo { word: "in", syntax: "ip in CIDR -> bool", doc: "Whether the IP address is in the CIDR block, e.g. `client.ip in 10.0.0.0/8`." },
    WordInfo { word: "true", syntax: "true: bool", doc: "The boolean true." },
    WordInfo { word: "false", syntax: "false: bool", doc: "The boolean false." },
];

/// Names with a fixed meaning in one place: upstream settings, balancing policies, phases, the
/// listener protocol.
pub const SETTINGS: &[WordInfo] = &[
    WordInfo {
        word: "connect_timeout",
        syntax: "connect_timeout DURATION",
        doc: "How long a TCP connect to a server may take (default 5s); a timeout answers 504.",
    },
    WordInfo {
        word: "read_timeout",
        syntax: "read_timeout DURATION",
        doc: "How long the upstream may take to answer (default 60s); a timeout answers 504.",
    },
    WordInfo {
        word: "retries",
        syntax: "retries N",
        doc: "How many other servers to try when connecting fails.",
    },
    WordInfo {
        word: "round_robin",
        syntax: "balance round_robin",
        doc: "Smooth weighted round robin (weights 3 and 1 give a a b a).",
    },
    WordInfo {
        word: "random",
        syntax: "balance random",
        doc: "Weighted random choice of a server.",
    },
    WordInfo {
        word: "request",
        syntax: "on request { ... }",
        doc: "Runs for every request before routing; may answer, not `proxy`.",
    },
    WordInfo {
        word: "response",
        syntax: "on response { ... }",
        doc: "Runs on every response sent to the client; may change headers, not answer.",
    },
    WordInfo {
        word: "http",
        syntax: "listen http ADDRESS",
        doc: "HTTP/1.1 and HTTP/2 cleartext (h2c, prior knowledge).",
    },
];

/// The keyword or fixed word `word`, if it is one.
pub fn word(word: &str) -> Option<&'static WordInfo> {
    KEYWORDS.iter().chain(SETTINGS).find(|w| w.word == word)
}
