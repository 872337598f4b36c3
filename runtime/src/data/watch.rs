//! The task that keeps every list and flag current: a look at each file every
//! [`POLL`], and at once when a reload is requested (SIGHUP). Polling the stamps of a few files
//! twice a second costs nothing measurable (one `stat` each) and works on every file system (inotify misses
//! changes on network mounts and through some container volumes).

use std::time::Duration;

use super::refresh::DataFile;
use crate::lifecycle::reload::Reloads;

/// Time between two looks at the files.
pub const POLL: Duration = Duration::from_millis(500);

/// The running watch task; dropping it stops it.
#[derive(Debug)]
#[must_use = "the files are only watched while the Watcher is kept"]
pub struct Watcher(Option<tokio::task::JoinHandle<()>>);

impl Drop for Watcher {
    fn drop(&mut self) {
        if let Some(task) = self.0.take() {
            task.abort();
        }
    }
}

/// Starts watching `files` (nothing when there are none). Must be called within a Tokio
/// runtime. The files are read on a blocking thread, never on the runtime's workers.
pub fn watch(files: Vec<DataFile>) -> Watcher {
    if files.is_empty() {
        return Watcher(None);
    }
    let mut reloads = Reloads::new();
    Watcher(Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(POLL);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let forced = tokio::select! {
                _ = tick.tick() => false,
                () = reloads.requested() => true,
            };
            let files = files.clone();
            let looked = tokio::task::spawn_blocking(move || {
                for file in &files {
                    file.refresh(forced);
                }
            })
            .await;
            if let Err(e) = looked {
                tracing::error!(target: "pxy::data", error = %e, "reading list files failed");
            }
        }
    })))
}
