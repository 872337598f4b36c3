//! Forward authentication: what `forward_auth NAME { ... }` and `verify_forward NAME` compile
//! to, as nginx's `auth_request` and Traefik's `forwardAuth` do it.
//!
//! Before a request goes on, [`ForwardAuth::verify`] asks an auth service (an upstream of the
//! program, so its servers, pool, TLS and health apply) with a `GET` of the declared path,
//! without the body. The question carries the client's headers (all of them but hop-by-hop
//! and framing ones, or only those the declaration lists in `send`) and says what the client
//! asked for in `X-Forwarded-Method`, `-Proto`, `-Host`, `-Uri` and `-For` (the client's
//! address as the proxy knows it, never a list the client sent). The answer decides:
//!
//! - a `2xx` lets the request go on, with the response headers named in `copy` moved onto it
//!   (the client's own headers of those names are removed first, so none can be forged);
//! - anything else goes back to the client as the auth service sent it (status, headers,
//!   body up to [`MAX_ANSWER_BODY`]): a `401` with its challenge, a `302` to a login page;
//! - an auth service that cannot be reached, or does not answer within the declared timeout,
//!   fails the request (`502`, `503` or `504`, through the program's `on error`): it never
//!   lets the request pass.
//!
//! Each outcome but a pass is logged on `pxy::auth` with its reason (`denied` and the
//! status, or `unavailable` and the error); credentials never are.

#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, EXPECT, HOST};
use http::uri::PathAndQuery;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, Uri, Version};
use http_body_util::{BodyExt, Limited};

use crate::error::{Error, ErrorKind, Result};
use crate::headers::{remove_hop_by_hop, X_FORWARDED_FOR, X_FORWARDED_PROTO};
use crate::response::Response;
use crate::session::Session;
use crate::upstream::body::UpstreamBody;
use crate::upstream::connect::{connect, connect_fresh, Conn};
use crate::upstream::pool::Sender;
use crate::upstream::{Backend, Upstream, UpstreamProtocol};

/// `X-Forwarded-Method`: the client's method.
pub const X_FORWARDED_METHOD: HeaderName = HeaderName::from_static("x-forwarded-method");
/// `X-Forwarded-Host`: the host the client asked for.
pub const X_FORWARDED_HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
/// `X-Forwarded-Uri`: the path and query the client asked for.
pub const X_FORWARDED_URI: HeaderName = HeaderName::from_static("x-forwarded-uri");

/// How long the auth service may take to answer unless the declaration says otherwise.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// The largest body of an answer the proxy passes on (a login page, an error); a larger one
/// fails the request as an upstream protocol error, as a truncated page would mislead.
pub const MAX_ANSWER_BODY: usize = 64 * 1024;

/// What a `forward_auth NAME { ... }` declares (its upstream is passed to
/// [`ForwardAuth::verify`]).
#[derive(Debug, Clone)]
pub struct ForwardAuthConfig {
    /// The declaration's name, in log lines.
    pub name: String,
    /// The path and query asked of the auth service, `/` by default.
    pub path: String,
    /// The request headers sent to the auth service; empty: every end-to-end header.
    pub send: Vec<HeaderName>,
    /// The headers of a `2xx` answer copied onto the request.
    pub copy: Vec<HeaderName>,
    /// How long the whole question may take: connecting, the answer and its body.
    pub timeout: Duration,
}

impl ForwardAuthConfig {
    /// A question to `path` that sends every header, copies none back and waits
    /// [`DEFAULT_TIMEOUT`].
    pub fn new(name: &str, path: &str) -> Self {
        ForwardAuthConfig {
            name: name.into(),
            path: path.into(),
            send: Vec::new(),
            copy: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// A `forward_auth` declaration at run time.
#[derive(Debug)]
pub struct ForwardAuth {
    name: Arc<str>,
    path: PathAndQuery,
    send: Vec<HeaderName>,
    copy: Vec<HeaderName>,
    timeout: Duration,
}

/// What the auth service answered.
struct Answer {
    parts: http::response::Parts,
    body: Bytes,
}

impl ForwardAuth {
    /// The verifier `config` declares.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] when the path is not an origin-form path (`/...`).
    pub fn new(config: ForwardAuthConfig) -> Result<Self> {
        let path = PathAndQuery::try_from(config.path.as_str())
            .ok()
            .filter(|p| p.as_str().starts_with('/'))
            .ok_or_else(|| {
                Error::explain(
                    ErrorKind::InvalidConfig,
                    format!(
                        "forward_auth {}: path {:?} is not a path like /auth",
                        config.name, config.path
                    ),
                )
            })?;
        Ok(ForwardAuth {
            name: config.name.into(),
            path,
            send: config.send,
            copy: config.copy,
            timeout: config.timeout,
        })
    }

    /// Asks `service` about the request: `None` when it may go on (with the `copy` headers
    /// set), or the answer to send the client instead.
    ///
    /// # Errors
    ///
    /// When no server of `service` can be chosen, reached or understood within the timeout:
    /// the request fails with the error's status (502, 503 or 504).
    pub async fn verify(
        &self,
        service: &Upstream,
        session: &mut Session,
    ) -> Result<Option<Response>> {
        let answer = match service.select() {
            Ok(peer) => {
                let backend = peer.backend().clone();
                let question = self.question(session, &backend);
                tokio::time::timeout(self.timeout, ask(&backend, question))
                    .await
                    .unwrap_or_else(|_| {
                        backend.record_failure();
                        Err(Error::explain(
                            ErrorKind::ReadTimeout,
                            format!("the auth service did not answer within {:?}", self.timeout),
                        ))
                    })
            }
            Err(e) => Err(e),
        };
        match answer {
            Ok(answer) if answer.parts.status.is_success() => {
                self.pass(session.headers_mut(), &answer.parts.headers);
                Ok(None)
            }
            Ok(answer) => {
                let status = answer.parts.status.as_u16();
                let id = session.request_id_value();
                tracing::info!(target: "pxy::auth", forward_auth = &*self.name, reason = "denied", status, path = session.path(), request_id = id.as_str(), "the auth service refused the request");
                Ok(Some(denial(answer)))
            }
            Err(e) => {
                let id = session.request_id_value();
                tracing::warn!(target: "pxy::auth", forward_auth = &*self.name, reason = "unavailable", error = %e, path = session.path(), request_id = id.as_str(), "the auth service could not be asked");
                Err(e)
            }
        }
    }

    /// The `GET` sent to `backend` about the client's request.
    fn question(&self, session: &Session, backend: &Backend) -> Request<UpstreamBody> {
        let client = session.req_header();
        let mut headers = if self.send.is_empty() {
            let mut all = client.headers.clone();
            remove_hop_by_hop(&mut all);
            for framing in [CONTENT_LENGTH, EXPECT, HOST] {
                all.remove(framing);
            }
            all
        } else {
            let mut listed = HeaderMap::with_capacity(self.send.len() + 5);
            for name in &self.send {
                for value in client.headers.get_all(name) {
                    listed.append(name.clone(), value.clone());
                }
            }
            listed
        };
        headers.insert(
            X_FORWARDED_METHOD,
            HeaderValue::from_str(client.method.as_str())
                .unwrap_or(HeaderValue::from_static("GET")),
        );
        headers.insert(
            X_FORWARDED_PROTO,
            HeaderValue::from_static(session.scheme()),
        );
        // As the client wrote it, port included (`Host`, or HTTP/2's `:authority`).
        let host = (client.headers.get(HOST).cloned()).or_else(|| {
            let authority = client.uri.authority()?;
            HeaderValue::from_str(authority.as_str()).ok()
        });
        if let Some(host) = host {
            headers.insert(X_FORWARDED_HOST, host);
        }
        let uri = client
            .uri
            .path_and_query()
            .map_or("/", PathAndQuery::as_str);
        if let Ok(uri) = HeaderValue::from_str(uri) {
            headers.insert(X_FORWARDED_URI, uri);
        }
        if let Ok(ip) = HeaderValue::from_str(&session.client_addr().ip().to_string()) {
            headers.insert(X_FORWARDED_FOR, ip);
        }
        let authority = backend.addr().to_string();
        let mut request = Request::new(UpstreamBody::Empty);
        *request.method_mut() = Method::GET;
        if backend.options().protocol == UpstreamProtocol::Http2 {
            *request.version_mut() = Version::HTTP_2;
            let scheme = if backend.options().tls.is_some() {
                "https"
            } else {
                "http"
            };
            *request.uri_mut() = Uri::builder()
                .scheme(scheme)
                .authority(authority)
                .path_and_query(self.path.clone())
                .build()
                .unwrap_or_else(|_| Uri::from(self.path.clone()));
        } else {
            *request.uri_mut() = Uri::from(self.path.clone());
            if let Ok(host) = HeaderValue::from_str(&authority) {
                headers.insert(HOST, host);
            }
        }
        *request.headers_mut() = headers;
        request
    }

    /// Replaces the request's `copy` headers with those of a passing answer.
    fn pass(&self, request: &mut HeaderMap, answer: &HeaderMap) {
        for name in &self.copy {
            request.remove(name);
            for value in answer.get_all(name) {
                request.append(name.clone(), value.clone());
            }
        }
    }
}

/// One question to `backend`, on a pooled connection or, when that turns out closed before
/// the question left, on a new one; the answer's body is read whole (bounded).
async fn ask(backend: &Arc<Backend>, question: Request<UpstreamBody>) -> Result<Answer> {
    backend.record_attempt();
    let conn = counted(backend, connect(backend).await)?;
    let (response, sender) = match send(conn.sender, question).await {
        Ok(sent) => sent,
        Err((Some(question), _)) if conn.reused => {
            let fresh = counted(backend, connect_fresh(backend).await)?;
            send(fresh.sender, question)
                .await
                .map_err(|(_, e)| failed(backend, e))?
        }
        Err((_, e)) => return Err(failed(backend, e)),
    };
    let (parts, body) = response.into_parts();
    let body = Limited::new(body, MAX_ANSWER_BODY)
        .collect()
        .await
        .map_err(|e| {
            backend.record_failure();
            Error::explain(
                ErrorKind::UpstreamProtocol,
                format!("reading the auth service's answer (at most {MAX_ANSWER_BODY} bytes)"),
            )
            .with_cause(e)
        })?
        .to_bytes();
    if parts.status.is_server_error() {
        backend.record_failure();
    } else {
        backend.record_success();
    }
    if let Sender::Http1(_) = sender {
        backend.pool.checkin(sender);
    }
    Ok(Answer { parts, body })
}

/// A connection attempt, its failure counted for the backend's health as the proxy's own.
fn counted(backend: &Backend, connected: Result<Conn>) -> Result<Conn> {
    connected.inspect_err(|e| {
        if e.is_upstream() && e.kind() != ErrorKind::Overloaded {
            backend.record_connect_failure();
        }
    })
}

/// A question that was not answered; the question comes back when it never left.
type Unanswered = (Option<Request<UpstreamBody>>, hyper::Error);

/// Sends `question` on `sender`, giving the sender back with the answer's head.
async fn send(
    mut sender: Sender,
    question: Request<UpstreamBody>,
) -> std::result::Result<(http::Response<hyper::body::Incoming>, Sender), Unanswered> {
    let answered = match &mut sender {
        Sender::Http1(s) => s.try_send_request(question).await,
        Sender::Http2(s) => s.try_send_request(question).await,
    };
    answered
        .map(|response| (response, sender))
        .map_err(|mut e| (e.take_message(), e.into_error()))
}

/// The error of an exchange that failed after the connection was made.
fn failed(backend: &Backend, e: hyper::Error) -> Error {
    backend.record_failure();
    Error::explain(ErrorKind::UpstreamProtocol, "asking the auth service").with_cause(e)
}

/// The auth service's refusal as the client gets it: its status, end-to-end headers and body.
fn denial(answer: Answer) -> Response {
    let mut response = Response::new(answer.parts.status).with_body(answer.body);
    let headers = response.headers_mut();
    *headers = answer.parts.headers;
    remove_hop_by_hop(headers);
    headers.remove(CONTENT_LENGTH);
    response
}
