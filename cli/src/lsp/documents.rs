//! The open documents and the one place that converts between LSP positions and byte offsets.
//!
//! The protocol counts columns in UTF-16 code units; the compiler's spans are byte offsets into
//! UTF-8 text. Offsets become positions through `pxy_compiler::diagnostic::position`, the same
//! conversion `proxyc check --message-format json` uses; positions become offsets here. Both directions clamp:
//! a position past the end of a line or of the text lands on that end, and a position in the
//! middle of a surrogate pair lands before the character, so no client input can index out of
//! bounds.

use std::collections::HashMap;

use lsp_types::{Position, Range, TextDocumentContentChangeEvent, Uri};
use pxy_dsl::Span;

/// The text of every document the client has opened and not yet closed.
#[derive(Debug, Default)]
pub struct Documents {
    texts: HashMap<Uri, String>,
}

impl Documents {
    /// Starts tracking a document with its full text (`didOpen`).
    pub fn open(&mut self, uri: Uri, text: String) {
        self.texts.insert(uri, text);
    }

    /// Applies a `didChange`'s edits in order. Returns false for a document that is not open.
    pub fn change(&mut self, uri: &Uri, changes: Vec<TextDocumentContentChangeEvent>) -> bool {
        let Some(text) = self.texts.get_mut(uri) else {
            return false;
        };
        for change in changes {
            apply(text, change);
        }
        true
    }

    /// Stops tracking a document (`didClose`).
    pub fn close(&mut self, uri: &Uri) {
        self.texts.remove(uri);
    }

    /// The current text of an open document.
    pub fn get(&self, uri: &Uri) -> Option<&str> {
        self.texts.get(uri).map(String::as_str)
    }
}

/// Applies one content change: a whole new text, or a replacement of a range.
fn apply(text: &mut String, change: TextDocumentContentChangeEvent) {
    match change.range {
        None => *text = change.text,
        Some(range) => {
            let start = offset(text, range.start);
            let end = offset(text, range.end).max(start);
            text.replace_range(start..end, &change.text);
        }
    }
}

/// The byte offset of an LSP position in `source`, clamped to the text (see the module docs).
pub fn offset(source: &str, position: Position) -> usize {
    let mut line_start = 0;
    for _ in 0..position.line {
        match source[line_start..].find('\n') {
            Some(i) => line_start += i + 1,
            None => return source.len(),
        }
    }
    let line_end = source[line_start..]
        .find('\n')
        .map_or(source.len(), |i| line_start + i);
    let mut units = 0u32;
    for (i, c) in source[line_start..line_end].char_indices() {
        let next = units + c.len_utf16() as u32;
        if next > position.character {
            return line_start + i;
        }
        units = next;
    }
    line_end
}

/// The LSP position of a byte offset.
pub fn position(source: &str, offset: usize) -> Position {
    let p = pxy_compiler::diagnostic::position(source, offset);
    Position::new(p.line, p.character)
}

/// The LSP range of a span.
pub fn range(source: &str, span: Span) -> Range {
    Range::new(position(source, span.start), position(source, span.end))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SOURCE: &str = "# é😀\nroute { }\n";

    #[test]
    fn offsets_count_utf16_units() {
        // '#', ' ', 'é' (1 unit, 2 bytes), '😀' (2 units, 4 bytes).
        assert_eq!(offset(SOURCE, Position::new(0, 2)), 2);
        assert_eq!(offset(SOURCE, Position::new(0, 3)), 4);
        assert_eq!(offset(SOURCE, Position::new(0, 5)), 8);
        assert_eq!(
            offset(SOURCE, Position::new(1, 6)),
            SOURCE.find('{').unwrap()
        );
    }

    #[test]
    fn offsets_and_positions_round_trip() {
        for (i, _) in SOURCE.char_indices() {
            assert_eq!(offset(SOURCE, position(SOURCE, i)), i, "offset {i}");
        }
    }

    #[test]
    fn out_of_range_positions_clamp() {
        // Inside the surrogate pair of '😀': before the character.
        assert_eq!(offset(SOURCE, Position::new(0, 4)), 4);
        // Past the end of a line: the line's end.
        assert_eq!(
            offset(SOURCE, Position::new(0, 99)),
            SOURCE.find('\n').unwrap()
        );
        // Past the last line: the end of the text.
        assert_eq!(offset(SOURCE, Position::new(9, 0)), SOURCE.len());
        assert_eq!(offset("", Position::new(u32::MAX, u32::MAX)), 0);
    }

    #[test]
    fn incremental_changes_apply_in_order() {
        let uri: Uri = "file:///a.pxy".parse().unwrap();
        let mut docs = Documents::default();
        docs.open(uri.clone(), "route { é }".into());
        let edit = |sl, sc, el, ec, text: &str| TextDocumentContentChangeEvent {
            range: Some(Range::new(Position::new(sl, sc), Position::new(el, ec))),
            range_length: None,
            text: text.into(),
        };
        // Replace 'é' (column 8) with "😀", then insert a line before everything.
        assert!(docs.change(
            &uri,
            vec![edit(0, 8, 0, 9, "😀"), edit(0, 0, 0, 0, "# x\n")]
        ));
        assert_eq!(docs.get(&uri), Some("# x\nroute { 😀 }"));
        // An inverted range is treated as an insertion at its start.
        assert!(docs.change(&uri, vec![edit(1, 5, 0, 0, "!")]));
        assert_eq!(docs.get(&uri), Some("# x\nroute! { 😀 }"));
        let unknown: Uri = "file:///b.pxy".parse().unwrap();
        assert!(!docs.change(&unknown, Vec::new()));
    }
}
