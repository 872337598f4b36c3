//! The request stream's message boundaries, followed over the bytes of successive reads.
//!
//! [`Framer::vet`] sees every byte of the connection once, in order, in the reader's own
//! buffer. A head that arrives whole in one read is parsed where it lies; only a head split
//! over reads is copied, piece by piece, into a buffer kept for the connection's lifetime.
//! Body bytes are counted, never copied.

use super::chunked::{ChunkedBody, Progress};
use super::head::{framing, Found, Framing, Scan};
use super::line::{Line, COMPLETION};
use super::{HeadLimits, POISON};

/// The HTTP/2 connection preface, as hyper-util's automatic builder detects it.
const H2_PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// A head to refuse: hyper gets the bytes just read up to `at` (excluded), then `tail`, then
/// end of stream.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Refusal {
    pub(super) at: usize,
    pub(super) reason: &'static str,
    pub(super) tail: &'static [u8],
}

impl Refusal {
    /// Whether this is a request target cut at the limit (answered 414 by the service) rather
    /// than a refused head (400).
    pub(super) fn is_cut(&self) -> bool {
        self.tail == COMPLETION
    }
}

/// Where the stream is.
#[derive(Debug)]
enum Phase {
    /// The connection's first bytes, as long as they match the HTTP/2 preface.
    Preface { matched: usize },
    /// A request head.
    Head,
    /// This many body bytes still to come.
    Length(u64),
    /// A chunked body.
    Chunked(ChunkedBody),
    /// The HTTP/2 preface was read: frames follow, not heads.
    Http2,
    /// hyper is about to fail the connection: nothing more to follow.
    PassThrough,
    /// A head was refused; nothing more is read.
    Refused,
}

/// Follows one connection's requests. See the module documentation.
#[derive(Debug)]
pub(super) struct Framer {
    phase: Phase,
    scan: Scan,
    /// The current head's bytes from earlier reads (empty while a head fits in one read).
    head: Vec<u8>,
    /// Whether a whole head was read (the first is timed from the connection's start).
    seen_head: bool,
    /// The current head's request line.
    line: Line,
    limits: HeadLimits,
}

impl Framer {
    /// A framer at the start of a connection, following heads within `limits`.
    pub(super) fn new(limits: HeadLimits) -> Self {
        Framer {
            phase: Phase::Preface { matched: 0 },
            scan: Scan::default(),
            head: Vec::new(),
            seen_head: false,
            line: Line::default(),
            limits,
        }
    }

    /// Whether the stream is inside a request head, the time the header read timeout
    /// bounds: from the connection's start to the end of its first head (or of the HTTP/2
    /// preface), then from the first byte of each later head to its end. Not between
    /// requests (hyper's idle timer runs there), in a body, or once not followed.
    pub(super) fn in_head(&self) -> bool {
        match self.phase {
            Phase::Preface { .. } => true,
            Phase::Head => !self.seen_head || !matches!(self.scan, Scan::Leading | Scan::LeadingCr),
            Phase::Length(_)
            | Phase::Chunked(_)
            | Phase::Http2
            | Phase::PassThrough
            | Phase::Refused => false,
        }
    }

    /// Whether the connection started with the HTTP/2 preface (hyper serves it as HTTP/2).
    pub(super) fn is_http2(&self) -> bool {
        matches!(self.phase, Phase::Http2)
    }

    /// Follows the stream through `data`, the bytes just read. `None` if they may all go to
    /// hyper; otherwise the head to refuse, whose final line feed is in `data`.
    pub(super) fn vet(&mut self, data: &[u8]) -> Option<Refusal> {
        let mut i = 0;
        while i < data.len() {
            match &mut self.phase {
                Phase::Http2 | Phase::PassThrough | Phase::Refused => return None,
                Phase::Preface { matched } => {
                    let n = (H2_PREFACE.len() - *matched).min(data.len() - i);
                    if data[i..i + n] == H2_PREFACE[*matched..*matched + n] {
                        *matched += n;
                        i += n;
                        if *matched == H2_PREFACE.len() {
                            self.phase = Phase::Http2;
                        }
                    } else {
                        let delivered = &H2_PREFACE[..*matched];
                        self.phase = Phase::Head;
                        // hyper's HTTP/1 parser saw these bytes; if they form a whole head
                        // (`PRI * HTTP/2.0`), it rejects it and nothing more is followed.
                        if let HeadStep::Refuse(_) = self.head(delivered) {
                            self.phase = Phase::PassThrough;
                        }
                    }
                }
                Phase::Length(remaining) => {
                    let n = (*remaining).min((data.len() - i) as u64);
                    *remaining -= n;
                    // `n` is at most `data.len() - i`, a `usize`.
                    i += n as usize;
                    if *remaining == 0 {
                        self.phase = Phase::Head;
                    }
                }
                Phase::Chunked(body) => match body.advance(&data[i..]) {
                    Progress::More => return None,
                    Progress::Done(n) => {
                        i += n;
                        self.phase = Phase::Head;
                    }
                    Progress::Invalid => self.phase = Phase::PassThrough,
                },
                Phase::Head => match self.head(&data[i..]) {
                    HeadStep::More => return None,
                    HeadStep::Done(n) => i += n,
                    HeadStep::Refuse(refusal) => {
                        self.phase = Phase::Refused;
                        return Some(Refusal {
                            at: i + refusal.at,
                            ..refusal
                        });
                    }
                },
            }
        }
        None
    }

    /// Follows the current head through `data`; on its end, judges it and moves to its body.
    fn head(&mut self, data: &[u8]) -> HeadStep {
        let found = self.scan.scan(data);
        let head_start = match found {
            Found::Invalid => None,
            Found::More { start } | Found::End { start, .. } => Some(start),
        };
        if let Some(start) = head_start {
            if let Some(end) = self.line.follow(&data[start..], self.limits.max_uri_len) {
                return HeadStep::Refuse(Refusal {
                    at: start + end,
                    reason: "request target too long",
                    tail: COMPLETION,
                });
            }
        }
        match found {
            Found::Invalid => {
                self.phase = Phase::PassThrough;
                HeadStep::More
            }
            Found::More { start } => {
                let piece = &data[start..];
                if self.head.len() + piece.len() >= self.limits.max_head {
                    // hyper holds at least these bytes, as many as its buffer limit allows
                    // without a complete head: it answers 431 and closes.
                    self.phase = Phase::PassThrough;
                } else {
                    self.head.extend_from_slice(piece);
                }
                HeadStep::More
            }
            Found::End { start, end } => {
                let piece = &data[start..=end];
                let max_headers = self.limits.max_headers;
                let framing = if self.head.is_empty() {
                    framing(piece, max_headers)
                } else {
                    self.head.extend_from_slice(piece);
                    framing(&self.head, max_headers)
                };
                self.head.clear();
                self.seen_head = true;
                self.line = Line::default();
                self.scan = Scan::default();
                self.phase = match framing {
                    Framing::Empty => Phase::Head,
                    Framing::Length(n) => Phase::Length(n),
                    Framing::Chunked => Phase::Chunked(ChunkedBody::default()),
                    Framing::Unparsable => Phase::PassThrough,
                    Framing::Refuse(reason) => {
                        return HeadStep::Refuse(Refusal {
                            at: end,
                            reason,
                            tail: POISON,
                        })
                    }
                };
                HeadStep::Done(end + 1)
            }
        }
    }
}

/// What following a head through some bytes gave.
enum HeadStep {
    /// The bytes are all part of the head, which continues (or the connection is no longer
    /// followed).
    More,
    /// A good head ended; this many bytes belonged to it.
    Done(usize),
    /// The head is refused: the head ending with the line feed at `at` (refused for its
    /// framing), or one whose target passes the limit at `at`.
    Refuse(Refusal),
}
