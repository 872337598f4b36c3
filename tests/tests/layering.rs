//! The compiler's modules depend on each other in one direction: the passes (`check/`,
//! `include.rs`) know nothing of wording (`diagnostic`), of the union of their errors
//! (`problem`) or of the driver, and `include` does not know `check`. This test reads the
//! sources and fails when code (not comments) names a module it must not. (The runtime's
//! direction, server → forward → upstream, is `runtime/tests/layers.rs`.)

use std::path::{Path, PathBuf};

fn rust_files(path: &Path) -> Vec<PathBuf> {
    if path.is_file() {
        return vec![path.to_path_buf()];
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(path).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Every line of code under `dir` (comments left out) that names one of `forbidden`.
fn offending(dir: &str, forbidden: &[&str]) -> Vec<String> {
    let root = pxy_tests::workspace_root();
    let files = rust_files(&root.join(dir));
    assert!(!files.is_empty(), "no sources under {dir}");
    let mut out = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or_default();
            if forbidden.iter().any(|f| code.contains(f)) {
                out.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    out
}

#[test]
fn compiler_passes_do_not_depend_on_wording_or_on_each_other_backwards() {
    let wording = ["crate::diagnostic", "crate::problem", "crate::driver"];
    let found = offending(
        "compiler/src/check",
        &[&wording[..], &["crate::include"]].concat(),
    );
    assert!(found.is_empty(), "check/ names a later module: {found:#?}");
    let found = offending(
        "compiler/src/include.rs",
        &[&wording[..], &["crate::check"]].concat(),
    );
    assert!(
        found.is_empty(),
        "include names a module it must not: {found:#?}"
    );
}
