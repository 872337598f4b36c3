//! Certificates made at test time by `scripts/dev-certs.sh` (the same script a developer
//! uses to try `examples/tls.pxy`): a throw-away CA and its certificates, valid for two
//! days. No private key of any value is ever in the repository.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A directory of test certificates: `ca.pem`, and `api`, `www`, `app`, `client`, `other`
/// as `NAME.pem` with `NAME.key` (see the script for their names and subjects).
#[derive(Debug)]
pub struct Pki {
    /// Where the files are.
    pub dir: PathBuf,
}

impl Pki {
    /// Makes a fresh set in its own directory.
    pub fn generate(name: &str) -> Pki {
        let dir = crate::process::scratch_dir(&format!("pki-{name}"));
        let status = Command::new(crate::workspace_root().join("scripts/dev-certs.sh"))
            .arg(&dir)
            .status()
            .expect("run scripts/dev-certs.sh (needs openssl, installed by scripts/setup.sh)");
        assert!(status.success(), "scripts/dev-certs.sh failed");
        Pki { dir }
    }

    /// The path of one of the files, e.g. `ca.pem` or `api.key`.
    pub fn file(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The CA certificate.
    pub fn ca(&self) -> PathBuf {
        self.file("ca.pem")
    }

    /// The directory, as a string for program sources.
    pub fn dir_str(&self) -> &str {
        self.dir.to_str().expect("UTF-8 path")
    }
}

impl AsRef<Path> for Pki {
    fn as_ref(&self) -> &Path {
        &self.dir
    }
}
