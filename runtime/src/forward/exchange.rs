//! One exchange on one upstream connection: send the request, pump its body, wait for the
//! response header within the write and read timeouts.

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;

use http::Request;
use hyper::body::Incoming;
use hyper::client::conn::TrySendError as HyperTrySendError;

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
pub(crate) async fn exchange<P: Proxy>(
    proxy: &P,
    state: &mut RequestState<P>,
    sender: &mut Sender,
    request: Request<UpstreamBody>,
    pump: &mut Option<RequestPump>,
    timeouts: Timeouts,
) -> Result<http::Response<Incoming>, Exchange> {
    match sender {
        Sender::Http1(s) => {
            let response = s.try_send_request(request);
            drive(proxy, state, response, pump, timeouts).await
        }
        Sender::Http2(s) => {
            let response = s.try_send_request(request);
            drive(proxy, state, response, pump, timeouts).await
        }
    }
}

/// Polls the response future of either HTTP version together with the request body pump.
async fn drive<P: Proxy>(
    proxy: &P,
    state: &mut RequestState<P>,
    response: impl Future<Output = Result<http::Response<Incoming>, TrySendError>>,
    pump: &mut Option<RequestPump>,
    timeouts: Timeouts,
) -> Result<http::Response<Incoming>, Exchange> {
    let mut response = pin!(response);
    let mut writing = pump.as_ref().is_some_and(RequestPump::is_running);
    let wait = |writing: bool| {
        if writing {
            timeouts.write
        } else {
            timeouts.read
        }
    };
    let mut timer = pin!(tokio::time::sleep(wait(writing)));
    let mut sent = pump.as_ref().map_or(0, |p| p.sent);
    poll_fn(|cx| {
        if let Some(pump) = pump.as_mut() {
            if let Poll::Ready(Err(e)) =
                pump.poll_pump(cx, proxy, &mut state.session, &mut state.ctx)
            {
                return Poll::Ready(Err(Exchange::Other(e)));
            }
            let still_writing = pump.is_running();
            if pump.sent != sent || still_writing != writing {
                sent = pump.sent;
                writing = still_writing;
                timer
                    .as_mut()
                    .reset(tokio::time::Instant::now() + wait(writing));
            }
        }
        if let Poll::Ready(result) = response.as_mut().poll(cx) {
            return Poll::Ready(result.map_err(|mut e| match e.take_message() {
                Some(request) => Exchange::NotSent(Box::new(request), e.into_error()),
                None => Exchange::Failed(e.into_error()),
            }));
        }
        if timer.as_mut().poll(cx).is_ready() {
            let error = if writing {
                Error::explain(ErrorKind::WriteTimeout, "sending the request body")
            } else {
                Error::explain(ErrorKind::ReadTimeout, "waiting for the response header")
            };
            return Poll::Ready(Err(Exchange::Other(error)));
        }
        Poll::Pending
    })
    .await
}
