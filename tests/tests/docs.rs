//! Every ```pxy block in the documentation parses: as a whole program, or as statements inside
//! a route. Keeps the docs honest when the grammar changes.

fn pxy_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, "```pxy") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            _ => {}
        }
    }
    blocks
}

#[test]
fn documented_examples_parse() {
    let root = pxy_tests::workspace_root();
    let mut count = 0;
    for doc in ["README.md", "docs/language.md"] {
        let text = std::fs::read_to_string(root.join(doc)).unwrap();
        for block in pxy_blocks(&text) {
            count += 1;
            let as_program = pxy_dsl::parse(&block);
            let as_statements = pxy_dsl::parse(&format!("route {{\n{block}\n}}"));
            assert!(
                as_program.is_ok() || as_statements.is_ok(),
                "a ```pxy block in {doc} does not parse:\n{block}\nerror: {:?}",
                as_program.unwrap_err()
            );
        }
    }
    assert!(count >= 10, "found only {count} examples");
}

#[test]
fn examples_check_without_problems() {
    for path in example_programs() {
        let source = std::fs::read_to_string(&path).unwrap();
        // A `NAME_test.pxy` includes its program, which is read from disk; the files the
        // program names may be absent (examples/certs is made by scripts/dev-certs.sh).
        let mut checked = match path.to_string_lossy().ends_with("_test.pxy") {
            true => {
                let loader = pxy_compiler::files::DiskLoader;
                pxy_compiler::driver::analyse(&path, source, &loader).checked
            }
            false => pxy_compiler::driver::check_source(&source),
        };
        checked.problems.retain(|p| {
            !matches!(
                p,
                pxy_compiler::problem::Problem::Check(
                    pxy_compiler::check::CheckError::MissingFile { .. }
                )
            )
        });
        assert!(
            checked.problems.is_empty(),
            "{}: {:?}",
            path.display(),
            checked.problems
        );
    }
}

#[test]
fn examples_are_formatted() {
    for path in example_programs() {
        let source = std::fs::read_to_string(&path).unwrap();
        let formatted = pxy_dsl::format::format(&source).unwrap();
        assert_eq!(
            formatted,
            source,
            "{} is not formatted: run `proxyc fmt`",
            path.display()
        );
    }
}

/// The `.pxy` programs in `examples/` (which also holds other files, e.g. a systemd unit).
fn example_programs() -> Vec<std::path::PathBuf> {
    std::fs::read_dir(pxy_tests::workspace_root().join("examples"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "pxy"))
        .collect()
}

/// Every metric name the runtime's sources register (a `"pxy_..."` string literal), with
/// the file it is in.
fn runtime_metric_names() -> Vec<(String, String)> {
    let literal = regex::Regex::new(r#""(pxy_[a-z_]+)""#).unwrap();
    let mut names = Vec::new();
    let mut dirs = vec![pxy_tests::workspace_root().join("runtime/src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                for capture in literal.captures_iter(&text) {
                    names.push((capture[1].to_owned(), path.display().to_string()));
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

#[test]
fn every_metric_is_documented_and_every_documented_metric_exists() {
    let doc = std::fs::read_to_string(pxy_tests::workspace_root().join("docs/metrics.md")).unwrap();
    let documented: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("| `pxy_"))
        .filter_map(|l| l.split('`').next())
        .collect();
    let names = runtime_metric_names();
    assert!(names.len() >= 20, "found only {names:?}");
    for (name, file) in &names {
        assert!(
            documented.contains(&&name["pxy_".len()..]),
            "{name} (registered in {file}) is missing from docs/metrics.md"
        );
    }
    for name in documented {
        assert!(
            names.iter().any(|(n, _)| n[4..] == *name),
            "docs/metrics.md lists pxy_{name}, which the runtime does not register"
        );
    }
}
