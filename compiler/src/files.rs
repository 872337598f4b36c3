//! Where a program's files come from: the [`FileLoader`] trait that the include pass reads
//! included files through and the checker asks whether certificates exist, with the loader the
//! command line uses ([`DiskLoader`]) and the one tests and editors use ([`MemoryLoader`]).
//!
//! Passes never touch the file system themselves (the style of the Gleam compiler's `io`
//! module): they ask a loader, so every pass can be tested on text in memory.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};

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

/// `a/./b/../c.pxy` → `a/c.pxy`, without touching the file system (so that two spellings of
/// one path are one file, and cycles are found whatever the spelling; symbolic links are not
/// followed).
pub(crate) fn normalize(path: &Path) -> PathBuf {
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
