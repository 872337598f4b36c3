//! What says a file changed without reading it: its modification time, size, device and inode.
//! An atomic rename gives a new inode; an in-place rewrite a new time (and often size).

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// A file's identity and version as `stat` shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    modified: SystemTime,
    size: u64,
    dev: u64,
    ino: u64,
}

impl Stamp {
    /// The stamp of the file at `path` (following symbolic links, so that a link switched to
    /// another file is a change).
    pub(crate) fn of(path: &Path) -> std::io::Result<Stamp> {
        let meta = std::fs::metadata(path)?;
        Ok(Stamp {
            modified: meta.modified()?,
            size: meta.len(),
            dev: meta.dev(),
            ino: meta.ino(),
        })
    }

    /// How long ago the file was last written; a time in the future (a clock set back) counts
    /// as long ago, so that such a file is still read.
    pub(crate) fn age(&self) -> Duration {
        SystemTime::now()
            .duration_since(self.modified)
            .unwrap_or(Duration::MAX)
    }
}
