//! Snapshot of every invalid program in `tests/programs/invalid/`: the source, the terminal
//! rendering and the LSP-shaped JSON. A new regression case is a new `.pxy` file there, or, for
//! a program of several files (includes), a directory whose `main.pxy` is the main file.

use std::path::{Path, PathBuf};

use pxy_compiler::diagnostic::{describe, render, to_json};
use pxy_compiler::driver::{analyse, Analysis};
use pxy_compiler::files::MemoryLoader;

fn invalid_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/invalid")
}

/// Checks `main` (relative to `programs/invalid`) with every file of its directory in memory,
/// under names relative to `programs/invalid`, so paths in the output do not depend on where
/// the repository is.
fn analyse_case(main: &Path) -> Analysis {
    let root = invalid_dir();
    let mut loader = MemoryLoader::default();
    let mut dirs: Vec<PathBuf> = main
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(|d| root.join(d))
        .into_iter()
        .collect();
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let name = path.strip_prefix(&root).expect("inside").to_path_buf();
                loader = loader.with(name, std::fs::read_to_string(&path).expect("read"));
            }
        }
    }
    let text = std::fs::read_to_string(root.join(main)).expect("read program");
    // Holding the main file too, the loader knows every file there is: a certificate the
    // program names is reported missing (W0610).
    let loader = loader.with(main, text.clone());
    analyse(main, text, &loader)
}

/// The snapshot text of a case: its files, the terminal rendering and the JSON.
fn snapshot(main: &Path) -> String {
    let analysis = analyse_case(main);
    let name = main.display().to_string();
    let problems = &analysis.checked.problems;
    assert!(
        !problems.is_empty(),
        "{name} should have at least one problem"
    );
    let diagnostics: Vec<_> = problems.iter().map(describe).collect();
    let rendered = render(&diagnostics, &analysis.sources, false);
    let json = serde_json::to_string_pretty(&to_json(&diagnostics, &analysis.sources)).unwrap();
    // A one-file case shows its source; a multi-file case each file under its path.
    let files: String = match analysis.sources.files() {
        [only] if main.parent() == Some(Path::new("")) => only.text.clone(),
        files => files
            .iter()
            .map(|f| format!("----- {} -----\n{}", f.path, f.text))
            .collect(),
    };
    format!("{files}\n----- rendered -----\n{rendered}\n----- json -----\n{json}\n")
}

#[test]
fn invalid_programs() {
    insta::glob!("../programs/invalid", "*.pxy", |path| {
        insta::assert_snapshot!(snapshot(path.strip_prefix(invalid_dir()).expect("inside")));
    });
}

#[test]
fn invalid_programs_of_several_files() {
    insta::glob!("../programs/invalid", "*/main.pxy", |path| {
        insta::assert_snapshot!(snapshot(path.strip_prefix(invalid_dir()).expect("inside")));
    });
}

#[test]
fn every_code_has_an_explanation_and_a_case() {
    let mut seen = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(invalid_dir()).unwrap() {
        let path = entry.unwrap().path();
        let main = if path.is_dir() {
            path.join("main.pxy")
        } else {
            path
        };
        let main = main.strip_prefix(invalid_dir()).unwrap().to_path_buf();
        for p in analyse_case(&main).checked.problems {
            seen.insert(describe(&p).code);
        }
    }
    for (code, _) in pxy_compiler::explain::EXPLANATIONS {
        assert!(seen.contains(code), "no test program produces {code}");
    }
    for code in &seen {
        assert!(
            pxy_compiler::explain::explain(code).is_some(),
            "{code} has no explanation"
        );
    }
}
