//! The files of one program and where each sits in the shared offset space.
//!
//! Every file of a program (the main file first, then each included file) gets its own range
//! of byte offsets, so that a [`Span`] names its file by itself: passes keep plain spans, and
//! only the words of a diagnostic ([`crate::diagnostic`]) ask the map which file, and where
//! in it, a span points.

use pxy_dsl::Span;

/// One file of a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The path as given (the main file) or as resolved from the including file's directory.
    pub path: String,
    /// The file's text.
    pub text: String,
    /// The offset of the file's first byte in the program's offset space.
    pub base: usize,
    /// The `include` (in the including file, in offset space) that brought this file in;
    /// `None` for the main file.
    pub included_at: Option<Span>,
}

impl SourceFile {
    /// `span` (in offset space, inside this file) as offsets into [`SourceFile::text`].
    pub fn local(&self, span: Span) -> Span {
        let start = span.start.saturating_sub(self.base).min(self.text.len());
        let end = span
            .end
            .saturating_sub(self.base)
            .clamp(start, self.text.len());
        Span::new(start, end)
    }

    /// The 1-based line `span` starts on.
    pub fn line_of(&self, span: Span) -> usize {
        let local = self.local(span);
        1 + self.text[..local.start]
            .bytes()
            .filter(|&b| b == b'\n')
            .count()
    }

    /// The file's name without its directories: `gateway.pxy`.
    pub fn file_name(&self) -> &str {
        self.path.rsplit('/').next().unwrap_or(&self.path)
    }
}

/// The files of one program, in the order they were read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

impl SourceMap {
    /// A map holding only the main file.
    pub fn single(path: impl Into<String>, text: impl Into<String>) -> Self {
        let mut map = SourceMap::default();
        map.add(path.into(), text.into(), None);
        map
    }

    /// The base offset the next file [`add`](SourceMap::add)ed will get, so that a file can be
    /// parsed at its place before it is handed over.
    pub fn next_base(&self) -> usize {
        self.files.last().map_or(0, |f| f.base + f.text.len() + 1)
    }

    /// Adds a file after the others and returns its base offset. One byte is left between
    /// files, so that an end-of-file span of one is never the start of the next.
    pub fn add(&mut self, path: String, text: String, included_at: Option<Span>) -> usize {
        let base = self.next_base();
        self.files.push(SourceFile {
            path,
            text,
            base,
            included_at,
        });
        base
    }

    /// The main file.
    ///
    /// # Panics
    /// Never for a map made by [`SourceMap::single`] or the include pass, which always add it.
    pub fn main(&self) -> &SourceFile {
        &self.files[0]
    }

    /// Every file, the main one first.
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// The file `span` points into (the main file for a span outside every file).
    pub fn file_of(&self, span: Span) -> &SourceFile {
        self.files
            .iter()
            .rev()
            .find(|f| f.base <= span.start)
            .unwrap_or(self.main())
    }

    /// Where in the main file `span` comes from: itself, or the `include` line that brought
    /// its file in (followed up to the main file). For tools that show one file only.
    pub fn in_main(&self, span: Span) -> Span {
        let mut span = span;
        while let Some(at) = self.file_of(span).included_at {
            span = at;
        }
        span
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_find_their_file_and_the_include_that_brought_it() {
        let mut map = SourceMap::single("main.pxy", "include \"a.pxy\"\n");
        let at = Span::new(0, 15);
        let base = map.add("a.pxy".into(), "listen http 1.2.3.4:5\n".into(), Some(at));
        assert_eq!(base, 17);
        let span = Span::new(base + 7, base + 11);
        assert_eq!(map.file_of(span).path, "a.pxy");
        assert_eq!(map.file_of(span).local(span), Span::new(7, 11));
        assert_eq!(map.in_main(span), at);
        assert_eq!(map.file_of(Span::new(3, 4)).path, "main.pxy");
        assert_eq!(map.in_main(Span::new(3, 4)), Span::new(3, 4));
    }
}
