//! The request target's length, followed through the request line as it arrives.
//!
//! RFC 9112 §3 requires 414 for a target longer than the server parses, whatever its
//! length. The service answers 414 for targets it receives (`limits.rs`), but hyper only
//! hands a request over once its whole head is buffered, and a head longer than hyper's
//! buffer gets 431. So the guard follows the request line: once its target is one byte
//! past the limit, the head is cut there and completed (`" HTTP/1.1"` and an empty line),
//! which gives the service a request whose target is over the limit to answer 414; nothing
//! after the cut is read. The cut request never reaches an origin: its target is over the
//! limit by construction.

/// Where the request line is. Restarted for every head.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(super) enum Line {
    /// In the method.
    #[default]
    Method,
    /// In the target, this many bytes of it so far.
    Target(usize),
    /// Past the target (or the request line has ended).
    Rest,
}

impl Line {
    /// Follows `piece`, the next bytes of the head. `Some(end)` if the target grew past
    /// `max` bytes: `piece[..end]` ends with the target's byte `max + 1`.
    pub(super) fn follow(&mut self, piece: &[u8], max: usize) -> Option<usize> {
        let mut i = 0;
        while i < piece.len() {
            match *self {
                Line::Rest => return None,
                Line::Method => match piece[i..].iter().position(|&b| b == b' ' || b == b'\n') {
                    Some(at) => {
                        i += at;
                        *self = match piece[i] {
                            b' ' => Line::Target(0),
                            _ => Line::Rest,
                        };
                        i += 1;
                    }
                    None => return None,
                },
                Line::Target(n) => {
                    let rest = &piece[i..];
                    match rest.iter().position(|&b| b == b' ' || b == b'\n') {
                        Some(at) if n + at <= max => {
                            *self = Line::Rest;
                            i += at + 1;
                        }
                        None if n + rest.len() <= max => {
                            *self = Line::Target(n + rest.len());
                            return None;
                        }
                        // Byte `max + 1` of the target is at `i + (max - n)`.
                        _ => return Some(i + (max - n) + 1),
                    }
                }
            }
        }
        None
    }
}

/// What completes a cut request line into a head hyper parses.
pub(super) const COMPLETION: &[u8] = b" HTTP/1.1\r\n\r\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(pieces: &[&[u8]], max: usize) -> Option<(usize, usize)> {
        let mut line = Line::default();
        pieces
            .iter()
            .enumerate()
            .find_map(|(i, p)| line.follow(p, max).map(|end| (i, end)))
    }

    #[test]
    fn a_target_up_to_the_limit_passes_and_one_byte_more_is_cut_after_that_byte() {
        assert_eq!(cut(&[b"GET /abcd HTTP/1.1\r\n"], 5), None);
        assert_eq!(cut(&[b"GET /abcde HTTP/1.1\r\n"], 5), Some((0, 10)));
        assert_eq!(&b"GET /abcde"[..10], b"GET /abcde");
        // In pieces, the cut is in the piece that brings byte 6.
        assert_eq!(cut(&[b"GET /a", b"bc", b"def"], 5), Some((2, 2)));
        assert_eq!(cut(&[b"GE", b"T ", b"/abcd", b" HTTP/1.1"], 5), None);
        // Headers after the request line are not the target.
        assert_eq!(
            cut(&[b"GET / HTTP/1.1\r\nX-Long: aaaaaaaaaaaa\r\n"], 5),
            None
        );
        // A line feed ends the line.
        assert_eq!(cut(&[b"GET\nHost: aaaaaaaaaaaaaa"], 5), None);
    }
}
