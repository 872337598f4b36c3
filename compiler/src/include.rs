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
use std::path::{Component, Path, PathBuf};

use pxy_dsl::ast::{Include, Item, ParsedProgram};
use pxy_dsl::Span;

use crate::check::Problem;
use crate::sources::SourceMap;

/// The largest file an include reads (a program is a few kilobytes; this keeps a mistaken
/// `include "/var/log/huge.log"` from exhausting memory).
pub const MAX_INCLUDE_SIZE: u64 = 4 * 1024 * 1024;

/// Where included files come from.
pub trait FileLoader {
    /// The text of the file at `path`, or why it cannot be read (for the diagnostic).
    fn read(&self, path: &Path) -> Result<String, String>;

    /// Whether a file (a certificate, a key) is at `path`, for the "file not found"
    /// warning; `None` when this loader cannot tell, and then nothing is reported.
    fn exists(&self, _path: &Path) -> Option<bool> {
        None
    }

    /// `path` as the generated proxy will open it (made absolute for files on disk, so that
    /// the binary finds them from any working directory).
    fn runtime_path(&self, path: &Path) -> PathBuf {
        path.to_path_buf()
    }
}

/// Reads regular files from disk, up to [`MAX_INCLUDE_SIZE`] bytes of UTF-8 text.
#[derive(Debug, Clone, Copy, Default)]
pub struct DiskLoader;

impl FileLoader for DiskLoader {
    fn read(&self, path: &Path) -> Result<String, String> {
        let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
        if !meta.is_file() {
            return Err("not a regular file".into());
        }
        if meta.len() > MAX_INCLUDE_SIZE {
            return Err(format!(
                "larger than {} MiB",
                MAX_INCLUDE_SIZE / (1024 * 1024)
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
        String::from_utf8(bytes).map_err(|_| "not UTF-8 text".into())
    }

    fn exists(&self, path: &Path) -> Option<bool> {
        Some(path.is_file())
    }

    fn runtime_path(&self, path: &Path) -> PathBuf {
        std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf())
    }
}

/// Files held in memory, by path: for tests, and (empty) for a text checked on its own. A
/// loader holding files knows every file there is (others do not exist); an empty one cannot
/// tell, so a text checked on its own gets no "file not found" warnings.
#[derive(Debug, Clone, Default)]
pub struct MemoryLoader {
    files: HashMap<PathBuf, String>,
}

impl MemoryLoader {
    /// Adds a file.
    pub fn with(mut self, path: impl Into<PathBuf>, text: impl Into<String>) -> Self {
        self.files.insert(normalize(&path.into()), text.into());
        self
    }
}

impl FileLoader for MemoryLoader {
    fn read(&self, path: &Path) -> Result<String, String> {
        self.files
            .get(&normalize(path))
            .cloned()
            .ok_or_else(|| "no such file".into())
    }

    fn exists(&self, path: &Path) -> Option<bool> {
        (!self.files.is_empty()).then(|| self.files.contains_key(&normalize(path)))
    }
}

/// A program with its includes expanded.
#[derive(Debug)]
pub struct Resolved {
    /// Every item of every file; `None` when a file has a syntax error.
    pub program: Option<ParsedProgram>,
    /// The files read, the main one first.
    pub sources: SourceMap,
    /// Syntax errors and include problems.
    pub problems: Vec<Problem>,
}

/// Parses `text` (the main file, at `path`) and expands its includes, recursively.
pub fn resolve(path: &Path, text: String, loader: &dyn FileLoader) -> Resolved {
    let mut resolver = Resolver {
        loader,
        sources: SourceMap::default(),
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
        problems: resolver.problems,
    }
}

struct Resolver<'a> {
    loader: &'a dyn FileLoader,
    sources: SourceMap,
    problems: Vec<Problem>,
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
        let base = self
            .sources
            .add(path.display().to_string(), text.clone(), included_at);
        let program = match pxy_dsl::parse_at(&text, base) {
            Ok(program) => program,
            Err(e) => {
                self.problems.push(Problem::Syntax(e));
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
            self.problems.push(Problem::IncludeCycle { span, chain });
            return;
        }
        if let Some(first) = self.seen.get(&target) {
            self.problems.push(Problem::DuplicateInclude {
                span,
                first: *first,
                path: target.display().to_string(),
            });
            return;
        }
        self.seen.insert(target.clone(), span);
        match self.loader.read(&target) {
            Ok(text) => self.file(target, text, Some(include.span), out),
            Err(reason) => self.problems.push(Problem::IncludeUnreadable {
                span,
                path: target.display().to_string(),
                reason,
            }),
        }
    }
}

/// `a/./b/../c.pxy` → `a/c.pxy`, without touching the file system (so that two spellings of
/// one path are one file, and cycles are found whatever the spelling; symbolic links are not
/// followed).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests;
