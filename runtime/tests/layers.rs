//! The runtime's layers depend on each other one way: `server → forward → upstream`. This
//! reads the sources and fails on a path that points back up (a `use` or a qualified name),
//! so a cycle cannot creep in unnoticed.

use std::path::{Path, PathBuf};

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read the source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every `crate::<module>` path named in the code (not the comments) of the `.rs` files under `src/<layer>` (and in
/// `src/<layer>.rs` if it exists), as `(file, line number, module)`.
fn crate_paths(layer: &str) -> Vec<(PathBuf, usize, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src.join(layer), &mut files);
    assert!(!files.is_empty(), "no sources under src/{layer}");
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read a source file");
        for (n, line) in text.lines().enumerate() {
            // Comments may point anywhere; only code makes a dependency.
            let code = line.split("//").next().unwrap_or_default();
            let mut rest = code;
            while let Some(at) = rest.find("crate::") {
                rest = &rest[at + "crate::".len()..];
                let module: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                found.push((file.clone(), n + 1, module));
            }
        }
    }
    found
}

fn assert_not_named(layer: &str, above: &[&str]) {
    let back: Vec<_> = crate_paths(layer)
        .into_iter()
        .filter(|(_, _, module)| above.contains(&module.as_str()))
        .collect();
    assert!(
        back.is_empty(),
        "src/{layer} names a layer above it ({above:?}): {back:#?}"
    );
}

#[test]
fn upstream_names_neither_forward_nor_server() {
    assert_not_named("upstream", &["server", "forward"]);
}

#[test]
fn forward_never_names_the_server() {
    assert_not_named("forward", &["server"]);
}

#[test]
fn the_check_sees_paths_it_must_catch() {
    // The server does name forwarding; if the scan found nothing there it would be blind.
    assert!(crate_paths("server")
        .iter()
        .any(|(_, _, module)| module == "forward"));
}
