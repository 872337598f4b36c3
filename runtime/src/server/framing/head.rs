//! Request heads: finding where one ends as bytes arrive, and judging its framing.
//!
//! Both mirror hyper's HTTP/1 server: the end is found the way httparse reads lines (empty
//! lines before the request line are skipped; a line ends with `\n`, optionally preceded by
//! `\r`), and the head is parsed with httparse's default configuration, the one hyper uses.
//! The framing rules are RFC 9112 §6 with no leniency: anything hyper would resolve silently
//! is refused.

use std::mem::MaybeUninit;

use crate::server::limits::MAX_HEADERS_CAP;

/// Where the end of the current head is, as bytes arrive.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scan {
    /// Before the request line, where httparse skips empty lines.
    #[default]
    Leading,
    /// A carriage return before the request line; a line feed must follow.
    LeadingCr,
    /// Inside a line of the head.
    Line,
    /// Just after a line feed: an empty line now ends the head.
    AfterLf,
    /// After a line feed and a carriage return.
    AfterLfCr,
}

/// What [`Scan::scan`] found in the bytes it was given.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Found {
    /// The head ends with the line feed at `end`; it began at `start` (0 when it began in
    /// earlier bytes).
    End { start: usize, end: usize },
    /// No end yet; the head began at `start` (the length of the bytes if it has not begun).
    More { start: usize },
    /// A carriage return without a line feed before the request line, which httparse (so
    /// hyper) rejects.
    Invalid,
}

impl Scan {
    /// Scans the next bytes of the stream for the end of the head.
    pub(super) fn scan(&mut self, data: &[u8]) -> Found {
        let mut start = match self {
            Scan::Leading | Scan::LeadingCr => None,
            _ => Some(0),
        };
        let mut i = 0;
        while i < data.len() {
            let byte = data[i];
            *self = match *self {
                Scan::Leading => match byte {
                    b'\n' => Scan::Leading,
                    b'\r' => Scan::LeadingCr,
                    _ => {
                        start = Some(i);
                        Scan::Line
                    }
                },
                Scan::LeadingCr if byte == b'\n' => Scan::Leading,
                Scan::LeadingCr => return Found::Invalid,
                Scan::Line => match data[i..].iter().position(|&b| b == b'\n') {
                    Some(lf) => {
                        i += lf;
                        Scan::AfterLf
                    }
                    None => break,
                },
                Scan::AfterLf | Scan::AfterLfCr if byte == b'\n' => {
                    return Found::End {
                        start: start.unwrap_or(0),
                        end: i,
                    };
                }
                Scan::AfterLf if byte == b'\r' => Scan::AfterLfCr,
                Scan::AfterLf | Scan::AfterLfCr => Scan::Line,
            };
            i += 1;
        }
        Found::More {
            start: start.unwrap_or(data.len()),
        }
    }
}

/// How a request's body is framed, or why the request is refused.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Framing {
    /// No body (or `Content-Length: 0`).
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Ambiguous or malformed framing: refuse, for this reason.
    Refuse(&'static str),
    /// httparse rejects the head (or it has more fields than allowed): hyper will
    /// answer it with an error of its own and close the connection.
    Unparsable,
}

/// Parses a complete head (ending with its empty line) with at most `max_headers` fields (as
/// hyper is configured) and judges its framing.
pub(super) fn framing(head: &[u8], max_headers: usize) -> Framing {
    let mut storage = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS_CAP];
    let fields = &mut storage[..max_headers.min(MAX_HEADERS_CAP)];
    let mut req = httparse::Request::new(&mut []);
    match httparse::ParserConfig::default()
        .parse_request_with_uninit_headers(&mut req, head, fields)
    {
        Ok(httparse::Status::Complete(_)) => {}
        // Cannot happen after an empty line; refuse rather than follow a head not understood.
        Ok(httparse::Status::Partial) => return Framing::Refuse("incomplete request head"),
        Err(_) => return Framing::Unparsable,
    }
    let http10 = req.version == Some(0);
    let mut length: Option<u64> = None;
    // Whether a `Transfer-Encoding` was seen, and whether the last one ends in `chunked`.
    let mut chunked: Option<bool> = None;
    for field in req.headers.iter() {
        if field.name.eq_ignore_ascii_case("content-length") {
            let Some(n) = digits(field.value) else {
                return Framing::Refuse("invalid Content-Length");
            };
            if length.is_some_and(|previous| previous != n) {
                return Framing::Refuse("differing Content-Length values");
            }
            length = Some(n);
        } else if field.name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = Some(ends_with_chunked(field.value));
        }
    }
    match (chunked, length) {
        (None, None | Some(0)) => Framing::Empty,
        (None, Some(n)) => Framing::Length(n),
        (Some(_), _) if http10 => Framing::Refuse("Transfer-Encoding in an HTTP/1.0 request"),
        (Some(_), Some(_)) => Framing::Refuse("Content-Length with Transfer-Encoding"),
        (Some(false), None) => Framing::Refuse("Transfer-Encoding not ending in chunked"),
        (Some(true), None) => Framing::Chunked,
    }
}

/// A `Content-Length` value: one or more ASCII digits, nothing else (no sign, no list).
fn digits(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    value.iter().try_fold(0u64, |n, &b| {
        if b.is_ascii_digit() {
            n.checked_mul(10)?.checked_add(u64::from(b - b'0'))
        } else {
            None
        }
    })
}

/// Whether the last coding of a `Transfer-Encoding` value is `chunked`.
fn ends_with_chunked(value: &[u8]) -> bool {
    value
        .rsplit(|&b| b == b',')
        .next()
        .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"))
}
