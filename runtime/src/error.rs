//! The runtime's one error type.
//!
//! [`Error`] is a single pointer-sized handle to a boxed record of what failed: an
//! [`ErrorKind`] (what went wrong), an [`ErrorSide`] (whose fault: the client, the origin or
//! the proxy itself), whether trying another backend may help, a short context string (what
//! the runtime was doing) and an optional cause. The kind decides the HTTP status of the error
//! page ([`Error::status`]); hooks such as [`Proxy::fail_to_connect`](crate::Proxy::fail_to_connect)
//! receive an `Error` and return it, possibly changed, rather than swallowing it.
//!
//! `Display` prints one layer (kind and context); the chain of causes is available through
//! [`std::error::Error::source`].

use std::borrow::Cow;
use std::error::Error as StdError;
use std::fmt;
use std::time::Duration;

use http::StatusCode;

/// The result type of every fallible runtime function and hook.
pub type Result<T, E = Error> = std::result::Result<T, E>;

type Cause = Box<dyn StdError + Send + Sync>;

/// An error of the proxy runtime: kind, side, retry decision, context and cause.
///
/// Cheap to move (one pointer). Build one with [`Error::new`] and refine it with the
/// `with_*` methods.
pub struct Error {
    inner: Box<ErrorImpl>,
}

struct ErrorImpl {
    kind: ErrorKind,
    retryable: bool,
    context: Option<Cow<'static, str>>,
    cause: Option<Cause>,
    retry_after: Option<Duration>,
}

/// What went wrong. New kinds may be added; match with a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The origin refused the TCP connection (nothing listens on the port). Status 502.
    ConnectRefused,
    /// Connecting to the origin took longer than `connect_timeout`. Status 504.
    ConnectTimeout,
    /// Any other failure to connect to the origin (unreachable, reset). Status 502.
    ConnectError,
    /// The TLS handshake with the origin failed: its certificate did not verify, its name
    /// did not match, or it did not agree to the protocol. Status 502.
    TlsHandshake,
    /// The origin did not send a response header, or the next body chunk, within
    /// `read_timeout`. Status 504.
    ReadTimeout,
    /// Writing to the origin stalled for too long. Status 504.
    WriteTimeout,
    /// The origin broke HTTP: malformed response, connection closed mid-message. Status 502.
    UpstreamProtocol,
    /// The client broke HTTP or aborted its request body. Status 400.
    DownstreamProtocol,
    /// The client went away before the response was complete. Nothing is sent; status 400
    /// is what [`Error::status`] reports for it.
    ClientClosed,
    /// No backend could be chosen (all weights 0, empty upstream). Status 502.
    NoBackend,
    /// Every backend of the upstream is unhealthy and the upstream declares
    /// [`AllDown::Unavailable`](crate::upstream::AllDown::Unavailable). Status 503.
    NoHealthyBackend,
    /// The backend's connection limit (`max_open_per_backend`) was reached and no connection
    /// became free within `pool_wait`. Status 503.
    Overloaded,
    /// The request took longer than the upstream's `total_timeout`. Status 504.
    TotalTimeout,
    /// The request is not acceptable (bad path, header or framing). Status 400.
    InvalidRequest,
    /// The request target is longer than the server's `max_uri_len`. Status 414.
    UriTooLong,
    /// The request's header section is larger than `max_header_bytes`. Status 431.
    HeadersTooLarge,
    /// The request body is larger than `max_body_bytes` (declared, or counted as it
    /// streamed). Status 413.
    BodyTooLarge,
    /// A configuration value is invalid (e.g. an upstream without backends). Status 500.
    InvalidConfig,
    /// A listening socket could not be bound. Status 500.
    Bind,
    /// A bug or an unexpected failure inside the proxy. Status 500.
    Internal,
    /// The request is over a rate limit of the program (`rate_limit`). Status 429, with
    /// `Retry-After` ([`Error::retry_after`]).
    RateLimited,
    /// The request is over a concurrency limit of the program (`max_in_flight`) and no
    /// place became free within its queue time. Status 503, with `Retry-After`.
    InFlightLimit,
}

/// Whose fault an error is; it picks the default status and where it is logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorSide {
    /// The origin (upstream) failed.
    Upstream,
    /// The client (downstream) sent something wrong or went away.
    Downstream,
    /// The proxy itself or its configuration failed.
    Internal,
}

impl ErrorKind {
    /// The side this kind of error is attributed to.
    pub const fn side(self) -> ErrorSide {
        match self {
            ErrorKind::ConnectRefused
            | ErrorKind::ConnectTimeout
            | ErrorKind::ConnectError
            | ErrorKind::TlsHandshake
            | ErrorKind::ReadTimeout
            | ErrorKind::WriteTimeout
            | ErrorKind::UpstreamProtocol
            | ErrorKind::NoBackend
            | ErrorKind::NoHealthyBackend
            | ErrorKind::Overloaded
            | ErrorKind::TotalTimeout => ErrorSide::Upstream,
            ErrorKind::DownstreamProtocol
            | ErrorKind::ClientClosed
            | ErrorKind::InvalidRequest
            | ErrorKind::UriTooLong
            | ErrorKind::HeadersTooLarge
            | ErrorKind::BodyTooLarge
            | ErrorKind::RateLimited
            | ErrorKind::InFlightLimit => ErrorSide::Downstream,
            ErrorKind::InvalidConfig | ErrorKind::Bind | ErrorKind::Internal => ErrorSide::Internal,
        }
    }

    /// The HTTP status of the error page sent for this kind.
    pub const fn status(self) -> StatusCode {
        match self {
            ErrorKind::ConnectRefused
            | ErrorKind::ConnectError
            | ErrorKind::TlsHandshake
            | ErrorKind::UpstreamProtocol
            | ErrorKind::NoBackend => StatusCode::BAD_GATEWAY,
            ErrorKind::NoHealthyBackend | ErrorKind::Overloaded | ErrorKind::InFlightLimit => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ErrorKind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            ErrorKind::ConnectTimeout
            | ErrorKind::ReadTimeout
            | ErrorKind::WriteTimeout
            | ErrorKind::TotalTimeout => StatusCode::GATEWAY_TIMEOUT,
            ErrorKind::DownstreamProtocol | ErrorKind::ClientClosed | ErrorKind::InvalidRequest => {
                StatusCode::BAD_REQUEST
            }
            ErrorKind::UriTooLong => StatusCode::URI_TOO_LONG,
            ErrorKind::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            ErrorKind::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ErrorKind::InvalidConfig | ErrorKind::Bind | ErrorKind::Internal => {
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }

    /// Whether an error of this kind is retryable on another backend by default: only
    /// failures to connect, where the origin has seen nothing of the request.
    pub const fn is_retryable_by_default(self) -> bool {
        matches!(
            self,
            ErrorKind::ConnectRefused
                | ErrorKind::ConnectTimeout
                | ErrorKind::ConnectError
                | ErrorKind::TlsHandshake
        )
    }

    /// A stable snake_case name for the kind (`connect_refused`, `read_timeout`, ...), what
    /// `.pxy` programs see as `error.kind`.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorKind::ConnectRefused => "connect_refused",
            ErrorKind::ConnectTimeout => "connect_timeout",
            ErrorKind::ConnectError => "connect_error",
            ErrorKind::TlsHandshake => "tls_handshake",
            ErrorKind::ReadTimeout => "read_timeout",
            ErrorKind::WriteTimeout => "write_timeout",
            ErrorKind::UpstreamProtocol => "upstream_protocol",
            ErrorKind::DownstreamProtocol => "downstream_protocol",
            ErrorKind::ClientClosed => "client_closed",
            ErrorKind::NoBackend => "no_backend",
            ErrorKind::InvalidRequest => "invalid_request",
            ErrorKind::UriTooLong => "uri_too_long",
            ErrorKind::HeadersTooLarge => "headers_too_large",
            ErrorKind::BodyTooLarge => "body_too_large",
            ErrorKind::InvalidConfig => "invalid_config",
            ErrorKind::Bind => "bind",
            ErrorKind::Internal => "internal",
            ErrorKind::NoHealthyBackend => "no_healthy_backend",
            ErrorKind::Overloaded => "overloaded",
            ErrorKind::TotalTimeout => "total_timeout",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::InFlightLimit => "in_flight_limit",
        }
    }

    const fn as_str(self) -> &'static str {
        match self {
            ErrorKind::ConnectRefused => "connection refused by upstream",
            ErrorKind::ConnectTimeout => "timed out connecting to upstream",
            ErrorKind::ConnectError => "failed to connect to upstream",
            ErrorKind::TlsHandshake => "TLS handshake with upstream failed",
            ErrorKind::ReadTimeout => "timed out reading from upstream",
            ErrorKind::WriteTimeout => "timed out writing to upstream",
            ErrorKind::UpstreamProtocol => "upstream protocol error",
            ErrorKind::DownstreamProtocol => "downstream protocol error",
            ErrorKind::ClientClosed => "client closed the connection",
            ErrorKind::NoBackend => "no backend available",
            ErrorKind::NoHealthyBackend => "no healthy backend",
            ErrorKind::Overloaded => "upstream connection limit reached",
            ErrorKind::TotalTimeout => "request took longer than the upstream's total timeout",
            ErrorKind::InvalidRequest => "invalid request",
            ErrorKind::UriTooLong => "request target too long",
            ErrorKind::HeadersTooLarge => "request header section too large",
            ErrorKind::BodyTooLarge => "request body too large",
            ErrorKind::InvalidConfig => "invalid configuration",
            ErrorKind::Bind => "cannot listen",
            ErrorKind::Internal => "internal error",
            ErrorKind::RateLimited => "over a rate limit",
            ErrorKind::InFlightLimit => "too many requests in flight",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

// ===== impl Error =====

impl Error {
    /// A new error of `kind`, retryable if the kind is by default, without context or cause.
    pub fn new(kind: ErrorKind) -> Self {
        Error {
            inner: Box::new(ErrorImpl {
                kind,
                retryable: kind.is_retryable_by_default(),
                context: None,
                cause: None,
                retry_after: None,
            }),
        }
    }

    /// Shorthand for `Error::new(kind).with_context(context)`.
    pub fn explain(kind: ErrorKind, context: impl Into<Cow<'static, str>>) -> Self {
        Error::new(kind).with_context(context)
    }

    /// Shorthand for `Err(Error::explain(kind, context))`.
    pub fn err_explain<T>(kind: ErrorKind, context: impl Into<Cow<'static, str>>) -> Result<T> {
        Err(Error::explain(kind, context))
    }

    /// Sets what the runtime (or a hook) was doing when the error happened.
    #[must_use]
    pub fn with_context(mut self, context: impl Into<Cow<'static, str>>) -> Self {
        self.inner.context = Some(context.into());
        self
    }

    /// Sets the underlying cause, reported by [`std::error::Error::source`].
    #[must_use]
    pub fn with_cause(mut self, cause: impl Into<Cause>) -> Self {
        self.inner.cause = Some(cause.into());
        self
    }

    /// Sets how long the client should wait before trying again, sent as `Retry-After`
    /// (whole seconds, rounded up) on the error page.
    #[must_use]
    pub fn with_retry_after(mut self, wait: Duration) -> Self {
        self.inner.retry_after = Some(wait);
        self
    }

    /// How long the client should wait before trying again, if known (a limit refused it).
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Wraps this error in one more layer of context, keeping its kind and retry decision:
    /// `Error::explain(ErrorKind::InvalidConfig, "no backend").wrap("upstream web")`.
    /// The chain of such layers prints the kind once (see [`chain`]).
    #[must_use]
    pub fn wrap(self, context: impl Into<Cow<'static, str>>) -> Self {
        let (kind, retryable, retry_after) = (self.kind(), self.is_retryable(), self.retry_after());
        let mut wrapped = Error::explain(kind, context)
            .with_retryable(retryable)
            .with_cause(self);
        wrapped.inner.retry_after = retry_after;
        wrapped
    }

    /// Overrides whether the request may be retried on another backend.
    #[must_use]
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.inner.retryable = retryable;
        self
    }

    /// Marks the error retryable or not, in place (for use in `fail_to_connect`).
    pub fn set_retryable(&mut self, retryable: bool) {
        self.inner.retryable = retryable;
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// Whose fault it is.
    pub fn side(&self) -> ErrorSide {
        self.inner.kind.side()
    }

    /// The status of the error page the default `fail_to_proxy` sends.
    pub fn status(&self) -> StatusCode {
        self.inner.kind.status()
    }

    /// Whether the runtime may retry the request on another backend.
    pub fn is_retryable(&self) -> bool {
        self.inner.retryable
    }

    /// Whether the origin is to blame.
    pub fn is_upstream(&self) -> bool {
        self.side() == ErrorSide::Upstream
    }

    /// Whether the client is to blame.
    pub fn is_downstream(&self) -> bool {
        self.side() == ErrorSide::Downstream
    }

    /// Whether this is a timeout (connect, read, write or total).
    pub fn is_timeout(&self) -> bool {
        matches!(
            self.kind(),
            ErrorKind::ConnectTimeout
                | ErrorKind::ReadTimeout
                | ErrorKind::WriteTimeout
                | ErrorKind::TotalTimeout
        )
    }

    /// What was being done when the error happened, if recorded.
    pub fn context(&self) -> Option<&str> {
        self.inner.context.as_deref()
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.inner.kind)
            .field("retryable", &self.inner.retryable);
        if let Some(context) = &self.inner.context {
            d.field("context", context);
        }
        if let Some(cause) = &self.inner.cause {
            d.field("cause", cause);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.inner.context {
            Some(context) => write!(f, "{}: {}", self.inner.kind, context),
            None => write!(f, "{}", self.inner.kind),
        }
    }
}

impl StdError for Error {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.inner
            .cause
            .as_ref()
            .map(|cause| &**cause as &(dyn StdError + 'static))
    }
}

impl From<ErrorKind> for Error {
    fn from(kind: ErrorKind) -> Self {
        Error::new(kind)
    }
}

/// Attaches an [`ErrorKind`] and context to any error at the `?` site.
pub trait OrErr<T> {
    /// Maps the error to an [`Error`] of `kind` with `context`, keeping it as the cause.
    fn or_err(self, kind: ErrorKind, context: &'static str) -> Result<T>;
}

impl<T, E: Into<Cause>> OrErr<T> for std::result::Result<T, E> {
    fn or_err(self, kind: ErrorKind, context: &'static str) -> Result<T> {
        self.map_err(|e| Error::explain(kind, context).with_cause(e))
    }
}

/// `error: cause: cause's cause`, one cause chain with each layer once: a cause that is an
/// [`Error`] of the same kind as the layer above it adds only its context (so "invalid
/// configuration" is said once, however many layers wrap it), and a cause whose text the chain
/// already holds (an I/O error repeated by its context) is left out.
pub(crate) fn chain(error: &Error) -> String {
    let mut text = error.to_string();
    let mut kind = error.kind();
    let mut source = error.source();
    while let Some(cause) = source {
        let layer = match cause.downcast_ref::<Error>() {
            Some(inner) if inner.kind() == kind => inner.context().map(str::to_string),
            Some(inner) => {
                kind = inner.kind();
                Some(inner.to_string())
            }
            None => Some(cause.to_string()).filter(|l| !text.contains(l.as_str())),
        };
        if let Some(layer) = layer {
            text.push_str(": ");
            text.push_str(&layer);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests;
