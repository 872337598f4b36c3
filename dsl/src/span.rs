//! Byte ranges into a `.pxy` source. Every AST node carries one, and every diagnostic points at
//! one, so this type has no dependencies and is shared by all passes.
//!
//! There is deliberately no conversion from pest's spans: the parser makes every span through
//! its context, which adds the file's base offset (see [`crate::parse_at`]).

/// A half-open byte range `start..end` into the source text of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// Offset of the first byte.
    pub start: usize,
    /// Offset one past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from `start` to `end` (byte offsets).
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span that covers both `self` and `other`.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.end - self.start
    }

    /// True for a zero-width span (an insertion point, such as "end of file").
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
}
