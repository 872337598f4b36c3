//! The compiler never panics, whatever the input: thousands of deterministic mutations of every
//! example and test program go through parse, check and (when they check) code generation.
//! (A coverage-guided fuzz target complements this; this test keeps the guarantee in CI.)

use std::panic::{catch_unwind, AssertUnwindSafe};

/// xorshift64*: deterministic, so a failure is reproducible from its iteration number.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const TOKENS: &[&str] = &[
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    "\"",
    "\\",
    "/",
    "~",
    "?",
    "??",
    "!",
    "==",
    "&&",
    "||",
    " ",
    "\n",
    "route",
    "respond",
    "proxy",
    "on",
    "if",
    "else",
    "let",
    "set",
    "remove",
    "headers",
    "req.headers[\"x\"]",
    "resp.status",
    "client.ip",
    "10.0.0.0/8",
    "5s",
    "64KB",
    "GET",
    "999999999999999999999",
    "é",
    "😀",
    "{req.path}",
    "matches",
    "in",
    "present(",
    "upstream",
    "server",
    "127.0.0.1:1",
    "weight",
    "0",
];

fn mutate(source: &str, rng: &mut Rng) -> String {
    let mut text: Vec<char> = source.chars().collect();
    for _ in 0..1 + rng.below(4) {
        let at = rng.below(text.len() + 1);
        match rng.below(3) {
            0 if !text.is_empty() => {
                let end = (at + rng.below(8)).min(text.len());
                text.drain(at.min(end)..end);
            }
            1 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                for (i, c) in token.chars().enumerate() {
                    text.insert(at + i, c);
                }
            }
            _ if !text.is_empty() => {
                let from = rng.below(text.len());
                let len = rng.below(20).min(text.len() - from);
                let piece: Vec<char> = text[from..from + len].to_vec();
                for (i, c) in piece.into_iter().enumerate() {
                    text.insert(at.min(text.len()) + i, c);
                }
            }
            _ => {}
        }
    }
    text.into_iter().collect()
}

#[test]
fn mutated_programs_never_panic_the_compiler() {
    let root = pxy_tests::workspace_root();
    let mut seeds = Vec::new();
    for dir in ["examples", "tests/programs/invalid"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            // Multi-file cases (directories) are seeded by their main file;
            // other files and directories (data files, generated
            // `examples/certs`) are not programs.
            let path = if path.is_dir() {
                path.join("main.pxy")
            } else {
                path
            };
            if path.extension().is_some_and(|e| e == "pxy") && path.is_file() {
                seeds.push(std::fs::read_to_string(path).unwrap());
            }
        }
    }
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let mut generated = 0;
    for i in 0..20_000 {
        let input = mutate(&seeds[i % seeds.len()], &mut rng);
        let identity = pxy_compiler::identity::Identity {
            name: "fuzz".into(),
            source_sha256: String::new(),
        };
        let result = catch_unwind(AssertUnwindSafe(|| {
            let checked = pxy_compiler::driver::check_source(&input);
            for p in &checked.problems {
                let d = pxy_compiler::diagnostic::describe(p);
                let sources = pxy_compiler::sources::SourceMap::single("fuzz.pxy", &*input);
                let _ = pxy_compiler::diagnostic::render(&[d], &sources, false);
            }
            checked.program().map(|p| {
                pxy_compiler::codegen::generate(p, &identity, pxy_compiler::codegen::Entry::Serve)
            })
        }));
        match result {
            Ok(Some(code)) => {
                generated += 1;
                assert!(
                    !code.contains("compile_error!"),
                    "iteration {i}: generated code does not parse:\n{input}"
                );
            }
            Ok(None) => {}
            Err(_) => panic!("iteration {i}: the compiler panicked on:\n{input}"),
        }
    }
    assert!(
        generated > 100,
        "mutations should still produce valid programs sometimes ({generated})"
    );
}
