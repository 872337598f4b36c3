//! Following a chunked request body to its end, byte for byte as hyper decodes it.
//!
//! The states and what each accepts are those of hyper's chunked decoder (`decode.rs`):
//! hex size, optional spaces, optional `;extension` up to CRLF, the data and its CRLF, then
//! after the `0` chunk the trailer lines and the final CRLF. Chunk data is skipped by count,
//! never copied. Where hyper is stricter (extension and trailer limits) it fails the body and
//! closes the connection, so following further than hyper does is harmless; anything this
//! rejects, hyper rejects too.

/// Where in a chunked body the stream is.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) enum Chunked {
    /// The first digit of a chunk size.
    #[default]
    Start,
    /// More size digits.
    Size,
    /// Spaces or tabs after the size.
    SizeLws,
    /// A chunk extension, up to CR.
    Extension,
    /// The LF ending the size line.
    SizeLf,
    /// Chunk data still to come.
    Data,
    /// The CR after chunk data.
    DataCr,
    /// The LF after chunk data.
    DataLf,
    /// Inside a trailer field line.
    Trailer,
    /// The LF ending a trailer line.
    TrailerLf,
    /// The CR of the empty line ending the body, or the first byte of a trailer line.
    EndCr,
    /// The LF of the empty line ending the body.
    EndLf,
}

/// How far [`ChunkedBody::advance`] got.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Progress {
    /// All the bytes belong to the body, which continues.
    More,
    /// The body ended after this many bytes.
    Done(usize),
    /// The body is malformed (hyper will fail it).
    Invalid,
}

/// A chunked body being followed.
#[derive(Debug, Default)]
pub(super) struct ChunkedBody {
    state: Chunked,
    /// The size being read, then the data bytes still to come.
    size: u64,
}

impl ChunkedBody {
    /// Follows the body through `data`, the next bytes of the stream.
    pub(super) fn advance(&mut self, data: &[u8]) -> Progress {
        let mut i = 0;
        while i < data.len() {
            if self.state == Chunked::Data {
                let available = (data.len() - i) as u64;
                let n = self.size.min(available);
                self.size -= n;
                // `n` is at most `available`, a `usize`.
                i += n as usize;
                if self.size == 0 {
                    self.state = Chunked::DataCr;
                }
                continue;
            }
            let byte = data[i];
            i += 1;
            let Some(next) = self.step(byte) else {
                return Progress::Invalid;
            };
            if self.state == Chunked::EndLf {
                // `byte` was the line feed ending the body.
                *self = ChunkedBody::default();
                return Progress::Done(i);
            }
            self.state = next;
        }
        Progress::More
    }

    /// The state after `byte` (for every state but `Data`), or `None` if `byte` is invalid.
    fn step(&mut self, byte: u8) -> Option<Chunked> {
        if matches!(self.state, Chunked::Start | Chunked::Size) {
            if let Some(digit) = hex_digit(byte) {
                self.size = self.size.checked_mul(16)?.checked_add(digit)?;
                return Some(Chunked::Size);
            }
            if self.state == Chunked::Start {
                return None;
            }
        }
        let next = match (self.state, byte) {
            (Chunked::Size | Chunked::SizeLws, b'\t' | b' ') => Chunked::SizeLws,
            (Chunked::Size | Chunked::SizeLws, b';') => Chunked::Extension,
            (Chunked::Size | Chunked::SizeLws | Chunked::Extension, b'\r') => Chunked::SizeLf,
            (Chunked::Extension, b'\n') => return None,
            (Chunked::Extension, _) => Chunked::Extension,
            (Chunked::SizeLf, b'\n') if self.size == 0 => Chunked::EndCr,
            (Chunked::SizeLf, b'\n') => Chunked::Data,
            (Chunked::DataCr, b'\r') => Chunked::DataLf,
            (Chunked::DataLf, b'\n') => Chunked::Start,
            (Chunked::Trailer, b'\r') => Chunked::TrailerLf,
            (Chunked::Trailer, _) => Chunked::Trailer,
            (Chunked::TrailerLf, b'\n') => Chunked::EndCr,
            (Chunked::EndCr, b'\r') => Chunked::EndLf,
            (Chunked::EndCr, _) => Chunked::Trailer,
            (Chunked::EndLf, b'\n') => Chunked::Start,
            _ => return None,
        };
        Some(next)
    }
}

fn hex_digit(byte: u8) -> Option<u64> {
    let digit = match byte {
        b'0'..=b'9' => byte - b'0',
        b'a'..=b'f' => byte - b'a' + 10,
        b'A'..=b'F' => byte - b'A' + 10,
        _ => return None,
    };
    Some(u64::from(digit))
}
