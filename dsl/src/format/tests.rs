use super::format;

/// The parse tree printed without spans, to compare meaning regardless of layout.
fn shape(source: &str) -> String {
    let tree = format!("{:?}", crate::parse(source).expect("parses"));
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

fn programs() -> Vec<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut all = Vec::new();
    let mut dirs = vec![root.join("examples"), root.join("tests/programs/invalid")];
    // Multi-file cases are directories: every file in them is formatted on its own.
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            all.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).expect("read"),
            ));
        }
    }
    all
}

#[test]
fn formatting_is_idempotent_and_keeps_meaning() {
    let mut formatted_any = 0;
    for (name, source) in programs() {
        let Ok(once) = format(&source) else { continue };
        formatted_any += 1;
        let twice = format(&once)
            .unwrap_or_else(|e| panic!("{name}: formatted output does not parse: {e:?}\n{once}"));
        assert_eq!(once, twice, "{name}: not idempotent");
        assert_eq!(
            shape(&source),
            shape(&once),
            "{name}: meaning changed:\n{once}"
        );
    }
    assert!(formatted_any > 30);
}

#[test]
fn comments_survive_everywhere() {
    let source = r##"# file header
listen http 127.0.0.1:8080 # trailing on listen
listen http 127.0.0.1:8081

# before upstream
upstream api {   # after brace
    # inside
    server 127.0.0.1:9001 weight 2 # weight
}
route path "/a#not-a-comment" {
    let x = "#nope" # real
    if x == "a" { respond 200 } # after if
    # before else? no: own line
    else { respond 404 "x" headers { "x-a" = "1" # h
    } }
}
# at the end
"##;
    let out = format(source).expect("formats");
    for c in [
        "# file header",
        "# trailing on listen",
        "# before upstream",
        "# after brace",
        "# inside",
        "# weight",
        "# real",
        "# h",
        "# at the end",
    ] {
        assert!(out.contains(c), "lost {c}:\n{out}");
    }
    assert!(out.contains("\"/a#not-a-comment\""));
    assert_eq!(format(&out).unwrap(), out, "idempotent with comments");
}

#[test]
fn canonical_layout() {
    let source = "listen http 127.0.0.1:8080\nupstream a{server 127.0.0.1:1 read_timeout 120000ms connect_timeout 1024B}\nroute host \"X\" method GET,HEAD{if !(a||b)&&c{respond 200 \"{req.path}\\n\"}else if d{redirect \"/x\"}else{proxy a}}";
    let expected = r#"listen http 127.0.0.1:8080

upstream a {
    server 127.0.0.1:1
    read_timeout 2m
    connect_timeout 1KiB
}

route host "X" method GET, HEAD {
    if !(a || b) && c {
        respond 200 "{req.path}\n"
    } else if d {
        redirect "/x"
    } else {
        proxy a
    }
}
"#;
    assert_eq!(format(source).unwrap(), expected);
}

#[test]
fn a_test_is_laid_out_a_line_per_line_and_comments_stay() {
    let source = "test \"t\"{\nsend POST \"http://a.example/x\"{header \"k\"=\"v\" client 10.0.0.1 body \"{{b}}\"} # why\nupstream api picks server 2 fail upstream api with reset\nexpect upstream api server 2{path \"/x\" method POST no header \"y\" header \"k\" contains \"v\"}\nreply 201 \"made\"{header \"x\"=\"1\"} expect 201{body contains \"ma\"} expect upstream web}";
    let expected = r#"test "t" {
    send POST "http://a.example/x" {  # why
        header "k" = "v"
        client 10.0.0.1
        body "{{b}}"
    }
    upstream api picks server 2
    fail upstream api with reset
    expect upstream api server 2 {
        path "/x"
        method POST
        no header "y"
        header "k" contains "v"
    }
    reply 201 "made" {
        header "x" = "1"
    }
    expect 201 {
        body contains "ma"
    }
    expect upstream web
}
"#;
    assert_eq!(format(source).unwrap(), expected);
    assert_eq!(format(expected).unwrap(), expected);
}

#[test]
fn a_tests_token_repeats_and_replies_are_laid_out_as_blocks() {
    let source = "test \"t\"{send GET \"http://a.example/\" times 3{user \"ann\" password \"pw\" jwt HS256 \"k.key\" cookie \"token\"{kid \"k1\" claim \"sub\"=\"ann\" expires 120s} jwt RS256 \"r.pem\"} upstream auth replies 401 \"no\"{header \"x\"=\"1\"} upstream web replies 200 upstream web cert \"w.pem\" key \"w.key\" upstream web discovers 3 expect 401}";
    let expected = r#"test "t" {
    send GET "http://a.example/" times 3 {
        user "ann" password "pw"
        jwt HS256 "k.key" cookie "token" {
            kid "k1"
            claim "sub" = "ann"
            expires 2m
        }
        jwt RS256 "r.pem"
    }
    upstream auth replies 401 "no" {
        header "x" = "1"
    }
    upstream web replies 200
    upstream web cert "w.pem" key "w.key"
    upstream web discovers 3
    expect 401
}
"#;
    assert_eq!(format(source).unwrap(), expected);
    assert_eq!(format(expected).unwrap(), expected);
}
