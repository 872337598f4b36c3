//! Keeping the shared target directory bounded: the artefacts of the programs built longest
//! ago are removed.
//!
//! Every program compiles as its own crate, named after a hash of its generated code, so each
//! changed `.pxy` (or each test with its own ports) adds a crate and a binary of tens of
//! megabytes to the target directory, and nothing ever used them again once they were copied
//! to `-o`: a CI runner or a developer's cache grew by gigabytes a week. The runtime and its
//! dependencies (the part worth keeping) are shared and never pruned here. What is kept is
//! the [`KEPT_PROGRAMS`] programs built most recently, so rebuilding one of them (the same
//! program twice, or back and forth between two versions) still costs nothing.
//!
//! Recency is the modification time of each crate's `built` stamp, written when its build
//! starts, so the builds running at the same time are always among the newest and are never
//! pruned under each other's feet.

use std::path::Path;
use std::time::SystemTime;

/// How many programs keep their compiled artefacts in a target directory.
pub(crate) const KEPT_PROGRAMS: usize = 8;

/// The stamp that marks a program crate as used now.
const STAMP: &str = "built";

/// cargo's output directories of the profiles [`super::Profile`] builds with.
const PROFILE_DIRS: [&str; 3] = ["release", "quick", "debug"];

/// Marks the program crate at `crate_dir` as the newest.
pub(crate) fn stamp(crate_dir: &Path) -> std::io::Result<()> {
    std::fs::write(crate_dir.join(STAMP), b"")
}

/// Removes every program crate of `target_dir` but the `keep` newest, with everything cargo
/// built for it. Best effort: what cannot be read or removed stays.
pub(crate) fn prune(target_dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(target_dir.join("pxy-apps")) else {
        return;
    };
    let mut programs: Vec<(SystemTime, String)> = entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            // A crate without a stamp was made by a proxyc from before stamps: oldest.
            let used = std::fs::metadata(entry.path().join(STAMP))
                .and_then(|m| m.modified())
                .unwrap_or(SystemTime::UNIX_EPOCH);
            Some((used, name))
        })
        .collect();
    programs.sort_by(|a, b| b.cmp(a));
    for (_, package) in programs.into_iter().skip(keep) {
        remove_program(target_dir, &package);
    }
}

/// Removes the crate `package` and its artefacts in every profile.
fn remove_program(target_dir: &Path, package: &str) {
    // cargo names a binary's intermediate files after the crate name (hyphens become
    // underscores) and its fingerprints after the package name, each with a hash suffix.
    let crate_name = package.replace('-', "_");
    for profile in PROFILE_DIRS {
        let dir = target_dir.join(profile);
        let _ = std::fs::remove_file(dir.join(package));
        let _ = std::fs::remove_file(dir.join(format!("{package}.d")));
        remove_prefixed(&dir.join("deps"), &format!("{crate_name}-"));
        remove_prefixed(&dir.join(".fingerprint"), &format!("{package}-"));
    }
    let _ = std::fs::remove_dir_all(target_dir.join("pxy-apps").join(package));
}

/// Removes the files and directories of `dir` whose names start with `prefix`.
fn remove_prefixed(dir: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry.file_name().to_string_lossy().starts_with(prefix) {
            continue;
        }
        let path = entry.path();
        let _ = match entry.file_type() {
            Ok(kind) if kind.is_dir() => std::fs::remove_dir_all(&path),
            _ => std::fs::remove_file(&path),
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(path: &Path) {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, b"x").expect("write");
    }

    /// A program crate with a binary in `debug`, as cargo leaves it; stamped `age` seconds ago.
    fn program(target: &Path, package: &str, age: u64) {
        let crate_dir = target.join("pxy-apps").join(package);
        touch(&crate_dir.join("src/main.rs"));
        stamp(&crate_dir).expect("stamp");
        let when = SystemTime::now() - std::time::Duration::from_secs(age);
        std::fs::File::options()
            .write(true)
            .open(crate_dir.join(STAMP))
            .and_then(|f| f.set_modified(when))
            .expect("set mtime");
        let crate_name = package.replace('-', "_");
        touch(&target.join("debug").join(package));
        touch(
            &target
                .join("debug/deps")
                .join(format!("{crate_name}-0123abcd")),
        );
        touch(
            &target
                .join("debug/deps")
                .join(format!("{crate_name}-0123abcd.d")),
        );
        touch(
            &target
                .join("debug/.fingerprint")
                .join(format!("{package}-0123abcd/bin")),
        );
    }

    #[test]
    fn only_the_newest_programs_keep_their_artefacts() {
        let target = std::env::temp_dir().join(format!("pxy-prune-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&target);
        program(&target, "pxy-old-01", 300);
        program(&target, "pxy-older-02", 600);
        program(&target, "pxy-new-03", 10);
        program(&target, "pxy-newer-04", 5);
        // The runtime's artefacts are never a program's.
        touch(&target.join("debug/deps/libpxy_runtime-feed.rlib"));
        touch(&target.join("debug/.fingerprint/pxy-runtime-feed/lib"));

        prune(&target, 2);

        for kept in ["pxy-new-03", "pxy-newer-04"] {
            assert!(target.join("pxy-apps").join(kept).exists(), "{kept} kept");
            assert!(
                target.join("debug").join(kept).exists(),
                "{kept}'s binary kept"
            );
        }
        for gone in ["pxy-old-01", "pxy-older-02"] {
            let crate_name = gone.replace('-', "_");
            assert!(
                !target.join("pxy-apps").join(gone).exists(),
                "{gone} removed"
            );
            assert!(!target.join("debug").join(gone).exists());
            assert!(!target
                .join("debug/deps")
                .join(format!("{crate_name}-0123abcd"))
                .exists());
            assert!(!target
                .join("debug/deps")
                .join(format!("{crate_name}-0123abcd.d"))
                .exists());
            assert!(!target
                .join("debug/.fingerprint")
                .join(format!("{gone}-0123abcd"))
                .exists());
        }
        assert!(target.join("debug/deps/libpxy_runtime-feed.rlib").exists());
        assert!(target
            .join("debug/.fingerprint/pxy-runtime-feed/lib")
            .exists());
        std::fs::remove_dir_all(&target).expect("clean up");
    }
}
