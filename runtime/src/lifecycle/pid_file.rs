//! `--pid-file PATH`: the serving process's pid, for scripts and service managers.
//!
//! Written once the listeners are bound (or taken over in an upgrade), atomically (a
//! temporary file renamed over the path), so a reader never sees a partial file; an upgrade's
//! new process rewrites it with its own pid. On exit a process removes the file only if it
//! still holds its own pid, so an old process draining after an upgrade leaves its
//! successor's file alone.

use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

/// The pid file this process wrote; removed on drop if it is still ours.
#[derive(Debug)]
pub(crate) struct PidFile {
    path: PathBuf,
    pid: u32,
}

impl PidFile {
    /// Writes this process's pid to `path`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Internal`] naming the path when it cannot be written.
    pub(crate) fn write(path: &Path) -> Result<PidFile> {
        let pid = std::process::id();
        let fail = |e: std::io::Error| {
            Error::explain(ErrorKind::Internal, format!("pid file {}", path.display()))
                .with_cause(e)
        };
        let staging = path.with_extension(format!("new-{pid}"));
        std::fs::write(&staging, format!("{pid}\n")).map_err(fail)?;
        std::fs::rename(&staging, path).map_err(fail)?;
        Ok(PidFile {
            path: path.to_path_buf(),
            pid,
        })
    }
}

impl Drop for PidFile {
    fn drop(&mut self) {
        let ours = std::fs::read_to_string(&self.path)
            .is_ok_and(|text| text.trim().parse() == Ok(self.pid));
        if ours {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_whole_and_removed_only_while_ours() {
        let dir = std::env::temp_dir().join(format!("pxy-pid-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("proxy.pid");
        let file = PidFile::write(&path).expect("written");
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, format!("{}\n", std::process::id()));
        drop(file);
        assert!(!path.exists(), "removed while ours");

        let file = PidFile::write(&path).expect("written");
        // A successor rewrote it.
        std::fs::write(&path, "1\n").expect("rewrite");
        drop(file);
        assert_eq!(std::fs::read_to_string(&path).expect("kept"), "1\n");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
