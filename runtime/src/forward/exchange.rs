//! One exchange on one upstream connection: send the request, pump its body, wait for the
//! response header within the write and read timeouts.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::future::Either;

use http::Request;
use hyper::body::Incoming;
use hyper::client::conn::TrySendError as HyperTrySendError;
use tokio::time::Sleep;

use super::pump::RequestPump;
use crate::error::{Error, ErrorKind};
use crate::phase::Proxy;
use crate::request_state::RequestState;
use crate::upstream::body::UpstreamBody;
use crate::upstream::pool::Sender;

type TrySendError = HyperTrySendError<Request<UpstreamBody>>;

/// The timeouts of one exchange.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    /// While the request body is still being sent: the longest stall.
    pub(crate) write: Duration,
    /// Once it is sent: the longest wait for the response header.
    pub(crate) read: Duration,
}

/// How sending a request failed.
pub(crate) enum Exchange {
    /// hyper gave the request back unsent (the connection was closed).
    NotSent(Box<Request<UpstreamBody>>, hyper::Error),
    /// The request may have reached the origin; no response byte arrived.
    Failed(hyper::Error),
    /// Any other failure (timeout, client body, filter, connect).
    Other(Error),
    /// The try took longer than the upstream's `try_timeout` (connect and response header
    /// included); the request may have reached the origin.
    TryTimeout(Duration),
}

impl Exchange {
    pub(crate) fn into_error(self) -> Error {
        match self {
            Exchange::NotSent(_, e) | Exchange::Failed(e) => upstream_error(e),
            Exchange::Other(e) => e,
            Exchange::TryTimeout(limit) => Error::explain(
                ErrorKind::ReadTimeout,
                format!("no response header within the try timeout of {limit:?}"),
            ),
        }
    }
}

fn upstream_error(e: hyper::Error) -> Error {
    Error::explain(ErrorKind::UpstreamProtocol, "exchanging with upstream").with_cause(e)
}

/// Sends `request` and waits for the response header, pumping the request body meanwhile.
/// While the body is being sent, `timeouts.write` bounds each stall (restarting whenever a
/// chunk goes out); then `timeouts.read` bounds the wait for the header.
pub(crate) fn exchange<'a, P: Proxy>(
    proxy: &'a P,
    state: &'a mut RequestState<P>,
    sender: &'a mut Sender,
    request: Request<UpstreamBody>,
    pump: &'a mut Option<RequestPump>,
    timeouts: Timeouts,
) -> impl Future<Output = Result<http::Response<Incoming>, Exchange>> + 'a {
    let response = match sender {
        Sender::Http1(s) => Either::Left(s.try_send_request(request)),
        Sender::Http2(s) => Either::Right(s.try_send_request(request)),
    };
    let writing = pump.as_ref().is_some_and(RequestPump::is_running);
    Drive {
        proxy,
        state,
        sent: pump.as_ref().map_or(0, |p| p.sent),
        pump,
        timer: tokio::time::sleep(timeouts.wait(writing)),
        timeouts,
        writing,
        response,
    }
}

impl Timeouts {
    /// The longest wait for the next step: a chunk going out while `writing`, else the
    /// response header.
    fn wait(self, writing: bool) -> Duration {
        if writing {
            self.write
        } else {
            self.read
        }
    }
}

pin_project_lite::pin_project! {
    /// Polls the response future of either HTTP version together with the request body
    /// pump. A struct rather than an `async fn`: a generator would keep the response future
    /// twice (its argument, then the pinned local) and the request beside it, in the
    /// request's future, which is copied whole into its box (`serve_connection`).
    struct Drive<'a, P: Proxy, F> {
        proxy: &'a P,
        state: &'a mut RequestState<P>,
        pump: &'a mut Option<RequestPump>,
        timeouts: Timeouts,
        // Whether the request body is still being sent, and how much of it went out.
        writing: bool,
        sent: u64,
        #[pin]
        timer: Sleep,
        #[pin]
        response: F,
    }
}

impl<P: Proxy, F> Future for Drive<'_, P, F>
where
    F: Future<Output = Result<http::Response<Incoming>, TrySendError>>,
{
    type Output = Result<http::Response<Incoming>, Exchange>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Some(pump) = this.pump.as_mut() {
            if let Poll::Ready(Err(e)) = pump.poll_pump(
                cx,
                *this.proxy,
                &mut this.state.session,
                &mut this.state.ctx,
            ) {
                return Poll::Ready(Err(Exchange::Other(e)));
            }
            let still_writing = pump.is_running();
            if pump.sent != *this.sent || still_writing != *this.writing {
                *this.sent = pump.sent;
                *this.writing = still_writing;
                this.timer
                    .as_mut()
                    .reset(tokio::time::Instant::now() + this.timeouts.wait(still_writing));
            }
        }
        if let Poll::Ready(result) = this.response.poll(cx) {
            return Poll::Ready(result.map_err(|mut e| match e.take_message() {
                Some(request) => Exchange::NotSent(Box::new(request), e.into_error()),
                None => Exchange::Failed(e.into_error()),
            }));
        }
        if this.timer.poll(cx).is_ready() {
            let error = if *this.writing {
                Error::explain(ErrorKind::WriteTimeout, "sending the request body")
            } else {
                Error::explain(ErrorKind::ReadTimeout, "waiting for the response header")
            };
            return Poll::Ready(Err(Exchange::Other(error)));
        }
        Poll::Pending
    }
}
