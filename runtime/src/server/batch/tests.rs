//! The batcher over a scripted connection: what reaches the socket, in how many writes, and
//! when the task is woken.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::{WriteBatcher, BATCH};
use crate::server::framing::{FramingGuard, HeadLimits, UpgradeSwitch};

const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// What a [`Socket`] was sent and is to deliver, shared with the test.
#[derive(Default)]
struct Wire {
    /// Delivered by the next read; once empty, reads would block.
    input: Vec<u8>,
    /// Each write the socket accepted.
    writes: Vec<Vec<u8>>,
    /// While set, writes would block.
    blocked: bool,
    shut: bool,
}

/// A scripted connection: its [`Wire`] says what it reads and records what it is written.
#[derive(Clone, Default)]
struct Socket(Arc<Mutex<Wire>>);

impl Socket {
    fn wire(&self) -> MutexGuard<'_, Wire> {
        self.0.lock().expect("wire")
    }
}

impl AsyncRead for Socket {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let mut wire = self.wire();
        if wire.input.is_empty() {
            return Poll::Pending;
        }
        let n = wire.input.len().min(buf.remaining());
        buf.put_slice(&wire.input[..n]);
        wire.input.drain(..n);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Socket {
    fn poll_write(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let mut wire = self.wire();
        if wire.blocked {
            return Poll::Pending;
        }
        wire.writes.push(data.to_vec());
        Poll::Ready(Ok(data.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.wire().shut = true;
        Poll::Ready(Ok(()))
    }
}

/// Counts the wake-ups of the task.
#[derive(Default)]
struct Wakes(AtomicUsize);

impl Wake for Wakes {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
}

struct Harness {
    batcher: WriteBatcher<Socket>,
    socket: Socket,
    wakes: Arc<Wakes>,
    waker: Waker,
}

impl Harness {
    /// A batcher over a connection that starts with `input`, read whole.
    fn new(input: &[u8]) -> Self {
        let limits = HeadLimits {
            max_head: 64 * 1024,
            max_headers: 100,
            max_uri_len: 8192,
            header_read_timeout: Duration::from_secs(60),
        };
        let socket = Socket::default();
        socket.wire().input = input.to_vec();
        let client = "192.0.2.1:1234".parse().expect("address");
        let guard = FramingGuard::new(socket.clone(), client, UpgradeSwitch::default(), limits);
        let wakes = Arc::new(Wakes::default());
        let mut harness = Harness {
            batcher: WriteBatcher::new(guard),
            socket,
            waker: Waker::from(wakes.clone()),
            wakes,
        };
        let read = harness.read();
        assert_eq!(read, input, "the connection's first bytes");
        harness
    }

    /// What a read delivers (nothing when it would block).
    fn read(&mut self) -> Vec<u8> {
        let mut storage = vec![0u8; 4096];
        let mut buf = ReadBuf::new(&mut storage);
        let waker = self.waker.clone();
        let mut cx = Context::from_waker(&waker);
        match Pin::new(&mut self.batcher).poll_read(&mut cx, &mut buf) {
            Poll::Ready(Ok(())) => buf.filled().to_vec(),
            Poll::Pending => Vec::new(),
            Poll::Ready(Err(e)) => panic!("read failed: {e}"),
        }
    }

    /// Writes `data` and flushes, as h2 does per frame: both must complete.
    fn write_and_flush(&mut self, data: &[u8]) {
        let waker = self.waker.clone();
        let mut cx = Context::from_waker(&waker);
        let written = Pin::new(&mut self.batcher).poll_write(&mut cx, data);
        assert!(
            matches!(written, Poll::Ready(Ok(n)) if n == data.len()),
            "{written:?}"
        );
        let flushed = Pin::new(&mut self.batcher).poll_flush(&mut cx);
        assert!(matches!(flushed, Poll::Ready(Ok(()))), "{flushed:?}");
    }

    fn wire(&self) -> MutexGuard<'_, Wire> {
        self.socket.wire()
    }

    fn wakes(&self) -> usize {
        self.wakes.0.load(Ordering::Relaxed)
    }
}

#[test]
fn http2_frames_flushed_in_one_turn_go_out_in_one_write_on_the_next() {
    let mut h = Harness::new(PREFACE);
    h.write_and_flush(b"HEADERS 1");
    h.write_and_flush(b"DATA 1");
    let parts = [io::IoSlice::new(b"HEADERS 2"), io::IoSlice::new(b"DATA 2")];
    let waker = h.waker.clone();
    let written =
        Pin::new(&mut h.batcher).poll_write_vectored(&mut Context::from_waker(&waker), &parts);
    assert!(matches!(written, Poll::Ready(Ok(15))), "{written:?}");
    assert!(
        h.wire().writes.is_empty(),
        "held until the task's next turn"
    );
    assert_eq!(h.wakes(), 1, "the task is woken once, for the next turn");
    assert!(h.batcher.is_write_vectored());

    assert!(h.read().is_empty(), "nothing to read");
    assert_eq!(
        h.wire().writes,
        [b"HEADERS 1DATA 1HEADERS 2DATA 2".to_vec()]
    );
    assert_eq!(h.wakes(), 1);

    // Another turn, another write.
    h.write_and_flush(b"DATA 3");
    assert_eq!(h.wakes(), 2);
    h.read();
    assert_eq!(h.wire().writes.len(), 2);
    assert_eq!(h.wire().writes[1], b"DATA 3");
}

#[test]
fn http1_writes_pass_straight_through() {
    let mut h = Harness::new(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    h.write_and_flush(b"HTTP/1.1 200 OK\r\n\r\n");
    assert_eq!(h.wire().writes, [b"HTTP/1.1 200 OK\r\n\r\n".to_vec()]);
    assert_eq!(h.wakes(), 0, "no turn to wait for");
}

#[test]
fn a_full_batch_is_sent_before_more_is_taken() {
    let mut h = Harness::new(PREFACE);
    let frame = vec![7u8; 1000];
    for _ in 0..BATCH / frame.len() {
        h.write_and_flush(&frame);
    }
    assert!(h.wire().writes.is_empty());
    h.write_and_flush(&frame);
    assert_eq!(h.wire().writes.len(), 1, "the full batch went out");
    assert_eq!(h.wire().writes[0].len(), BATCH / frame.len() * frame.len());
    // Larger than a batch: sent as it is, after what was held.
    let big = vec![9u8; BATCH + 1];
    h.write_and_flush(&big);
    let wire = h.wire();
    assert_eq!(wire.writes.len(), 3);
    assert_eq!(wire.writes[1], frame);
    assert_eq!(wire.writes[2], big);
}

#[test]
fn a_blocked_socket_keeps_the_batch_and_lets_reads_go_on() {
    let mut h = Harness::new(PREFACE);
    h.write_and_flush(b"DATA 1");
    h.wire().blocked = true;
    h.wire().input = b"more".to_vec();
    assert_eq!(h.read(), b"more", "reads are not held up by writes");
    assert!(h.wire().writes.is_empty());
    // Full of held bytes, a write waits for the socket.
    let waker = h.waker.clone();
    let full = vec![0u8; BATCH];
    let written = Pin::new(&mut h.batcher).poll_write(&mut Context::from_waker(&waker), &full);
    assert!(written.is_pending());
    h.wire().blocked = false;
    h.read();
    assert_eq!(h.wire().writes, [b"DATA 1".to_vec()]);
}

#[test]
fn shutdown_sends_what_is_held_first() {
    let mut h = Harness::new(PREFACE);
    h.write_and_flush(b"GOAWAY");
    let waker = h.waker.clone();
    let shut = Pin::new(&mut h.batcher).poll_shutdown(&mut Context::from_waker(&waker));
    assert!(matches!(shut, Poll::Ready(Ok(()))));
    assert_eq!(h.wire().writes, [b"GOAWAY".to_vec()]);
    assert!(h.wire().shut);
}
