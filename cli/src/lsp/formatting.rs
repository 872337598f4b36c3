//! `textDocument/formatting`: the canonical layout of `pxy_dsl::format::format`, sent as one edit
//! that covers only the part that changes (so the client's cursor and undo history stay put in
//! the untouched rest).

use lsp_types::TextEdit;
use pxy_dsl::Span;

use super::documents;

/// The edits that format `source`: none when it is already formatted, `None` when it does not
/// parse (a document with a syntax error is left as it is; its diagnostic says why).
pub fn formatting(source: &str) -> Option<Vec<TextEdit>> {
    let formatted = pxy_dsl::format::format(source).ok()?;
    if formatted == source {
        return Some(Vec::new());
    }
    let (a, b) = (source.as_bytes(), formatted.as_bytes());
    let mut prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    while !(source.is_char_boundary(prefix) && formatted.is_char_boundary(prefix)) {
        prefix -= 1;
    }
    let max_suffix = a.len().min(b.len()) - prefix;
    let mut suffix = a
        .iter()
        .rev()
        .zip(b.iter().rev())
        .take(max_suffix)
        .take_while(|(x, y)| x == y)
        .count();
    while !(source.is_char_boundary(a.len() - suffix)
        && formatted.is_char_boundary(b.len() - suffix))
    {
        suffix -= 1;
    }
    let replaced = Span::new(prefix, a.len() - suffix);
    Some(vec![TextEdit {
        range: documents::range(source, replaced),
        new_text: formatted[prefix..b.len() - suffix].to_string(),
    }])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Applies edits the way a client does.
    fn apply(source: &str, edits: &[TextEdit]) -> String {
        let mut text = source.to_string();
        for edit in edits.iter().rev() {
            let start = documents::offset(&text, edit.range.start);
            let end = documents::offset(&text, edit.range.end);
            text.replace_range(start..end, &edit.new_text);
        }
        text
    }

    #[test]
    fn edits_produce_the_formatted_text() {
        let source = "# é😀\nlisten   http 127.0.0.1:8080\nroute {   respond 200 \"é\"   }\n";
        let formatted = pxy_dsl::format::format(source).expect("formats");
        let edits = formatting(source).expect("parses");
        assert_eq!(apply(source, &edits), formatted);
        assert_eq!(formatting(&formatted), Some(Vec::new()));
        assert_eq!(formatting("route {"), None);
    }
}
