//! The include pass: a main file's text in, one [`ParsedProgram`] with every `include "PATH"`
//! replaced by the included file's items (in place, in order), and the [`SourceMap`] of all the
//! files read, out.
//!
//! Paths are relative to the including file's directory. Each file is read through a
//! [`FileLoader`] (the disk for the command line, a map in tests and for text checked alone),
//! parsed on its own, and moved to its own range of the offset space, so every later pass and
//! diagnostic can tell the files apart by span alone. A file included a second time is skipped
//! with a warning; an include cycle and an unreadable file are errors on the include's path.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pxy_dsl::ast::{Include, Item, ParsedProgram};
use pxy_dsl::Span;

use crate::files::{normalize, FileLoader};
use crate::sources::SourceMap;

/// A mistake in a program's includes: one variant per mistake, holding spans and facts.
#[derive(Debug, Clone, PartialEq)]
pub enum IncludeError {
    /// `include "missing.pxy"`: the file cannot be read.
    Unreadable {
        /// The include's path literal.
        span: Span,
        /// The path tried (relative to the including file's directory, joined).
        path: String,
        /// Why it cannot be read (the loader's, usually the operating system's, words).
        reason: String,
    },
    /// `a.pxy` includes `b.pxy`, which includes `a.pxy`.
    Cycle {
        /// The include that closes the cycle.
        span: Span,
        /// The files of the cycle, the first repeated at the end.
        chain: Vec<String>,
    },
    /// `include "common.pxy"` a second time (here or in another included file): skipped.
    /// (warning)
    Duplicate {
        /// The second include's path literal.
        span: Span,
        /// The first include's path literal.
        first: Span,
        /// The file.
        path: String,
    },
}

impl IncludeError {
    /// Where the mistake is.
    pub fn span(&self) -> Span {
        match self {
            IncludeError::Unreadable { span, .. }
            | IncludeError::Cycle { span, .. }
            | IncludeError::Duplicate { span, .. } => *span,
        }
    }

    /// Warnings do not stop a build; errors do.
    pub fn is_warning(&self) -> bool {
        match self {
            IncludeError::Duplicate { .. } => true,
            IncludeError::Unreadable { .. } | IncludeError::Cycle { .. } => false,
        }
    }
}

/// A program with its includes expanded.
#[derive(Debug)]
pub struct Resolved {
    /// Every item of every file; `None` when a file has a syntax error.
    pub program: Option<ParsedProgram>,
    /// The files read, the main one first.
    pub sources: SourceMap,
    /// The syntax error of each file that has one.
    pub syntax: Vec<pxy_dsl::ParseError>,
    /// Include problems.
    pub problems: Vec<IncludeError>,
}

/// Parses `text` (the main file, at `path`) and expands its includes, recursively.
pub fn resolve(path: &Path, text: String, loader: &dyn FileLoader) -> Resolved {
    let mut resolver = Resolver {
        loader,
        sources: SourceMap::default(),
        syntax: Vec::new(),
        problems: Vec::new(),
        stack: Vec::new(),
        seen: HashMap::new(),
        parsed: true,
    };
    let mut items = Vec::new();
    resolver.file(normalize(path), text, None, &mut items);
    Resolved {
        program: resolver.parsed.then_some(ParsedProgram { items }),
        sources: resolver.sources,
        syntax: resolver.syntax,
        problems: resolver.problems,
    }
}

struct Resolver<'a> {
    loader: &'a dyn FileLoader,
    sources: SourceMap,
    syntax: Vec<pxy_dsl::ParseError>,
    problems: Vec<IncludeError>,
    /// The files being expanded, outermost first: an include of one of them is a cycle.
    stack: Vec<PathBuf>,
    /// Every file read so far, with the include that read it.
    seen: HashMap<PathBuf, Span>,
    /// No syntax error so far.
    parsed: bool,
}

impl Resolver<'_> {
    /// Adds the file to the map, parses it and appends its items (includes expanded) to `out`.
    fn file(
        &mut self,
        path: PathBuf,
        text: String,
        included_at: Option<Span>,
        out: &mut Vec<Item>,
    ) {
        let parsed = pxy_dsl::parse_at(&text, self.sources.next_base());
        self.sources
            .add(path.display().to_string(), text, included_at);
        let program = match parsed {
            Ok(program) => program,
            Err(e) => {
                self.syntax.push(e);
                self.parsed = false;
                return;
            }
        };
        self.stack.push(path);
        for item in program.items {
            match item {
                Item::Include(include) => self.include(&include, out),
                item => out.push(item),
            }
        }
        self.stack.pop();
    }

    fn include(&mut self, include: &Include, out: &mut Vec<Item>) {
        let dir = self
            .stack
            .last()
            .and_then(|p| p.parent())
            .unwrap_or(Path::new(""));
        let target = normalize(&dir.join(&include.path.value));
        let span = include.path.span;
        if let Some(start) = self.stack.iter().position(|p| *p == target) {
            let chain = self.stack[start..]
                .iter()
                .chain([&target])
                .map(|p| p.display().to_string())
                .collect();
            self.problems.push(IncludeError::Cycle { span, chain });
            return;
        }
        if let Some(first) = self.seen.get(&target) {
            self.problems.push(IncludeError::Duplicate {
                span,
                first: *first,
                path: target.display().to_string(),
            });
            return;
        }
        self.seen.insert(target.clone(), span);
        match self.loader.read(&target) {
            Ok(text) => self.file(target, text, Some(include.span), out),
            Err(reason) => self.problems.push(IncludeError::Unreadable {
                span,
                path: target.display().to_string(),
                reason,
            }),
        }
    }
}

#[cfg(test)]
mod tests;
