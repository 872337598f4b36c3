//! Lists of strings and of integers: hash sets, one entry per line.
//!
//! ```text
//! # API keys (a line is one key, spaces around it trimmed; `#` only starts a comment line)
//! k-4f1c2a9e77d0b3a1
//! k-90aa31c2d4e5f607
//! ```

use std::collections::HashSet;

use super::lines::{entries, BadLine};
use super::Contents;

/// A `list NAME: str` file's entries.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StrSet(HashSet<Box<str>>);

impl StrSet {
    /// Whether `value` is one of the entries (an absent value is in no list).
    #[inline]
    pub fn contains(&self, value: Option<&str>) -> bool {
        value.is_some_and(|v| self.0.contains(v))
    }
}

impl Contents for StrSet {
    const KIND: &'static str = "str";

    fn parse(text: &[u8]) -> Result<Self, BadLine> {
        entries(text, false)
            .map(|entry| entry.map(|(_, s)| Box::<str>::from(s)))
            .collect::<Result<_, _>>()
            .map(StrSet)
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}

/// A `list NAME: int` file's entries: decimal numbers from 0 to 18446744073709551615.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct IntSet(HashSet<u64>);

impl IntSet {
    /// Whether `value` is one of the entries.
    #[inline]
    pub fn contains(&self, value: u64) -> bool {
        self.0.contains(&value)
    }
}

impl Contents for IntSet {
    const KIND: &'static str = "int";

    fn parse(text: &[u8]) -> Result<Self, BadLine> {
        entries(text, true)
            .map(|entry| {
                let (line, s) = entry?;
                s.parse().map_err(|_| BadLine {
                    line,
                    reason: format!("{s:?} is not a whole number from 0 to 18446744073709551615"),
                })
            })
            .collect::<Result<_, _>>()
            .map(IntSet)
    }

    fn len(&self) -> usize {
        self.0.len()
    }
}
