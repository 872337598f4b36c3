//! Snapshot of the Rust generated for every example, and a check that generation is
//! deterministic (same input, same bytes).

use pxy_compiler::driver::emit;

#[test]
fn examples_generate_rust() {
    insta::glob!("../../examples", "*.pxy", |path| {
        let source = std::fs::read_to_string(path).expect("read example");
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let (code, warnings) =
            emit(&source, &name).unwrap_or_else(|p| panic!("{name} has errors: {p:?}"));
        assert!(warnings.is_empty(), "{name} has warnings: {warnings:?}");
        assert_eq!(
            emit(&source, &name).unwrap().0,
            code,
            "generation must be deterministic"
        );
        assert_names_only_the_public_surface(&name, &code);
        insta::assert_snapshot!(code);
    });
}

/// Generated code names only what `pxy_runtime` promises to keep (its prelude, the crates
/// it re-exports and `run`), so the runtime's internals can move without breaking programs.
fn assert_names_only_the_public_surface(name: &str, code: &str) {
    const ALLOWED: &[&str] = &["prelude", "http", "bytes", "regex", "run"];
    for (at, _) in code.match_indices("pxy_runtime::") {
        let item: String = code[at + "pxy_runtime::".len()..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        assert!(
            ALLOWED.contains(&item.as_str()),
            "{name}: generated code names pxy_runtime::{item}, outside the prelude"
        );
    }
}
