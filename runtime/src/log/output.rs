//! Where access log lines are written: standard error or a file that logrotate may move.
//!
//! Standard error is usually a pipe (systemd's journal, a container runtime), shared with
//! the runtime's other log lines, which a second thread writes. A pipe keeps a write whole
//! only up to `PIPE_BUF` (4096 bytes on Linux): [`PipeChunks`] therefore buffers whole lines
//! and never hands the pipe more than that at once, so lines of the two writers never mix
//! (a single line longer than that is written alone). A file is written through a large
//! buffer and reopened on SIGUSR1.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;

/// The largest write a pipe keeps whole (Linux's `PIPE_BUF`).
const PIPE_BUF: usize = 4096;

/// A destination of access log lines, driven by the writer thread (`sink.rs`).
pub(crate) trait Output: Send {
    /// Takes one whole line (newline included); may keep it buffered.
    fn write_line(&mut self, line: &[u8]) -> io::Result<()>;
    /// Writes everything buffered.
    fn flush(&mut self) -> io::Result<()>;
    /// Starts a new file at the configured path (after logrotate moved the old one); the
    /// old one was flushed. Returns whether there is a file to reopen.
    fn reopen(&mut self) -> io::Result<bool>;
}

/// Buffers whole lines for `W` and writes at most [`PIPE_BUF`] bytes at once, each write
/// ending at a line's end. As an [`io::Write`], each `write` call is taken as one line (as
/// tracing-appender's writer makes them).
#[derive(Debug)]
pub(crate) struct PipeChunks<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> PipeChunks<W> {
    pub(crate) fn new(inner: W) -> Self {
        PipeChunks {
            inner,
            buf: Vec::with_capacity(PIPE_BUF),
        }
    }

    fn push(&mut self, line: &[u8]) -> io::Result<()> {
        if self.buf.len() + line.len() > PIPE_BUF {
            self.flush_buf()?;
        }
        match line.len() > PIPE_BUF {
            true => self.inner.write_all(line),
            false => {
                self.buf.extend_from_slice(line);
                Ok(())
            }
        }
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let written = self.inner.write_all(&self.buf);
        self.buf.clear();
        written
    }
}

impl<W: Write> Write for PipeChunks<W> {
    fn write(&mut self, line: &[u8]) -> io::Result<usize> {
        self.push(line).map(|()| line.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.flush_buf()?;
        self.inner.flush()
    }
}

impl<W: Write + Send> Output for PipeChunks<W> {
    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        self.push(line)
    }

    fn flush(&mut self) -> io::Result<()> {
        Write::flush(self)
    }

    fn reopen(&mut self) -> io::Result<bool> {
        Ok(false)
    }
}

/// An access log file, opened for appending (created if missing).
#[derive(Debug)]
pub(crate) struct LogFile {
    path: PathBuf,
    file: BufWriter<File>,
}

impl LogFile {
    /// Opens `path` for appending.
    ///
    /// # Errors
    ///
    /// The file cannot be created or opened for writing.
    pub(crate) fn open(path: PathBuf) -> io::Result<LogFile> {
        let file = Self::append(&path)?;
        Ok(LogFile { path, file })
    }

    fn append(path: &std::path::Path) -> io::Result<BufWriter<File>> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(BufWriter::with_capacity(64 * 1024, file))
    }
}

impl Output for LogFile {
    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        self.file.write_all(line)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }

    fn reopen(&mut self) -> io::Result<bool> {
        // On failure the old file stays in use: lines keep landing somewhere.
        self.file.flush()?;
        self.file = Self::append(&self.path)?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the size of each write.
    #[derive(Default)]
    struct Writes(Vec<Vec<u8>>);

    impl Write for Writes {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn pipe_writes_are_whole_lines_within_pipe_buf() {
        let mut out = PipeChunks::new(Writes::default());
        let line = [b'x'; 999]
            .iter()
            .copied()
            .chain([b'\n'])
            .collect::<Vec<u8>>();
        for _ in 0..10 {
            out.write_line(&line).expect("written");
        }
        let long = vec![b'y'; PIPE_BUF + 1];
        out.write_line(&long).expect("written");
        Output::flush(&mut out).expect("flushed");
        let sizes: Vec<usize> = out.inner.0.iter().map(Vec::len).collect();
        // Four lines per write, the long line alone after the buffered ones.
        assert_eq!(sizes, [4000, 4000, 2000, PIPE_BUF + 1]);
    }

    #[test]
    fn a_reopened_file_starts_at_the_path_again() {
        let dir = std::env::temp_dir().join(format!("pxy-logfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a temp dir");
        let path = dir.join("access.log");
        let mut file = LogFile::open(path.clone()).expect("opens");
        file.write_line(b"one\n").expect("written");
        file.flush().expect("flushed");
        std::fs::rename(&path, dir.join("access.log.1")).expect("moved");
        file.write_line(b"two\n").expect("written");
        assert!(file.reopen().expect("reopens"));
        file.write_line(b"three\n").expect("written");
        file.flush().expect("flushed");
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect("readable");
        assert_eq!(read("access.log.1"), "one\ntwo\n");
        assert_eq!(read("access.log"), "three\n");
        std::fs::remove_dir_all(&dir).expect("removed");
    }
}
