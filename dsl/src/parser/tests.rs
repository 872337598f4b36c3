use super::{parse, parse_at};
use crate::ast::*;
use crate::visit::tests::{spans, EVERY_CONSTRUCT};
use crate::{ParseError, Span};

#[test]
fn parses_every_item_kind() {
    let src = r#"
        listen http 127.0.0.1:8080   # comment
        upstream api { balance round_robin server 127.0.0.1:9001 weight 3 server 127.0.0.1:9002 connect_timeout 1s }
        on request { set req.headers["x-id"] = req.headers["x-id"] ?? request_id() }
        route host "a.example" path "/v1/" method GET, HEAD header "x-env" == "prod" {
            if !(req.path starts_with "/v1/admin") && client.ip in 10.0.0.0/8 { respond 403 "no" }
            else if req.path == "/x" { redirect 308 "https://{req.host}{req.path}" }
            strip_prefix "/v1"
            proxy api
        }
        route path ~ /^\/static\/.+\.css$/ { respond 200 "ok" headers { "content-type" = "text/css" } }
        on response { remove resp.headers["x-powered-by"] }
    "#;
    let program = parse(src).expect("parses");
    assert_eq!(program.items.len(), 6);
    let Item::Route(route) = &program.items[3] else {
        panic!("route")
    };
    assert_eq!(route.matchers.len(), 4);
    assert_eq!(
        &src[route.head_span.start..route.head_span.end],
        r#"route host "a.example" path "/v1/" method GET, HEAD header "x-env" == "prod""#
    );
    let Item::Route(re) = &program.items[4] else {
        panic!("route")
    };
    let MatcherKind::PathRegex { regex, .. } = &re.matchers[0].kind else {
        panic!("regex")
    };
    assert_eq!(regex.value, r"^/static/.+\.css$");
}

#[test]
fn a_top_level_server_block_holds_addresses_and_literals() {
    let src = "server {\n    threads 4\n    admin [::1]:9100\n    access 64KiB\n    x on\n}\n";
    let program = parse(src).expect("parses");
    let Item::Server(block) = &program.items[0] else {
        panic!("server block")
    };
    let values: Vec<(&str, &ServerValue)> = block
        .settings
        .iter()
        .map(|s| (s.name.name.as_str(), &s.value))
        .collect();
    assert!(matches!(
        values[0],
        (
            "threads",
            ServerValue::Value(Expr {
                kind: ExprKind::Int(4),
                ..
            })
        )
    ));
    let ("admin", ServerValue::Address(addr)) = values[1] else {
        panic!("an address: {values:?}")
    };
    assert_eq!(addr.value, "[::1]:9100");
    assert!(matches!(
        values[2],
        (
            "access",
            ServerValue::Value(Expr {
                kind: ExprKind::Size(65536),
                ..
            })
        )
    ));
    assert!(matches!(
        values[3],
        (
            "x",
            ServerValue::Value(Expr {
                kind: ExprKind::Path(_),
                ..
            })
        )
    ));
    // Inside an upstream `server` still takes an address.
    assert!(parse("server 127.0.0.1:80").is_err());
}

#[test]
fn precedence_or_and_coalesce() {
    let p = parse(r#"on request { if a || b && c ?? d == e { respond 200 } }"#).unwrap();
    let Item::On(on) = &p.items[0] else { panic!() };
    let StmtKind::If { cond, .. } = &on.body.stmts[0].kind else {
        panic!()
    };
    let ExprKind::Binary {
        op: BinOp::Or, rhs, ..
    } = &cond.kind
    else {
        panic!("or at top: {cond:?}")
    };
    let ExprKind::Binary {
        op: BinOp::And,
        rhs,
        ..
    } = &rhs.kind
    else {
        panic!("and")
    };
    let ExprKind::Binary {
        op: BinOp::Eq, lhs, ..
    } = &rhs.kind
    else {
        panic!("eq")
    };
    assert!(matches!(
        lhs.kind,
        ExprKind::Binary {
            op: BinOp::Coalesce,
            ..
        }
    ));
}

#[test]
fn literals_carry_units() {
    let p =
        parse("upstream u { server 1.2.3.4:80 read_timeout 2m connect_timeout 150ms retries 2 }")
            .unwrap();
    let Item::Upstream(u) = &p.items[0] else {
        panic!()
    };
    let values: Vec<_> = u
        .items
        .iter()
        .filter_map(|i| match i {
            UpstreamItem::Setting(s) => Some(s.value.kind.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        values,
        vec![
            ExprKind::Duration(120_000),
            ExprKind::Duration(150),
            ExprKind::Int(2)
        ]
    );
}

#[test]
fn string_interpolation_and_escapes() {
    let p = parse(r#"route { respond 200 "a{{b}} {req.path}\n" }"#).unwrap();
    let Item::Route(r) = &p.items[0] else {
        panic!()
    };
    let StmtKind::Respond {
        body: Some(body), ..
    } = &r.body.stmts[0].kind
    else {
        panic!()
    };
    let ExprKind::Str(parts) = &body.kind else {
        panic!()
    };
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[0], StrPart::Text("a{b} ".into()));
    assert_eq!(parts[2], StrPart::Text("\n".into()));
}

#[test]
fn errors_are_described_in_words() {
    let err = parse("upstream api { server 127.0.0.1 }").unwrap_err();
    let crate::ParseErrorKind::Unexpected { expected, .. } = &err.kind else {
        panic!()
    };
    assert!(
        expected.contains(&"an address like `127.0.0.1:8080`"),
        "{expected:?}"
    );
}

#[test]
fn never_panics_on_odd_input() {
    for src in [
        "",
        "{",
        "route",
        "route {",
        "\"",
        "on request { set = }",
        "listen http [::1",
        "route { respond 99999999999999999999999 }",
        "route path ~ /\\",
        "😀",
        "route { respond 200 \"{\" }",
    ] {
        let _ = parse(src);
    }
}

#[test]
fn hostile_nesting_is_an_error_not_a_crash() {
    let deep = format!(
        "route {{ if {}true{} {{ respond 200 }} respond 404 }}",
        "(".repeat(100_000),
        ")".repeat(100_000)
    );
    assert_eq!(
        parse(&deep).unwrap_err().kind,
        crate::ParseErrorKind::TooDeep
    );
    let long = format!(
        "route {{ if {} {{ respond 200 }} respond 404 }}",
        vec!["true"; 100_000].join(" || ")
    );
    assert_eq!(
        parse(&long).unwrap_err().kind,
        crate::ParseErrorKind::TooDeep
    );
    let nots = format!(
        "route {{ if {}true {{ respond 200 }} respond 404 }}",
        "!".repeat(100_000)
    );
    assert_eq!(
        parse(&nots).unwrap_err().kind,
        crate::ParseErrorKind::TooDeep
    );
    let ok = format!(
        "route {{ if {} {{ respond 200 }} respond 404 }}",
        vec!["true"; 100].join(" || ")
    );
    assert!(parse(&ok).is_ok());
}

#[test]
fn parsing_at_a_base_moves_every_span_by_it() {
    let at_0 = parse(EVERY_CONSTRUCT).expect("parses");
    let at_1000 = parse_at(EVERY_CONSTRUCT, 1000).expect("parses");
    let moved: Vec<Span> = spans(&at_0)
        .into_iter()
        .map(|s| Span::new(s.start + 1000, s.end + 1000))
        .collect();
    assert_eq!(spans(&at_1000), moved);
    // The same text after 1000 bytes of white space gives the same tree, values and all.
    let padded = format!("{}{EVERY_CONSTRUCT}", " ".repeat(1000));
    assert_eq!(at_1000, parse(&padded).expect("parses"));
}

#[test]
fn parsing_at_a_base_moves_the_error_by_it() {
    let deep = format!(
        "route {{ if {}true{} {{ }} }}",
        "(".repeat(200),
        ")".repeat(200)
    );
    for source in [
        "upstream api { server 127.0.0.1 }",
        "route { respond 99999999999999999999999 }",
        "upstream u { server 1.2.3.4:80 weight 99999999999999999999999 }",
        "route host \"{req.host}\" { }",
        "route {",
        deep.as_str(),
    ] {
        let at_0 = parse(source).expect_err(source);
        let at_1000 = parse_at(source, 1000).expect_err(source);
        let moved = ParseError {
            span: Span::new(at_0.span.start + 1000, at_0.span.end + 1000),
            ..at_0
        };
        assert_eq!(at_1000, moved, "{source}");
    }
}
