//! Re-reading a file when it changes: a thread compares the file's modification time, length
//! and inode with what it last saw, once a second, and hands a changed file to a loader whose
//! result replaces the value whole (a reader sees the old value or the new one, never a mix).
//! A file that fails to load keeps the previous value; the loader says why. A file replaced
//! by rename (the safe way to write one) is a new inode, so it is noticed even when its time
//! and length match.
//!
//! Self-contained for JWKS files; a shared data module can take this over.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Weak;
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;

use crate::error::{Error, ErrorKind, Result};

/// How often the file is looked at.
pub const POLL_EVERY: Duration = Duration::from_secs(1);

/// What identifies one version of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
    inode: u64,
}

fn stamp(path: &Path) -> Option<Stamp> {
    let meta = std::fs::metadata(path).ok()?;
    Some(Stamp {
        modified: meta.modified().ok(),
        len: meta.len(),
        inode: meta.ino(),
    })
}

/// Watches `path` on a thread of its own until `target` is dropped; each change is loaded
/// with `load` and, when it gives a value, stored into `target`.
///
/// # Errors
///
/// [`ErrorKind::Internal`] if the thread cannot be started.
pub fn reload_on_change<T, F>(path: PathBuf, target: Weak<ArcSwap<T>>, load: F) -> Result<()>
where
    T: Send + Sync + 'static,
    F: Fn() -> Option<T> + Send + 'static,
{
    let mut seen = stamp(&path);
    std::thread::Builder::new()
        .name("pxy-file-watch".into())
        .spawn(move || loop {
            std::thread::sleep(POLL_EVERY);
            let Some(target) = target.upgrade() else {
                return;
            };
            let now = stamp(&path);
            if now.is_none() || now == seen {
                continue;
            }
            seen = now;
            if let Some(value) = load() {
                target.store(value.into());
                tracing::info!(target: "pxy::auth", file = %path.display(), "reloaded");
            }
        })
        .map(drop)
        .map_err(|e| {
            Error::explain(ErrorKind::Internal, "cannot start the file watch thread").with_cause(e)
        })
}
