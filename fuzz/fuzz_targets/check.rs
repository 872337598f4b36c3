//! Bytes in; if they are UTF-8, the whole front end runs on them: parse + check, every
//! diagnostic described and rendered (terminal and JSON), code generation for programs that
//! check, and the formatter (idempotent, output parses, meaning kept).

#![no_main]

use libfuzzer_sys::fuzz_target;
use pxy_compiler::codegen;
use pxy_compiler::diagnostic::{describe, render, to_json};
use pxy_compiler::driver::check_source;
use pxy_compiler::sources::SourceMap;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    let checked = check_source(source);

    let diagnostics: Vec<_> = checked.problems.iter().map(describe).collect();
    for d in &diagnostics {
        for l in &d.labels {
            let s = l.span;
            assert!(
                s.start <= s.end && s.end <= source.len(),
                "{}: label span {s:?} outside the source ({} bytes)",
                d.code,
                source.len()
            );
            assert!(
                source.is_char_boundary(s.start) && source.is_char_boundary(s.end),
                "{}: label span {s:?} splits a character",
                d.code
            );
        }
    }
    let sources = SourceMap::single("fuzz.pxy", source);
    let _ = render(&diagnostics, &sources, false);
    let _ = render(&diagnostics, &sources, true);
    let _ = to_json(&diagnostics, &sources).to_string();

    if let Some(program) = checked.program() {
        assert!(
            diagnostics.iter().all(|d| d.is_warning),
            "a program was produced despite errors"
        );
        let rust = codegen::generate(program, &pxy_compiler::identity::Identity { name: "fuzz".into(), source_sha256: String::new() });
        assert!(
            !rust.starts_with("compile_error!(\"proxyc bug"),
            "generated code does not parse:\n{rust}"
        );
    }

    let parses = pxy_dsl::parse(source).is_ok();
    match pxy_dsl::format::format(source) {
        Ok(once) => {
            assert!(parses, "format succeeded on a program that does not parse");
            let twice = pxy_dsl::format::format(&once)
                .unwrap_or_else(|e| panic!("formatted output does not parse: {e:?}\n{once}"));
            assert_eq!(once, twice, "the formatter is not idempotent");
            assert_eq!(
                shape(source),
                shape(&once),
                "formatting changed the parse tree:\n{once}"
            );
        }
        Err(_) => assert!(!parses, "format failed on a program that parses"),
    }
});

/// The parse tree printed without spans, to compare meaning regardless of layout (as the
/// formatter's own tests do).
fn shape(source: &str) -> String {
    let tree = format!("{:?}", pxy_dsl::parse(source).expect("parses"));
    let mut out = String::with_capacity(tree.len());
    let mut rest = tree.as_str();
    while let Some(at) = rest.find("Span { start: ") {
        out.push_str(&rest[..at]);
        let after = &rest[at..];
        let close = after.find('}').map_or(after.len(), |i| i + 1);
        rest = &after[close..];
    }
    out.push_str(rest);
    out
}
