//! How long the compiler takes on a generated 5,000-line program: parsing alone, parse + check
//! (`proxyc check`), and code generation from the checked program.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use pxy_compiler::codegen;
use pxy_compiler::diagnostic::describe;
use pxy_compiler::driver::check_source;

const LINES: usize = 5_000;

fn compiler(c: &mut Criterion) {
    let source = pxy_benches::program(LINES);
    let checked = check_source(&source);
    let errors: Vec<_> = checked
        .problems
        .iter()
        .map(describe)
        .filter(|d| !d.is_warning)
        .map(|d| format!("{}: {}", d.code, d.message))
        .collect();
    assert!(
        errors.is_empty(),
        "the generated program must check without errors: {errors:#?}"
    );
    let (program, _) = checked
        .into_program()
        .expect("no errors, so a typed program");

    let identity = pxy_compiler::identity::Identity {
        name: "bench".into(),
        source_sha256: String::new(),
    };
    let mut group = c.benchmark_group("compiler_5000_lines");
    group.throughput(Throughput::Bytes(source.len() as u64));
    group.bench_function("parse", |b| {
        b.iter(|| pxy_dsl::parse(black_box(&source)).expect("parses"))
    });
    group.bench_function("check_source", |b| {
        b.iter(|| check_source(black_box(&source)))
    });
    group.bench_function("generate", |b| {
        b.iter(|| codegen::generate(black_box(&program), &identity, codegen::Entry::Serve))
    });
    group.finish();
}

criterion_group!(benches, compiler);
criterion_main!(benches);
