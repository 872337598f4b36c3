//! Snapshot of every invalid program in `tests/programs/invalid/`: the source, the terminal
//! rendering and the LSP-shaped JSON. A new regression case is a new `.pxy` file there.

use pxy_compiler::diagnostic::{describe, render, to_json};
use pxy_compiler::driver::check_source_in;

/// The programs' directory, relative to this crate (where cargo runs the test), so that file
/// paths in diagnostics read the same on every machine.
fn programs_dir() -> &'static std::path::Path {
    std::path::Path::new("programs/invalid")
}

#[test]
fn invalid_programs() {
    insta::glob!("../programs/invalid", "*.pxy", |path| {
        let source = std::fs::read_to_string(path).expect("read program");
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let checked = check_source_in(&source, Some(programs_dir()));
        assert!(
            !checked.problems.is_empty(),
            "{name} should have at least one problem"
        );
        let diagnostics: Vec<_> = checked.problems.iter().map(describe).collect();
        let rendered = render(&diagnostics, &name, &source, false);
        let json = serde_json::to_string_pretty(&to_json(&diagnostics, &name, &source)).unwrap();
        insta::assert_snapshot!(format!(
            "{source}\n----- rendered -----\n{rendered}\n----- json -----\n{json}\n"
        ));
    });
}

#[test]
fn every_code_has_an_explanation_and_a_case() {
    let mut seen = std::collections::BTreeSet::new();
    for entry in
        std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/programs/invalid")).unwrap()
    {
        let source = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for p in check_source_in(&source, Some(programs_dir())).problems {
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
