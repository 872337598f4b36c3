//! `proxyc test`: a program's `test` blocks compiled into a test binary and run against the
//! real generated program. A failing expectation is shown with its place, what it wanted and
//! what there was (also for the request's access log line), and makes the run exit 1;
//! `--filter` selects tests; `--junit` writes a report; a test with a mistake in it is a
//! diagnostic, not a binary. (Every example's tests run in `scripts/test.sh`.)

use std::path::Path;
use std::process::{Command, Output};

use pxy_tests::{build_target_dir, proxyc, scratch_dir, workspace_root};

fn proxyc_test(files: &[&Path], args: &[&str]) -> Output {
    Command::new(proxyc())
        .arg("test")
        .args(files)
        .args(args)
        .arg("--target-dir")
        .arg(build_target_dir())
        .output()
        .expect("run proxyc test")
}

/// gateway.pxy with tests beside it in a directory of their own.
fn gateway_with_tests(name: &str, tests: &str) -> std::path::PathBuf {
    let dir = scratch_dir(name);
    std::fs::copy(
        workspace_root().join("examples/gateway.pxy"),
        dir.join("gateway.pxy"),
    )
    .unwrap();
    let file = dir.join(format!("{name}.pxy"));
    std::fs::write(&file, format!("include \"gateway.pxy\"\n{tests}")).unwrap();
    file
}

const TESTS: &str = r#"
test "the old API is gone" {
    send GET "http://api.example.com/v2/x"
    expect 404
    expect log {
        field "status" = "404"
        field "agent" = "-"
    }
}

test "the upstream gets the version header" {
    send GET "http://api.example.com/v1/x" {
        header "authorization" = "Bearer t"
    }
    expect upstream api {
        header "x-api-version" = "2"
    }
    reply 200
    expect 200
}

test "a redirect is not an upstream" {
    send GET "http://www.example.com/old/a"
    expect upstream web
    expect 301
}

test "this one passes" {
    send GET "http://www.example.com/old/a"
    expect 301 {
        header "location" = "https://www.example.com/new/"
    }
}
"#;

#[test]
fn a_failing_expectation_is_shown_with_its_place_and_the_run_exits_1() {
    let file = gateway_with_tests("broken_test", TESTS);
    let junit = file.with_extension("xml");
    let out = proxyc_test(&[&file], &["--junit", junit.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("running 4 tests of broken_test"),
        "{stdout}"
    );
    assert!(
        stdout.contains("test \"this one passes\" ... ok"),
        "{stdout}"
    );
    assert!(
        stdout.contains("test \"the old API is gone\" ... FAILED"),
        "{stdout}"
    );
    let at = |line: usize, column: usize| format!("{}:{line}:{column}", file.display());
    assert!(
        stdout.contains(&format!(
            "{}: expect 404\n    expected: status 404\n    actual:   status 410",
            at(5, 5)
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "{}: header \"x-api-version\" = \"2\"\n    expected: \"2\"\n    actual:   \"1\"",
            at(17, 9)
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "{}: field \"status\" = \"404\"\n    expected: \"404\"\n    actual:   \"410\"",
            at(7, 9)
        )),
        "the access log line, with what `on log` adds, is checked too: {stdout}"
    );
    assert!(
        !stdout.contains("field \"agent\""),
        "the field `on log` sets holds: {stdout}"
    );
    assert!(
        stdout.contains("expected: the request reaches an upstream")
            && stdout.contains("actual:   no upstream received it (the proxy answered 301 itself)"),
        "{stdout}"
    );
    assert!(stdout.contains("1 passed, 3 failed"), "{stdout}");
    let xml = std::fs::read_to_string(&junit).expect("a JUnit report");
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(
        xml.contains("<testsuite name=\"broken_test\" tests=\"4\" failures=\"3\""),
        "{xml}"
    );
    assert_eq!(xml.matches("<failure ").count(), 3, "{xml}");
}

#[test]
fn a_filter_runs_only_the_tests_it_names() {
    let file = gateway_with_tests("filtered_test", TESTS);
    let out = proxyc_test(&[&file], &["--filter", "passes"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains("running 1 test of filtered_test"),
        "{stdout}"
    );
    assert!(
        stdout.contains("1 passed, 0 failed, 3 filtered out"),
        "{stdout}"
    );
    let out = proxyc_test(&[&file], &["--filter", "passes", "--exact"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("running 0 tests"));
}

#[test]
fn a_test_with_a_mistake_is_a_diagnostic_and_builds_nothing() {
    let file = gateway_with_tests(
        "mistaken_test",
        "test \"x\" { send GET \"http://api.example.com/\" expect upstream apj }\n",
    );
    let out = proxyc_test(&[&file], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("E0101") && stderr.contains("did you mean `api`?"),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("running"));
}

/// An `https://` test arrives over TLS on the program's `listen https`: the server name it
/// sends and the certificate it presents are what `tls.sni` and `tls.client_subject` read.
#[test]
fn an_https_test_sends_its_server_name_and_client_certificate() {
    let pki = pxy_tests::Pki::generate("pxy-test-tls");
    let dir = scratch_dir("tls_test");
    let file = dir.join("tls_test.pxy");
    let source = format!(
        r#"listen https 127.0.0.1:8443 {{
    cert "{d}/api.pem" key "{d}/api.key"
    client_ca "{d}/ca.pem" optional
}}

route {{
    respond 200 "{{tls.sni ?? "-"}} {{tls.client_subject ?? "-"}} {{req.scheme}}\n"
}}

test "a name and a certificate" {{
    send GET "https://api.example.test/" {{
        sni "www.example.test"
        cert "{d}/client.pem" key "{d}/client.key"
    }}
    expect 200 {{
        body contains "www.example.test "
        body contains "alice"
        body contains " https"
    }}
}}

test "the URL's host is the default name, and no certificate" {{
    send GET "https://api.example.test/"
    expect 200 {{
        body "api.example.test - https\n"
    }}
}}
"#,
        d = pki.dir_str()
    );
    std::fs::write(&file, source).unwrap();
    let out = proxyc_test(&[&file], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("2 passed, 0 failed"), "{stdout}");
}

/// A discovered upstream is stood in for without its source: a name that never resolves
/// (`.invalid`, RFC 6761) and a file that is not there still make a test binary, and the test
/// says how many servers there are (`upstream NAME discovers N`) to pick and expect one.
#[test]
fn discovered_upstreams_get_the_stand_ins_the_test_asks_for() {
    let dir = scratch_dir("discovery_test");
    let file = dir.join("discovery_test.pxy");
    let source = r#"listen http 127.0.0.1:8080

upstream api {
    discover dns "api.nowhere.invalid" port 8080
}

upstream files {
    discover file "servers.txt"
}

route path "/files/" { proxy files }
route { proxy api }

test "the third of three discovered servers" {
    send GET "http://a.example/x"
    upstream api discovers 3
    upstream api picks server 3
    expect upstream api server 3
    reply 200
    expect 200
}

test "one stand-in when the test does not say" {
    send GET "http://a.example/files/y"
    expect upstream files server 1 {
        path "/files/y"
    }
    reply 204
    expect 204
}

test "a wrong server is a failure" {
    send GET "http://a.example/x"
    upstream api discovers 2
    upstream api picks server 2
    expect upstream api server 1
    reply 200
    expect 200
}
"#;
    std::fs::write(&file, source).unwrap();
    let out = proxyc_test(&[&file], &[]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("2 passed, 1 failed"), "{stdout}");
    assert!(
        stdout.contains("expected: upstream api (server 1)")
            && stdout.contains("actual:   upstream api (server 2)"),
        "{stdout}"
    );
}
