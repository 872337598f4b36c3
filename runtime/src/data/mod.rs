//! Run-time data: the lists and flags a program declares as loaded from files
//! (`list blocked: cidr from file "blocked.txt"`, `flag maintenance from file "maintenance.on"`).
//! The program's logic is compiled; these contents change without a rebuild.
//!
//! Each [`List`] holds its contents behind an [`ArcSwap`](arc_swap::ArcSwap): a request reads
//! one consistent snapshot without a lock, and a re-read publishes a whole new set at once, so no
//! request ever sees half a file. A [`Flag`] is an atomic boolean: whether its file exists.
//!
//! [`watch`] (started by [`serve`](crate::serve) for every [`DataFile`] of
//! [`Proxy::data_files`](crate::Proxy::data_files)) looks at every file twice a second (its
//! modification time, size and inode) and at once on SIGHUP (`crate::lifecycle::reload`), and
//! re-reads the files that changed (`refresh.rs`). A file that does not parse keeps the previous
//! contents and is logged with its path and the line at fault; a list file missing at start-up
//! stops the proxy from starting (as a missing certificate does), later it keeps the previous
//! contents. The formats are in `cidr.rs` and `sets.rs`.

mod cidr;
mod lines;
mod refresh;
mod sets;
mod stamp;
mod watch;

pub use cidr::CidrSet;
pub use lines::BadLine;
pub use refresh::{DataFile, Flag, List};
pub use sets::{IntSet, StrSet};
pub use watch::{watch, Watcher};

/// What a list file holds once parsed: a set that answers membership.
pub trait Contents: Sized + Send + Sync + 'static {
    /// What the file holds, for logs: `"cidr"`, `"str"`, `"int"`.
    const KIND: &'static str;

    /// Parses a whole file.
    ///
    /// # Errors
    ///
    /// The first line that is not a valid entry.
    fn parse(text: &[u8]) -> Result<Self, BadLine>;

    /// How many entries it holds (after merging duplicates), for logs.
    fn len(&self) -> usize;

    /// Whether it holds no entry.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests;
