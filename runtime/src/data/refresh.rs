//! [`List`] and [`Flag`], and how each is brought up to date with its file ([`DataFile`]).
//!
//! A list is re-read only when its file's [`Stamp`] changed (or on SIGHUP). A file rewritten
//! in place may be seen half-written, so a file written less than [`SETTLE`] ago is looked at
//! again after that pause, and contents are only taken when the stamp did not change while
//! they were read; otherwise the next look tries again. An atomic rename (write a temporary
//! file, then `mv` it over the list) never shows a partial file and is the safe way to update.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use arc_swap::{ArcSwap, Guard};

use super::stamp::Stamp;
use super::Contents;
use crate::error::{Error, ErrorKind, Result};

/// How long a file must have been left alone before a changed one is read.
pub(crate) const SETTLE: Duration = Duration::from_millis(100);

/// A list loaded from a file: `list NAME: TYPE from file "PATH"`. Cloning shares it.
pub struct List<C> {
    inner: Arc<ListFile<C>>,
}

struct ListFile<C> {
    name: String,
    path: PathBuf,
    contents: ArcSwap<C>,
    /// The stamp of the file last looked at (read, or found invalid, or missing: `None`).
    seen: Mutex<Option<Stamp>>,
}

impl<C> Clone for List<C> {
    fn clone(&self) -> Self {
        List {
            inner: self.inner.clone(),
        }
    }
}

impl<C> fmt::Debug for List<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("List")
            .field("name", &self.inner.name)
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

impl<C: Contents> List<C> {
    /// Reads the list `name` from `path`, as the proxy starts.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] when the file cannot be read or a line is not a valid entry
    /// (the message names the path and the line): a proxy does not start without its lists.
    pub fn load(name: &str, path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let context = || format!("list {name}: {}", path.display());
        let stamp = Stamp::of(&path)
            .map_err(|e| Error::explain(ErrorKind::InvalidConfig, context()).with_cause(e))?;
        let text = std::fs::read(&path)
            .map_err(|e| Error::explain(ErrorKind::InvalidConfig, context()).with_cause(e))?;
        let contents = C::parse(&text)
            .map_err(|e| Error::explain(ErrorKind::InvalidConfig, context()).with_cause(e))?;
        Ok(List {
            inner: Arc::new(ListFile {
                name: name.to_string(),
                contents: ArcSwap::from_pointee(contents),
                seen: Mutex::new(Some(stamp)),
                path,
            }),
        })
    }

    /// The contents now: a snapshot that stays whole while it is held, whatever re-reads
    /// happen meanwhile. Lock-free; hold it only for one lookup.
    #[inline]
    pub fn current(&self) -> Guard<Arc<C>> {
        self.inner.contents.load()
    }

    /// The handle [`watch`](super::watch) keeps it current by.
    pub fn data_file(&self) -> DataFile {
        DataFile(self.inner.clone())
    }
}

/// A flag: `flag NAME from file "PATH"`, on while the file exists. Cloning shares it.
pub struct Flag {
    inner: Arc<FlagFile>,
}

struct FlagFile {
    name: String,
    path: PathBuf,
    on: AtomicBool,
}

impl Clone for Flag {
    fn clone(&self) -> Self {
        Flag {
            inner: self.inner.clone(),
        }
    }
}

impl fmt::Debug for Flag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Flag")
            .field("name", &self.inner.name)
            .field("path", &self.inner.path)
            .field("on", &self.is_on())
            .finish()
    }
}

impl Flag {
    /// The flag `name`, on if a file is at `path` now. A missing file is no error: it is the
    /// flag being off.
    pub fn load(name: &str, path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        Flag {
            inner: Arc::new(FlagFile {
                name: name.to_string(),
                on: AtomicBool::new(path.exists()),
                path,
            }),
        }
    }

    /// Whether the file existed when last looked at.
    #[inline]
    pub fn is_on(&self) -> bool {
        self.inner.on.load(Ordering::Relaxed)
    }

    /// The handle [`watch`](super::watch) keeps it current by.
    pub fn data_file(&self) -> DataFile {
        DataFile(self.inner.clone())
    }
}

/// A list or flag that [`watch`](super::watch) keeps current.
#[derive(Clone)]
pub struct DataFile(Arc<dyn Refresh>);

impl fmt::Debug for DataFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DataFile").field(&self.0.path()).finish()
    }
}

impl DataFile {
    /// Looks at the file and re-reads it if it changed (or whatever its stamp, when
    /// `forced`). Blocking: file system calls, and a pause of [`SETTLE`] after a fresh write.
    pub(crate) fn refresh(&self, forced: bool) {
        self.0.refresh(forced);
    }
}

trait Refresh: Send + Sync + 'static {
    fn path(&self) -> &Path;
    fn refresh(&self, forced: bool);
}

impl Refresh for FlagFile {
    fn path(&self) -> &Path {
        &self.path
    }

    fn refresh(&self, _forced: bool) {
        let on = self.path.exists();
        if self.on.swap(on, Ordering::Relaxed) != on {
            tracing::info!(target: "pxy::data", flag = %self.name, path = %self.path.display(), on, "flag changed");
        }
    }
}

/// What one look at a list file found.
enum Look<C> {
    Unchanged,
    Missing(std::io::Error),
    /// Changed while it was read: look again later.
    Moving,
    Invalid(Stamp, super::BadLine),
    Read(Stamp, C, usize),
}

impl<C: Contents> ListFile<C> {
    fn look(&self, seen: Option<Stamp>, forced: bool) -> Look<C> {
        let mut before = match Stamp::of(&self.path) {
            Ok(stamp) => stamp,
            Err(e) => return Look::Missing(e),
        };
        if Some(before) == seen && !forced {
            return Look::Unchanged;
        }
        if before.age() < SETTLE {
            std::thread::sleep(SETTLE);
            before = match Stamp::of(&self.path) {
                Ok(stamp) => stamp,
                Err(e) => return Look::Missing(e),
            };
            if Some(before) == seen && !forced {
                return Look::Unchanged;
            }
        }
        let text = match std::fs::read(&self.path) {
            Ok(text) => text,
            Err(e) => return Look::Missing(e),
        };
        match Stamp::of(&self.path) {
            Ok(after) if after == before && before.age() >= SETTLE => {}
            _ => return Look::Moving,
        }
        match C::parse(&text) {
            Ok(contents) => Look::Read(before, contents, text.len()),
            Err(bad) => Look::Invalid(before, bad),
        }
    }
}

impl<C: Contents> Refresh for ListFile<C> {
    fn path(&self) -> &Path {
        &self.path
    }

    fn refresh(&self, forced: bool) {
        let mut seen = self
            .seen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let started = Instant::now();
        let (name, path) = (&self.name, self.path.display());
        match self.look(*seen, forced) {
            Look::Unchanged | Look::Moving => {}
            Look::Missing(e) => {
                if seen.take().is_some() {
                    tracing::warn!(target: "pxy::data", list = %name, %path, error = %e, "list file unreadable; keeping the previous contents");
                }
            }
            Look::Invalid(stamp, bad) => {
                *seen = Some(stamp);
                tracing::warn!(target: "pxy::data", list = %name, %path, line = bad.line, reason = %bad.reason, "invalid list file; keeping the previous contents");
            }
            Look::Read(stamp, contents, bytes) => {
                *seen = Some(stamp);
                let entries = contents.len();
                self.contents.store(Arc::new(contents));
                tracing::info!(target: "pxy::data", list = %name, %path, kind = C::KIND, entries, bytes, took_ms = started.elapsed().as_millis() as u64, "list reloaded");
            }
        }
    }
}
