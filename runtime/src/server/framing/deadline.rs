//! The header read timeout, kept by the guard because it sees every byte before hyper does.
//!
//! hyper's own header timer starts only when hyper starts reading a head, which on a new
//! connection is after hyper-util's automatic builder has read the first bytes to tell
//! HTTP/1 from HTTP/2 (without any timer): a client that connects and sends nothing, or
//! part of the HTTP/2 preface, would hold its connection forever. Here the first head is
//! timed from the connection's start, and every later head from the read that brought its
//! first byte; the deadline is fixed, so a client dribbling one byte at a time gains
//! nothing. Between requests hyper's timer (the idle timeout) runs instead.
//!
//! The deadline is checked without a timer on every read; a timer is armed only when a read
//! finds nothing while a head is in progress, so requests whose heads arrive in one read
//! never touch the timer wheel.

use std::future::Future;
use std::pin::Pin;
use std::task::Context;
use std::time::Duration;

use tokio::time::{Instant, Sleep};

/// When the current head must be complete. See the module documentation.
#[derive(Debug)]
pub(super) struct HeadDeadline {
    timeout: Duration,
    /// The deadline of the head in progress; `None` between heads.
    at: Option<Instant>,
    /// The timer, once a read had to wait inside a head, and the instant it is set to.
    sleep: Option<(Pin<Box<Sleep>>, Instant)>,
}

impl HeadDeadline {
    /// The deadline of a connection's first head, `timeout` from now.
    pub(super) fn new(timeout: Duration) -> Self {
        HeadDeadline {
            timeout,
            at: Some(Instant::now() + timeout),
            sleep: None,
        }
    }

    /// After a read: starts the deadline when a head began in it, clears it when none is
    /// in progress any more. Returns whether the head in progress is over its deadline.
    pub(super) fn follow(&mut self, in_head: bool) -> bool {
        match (in_head, self.at) {
            (false, _) => {
                self.at = None;
                false
            }
            (true, None) => {
                self.at = Some(Instant::now() + self.timeout);
                false
            }
            (true, Some(at)) => Instant::now() >= at,
        }
    }

    /// While a read waits: whether the head in progress is over its deadline. Arms the
    /// timer (so the task is woken at the deadline) if it is not.
    pub(super) fn poll_over(&mut self, cx: &mut Context<'_>) -> bool {
        let Some(at) = self.at else {
            return false;
        };
        let sleep = match &mut self.sleep {
            Some((sleep, armed)) => {
                if *armed != at {
                    sleep.as_mut().reset(at);
                    *armed = at;
                }
                sleep
            }
            None => {
                let (sleep, _) = self
                    .sleep
                    .insert((Box::pin(tokio::time::sleep_until(at)), at));
                sleep
            }
        };
        sleep.as_mut().poll(cx).is_ready()
    }

    /// How long heads may take.
    pub(super) fn timeout(&self) -> Duration {
        self.timeout
    }
}
