//! The command line's contract: exit codes, output formats, explain.

use std::process::Command;

fn proxyc(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_proxyc"))
        .args(args)
        .output()
        .expect("run proxyc")
}

fn example(name: &str) -> String {
    format!("{}/../examples/{name}.pxy", env!("CARGO_MANIFEST_DIR"))
}

fn write_program(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn check_exit_codes() {
    assert_eq!(
        proxyc(&["check", &example("gateway")]).status.code(),
        Some(0)
    );
    let bad = write_program(
        "bad.pxy",
        "listen http 127.0.0.1:8080\nroute { proxy nowhere }\n",
    );
    let out = proxyc(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("E0101"));
    assert_eq!(
        proxyc(&["check"]).status.code(),
        Some(2),
        "missing argument is a usage error"
    );
    assert_eq!(proxyc(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(
        proxyc(&["check", "/nonexistent.pxy"]).status.code(),
        Some(1)
    );
}

#[test]
fn warnings_can_be_denied() {
    let warn = write_program(
        "warn.pxy",
        "listen http 127.0.0.1:8080\nupstream old { server 127.0.0.1:9 }\nroute { respond 200 }\n",
    );
    assert_eq!(
        proxyc(&["check", warn.to_str().unwrap()]).status.code(),
        Some(0)
    );
    assert_eq!(
        proxyc(&["check", "--deny", "warnings", warn.to_str().unwrap()])
            .status
            .code(),
        Some(1)
    );
}

#[test]
fn json_diagnostics_are_lsp_shaped() {
    let bad = write_program(
        "json.pxy",
        "listen http 127.0.0.1:8080\nroute { respond 700 }\n",
    );
    let out = proxyc(&["check", "--message-format", "json", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let d = &v[0];
    assert_eq!(d["code"], "E0304");
    assert_eq!(d["severity"], 1);
    assert_eq!(d["range"]["start"]["line"], 1);
    assert_eq!(d["range"]["start"]["character"], 16);
    assert_eq!(d["range"]["end"]["character"], 19);
}

#[test]
fn emit_prints_rust_and_explain_knows_every_code() {
    let out = proxyc(&["emit", &example("load_balancer")]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("impl Proxy for Program"));
    for (code, _) in pxy_compiler::explain::EXPLANATIONS {
        let out = proxyc(&["explain", code]);
        assert_eq!(out.status.code(), Some(0), "{code}");
    }
    assert_eq!(proxyc(&["explain", "E9999"]).status.code(), Some(2));
}

#[test]
fn check_never_panics_on_arbitrary_bytes() {
    // A small deterministic sample of hostile inputs; the fuzz target covers far more.
    let mut inputs: Vec<Vec<u8>> = vec![
        vec![0xff, 0xfe, 0x00],
        b"route { respond 200 \"\\".to_vec(),
        b"listen http [::1]:80 route path ~ /(?P<x/ { respond 200 }".to_vec(),
        "route host \"\u{1F600}\" { respond 200 \"{req.headers[\"\u{e9}\"]}\" }"
            .as_bytes()
            .to_vec(),
        b"on request { if a && && b { } }".to_vec(),
        b"upstream u { server 1.1.1.1:1 weight 99999999999999999999 }".to_vec(),
    ];
    let mut seed = 0x2545F4914F6CDD1Du64;
    for _ in 0..30 {
        let len = (seed % 200) as usize;
        let mut bytes = Vec::with_capacity(len);
        for _ in 0..len {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            bytes.push(
                b"route{}\"[]()!?=:/~ 0123456789.respondproxylisten\nheaders"[(seed % 56) as usize],
            );
        }
        inputs.push(bytes);
    }
    for (i, bytes) in inputs.iter().enumerate() {
        let path = write_program(&format!("fuzz{i}.pxy"), "");
        std::fs::write(&path, bytes).unwrap();
        let out = proxyc(&["check", path.to_str().unwrap()]);
        assert!(
            matches!(out.status.code(), Some(0) | Some(1)),
            "input {i} crashed: {:?}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn diff_exit_codes() {
    let gateway = example("gateway");
    assert_eq!(proxyc(&["diff", &gateway, &gateway]).status.code(), Some(0));
    let changed = std::fs::read_to_string(&gateway)
        .unwrap()
        .replace("respond 410", "respond 404");
    let changed = write_program("gateway2.pxy", &changed);
    let out = proxyc(&["diff", &gateway, changed.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("respond 410 -> respond 404"));
    let bad = write_program("diffbad.pxy", "route {");
    assert_eq!(
        proxyc(&["diff", &gateway, bad.to_str().unwrap()])
            .status
            .code(),
        Some(2)
    );
}

#[test]
fn includes_work_in_check_emit_diff_and_fmt() {
    write_program(
        "shared/upstreams.pxy",
        "upstream api { server 127.0.0.1:9001 }\n",
    );
    let main = write_program(
        "with_include.pxy",
        "listen http 127.0.0.1:8080\ninclude   \"shared/upstreams.pxy\"\nroute { proxy api }\n",
    );
    let main = main.to_str().unwrap();
    assert_eq!(proxyc(&["check", main]).status.code(), Some(0));
    let emitted = proxyc(&["emit", main]);
    assert_eq!(emitted.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&emitted.stdout).contains("9001"));
    assert_eq!(proxyc(&["diff", main, main]).status.code(), Some(0));

    // A problem in the included file names that file, in both output formats.
    let bad = write_program(
        "bad_include.pxy",
        "listen http 127.0.0.1:8080\ninclude \"shared/zero.pxy\"\nroute { proxy api }\n",
    );
    write_program(
        "shared/zero.pxy",
        "upstream api { server 127.0.0.1:9001 weight 0 }\n",
    );
    let out = proxyc(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("shared/zero.pxy:1:"));
    let out = proxyc(&["check", "--message-format", "json", bad.to_str().unwrap()]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(json[0]["file"]
        .as_str()
        .is_some_and(|f| f.ends_with("shared/zero.pxy")));

    // fmt formats the one file and leaves the included one alone.
    assert_eq!(proxyc(&["fmt", main]).status.code(), Some(0));
    let formatted = std::fs::read_to_string(main).unwrap();
    assert!(
        formatted.contains("\ninclude \"shared/upstreams.pxy\"\n"),
        "{formatted}"
    );
}

#[test]
fn routes_draws_every_example_as_text_dot_and_svg() {
    let examples = std::fs::read_dir(format!("{}/../examples", env!("CARGO_MANIFEST_DIR")))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pxy"));
    let mut drawn = 0;
    for path in examples {
        let file = path.to_str().unwrap();
        let text = proxyc(&["routes", file]);
        assert_eq!(text.status.code(), Some(0), "{file}: {text:?}");
        let text = String::from_utf8(text.stdout).unwrap();
        assert!(text.contains(" → "), "{file}:\n{text}");
        let dot = proxyc(&["routes", "--format", "dot", file]);
        assert!(String::from_utf8(dot.stdout)
            .unwrap()
            .starts_with("digraph routes {"));
        drawn += 1;
    }
    assert!(drawn >= 10, "only {drawn} examples");

    let gateway = example("gateway");
    let svg = proxyc(&["routes", "--format", "svg", &gateway]);
    assert_eq!(svg.status.code(), Some(0), "{svg:?}");
    let svg = String::from_utf8(svg.stdout).unwrap();
    assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");

    let bad = write_program(
        "routes_bad.pxy",
        "listen http 127.0.0.1:8080\nroute { proxy nowhere }\n",
    );
    let out = proxyc(&["routes", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("E0101"));
    assert!(out.stdout.is_empty());
}
