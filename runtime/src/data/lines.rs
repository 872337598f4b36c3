//! The line structure every list file shares: one entry per line, blank lines skipped, lines
//! whose first non-blank character is `#` are comments; and [`BadLine`], the error naming the
//! line at fault.

use std::fmt;

/// A line of a list file that is not a valid entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// Its number, from 1.
    pub line: usize,
    /// What is wrong with it.
    pub reason: String,
}

impl fmt::Display for BadLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason)
    }
}

impl std::error::Error for BadLine {}

/// The entries of `text`, each with its line number (from 1), trimmed; `#` comments and blank
/// lines are left out. With `trailing_comments`, `# ...` after an entry is left out too (not for
/// strings, which may contain `#`).
pub(crate) fn entries(
    text: &[u8],
    trailing_comments: bool,
) -> impl Iterator<Item = Result<(usize, &str), BadLine>> {
    text.split(|b| *b == b'\n')
        .enumerate()
        .filter_map(move |(i, raw)| {
            let line = i + 1;
            let Ok(text) = std::str::from_utf8(raw) else {
                return Some(Err(BadLine {
                    line,
                    reason: "not UTF-8 text".into(),
                }));
            };
            let text = match trailing_comments {
                true => text.split_once('#').map_or(text, |(entry, _)| entry),
                false => text,
            }
            .trim();
            (!text.is_empty() && !text.starts_with('#')).then_some(Ok((line, text)))
        })
}
