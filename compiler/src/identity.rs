//! What a built proxy says about itself, so an operator can tell which program a running
//! binary is: its `--version` names the program, the proxyc that compiled it and the SHA-256
//! of the program's source (the main file and every included file, in include order, each
//! with its length so no two splits of the same bytes collide); `proxyc build` prints the
//! SHA-256 of the binary itself. Paths are left out of both, so the same `.pxy` gives the same
//! identity wherever it is built from.

use std::io::Read as _;
use std::path::Path;

use sha2::{Digest as _, Sha256};

use crate::sources::SourceMap;

/// The identity written into a generated binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// The program's name (its file stem): the binary's name in `--help` and `--test`.
    pub name: String,
    /// The SHA-256 of the program's source, in lower-case hex.
    pub source_sha256: String,
}

impl Identity {
    /// The identity of the program `name` read from `sources`.
    pub fn of(name: &str, sources: &SourceMap) -> Identity {
        let mut hash = Sha256::new();
        for file in sources.files() {
            hash.update((file.text.len() as u64).to_le_bytes());
            hash.update(file.text.as_bytes());
        }
        Identity {
            name: name.to_owned(),
            source_sha256: hex(&hash.finalize()),
        }
    }

    /// What the binary's `--version` prints after its name.
    pub fn version(&self) -> String {
        format!(
            "(built by proxyc {} from source sha256:{})",
            env!("CARGO_PKG_VERSION"),
            self.source_sha256
        )
    }
}

/// The SHA-256 of the file at `path`, in lower-case hex.
///
/// # Errors
///
/// The file cannot be read.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hash = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            return Ok(hex(&hash.finalize()));
        }
        hash.update(&buffer[..n]);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_hash_is_sha256_of_each_file_with_its_length() {
        let one = Identity::of(
            "gw",
            &SourceMap::single("a/gw.pxy", "route { respond 200 }\n"),
        );
        let moved = Identity::of(
            "gw",
            &SourceMap::single("/elsewhere/gw.pxy", "route { respond 200 }\n"),
        );
        assert_eq!(one, moved, "the path is not part of it");
        assert_eq!(one.source_sha256.len(), 64);
        let changed = Identity::of(
            "gw",
            &SourceMap::single("a/gw.pxy", "route { respond 201 }\n"),
        );
        assert_ne!(one.source_sha256, changed.source_sha256);
        assert!(one.version().contains(&one.source_sha256));
        assert!(one.version().contains(env!("CARGO_PKG_VERSION")));
    }

    #[test]
    fn a_file_hash_is_plain_sha256() {
        let dir = std::env::temp_dir().join(format!("pxy-identity-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = dir.join("abc");
        std::fs::write(&file, "abc").expect("write");
        assert_eq!(
            file_sha256(&file).expect("read"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        std::fs::remove_dir_all(&dir).expect("clean up");
    }
}
