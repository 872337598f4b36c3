//! Refusing HTTP/1 requests whose framing is ambiguous, below hyper.
//!
//! hyper's HTTP/1 server resolves `Content-Length` together with `Transfer-Encoding`
//! silently (`Transfer-Encoding` wins and the length is dropped), so the service never learns
//! that a request was ambiguous, the classic request-smuggling shape. [`FramingGuard`] sits
//! between the accepted socket and hyper and follows the request stream's message boundaries
//! itself (`framer.rs`): it reads every request head (`head.rs`) and body (`chunked.rs` for
//! chunked ones) exactly as hyper will, and refuses a head with conflicting or malformed
//! framing before hyper can act on it.
//!
//! The guard never holds bytes back: everything is read straight into hyper's buffer and only
//! inspected there (body bytes are merely counted), so hyper's own header timeout and size
//! limits keep working unchanged. hyper cannot act on a head before its last byte, the line
//! feed of the empty line, so that byte is the decision point: a good head is delivered as is;
//! a refused head gets [`POISON`] in place of that line feed, which hyper's parser rejects
//! with its automatic `400 Bad Request` (`connection: close`, `content-length: 0`), and
//! every later read reports end of stream. Nothing of the request reaches the service.
//!
//! A request target longer than the limit is cut one byte past it and the head completed,
//! so that the service can answer 414 whatever the target's length (`line.rs`).
//!
//! A connection starting with the HTTP/2 preface is passed through untouched. Heads hyper
//! rejects anyway (unparsable, too many fields, longer than [`HeadLimits::max_head`]) and malformed chunk
//! lines switch the guard to pass-through: hyper answers them itself and then closes.
//! Writes are not inspected.
//!
//! **Header read timeout.** The guard also times request heads (`deadline.rs`): the first
//! from the connection's start, each later one from its first byte, each to its final line
//! feed. A head (or an HTTP/2 preface) not complete in time makes the read fail, and hyper
//! closes the connection.
//!
//! **Upgrades.** Once a request is answered `101 Switching Protocols` the bytes that follow
//! are another protocol's (WebSocket frames), relayed as they are: following them as requests
//! would refuse or mangle them. Whether an upgrade is accepted is only known when the origin's
//! answer is in, so the guard cannot tell from the bytes: the service tells it, through the
//! connection's [`UpgradeSwitch`], which it flips just before handing the `101` to hyper.
//! Every read that completes after that passes untouched. Bytes read before it were followed
//! as HTTP/1 requests: a client may only send frames once it has received the `101` (RFC 6455
//! §4.1), so they are bytes of requests, and after a refused upgrade (any other status) hyper
//! reads them as requests too, which the guard keeps vetting. Bytes a client sends too early
//! land in the tunnel if the upgrade is accepted, as hyper hands over what it buffered; one
//! of them refused there ends the tunnel's downstream reads, which only a misbehaving client
//! can cause. The switch never turns back: an upgraded connection carries no more requests.

mod chunked;
mod deadline;
mod framer;
mod head;
mod line;

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::limits::ClientLimits;
use deadline::HeadDeadline;
use framer::Framer;

/// What the guard holds heads to: the same limits hyper is configured with (so both parse
/// every head identically), and the header read timeout (`deadline.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeadLimits {
    /// The longest head hyper buffers (its `max_buf_size`): a longer one gets hyper's 431
    /// and the guard stops following the connection.
    pub(crate) max_head: usize,
    /// The most header fields (hyper's `max_headers`).
    pub(crate) max_headers: usize,
    /// The longest request target; a longer one is cut one byte past it (`line.rs`).
    pub(crate) max_uri_len: usize,
    /// How long a head may take; see `deadline.rs`.
    pub(crate) header_read_timeout: Duration,
}

impl HeadLimits {
    /// The head limits of `limits`.
    pub(crate) fn of(limits: &ClientLimits) -> Self {
        HeadLimits {
            max_head: limits.head_buffer(),
            max_headers: limits.max_headers,
            max_uri_len: limits.max_uri_len,
            header_read_timeout: limits.header_read_timeout,
        }
    }
}

/// Delivered instead of the final line feed of a refused head. `0x7f` is neither a line end
/// nor a token character, so the head becomes invalid whether the line feed followed a
/// carriage return (`\r` must be followed by `\n`) or not (a header name cannot start with
/// it). The two line feeds after it make hyper parse again when the head arrived in pieces
/// (it only re-parses once new bytes contain an empty line).
const POISON: &[u8] = b"\x7f\n\n";

/// Shared by a connection's guard and the requests it serves: flipped once the connection
/// is upgraded, after which the guard passes every byte. See the module documentation.
#[derive(Debug, Clone, Default)]
pub(crate) struct UpgradeSwitch(Arc<AtomicBool>);

impl UpgradeSwitch {
    /// The connection is upgraded: call this only once the `101` is decided (filters ran),
    /// before it is handed to hyper, so that no frame can be read before.
    pub(crate) fn accept(&self) {
        self.0.store(true, Ordering::Release);
    }

    fn is_accepted(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// A downstream connection's byte stream, with requests of ambiguous framing refused.
/// See the module documentation.
#[derive(Debug)]
pub(crate) struct FramingGuard<IO> {
    io: IO,
    client: SocketAddr,
    framer: Framer,
    /// Once a head is refused: what replaces its end ([`POISON`], or the completion of a
    /// cut request line) and how many of its bytes were delivered.
    poisoned: Option<(&'static [u8], usize)>,
    upgrade: UpgradeSwitch,
    deadline: HeadDeadline,
}

impl<IO> FramingGuard<IO> {
    /// Guards the connection `io` accepted from `client` (named in the refusal log line)
    /// within `limits`, until `upgrade` is accepted. The first head's deadline starts now.
    pub(crate) fn new(
        io: IO,
        client: SocketAddr,
        upgrade: UpgradeSwitch,
        limits: HeadLimits,
    ) -> Self {
        FramingGuard {
            io,
            client,
            framer: Framer::new(limits),
            poisoned: None,
            upgrade,
            deadline: HeadDeadline::new(limits.header_read_timeout),
        }
    }

    /// Whether the connection is HTTP/2: it started with the preface.
    pub(crate) fn is_http2(&self) -> bool {
        self.framer.is_http2()
    }

    /// The head in progress missed its deadline: logged, counted, and the read fails, which
    /// makes hyper close the connection.
    fn timed_out(&self) -> Poll<io::Result<()>> {
        crate::metrics::downstream::rejected("header_timeout");
        tracing::info!(
            target: "pxy::reject",
            client = %self.client,
            timeout = ?self.deadline.timeout(),
            "request header timeout; connection closed",
        );
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "request header timeout",
        )))
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for FramingGuard<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some((tail, sent)) = this.poisoned {
            if sent == tail.len() && tail == line::COMPLETION {
                // A cut request is answered (414, `connection: close`) and the connection
                // closed by hyper: nothing more is read. End of stream instead would make
                // hyper drop the answer, as for a client that went away.
                return Poll::Pending;
            }
            // The rest of the tail, then end of stream.
            let n = (tail.len() - sent).min(buf.remaining());
            buf.put_slice(&tail[sent..sent + n]);
            this.poisoned = Some((tail, sent + n));
            return Poll::Ready(Ok(()));
        }
        let start = buf.filled().len();
        match Pin::new(&mut this.io).poll_read(cx, buf) {
            Poll::Ready(result) => result?,
            Poll::Pending => {
                if this.framer.in_head() && this.deadline.poll_over(cx) {
                    return this.timed_out();
                }
                return Poll::Pending;
            }
        }
        // Checked once the read is done: whatever it returned belongs to the tunnel if the
        // upgrade was accepted meanwhile (hyper hands its buffer over to the tunnel).
        if this.upgrade.is_accepted() {
            return Poll::Ready(Ok(()));
        }
        let read = &buf.filled()[start..];
        let Some(refusal) = this.framer.vet(read) else {
            // End of stream is hyper's to handle, in a head or not.
            if !read.is_empty() && this.deadline.follow(this.framer.in_head()) {
                return this.timed_out();
            }
            return Poll::Ready(Ok(()));
        };
        if refusal.is_cut() {
            // The service logs and counts the 414.
            tracing::debug!(client = %this.client, "request target over the limit; head cut");
        } else {
            tracing::warn!(
                target: "pxy::reject",
                client = %this.client,
                reason = refusal.reason,
                "refused a request with ambiguous framing",
            );
        }
        // A poisoned head's line feed at `at` occupied the buffer, so at least one byte of
        // the tail fits; a cut head keeps at least one byte of the read. Either way the read
        // is not empty, which hyper would take for the end of the stream.
        buf.set_filled(start + refusal.at);
        let n = refusal.tail.len().min(buf.remaining());
        buf.put_slice(&refusal.tail[..n]);
        this.poisoned = Some((refusal.tail, n));
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for FramingGuard<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests;
