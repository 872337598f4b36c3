//! The access log writer: requests hand finished lines to a bounded channel and never wait;
//! one thread (`pxy-access-log`) writes them to the [`Output`] in batches and flushes after
//! each batch. When the writer cannot keep up (a slow disk, a blocked pipe) and the channel
//! is full, the line is dropped and counted in `pxy_log_lines_dropped_total{reason=
//! "queue_full"}`, so memory stays bounded and requests keep their latency; lines the output
//! refused count under `reason="write_error"`.
//!
//! SIGUSR1 (`lifecycle/signals.rs`) asks for a reopen: the writer finishes its batch,
//! flushes the old file and opens the path anew, as logrotate's `postrotate` expects.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use prometheus::{IntCounter, IntCounterVec, Opts};

use super::output::Output;

/// Lines queued at most (about 4 MiB of typical lines).
pub(crate) const CAPACITY: usize = 16 * 1024;

enum Message {
    Line(Vec<u8>),
    /// Nothing but wakes the writer (to look at the reopen request).
    Wake,
    /// Answered once every line before it is written and flushed.
    Flush(mpsc::Sender<()>),
}

/// The counters of lines that were not written.
#[derive(Debug, Clone)]
pub(crate) struct Drops {
    /// The queue was full.
    pub(crate) queue_full: IntCounter,
    /// The output failed.
    pub(crate) write_error: IntCounter,
}

impl Drops {
    /// The process's counters, registered in the runtime's registry.
    pub(crate) fn registered() -> Drops {
        static FAMILY: OnceLock<Option<IntCounterVec>> = OnceLock::new();
        let family = FAMILY.get_or_init(|| {
            let family = IntCounterVec::new(
                Opts::new(
                    "pxy_log_lines_dropped_total",
                    "Access log lines not written, by reason: queue_full (the writer could \
                     not keep up), write_error (the file or pipe refused them).",
                ),
                &["reason"],
            )
            .ok()?;
            if let Err(e) = crate::metrics::registry().register(Box::new(family.clone())) {
                tracing::error!(error = %e, "cannot register the log metrics");
            }
            Some(family)
        });
        match family {
            Some(family) => Drops {
                queue_full: family.with_label_values(&["queue_full"]),
                write_error: family.with_label_values(&["write_error"]),
            },
            None => Drops::unregistered(),
        }
    }

    /// Counters of their own (tests, or if the family cannot be made).
    pub(crate) fn unregistered() -> Drops {
        let counter = |name: &str| {
            IntCounter::new(name, "access log lines dropped")
                .unwrap_or_else(|_| unreachable!("a valid name"))
        };
        Drops {
            queue_full: counter("queue_full"),
            write_error: counter("write_error"),
        }
    }
}

/// The sending side of the writer; the thread ends when it is dropped.
#[derive(Debug)]
pub(crate) struct Sink {
    tx: SyncSender<Message>,
    reopen: Arc<AtomicBool>,
    drops: Drops,
}

impl Sink {
    /// Starts the writer thread over `output`, queueing at most `capacity` lines.
    ///
    /// # Errors
    ///
    /// The thread cannot be spawned.
    pub(crate) fn start(
        output: Box<dyn Output>,
        capacity: usize,
        drops: Drops,
    ) -> std::io::Result<Sink> {
        let (tx, rx) = mpsc::sync_channel(capacity);
        let reopen = Arc::new(AtomicBool::new(false));
        let writer = Writer {
            rx,
            output,
            reopen: reopen.clone(),
            drops: drops.clone(),
            batch: capacity.max(1),
            failing: false,
        };
        std::thread::Builder::new()
            .name("pxy-access-log".into())
            .spawn(move || writer.run())?;
        Ok(Sink { tx, reopen, drops })
    }

    /// Queues `line`, or drops and counts it if the queue is full. Never waits.
    pub(crate) fn send(&self, line: Vec<u8>) {
        match self.tx.try_send(Message::Line(line)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => self.drops.queue_full.inc(),
            Err(TrySendError::Disconnected(_)) => self.drops.write_error.inc(),
        }
    }

    /// Asks the writer to reopen its file after the lines queued so far.
    pub(crate) fn reopen(&self) {
        self.reopen.store(true, Ordering::Release);
        // A full queue means the writer is busy and looks at the flag after its batch.
        let _ = self.tx.try_send(Message::Wake);
    }

    /// Waits at most `timeout` until every line queued so far is written and flushed;
    /// false if that did not happen in time.
    pub(crate) fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (ack, done) = mpsc::channel();
        let mut message = Message::Flush(ack);
        loop {
            match self.tx.try_send(message) {
                Ok(()) => break,
                Err(TrySendError::Full(m)) if Instant::now() < deadline => {
                    message = m;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(_) => return false,
            }
        }
        done.recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
    }
}

struct Writer {
    rx: Receiver<Message>,
    output: Box<dyn Output>,
    reopen: Arc<AtomicBool>,
    drops: Drops,
    /// Messages taken at most before a flush, so a steady stream still gets flushed.
    batch: usize,
    /// The output failed last time (its error was logged once).
    failing: bool,
}

impl Writer {
    fn run(mut self) {
        let mut acks = Vec::new();
        while let Ok(first) = self.rx.recv() {
            let mut next = Some(first);
            let mut taken = 0;
            while let Some(message) = next {
                match message {
                    Message::Line(line) => {
                        let written = self.output.write_line(&line);
                        self.outcome(written);
                    }
                    Message::Wake => {}
                    Message::Flush(ack) => acks.push(ack),
                }
                taken += 1;
                next = match taken < self.batch {
                    true => self.rx.try_recv().ok(),
                    false => None,
                };
            }
            let flushed = self.output.flush();
            self.outcome(flushed);
            if self.reopen.swap(false, Ordering::AcqRel) {
                match self.output.reopen() {
                    Ok(true) => tracing::info!("reopened the access log file"),
                    Ok(false) => {
                        tracing::info!("the access log goes to standard error; nothing to reopen")
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "cannot reopen the access log file; writing to the old one")
                    }
                }
            }
            for ack in acks.drain(..) {
                let _ = ack.send(());
            }
        }
    }

    fn outcome(&mut self, result: std::io::Result<()>) {
        match result {
            Ok(()) => self.failing = false,
            Err(e) => {
                self.drops.write_error.inc();
                if !self.failing {
                    tracing::error!(error = %e, "cannot write the access log; dropping lines");
                }
                self.failing = true;
            }
        }
    }
}
