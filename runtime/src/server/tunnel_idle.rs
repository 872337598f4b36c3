//! The idle timeout of a tunnel (`tunnel_idle_timeout` of its upstream): a WebSocket or other
//! switched connection that carries no byte either way for that long is closed.
//!
//! Both ends of the relay are wrapped in [`Watched`], which stamps every read that brings
//! bytes into one shared [`Activity`]; [`Activity::idle`] sleeps until the last stamp is
//! `limit` old. Reads are enough: every relayed byte is read from one side before it is
//! written to the other. The stamp is an atomic (milliseconds since the tunnel opened), so
//! the relay task stays `Send`.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;

/// When a tunnel last carried a byte.
#[derive(Debug, Clone)]
pub(crate) struct Activity {
    opened: Instant,
    /// Milliseconds from `opened` to the last read that brought bytes.
    last_ms: Arc<AtomicU64>,
}

impl Activity {
    /// A tunnel opening now.
    pub(crate) fn new() -> Self {
        Activity {
            opened: Instant::now(),
            last_ms: Arc::new(AtomicU64::new(0)),
        }
    }

    fn touch(&self) {
        let ms = u64::try_from(self.opened.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// Returns once no byte moved for `limit`.
    pub(crate) async fn idle(&self, limit: Duration) {
        loop {
            let last = self.opened + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
            let deadline = last + limit;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// One end of a tunnel, stamping [`Activity`] on every read that brings bytes.
pub(crate) struct Watched<T> {
    io: T,
    activity: Activity,
}

impl<T> Watched<T> {
    /// Wraps `io`.
    pub(crate) fn new(io: T, activity: &Activity) -> Self {
        Watched {
            io,
            activity: activity.clone(),
        }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Watched<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.io).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Watched<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    #[tokio::test]
    async fn reads_push_the_idle_deadline_back() {
        let activity = Activity::new();
        let (a, mut b) = tokio::io::duplex(64);
        let mut a = Watched::new(a, &activity);
        tokio::time::sleep(Duration::from_millis(300)).await;
        b.write_all(b"hi").await.expect("write");
        let mut got = [0; 2];
        a.read_exact(&mut got).await.expect("read");
        let started = Instant::now();
        activity.idle(Duration::from_millis(500)).await;
        // Idle since the read at 300 ms: 500 ms after it, not 200 ms (after the opening).
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(450) && waited < Duration::from_secs(3),
            "{waited:?}"
        );
    }
}
