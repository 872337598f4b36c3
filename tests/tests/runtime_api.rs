//! The runtime's public API as generated code uses it: what must compile, and what must not
//! (with readable errors).

#[test]
fn runtime_api() {
    let cases = trybuild::TestCases::new();
    cases.pass("trybuild/pass/*.rs");
    cases.compile_fail("trybuild/fail/*.rs");
}
