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
        insta::assert_snapshot!(code);
    });
}
