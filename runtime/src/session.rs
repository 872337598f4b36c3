//! The downstream side of one request, as the phase hooks see it.
//!
//! A [`Session`] owns the request header the client sent (possibly changed by hooks), the
//! client address, the listener's scheme, the upstream peer once chosen, the response status
//! once known and a lazily made request id. The runtime builds one per request and hands it
//! to every hook; tests build one from a synthetic request with [`Session::new_synthetic`], so
//! any phase can run without a socket.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::header::{AsHeaderName, HOST};
use http::uri::{PathAndQuery, Uri};
use http::{HeaderMap, Method, StatusCode};

use crate::cache::{Cache, CacheRule, CacheStatus};
use crate::compress::CompressRule;
use crate::error::{Error, ErrorKind, Result};
use crate::jwt::JwtClaims;
use crate::request_id::RequestId;
use crate::tls::TlsInfo;
use crate::upstream::Peer;

/// One downstream request: its header, client, scheme and what is known of its response.
#[derive(Debug)]
pub struct Session {
    req: http::request::Parts,
    client_addr: SocketAddr,
    scheme: &'static str,
    tls: Option<Arc<TlsInfo>>,
    response_status: Option<StatusCode>,
    request_id: Option<RequestId>,
    upstream: Option<Peer>,
    /// The protocol the request asks to switch to, lower-cased, as received.
    upgrade: Option<Box<str>>,
    /// How long the client should wait, when a limit refused the request.
    retry_after: Option<Duration>,
    /// The cache the route named (`cache NAME { }`), until the server takes it.
    cache: Option<(Cache, &'static CacheRule)>,
    /// The route's own key for the cache (`key EXPR`), instead of host, path and query.
    cache_key: Option<Box<str>>,
    /// What the cache did for this request.
    cache_status: Option<CacheStatus>,
    /// The claims of the token the last `verify_jwt` accepted.
    jwt: Option<Box<JwtClaims>>,
    /// The user the last `verify_basic` accepted.
    basic_user: Option<Box<str>>,
    /// How the response is compressed (a route's `compress`).
    compression: Option<&'static CompressRule>,
}

impl Session {
    /// The session of a request received by the runtime on a listener of `scheme`.
    pub(crate) fn new(
        req: http::request::Parts,
        client_addr: SocketAddr,
        scheme: &'static str,
    ) -> Self {
        let upgrade = crate::headers::requested_upgrade(req.version, &req.headers)
            .and_then(|value| value.to_str().ok())
            .map(|value| value.trim().to_ascii_lowercase().into_boxed_str());
        Session {
            req,
            client_addr,
            scheme,
            tls: None,
            response_status: None,
            request_id: None,
            upstream: None,
            upgrade,
            retry_after: None,
            cache: None,
            cache_key: None,
            cache_status: None,
            jwt: None,
            basic_user: None,
            compression: None,
        }
    }

    /// A session for a request that did not come from a socket, for unit tests of phases.
    ///
    /// The scheme is `"http"`; the request body is ignored.
    pub fn new_synthetic(req: http::Request<()>, client_addr: SocketAddr) -> Self {
        let (parts, ()) = req.into_parts();
        Session::new(parts, client_addr, "http")
    }

    /// The request method.
    pub fn method(&self) -> &Method {
        &self.req.method
    }

    /// The request path, without the query (`"/"` at least for origin-form requests).
    pub fn path(&self) -> &str {
        self.req.uri.path()
    }

    /// The raw query string after `?`, undecoded, if the request has one.
    pub fn query(&self) -> Option<&str> {
        self.req.uri.query()
    }

    /// The raw value of query parameter `name` (the first one), not percent-decoded: `Some("")`
    /// for `?name` or `?name=`, `None` when absent. Looks through the query in place; nothing is
    /// allocated.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query()?.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then_some(value)
        })
    }

    /// The value of cookie `name` from the `Cookie` header(s) (RFC 6265 `name=value` pairs
    /// separated by `; `), surrounding double quotes removed. `None` when absent.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.req
            .headers
            .get_all(http::header::COOKIE)
            .iter()
            .find_map(|header| {
                header.to_str().ok()?.split(';').find_map(|pair| {
                    let (key, value) = pair.trim().split_once('=')?;
                    (key.trim() == name).then(|| value.trim().trim_matches('"'))
                })
            })
    }

    /// `jwt.sub`: the subject of the token the last `verify_jwt` accepted.
    pub fn jwt_sub(&self) -> Option<&str> {
        self.jwt.as_deref()?.sub()
    }

    /// `jwt.claims["name"]`: a claim of that token, as text ([`JwtClaims::claim`]).
    pub fn jwt_claim(&self, name: &str) -> Option<Cow<'_, str>> {
        self.jwt.as_deref()?.claim(name)
    }

    /// `basic.user`: the user the last `verify_basic` accepted.
    pub fn basic_user(&self) -> Option<&str> {
        self.basic_user.as_deref()
    }

    pub(crate) fn set_basic_user(&mut self, user: String) {
        self.basic_user = Some(user.into_boxed_str());
    }

    pub(crate) fn set_jwt(&mut self, claims: JwtClaims) {
        self.jwt = Some(Box::new(claims));
    }

    /// The host the client asked for, without the port, as received (compare it
    /// case-insensitively).
    ///
    /// Taken from the URI authority (HTTP/2 `:authority`, or an absolute-form HTTP/1.1
    /// target) and otherwise from the `Host` header. `None` if neither is present or the
    /// header is not visible ASCII.
    pub fn host(&self) -> Option<&str> {
        let raw = match self.req.uri.authority() {
            Some(authority) => authority.as_str(),
            None => self.req.headers.get(HOST)?.to_str().ok()?,
        };
        Some(strip_port(strip_userinfo(raw)))
    }

    /// What the TLS handshake of this request's connection established; `None` on a
    /// cleartext listener.
    pub fn tls(&self) -> Option<&TlsInfo> {
        self.tls.as_deref()
    }

    /// The server name the client asked for through SNI (`tls.sni`), lowercased.
    pub fn tls_sni(&self) -> Option<&str> {
        self.tls()?.sni.as_deref()
    }

    /// The TLS version, e.g. `TLSv1.3` (`tls.version`).
    pub fn tls_version(&self) -> Option<&str> {
        self.tls().map(|tls| tls.version)
    }

    /// The subject of the client's verified certificate (`tls.client_subject`), e.g.
    /// `CN=alice,O=Example`.
    pub fn tls_client_subject(&self) -> Option<&str> {
        self.tls()?.client_subject.as_deref()
    }

    pub(crate) fn set_tls(&mut self, tls: Option<Arc<TlsInfo>>) {
        self.tls = tls;
    }

    /// The protocol the request asks to switch to, lower-cased (`"websocket"`): the `Upgrade`
    /// header of an HTTP/1.1 request whose `Connection` names `upgrade`, as the client sent
    /// it. `None` for other requests and for HTTP/2.
    pub fn upgrade(&self) -> Option<&str> {
        self.upgrade.as_deref()
    }

    /// The scheme of the listener the request arrived on: `"http"` or `"https"`.
    pub fn scheme(&self) -> &'static str {
        self.scheme
    }

    /// The first value of header `name`, or `None` if absent or not visible ASCII.
    ///
    /// Accepts a [`HeaderName`](http::HeaderName) reference (the fast path generated code
    /// uses) or a `&str`.
    pub fn header<K: AsHeaderName>(&self, name: K) -> Option<&str> {
        self.req.headers.get(name)?.to_str().ok()
    }

    /// Every line of a request header, in order, joined with `, ` (RFC 9110 §5.3: a list-based
    /// field sent as several lines means the same as one comma-separated line); `None` when it
    /// has none. Lines that are not visible ASCII are left out, as [`Session::header`] does.
    /// Borrowed when there is one line: the common case costs no allocation.
    pub fn header_values<K: AsHeaderName>(&self, name: K) -> Option<Cow<'_, str>> {
        let mut lines = self
            .req
            .headers
            .get_all(name)
            .into_iter()
            .filter_map(|v| v.to_str().ok());
        let first = lines.next()?;
        let Some(second) = lines.next() else {
            return Some(Cow::Borrowed(first));
        };
        let mut joined = format!("{first}, {second}");
        for line in lines {
            joined.push_str(", ");
            joined.push_str(line);
        }
        Some(Cow::Owned(joined))
    }

    /// All request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.req.headers
    }

    /// All request headers, to change what the upstream request will be built from.
    pub fn headers_mut(&mut self) -> &mut HeaderMap {
        &mut self.req.headers
    }

    /// The whole request header.
    pub fn req_header(&self) -> &http::request::Parts {
        &self.req
    }

    /// The whole request header, mutable.
    pub fn req_header_mut(&mut self) -> &mut http::request::Parts {
        &mut self.req
    }

    /// Records that a limit refused the request and the client should wait `wait` (`None`:
    /// unknown): a local 429 or 503 answer then carries `Retry-After`.
    pub fn set_retry_after(&mut self, wait: Option<Duration>) {
        self.retry_after = wait;
    }

    /// What [`Session::set_retry_after`] recorded.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The client's address (the TCP peer).
    pub fn client_addr(&self) -> SocketAddr {
        self.client_addr
    }

    /// Replaces the path, keeping the query.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidRequest`] if `path` does not start with `/` or contains bytes not
    /// allowed in a path (spaces, `?`, `#`, control characters); the request is unchanged.
    pub fn set_path(&mut self, path: &str) -> Result<()> {
        if !path.starts_with('/') || path.contains(['?', '#']) {
            return Err(invalid_path(path));
        }
        let path_and_query = match self.req.uri.query() {
            Some(query) => {
                let mut joined = String::with_capacity(path.len() + 1 + query.len());
                joined.push_str(path);
                joined.push('?');
                joined.push_str(query);
                PathAndQuery::try_from(joined)
            }
            None => PathAndQuery::try_from(path),
        }
        .map_err(|e| invalid_path(path).with_cause(e))?;
        let mut parts = std::mem::take(&mut self.req.uri).into_parts();
        parts.path_and_query = Some(path_and_query);
        match Uri::from_parts(parts) {
            Ok(uri) => {
                self.req.uri = uri;
                Ok(())
            }
            Err(e) => {
                Err(Error::explain(ErrorKind::Internal, "rebuilding the request URI").with_cause(e))
            }
        }
    }

    /// This request's id, made on first use (cheap; see [`RequestId`]).
    pub fn request_id(&mut self) -> &str {
        self.request_id.get_or_insert_with(RequestId::next).as_str()
    }

    /// The same id as a value: `Copy`, held inline, so code can keep it while it borrows the
    /// session again (generated code does) without allocating.
    pub fn request_id_value(&mut self) -> RequestId {
        *self.request_id.get_or_insert_with(RequestId::next)
    }

    /// The status of the response sent downstream, once its header is final (in
    /// `response_filter` it is the status before the filter ran; in `logging`, what was sent).
    pub fn response_status(&self) -> Option<StatusCode> {
        self.response_status
    }

    /// The upstream peer of the last attempt, once `upstream_peer` has chosen one.
    pub fn upstream(&self) -> Option<&Peer> {
        self.upstream.as_ref()
    }

    /// The request id if one was made already.
    pub(crate) fn known_request_id(&self) -> Option<&str> {
        self.request_id.as_ref().map(RequestId::as_str)
    }

    pub(crate) fn set_response_status(&mut self, status: StatusCode) {
        self.response_status = Some(status);
    }

    pub(crate) fn set_upstream(&mut self, peer: Peer) {
        self.upstream = Some(peer);
    }

    /// Answers this request from `cache` under `rule`, or fills it (a route's `cache`
    /// statement). Call it in `request_filter`; the server looks the request up once the
    /// filter returns `Ok(None)`. A later call replaces an earlier one.
    pub fn use_cache(&mut self, cache: &Cache, rule: &'static CacheRule) {
        self.cache = Some((cache.clone(), rule));
        self.cache_key = None;
    }

    /// [`Session::use_cache`] with the route's own key (`cache NAME { key EXPR }`): `key`
    /// stands for host, path and query in the entry's key; the method (a `HEAD` as a `GET`)
    /// and the rule's `vary_on` headers are still added. A successful unsafe request then
    /// invalidates the entry of its own key only, since the key of another URI it names in
    /// `Location` cannot be computed.
    pub fn use_cache_keyed(&mut self, cache: &Cache, rule: &'static CacheRule, key: &str) {
        self.cache = Some((cache.clone(), rule));
        self.cache_key = Some(key.into());
    }

    /// The route's own cache key, when it has one.
    pub(crate) fn cache_key(&self) -> Option<&str> {
        self.cache_key.as_deref()
    }

    /// Compresses the response under `rule` when it and the client allow (a route's
    /// `compress` statement; see [`crate::compress`]). A later call replaces an earlier one.
    pub fn use_compression(&mut self, rule: &'static CompressRule) {
        self.compression = Some(rule);
    }

    /// The compression the request's route asked for.
    pub(crate) fn compression(&self) -> Option<&'static CompressRule> {
        self.compression
    }

    /// Removes the entry of this request's target from `cache` (the `purge` statement):
    /// the key a `GET` of the same target has (without the headers a route's `vary_on`
    /// adds). Whether there was one.
    pub fn purge(&mut self, cache: &Cache) -> bool {
        cache.remove(&crate::cache::key::target(
            self,
            &Method::GET,
            &CacheRule::DEFAULT,
        ))
    }

    /// Removes from `cache` every entry under the path `prefix` on this request's host
    /// (`purge NAME prefix EXPR`): every key of a `GET` whose path starts with `prefix`, with
    /// any query, variant or `vary_on` header. How many were removed.
    pub fn purge_prefix(&self, cache: &Cache, prefix: &str) -> usize {
        let host = self.host().unwrap_or("").to_ascii_lowercase();
        cache.purge_prefix(&format!("{} {host}{prefix}", Method::GET))
    }

    /// Removes from `cache` every entry carrying one of `tags` (`purge NAME tag EXPR`:
    /// separated by spaces or commas), whatever its host. How many were removed.
    pub fn purge_tags(&self, cache: &Cache, tags: &str) -> usize {
        crate::cache::tags::named(tags)
            .map(|tag| cache.purge_tag(tag))
            .sum()
    }

    /// What the cache did for this request: `None` when the route does not cache (or
    /// before the cache was looked up).
    pub fn cache_status(&self) -> Option<CacheStatus> {
        self.cache_status
    }

    /// [`Session::cache_status`] as the language reads it: `"none"` when the route does not
    /// cache.
    pub fn cache_status_str(&self) -> &'static str {
        self.cache_status.map_or("none", CacheStatus::as_str)
    }

    pub(crate) fn take_cache(&mut self) -> Option<(Cache, &'static CacheRule)> {
        self.cache.take()
    }

    pub(crate) fn set_cache_status(&mut self, status: CacheStatus) {
        self.cache_status = Some(status);
    }
}

fn invalid_path(path: &str) -> Error {
    Error::explain(
        ErrorKind::InvalidRequest,
        format!("invalid path {:?}", path.escape_debug().to_string()),
    )
}

fn strip_userinfo(authority: &str) -> &str {
    authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host)
}

/// `example.com:8080` → `example.com`, `[::1]:8080` → `[::1]`, `::1`-style bare IPv6 kept.
fn strip_port(host: &str) -> &str {
    if host.starts_with('[') {
        return match host.find(']') {
            Some(end) => &host[..=end],
            None => host,
        };
    }
    match host.rsplit_once(':') {
        Some((name, port)) if !name.contains(':') && port.bytes().all(|b| b.is_ascii_digit()) => {
            name
        }
        _ => host,
    }
}

#[cfg(test)]
mod tests;
