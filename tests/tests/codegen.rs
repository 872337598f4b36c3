//! Snapshot of the Rust generated for every example, and a check that generation is
//! deterministic (same input, same bytes).

use pxy_compiler::driver::emit;

#[test]
fn examples_generate_rust() {
    insta::glob!("../../examples", "*.pxy", |path| {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if name.ends_with("_test") {
            // The tests of an example: `example_tests_generate_a_test_binary`.
            return;
        }
        let source = std::fs::read_to_string(path).expect("read example");
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

/// A test binary is the program's generated code with the test runner as `main` and the
/// tests as a `static` table.
#[test]
fn example_tests_generate_a_test_binary() {
    use pxy_compiler::driver::{self, Entry};
    use pxy_compiler::identity::Identity;
    let read = |name: &str| {
        std::fs::read_to_string(pxy_tests::workspace_root().join("examples").join(name))
            .expect("read")
    };
    // In memory, under the paths they have in the repository, so the snapshot's
    // `FILE:LINE:COLUMN`s do not depend on where it is checked out.
    let loader = pxy_compiler::files::MemoryLoader::default()
        .with("examples/gateway.pxy", read("gateway.pxy"));
    let analysis = driver::analyse(
        std::path::Path::new("examples/gateway_test.pxy"),
        read("gateway_test.pxy"),
        &loader,
    );
    let identity = Identity::of("gateway_test", &analysis.sources);
    let (code, warnings) = driver::generate(analysis.checked, &identity, Entry::Test)
        .unwrap_or_else(|p| panic!("gateway_test has errors: {p:?}"));
    assert!(warnings.is_empty(), "{warnings:?}");
    let deployed = driver::analyse(
        std::path::Path::new("examples/gateway.pxy"),
        read("gateway.pxy"),
        &loader,
    );
    let identity = Identity::of("gateway", &deployed.sources);
    let (serve, _) = driver::generate(deployed.checked, &identity, Entry::Serve).unwrap();
    let program_of = |code: &str| {
        code[code.find("\nuse ").unwrap()..code.find("fn main()").unwrap()].to_string()
    };
    let tested = program_of(&code);
    let tested = &tested[..tested.find("static TESTS").unwrap()];
    assert!(
        tested.trim_end() == program_of(&serve).trim_end(),
        "a test binary runs the deployed program's code"
    );
    assert_names_only_the_public_surface("gateway_test", &code);
    insta::assert_snapshot!(&code[code.find("static TESTS").unwrap()..]);
}

/// Generated code names only what `pxy_runtime` promises to keep (its prelude, the crates
/// it re-exports and `run`), so the runtime's internals can move without breaking programs.
fn assert_names_only_the_public_surface(name: &str, code: &str) {
    const ALLOWED: &[&str] = &["prelude", "http", "bytes", "regex", "run", "testing"];
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
