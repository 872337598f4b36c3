//! Re-reading a file when it changes: a thread compares the file's modification time, length
//! and inode with what it last saw, once a second, and hands a changed file to a loader whose
//! result replaces the value whole (a reader sees the old value or the new one, never a mix).
//! A file that fails to load keeps the previous value; the loader says why. A file replaced
//! by rename (the safe way to write one) is a new inode, so it is noticed even when its time
//! and length match. SIGHUP (`lifecycle::reload`) makes the next look re-read the file
//! whatever its stamp, as it does for lists and discovery.
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
    let mut reloads = crate::lifecycle::reload::generation();
    std::thread::Builder::new()
        .name("pxy-file-watch".into())
        .spawn(move || loop {
            std::thread::sleep(POLL_EVERY);
            let Some(target) = target.upgrade() else {
                return;
            };
            let now = stamp(&path);
            let asked = crate::lifecycle::reload::generation();
            if now.is_none() || (now == seen && asked == reloads) {
                continue;
            }
            (seen, reloads) = (now, asked);
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use std::time::Instant;

    use super::*;

    /// Waits (at most 5 s) until `loads` reaches `count`.
    fn wait_loads(loads: &AtomicUsize, count: usize) -> bool {
        let deadline = Instant::now() + Duration::from_secs(5);
        while loads.load(Ordering::SeqCst) < count {
            if Instant::now() > deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        true
    }

    #[test]
    fn a_reload_request_re_reads_an_unchanged_file() {
        let dir = std::env::temp_dir().join(format!("pxy-watch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("keys.json");
        std::fs::write(&path, "{}").expect("write");
        let value = Arc::new(ArcSwap::from_pointee(0usize));
        let loads = Arc::new(AtomicUsize::new(0));
        let counted = loads.clone();
        reload_on_change(path.clone(), Arc::downgrade(&value), move || {
            Some(counted.fetch_add(1, Ordering::SeqCst) + 1)
        })
        .expect("watch");
        // Unchanged: two polls go by without a load.
        std::thread::sleep(POLL_EVERY * 2 + Duration::from_millis(200));
        assert_eq!(loads.load(Ordering::SeqCst), 0);
        crate::lifecycle::reload::request();
        assert!(wait_loads(&loads, 1), "SIGHUP's request re-read the file");
        assert_eq!(**value.load(), 1);
        drop(value);
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
