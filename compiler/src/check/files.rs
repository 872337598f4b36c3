//! Files a program names (certificates, keys, CAs, discovery lists): relative paths are
//! relative to the `.pxy` file that names them, and the checker stores them made absolute, so
//! that the binary finds them from any working directory, as the build found them.

use pxy_dsl::ast::Text;

use super::error::FileKind;
use super::{CheckError, Checker};

impl Checker<'_> {
    /// The path the runtime will open for `path` (relative to the directory of the file
    /// that names it), warning when no file is there.
    pub(super) fn file(&mut self, path: &Text, what: FileKind) -> String {
        let full = self.full_path(path);
        if self.files.exists(&full) == Some(false) {
            self.problems.push(CheckError::MissingFile {
                span: path.span,
                what,
                path: full.display().to_string(),
            });
        }
        self.runtime_path(path)
    }

    /// The path the runtime will open for `path`, whether a file is there or not.
    pub(super) fn runtime_path(&self, path: &Text) -> String {
        self.files
            .runtime_path(&self.full_path(path))
            .to_string_lossy()
            .into_owned()
    }

    fn full_path(&self, path: &Text) -> std::path::PathBuf {
        let named_in = std::path::Path::new(&self.sources.file_of(path.span).path);
        named_in
            .parent()
            .unwrap_or(std::path::Path::new(""))
            .join(&path.value)
    }
}
