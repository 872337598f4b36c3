//! The fields of the request model (`req.path`, `resp.status`, `client.ip`, ...): what each
//! one is in the typed program, its type, the phases it exists in, and its doc.

use crate::catalog::words::Phase;
use crate::typed::{Field, Side};
use crate::types::Type;

/// The objects whose fields are written `object.field`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    /// `req`
    Req,
    /// `resp`
    Resp,
    /// `client`
    Client,
    /// `tls`
    Tls,
    /// `upstream`
    Upstream,
    /// `error`
    Error,
    /// `cache`
    Cache,
    /// `jwt`
    Jwt,
    /// `basic`
    Basic,
}

/// An object with its word and doc.
#[derive(Debug)]
pub struct ObjectInfo {
    /// The object.
    pub object: Object,
    /// How it is written.
    pub word: &'static str,
    /// One line of documentation.
    pub doc: &'static str,
}

/// Every object, in the order of the reference.
pub const OBJECTS: &[ObjectInfo] = &[
    ObjectInfo { object: Object::Req, word: "req", doc: "The request: `method`, `path`, `query`, `query[\"k\"]`, `host`, `scheme`, `headers[\"name\"]`, `cookies[\"name\"]`, `upgrade`." },
    ObjectInfo { object: Object::Resp, word: "resp", doc: "The response (in `on response`; `status` also in `on log`): `status`, `headers[\"name\"]`." },
    ObjectInfo { object: Object::Client, word: "client", doc: "The connecting client: `ip`, `port`." },
    ObjectInfo { object: Object::Tls, word: "tls", doc: "The connection's TLS (on `listen https`): `sni`, `version`, `client_subject`." },
    ObjectInfo { object: Object::Upstream, word: "upstream", doc: "The last server tried (in `on response`, `on error` and `on log`): `name`, `addr`." },
    ObjectInfo { object: Object::Error, word: "error", doc: "Why proxying failed (in `on error` only): `status`, `kind`." },
    ObjectInfo { object: Object::Cache, word: "cache", doc: "What the HTTP cache did (in `on response` and `on log`): `status`." },
    ObjectInfo { object: Object::Basic, word: "basic", doc: "The credentials the last `verify_basic` accepted: `user`; absent before one did." },
    ObjectInfo { object: Object::Jwt, word: "jwt", doc: "The token the last `verify_jwt` accepted: `sub`, `claims[\"name\"]`; absent before one did." },
];

impl Object {
    /// How the object is written.
    pub fn word(self) -> &'static str {
        OBJECTS
            .iter()
            .find(|o| o.object == self)
            .map_or("", |o| o.word)
    }

    /// The object written `word`, if there is one.
    pub fn from_word(word: &str) -> Option<Object> {
        OBJECTS.iter().find(|o| o.word == word).map(|o| o.object)
    }
}

/// The phases a field can be read in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Availability {
    /// Every phase.
    Always,
    /// The request phase (`on request` and routes): where the request can still change.
    RequestOnly,
    /// `on response` only.
    ResponseOnly,
    /// `on response` and `on log`.
    ResponseOrLog,
    /// `on error` only.
    ErrorOnly,
    /// Once a server was tried: `on response`, `on error` and `on log`.
    AfterRouting,
}

impl Availability {
    /// Whether the field exists in `phase`.
    pub fn allows(self, phase: Phase) -> bool {
        match self {
            Availability::Always => true,
            Availability::RequestOnly => phase == Phase::Request,
            Availability::ResponseOnly => phase == Phase::Response,
            Availability::ResponseOrLog => matches!(phase, Phase::Response | Phase::Log),
            Availability::ErrorOnly => phase == Phase::Error,
            Availability::AfterRouting => phase != Phase::Request,
        }
    }
}

/// What `object.name["key"]` reads, for the fields indexed by a literal key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keyed {
    /// `req.headers["name"]` / `resp.headers["name"]`: a header, the key an RFC 9110 name.
    Header(Side),
    /// `req.header_values["name"]`: every line of a request header, joined with `, `.
    HeaderValues,
    /// `req.query["name"]`: a query parameter's raw value.
    QueryParam,
    /// `req.cookies["name"]`: a cookie.
    Cookie,
    /// `jwt.claims["name"]`: a claim of the verified token.
    JwtClaim,
}

impl Keyed {
    /// The field for `key` (already validated; header names in lower case).
    pub fn field(self, key: String) -> Field {
        match self {
            Keyed::Header(Side::Request) => Field::ReqHeader(key),
            Keyed::Header(Side::Response) => Field::RespHeader(key),
            Keyed::HeaderValues => Field::ReqHeaderValues(key),
            Keyed::QueryParam => Field::QueryParam(key),
            Keyed::Cookie => Field::Cookie(key),
            Keyed::JwtClaim => Field::JwtClaim(key),
        }
    }
}

/// A field of the request model.
#[derive(Debug)]
pub struct FieldInfo {
    /// The object before the dot.
    pub object: Object,
    /// The field's name after the dot.
    pub name: &'static str,
    /// What `object.name` reads; `None` for fields only read indexed (`req.headers["x"]`).
    pub value: Option<Field>,
    /// What `object.name["key"]` reads, when the field is indexed.
    pub keyed: Option<Keyed>,
    /// What the field reads in `on log`, where that differs (`resp.status` is the status sent).
    pub in_log: Option<Field>,
    /// Its type (for indexed fields: the type of one indexed value).
    pub ty: fn() -> Type,
    /// Where it can be read.
    pub available: Availability,
    /// One line of documentation.
    pub doc: &'static str,
}

impl FieldInfo {
    /// True for fields read only indexed: `req.headers["x"]`, `req.cookies["c"]`.
    pub fn is_indexed_only(&self) -> bool {
        self.value.is_none()
    }

    /// How it is written: `req.path`.
    pub fn path(&self) -> String {
        format!("{}.{}", self.object.word(), self.name)
    }

    /// What the field reads in `phase`, when it is a plain value.
    pub fn value_in(&self, phase: Phase) -> Option<Field> {
        match (phase, &self.in_log) {
            (Phase::Log, Some(field)) => Some(field.clone()),
            _ => self.value.clone(),
        }
    }
}

fn optional_str() -> Type {
    Type::optional(Type::Str)
}

/// Every field, in the order of the reference.
pub const FIELDS: &[FieldInfo] = &[
    FieldInfo { object: Object::Req, name: "method", value: Some(Field::ReqMethod), keyed: None, in_log: None, ty: || Type::Method, available: Availability::Always, doc: "The request's method (`GET`, `POST`, ...)." },
    FieldInfo { object: Object::Req, name: "path", value: Some(Field::ReqPath), keyed: None, in_log: None, ty: || Type::Str, available: Availability::Always, doc: "The request's path; after `strip_prefix` or `rewrite`, the new path." },
    FieldInfo { object: Object::Req, name: "query", value: Some(Field::ReqQuery), keyed: Some(Keyed::QueryParam), in_log: None, ty: optional_str, available: Availability::Always, doc: "The raw query string without `?`, or one parameter's raw value, `req.query[\"page\"]`." },
    FieldInfo { object: Object::Req, name: "host", value: Some(Field::ReqHost), keyed: None, in_log: None, ty: optional_str, available: Availability::Always, doc: "The request's host, from `Host` or `:authority`, port removed." },
    FieldInfo { object: Object::Req, name: "scheme", value: Some(Field::ReqScheme), keyed: None, in_log: None, ty: || Type::Str, available: Availability::Always, doc: "The request's scheme: `http`, or `https` on a TLS listener." },
    FieldInfo { object: Object::Req, name: "headers", value: None, keyed: Some(Keyed::Header(Side::Request)), in_log: None, ty: optional_str, available: Availability::Always, doc: "A request header's first value, `req.headers[\"name\"]`; writable in the request phase." },
    FieldInfo { object: Object::Req, name: "header_values", value: None, keyed: Some(Keyed::HeaderValues), in_log: None, ty: optional_str, available: Availability::Always, doc: "Every line of a request header, in order, joined with `, ` as RFC 9110 allows for list-based fields (`X-Forwarded-For` sent as two lines reads `a, b`); absent when there is none. Read-only." },
    FieldInfo { object: Object::Req, name: "cookies", value: None, keyed: Some(Keyed::Cookie), in_log: None, ty: optional_str, available: Availability::Always, doc: "A cookie's value from the `Cookie` header, `req.cookies[\"name\"]`." },
    FieldInfo { object: Object::Req, name: "upgrade", value: Some(Field::ReqUpgrade), keyed: None, in_log: None, ty: optional_str, available: Availability::Always, doc: "The protocol an HTTP/1.1 request asks to switch to (`Connection: upgrade`), lower-cased: `\"websocket\"`; absent otherwise." },
    FieldInfo { object: Object::Resp, name: "status", value: Some(Field::RespStatus), keyed: None, in_log: Some(Field::SentStatus), ty: || Type::Status, available: Availability::ResponseOrLog, doc: "The response's status code; only in `on response` and `on log` (there the status sent, 0 if none was)." },
    FieldInfo { object: Object::Resp, name: "headers", value: None, keyed: Some(Keyed::Header(Side::Response)), in_log: None, ty: optional_str, available: Availability::ResponseOnly, doc: "A response header's first value, `resp.headers[\"name\"]`; only in `on response`, writable there." },
    FieldInfo { object: Object::Upstream, name: "name", value: Some(Field::UpstreamName), keyed: None, in_log: None, ty: optional_str, available: Availability::AfterRouting, doc: "The upstream of the last server tried, absent if none was; not before routing." },
    FieldInfo { object: Object::Upstream, name: "addr", value: Some(Field::UpstreamAddr), keyed: None, in_log: None, ty: optional_str, available: Availability::AfterRouting, doc: "The address (`ip:port`) of the last server tried, absent if none was; not before routing." },
    FieldInfo { object: Object::Client, name: "ip", value: Some(Field::ClientIp), keyed: None, in_log: None, ty: || Type::Ip, available: Availability::Always, doc: "The IP address of the connecting client." },
    FieldInfo { object: Object::Client, name: "port", value: Some(Field::ClientPort), keyed: None, in_log: None, ty: || Type::Int, available: Availability::Always, doc: "The source port of the connecting client." },
    FieldInfo { object: Object::Error, name: "status", value: Some(Field::ErrorStatus), keyed: None, in_log: None, ty: || Type::Status, available: Availability::ErrorOnly, doc: "The status of the error page (502, 504, ...); only in `on error`." },
    FieldInfo { object: Object::Tls, name: "sni", value: Some(Field::TlsSni), keyed: None, in_log: None, ty: optional_str, available: Availability::Always, doc: "The server name the client asked for through SNI, lower case; absent without TLS or SNI." },
    FieldInfo { object: Object::Tls, name: "version", value: Some(Field::TlsVersion), keyed: None, in_log: None, ty: optional_str, available: Availability::Always, doc: "The TLS version, `TLSv1.2` or `TLSv1.3`; absent on a cleartext listener." },
    FieldInfo { object: Object::Tls, name: "client_subject", value: Some(Field::TlsClientSubject), keyed: None, in_log: None, ty: optional_str, available: Availability::Always, doc: "The subject of the client's verified certificate, like `CN=alice,O=Example`; absent when it sent none." },
    FieldInfo { object: Object::Cache, name: "status", value: Some(Field::CacheStatus), keyed: None, in_log: None, ty: || Type::Str, available: Availability::ResponseOrLog, doc: "What the cache did for this request: `hit`, `miss`, `stale`, `revalidated`, `bypass`, or `none` when its route does not cache; only in `on response` and `on log`." },
    FieldInfo { object: Object::Basic, name: "user", value: Some(Field::BasicUser), keyed: None, in_log: None, ty: optional_str, available: Availability::Always, doc: "The user the last `verify_basic` accepted; absent before one did." },
    FieldInfo { object: Object::Jwt, name: "sub", value: Some(Field::JwtSub), keyed: None, in_log: None, ty: optional_str, available: Availability::Always, doc: "The `sub` claim of the token the last `verify_jwt` accepted; absent before one did (or when the token has none)." },
    FieldInfo { object: Object::Jwt, name: "claims", value: None, keyed: Some(Keyed::JwtClaim), in_log: None, ty: optional_str, available: Availability::Always, doc: "A claim of the token the last `verify_jwt` accepted, `jwt.claims[\"email\"]`: a string as it is, a number or boolean as JSON writes it, absent for other values, a missing claim, or before a token was accepted." },
    FieldInfo { object: Object::Error, name: "kind", value: Some(Field::ErrorKind), keyed: None, in_log: None, ty: || Type::Str, available: Availability::ErrorOnly, doc: "What went wrong: `connect_refused`, `connect_timeout`, `read_timeout`, `no_backend`, ...; only in `on error`." },
];

/// The field `object.name`, if there is one.
pub fn field(object: &str, name: &str) -> Option<&'static FieldInfo> {
    let object = Object::from_word(object)?;
    FIELDS.iter().find(|f| f.object == object && f.name == name)
}

/// The entry of a field of the typed program (a header's entry for any header name).
pub fn info(field: &Field) -> &'static FieldInfo {
    FIELDS
        .iter()
        .find(|f| {
            f.value.as_ref() == Some(field)
                || f.in_log.as_ref() == Some(field)
                || f.keyed
                    .is_some_and(|k| k.field(String::new()).same_kind(field))
        })
        .expect("every field of the typed program has an entry")
}
