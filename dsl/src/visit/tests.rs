use std::collections::BTreeSet;

use super::*;
use crate::parse;

/// A program that uses every item, upstream line, matcher, statement and expression of the
/// language; the parser's tests use it too.
pub(crate) const EVERY_CONSTRUCT: &str = r#"include "common.pxy"
server { threads 4 admin 127.0.0.1:9100 }
listen https 0.0.0.0:8443 { cert "c.pem" key "k.pem" alpn h2, http/1.1 client_ca "ca.pem" required }
upstream api {
    server 127.0.0.1:9001 weight 3 backup
    balance hash(req.path)
    discover dns "api.internal" port 8080 every 30s
    health http GET "/healthz" expect 200 every 2s
    passive fails 3 cool_down 10s
    retries 2
}
route "api" host "a.example" path "/v1/" method GET, HEAD header "x-env" == "prod" { proxy api }
route path ~ /^\/u\/(\d+)$/ as m {
    if req.path matches /y/ as n { set req.headers["x"] = "{m[1]}" }
    else if !true { redirect 308 "/z" }
    else { respond error.status }
    add resp.headers["a"] = [1, 5s, 64KB]
    remove req.headers["b"]
    respond 200 "ok" headers { "k" = lower("v") }
    strip_prefix "/v1"
    rewrite path = "/x"
    let inside = client.ip in 10.0.0.0/8 || client.ip == 10.0.0.1
    let get = req.method == GET && false
}
on request { let v = 7 % 2 ?? 0 }
test "t" {
    send POST "https://a.example/v1/x?q=1" { header "x-k" = "v" client 203.0.113.7 body "b" sni "b.example" cert "c.pem" key "k.pem" }
    send GET "http://a.example/" times 2 { user "u" password "p" jwt RS256 "k.pem" cookie "t" { kid "k" claim "sub" = "u" expires 1m expired 1s } }
    upstream api picks server 1
    upstream api replies 401 "no" { header "x" = "1" }
    upstream api cert "o.pem" key "o.key"
    upstream api discovers 2
    fail upstream api with reset
    expect upstream api server 1 { path "/x" method POST header "x-k" = "v" header "x-k" contains "v" no header "y" body "b" body contains "b" }
    reply 201 "made" { header "x-r" = "1" }
    expect 201 { body "made" }
    expect log { field "user" = "ann" field "cache" contains "m" no field "debug" }
}
"#;

/// Every span of `program`, in the order the walk passes them.
pub(crate) fn spans(program: &ParsedProgram) -> Vec<Span> {
    struct Spans(Vec<Span>);
    impl Visit<'_> for Spans {
        fn visit_span(&mut self, span: Span) {
            self.0.push(span);
        }
    }
    let mut spans = Spans(Vec::new());
    spans.visit_program(program);
    spans.0
}

/// The name of an enum value's variant, from its `Debug` form: `Binary { .. }` is "Binary".
fn variant(value: &dyn std::fmt::Debug) -> String {
    format!("{value:?}")
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .collect()
}

/// Records which visit methods ran, and which variant each enum node had.
#[derive(Default)]
struct Kinds(BTreeSet<String>);

impl Kinds {
    fn saw(&mut self, what: &str) {
        self.0.insert(what.to_string());
    }
}

impl<'ast> Visit<'ast> for Kinds {
    fn visit_program(&mut self, program: &'ast ParsedProgram) {
        self.saw("program");
        walk_program(self, program);
    }
    fn visit_item(&mut self, item: &'ast Item) {
        self.saw(&format!("item {}", variant(item)));
        walk_item(self, item);
    }
    fn visit_include(&mut self, include: &'ast Include) {
        self.saw("include");
        walk_include(self, include);
    }
    fn visit_test(&mut self, test: &'ast TestDecl) {
        self.saw("test");
        walk_test(self, test);
    }
    fn visit_test_item(&mut self, item: &'ast TestItem) {
        self.saw(&format!("test_item {}", variant(item)));
        walk_test_item(self, item);
    }
    fn visit_test_check(&mut self, check: &'ast TestCheck) {
        self.saw(&format!("test_check {}", variant(&check.kind)));
        walk_test_check(self, check);
    }
    fn visit_server_block(&mut self, block: &'ast ServerBlock) {
        self.saw("server_block");
        walk_server_block(self, block);
    }
    fn visit_server_setting(&mut self, setting: &'ast ServerSetting) {
        self.saw(&format!("server_setting {}", variant(&setting.value)));
        walk_server_setting(self, setting);
    }
    fn visit_listen(&mut self, listen: &'ast Listen) {
        self.saw("listen");
        walk_listen(self, listen);
    }
    fn visit_listen_item(&mut self, item: &'ast ListenItem) {
        self.saw(&format!("listen_item {}", variant(item)));
        walk_listen_item(self, item);
    }
    fn visit_upstream(&mut self, upstream: &'ast UpstreamDecl) {
        self.saw("upstream");
        walk_upstream(self, upstream);
    }
    fn visit_upstream_item(&mut self, item: &'ast UpstreamItem) {
        self.saw(&format!("upstream_item {}", variant(item)));
        walk_upstream_item(self, item);
    }
    fn visit_server(&mut self, server: &'ast ServerDecl) {
        self.saw("server");
        walk_server(self, server);
    }
    fn visit_setting(&mut self, setting: &'ast Setting) {
        self.saw("setting");
        walk_setting(self, setting);
    }
    fn visit_route(&mut self, route: &'ast Route) {
        self.saw("route");
        walk_route(self, route);
    }
    fn visit_matcher(&mut self, matcher: &'ast Matcher) {
        self.saw(&format!("matcher {}", variant(&matcher.kind)));
        walk_matcher(self, matcher);
    }
    fn visit_on_block(&mut self, on: &'ast OnBlock) {
        self.saw("on_block");
        walk_on_block(self, on);
    }
    fn visit_block(&mut self, block: &'ast Block) {
        self.saw("block");
        walk_block(self, block);
    }
    fn visit_stmt(&mut self, stmt: &'ast Stmt) {
        self.saw(&format!("stmt {}", variant(&stmt.kind)));
        walk_stmt(self, stmt);
    }
    fn visit_else(&mut self, else_: &'ast Else) {
        self.saw(&format!("else {}", variant(else_)));
        walk_else(self, else_);
    }
    fn visit_status(&mut self, status: &'ast Status) {
        self.saw(&format!("status {}", variant(status)));
        walk_status(self, status);
    }
    fn visit_header_entry(&mut self, entry: &'ast HeaderEntry) {
        self.saw("header_entry");
        walk_header_entry(self, entry);
    }
    fn visit_place(&mut self, place: &'ast Place) {
        self.saw("place");
        walk_place(self, place);
    }
    fn visit_expr(&mut self, expr: &'ast Expr) {
        self.saw(&format!("expr {}", variant(&expr.kind)));
        if let ExprKind::Binary { op, .. } = &expr.kind {
            self.saw(&format!("op {op:?}"));
        }
        walk_expr(self, expr);
    }
    fn visit_str_part(&mut self, part: &'ast StrPart) {
        self.saw(&format!("str_part {}", variant(part)));
        walk_str_part(self, part);
    }
    fn visit_ident(&mut self, ident: &'ast Ident) {
        self.saw("ident");
        walk_ident(self, ident);
    }
    fn visit_text(&mut self, text: &'ast Text) {
        self.saw("text");
        walk_text(self, text);
    }
    fn visit_int_lit(&mut self, int: &'ast IntLit) {
        self.saw("int_lit");
        walk_int_lit(self, int);
    }
    fn visit_span(&mut self, _span: Span) {
        self.saw("span");
    }
}

#[test]
fn the_walk_reaches_every_kind_of_node() {
    let program = parse(EVERY_CONSTRUCT).expect("parses");
    let mut kinds = Kinds::default();
    kinds.visit_program(&program);
    let expected = [
        "program",
        "item Include",
        "item Server",
        "item Listen",
        "item Upstream",
        "item Route",
        "item On",
        "item Test",
        "test",
        "test_item Send",
        "test_item Pick",
        "test_item Replies",
        "test_item Fail",
        "test_item Discovers",
        "test_item OriginCert",
        "test_item ExpectUpstream",
        "test_item Reply",
        "test_item Expect",
        "test_item ExpectLog",
        "test_check Field",
        "test_check NoField",
        "test_check Path",
        "test_check Method",
        "test_check Header",
        "test_check NoHeader",
        "test_check Body",
        "include",
        "server_block",
        "server_setting Address",
        "server_setting Value",
        "listen",
        "listen_item Cert",
        "listen_item Alpn",
        "listen_item ClientCa",
        "upstream",
        "upstream_item Server",
        "upstream_item Balance",
        "upstream_item Discover",
        "upstream_item Health",
        "upstream_item Passive",
        "upstream_item Setting",
        "server",
        "setting",
        "route",
        "matcher Host",
        "matcher PathPrefix",
        "matcher PathRegex",
        "matcher Method",
        "matcher Header",
        "on_block",
        "block",
        "stmt Set",
        "stmt Add",
        "stmt Remove",
        "stmt Respond",
        "stmt Redirect",
        "stmt StripPrefix",
        "stmt RewritePath",
        "stmt Proxy",
        "stmt If",
        "stmt Let",
        "else Block",
        "else If",
        "status Literal",
        "status Field",
        "header_entry",
        "place",
        "expr Str",
        "expr Int",
        "expr Duration",
        "expr Size",
        "expr Bool",
        "expr Regex",
        "expr Method",
        "expr Ip",
        "expr Cidr",
        "expr Path",
        "expr Index",
        "expr List",
        "expr Call",
        "expr Not",
        "expr Binary",
        "op Or",
        "op And",
        "op Coalesce",
        "op Eq",
        "op Matches",
        "op In",
        "op Mod",
        "str_part Text",
        "str_part Interp",
        "ident",
        "text",
        "int_lit",
        "span",
    ];
    let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
    assert_eq!(kinds.0, expected);
}

/// The source text of every expression and name, in the order the walk reaches them.
#[derive(Default)]
struct Written<'src> {
    source: &'src str,
    seen: Vec<String>,
}

impl Written<'_> {
    fn push(&mut self, what: &str, span: Span) {
        let text = &self.source[span.start..span.end];
        self.seen.push(format!("{what} {text}"));
    }
}

impl<'ast> Visit<'ast> for Written<'_> {
    fn visit_expr(&mut self, expr: &'ast Expr) {
        self.push("expr", expr.span);
        walk_expr(self, expr);
    }
    fn visit_ident(&mut self, ident: &'ast Ident) {
        self.push("ident", ident.span);
    }
}

#[test]
fn the_walk_visits_expressions_and_names_in_source_order() {
    let source = r#"upstream a { balance hash(req.path) retries 2 }
route path ~ /x(.)/ as m { if !ok as n { set req.headers["x"] = "{m[1]}" } else { respond error.status [1] } proxy a }
on request { let v = a ?? b == c }"#;
    let program = parse(source).expect("parses");
    let mut written = Written {
        source,
        ..Written::default()
    };
    written.visit_program(&program);
    let expected = [
        "ident a",
        "ident hash",
        "expr req.path",
        "ident req",
        "ident path",
        "ident retries",
        "expr 2",
        "ident m",
        "expr !ok",
        "expr ok",
        "ident ok",
        "ident n",
        "ident req",
        "ident headers",
        "expr \"x\"",
        "expr \"{m[1]}\"",
        "expr m[1]",
        "expr m",
        "ident m",
        "expr 1",
        "expr error.status",
        "ident error",
        "ident status",
        "expr [1]",
        "expr 1",
        "ident a",
        "ident request",
        "ident v",
        "expr a ?? b == c",
        "expr a ?? b",
        "expr a",
        "ident a",
        "expr b",
        "ident b",
        "expr c",
        "ident c",
    ];
    assert_eq!(written.seen, expected);
}

#[test]
fn overriding_only_visit_expr_still_reaches_every_expression() {
    struct Count(usize);
    impl Visit<'_> for Count {
        fn visit_expr(&mut self, expr: &Expr) {
            self.0 += 1;
            walk_expr(self, expr);
        }
    }
    // `req.path` (the key of `hash`); `"{client.ip}"`, `client.ip`; `!(a == 1)`, `a == 1`,
    // `a`, `1`; `req.headers["x"]`'s key `"x"`; `[2, 3]`, `2`, `3`.
    let source = r#"upstream u { balance hash(req.path) }
route { respond 200 "{client.ip}" }
on request { if !(a == 1) { set req.headers["x"] = [2, 3] } }"#;
    let mut count = Count(0);
    count.visit_program(&parse(source).expect("parses"));
    assert_eq!(count.0, 11);
}

#[test]
fn an_override_that_does_not_walk_prunes_the_subtree() {
    struct OutsideRoutes(usize);
    impl Visit<'_> for OutsideRoutes {
        fn visit_route(&mut self, _route: &Route) {}
        fn visit_expr(&mut self, expr: &Expr) {
            self.0 += 1;
            walk_expr(self, expr);
        }
    }
    let source = r#"route { respond 200 "a" } on request { set req.headers["x"] = "b" }"#;
    let mut count = OutsideRoutes(0);
    count.visit_program(&parse(source).expect("parses"));
    assert_eq!(count.0, 2, "the key and the value in `on request` only");
}

#[test]
fn every_span_is_reported_in_source_order() {
    let program = parse(EVERY_CONSTRUCT).expect("parses");
    let spans = spans(&program);
    // Pre-order in source order: a node starts where or after its predecessor starts.
    assert!(
        spans.windows(2).all(|w| w[0].start <= w[1].start),
        "{spans:?}"
    );
    assert!(spans.len() > 150, "{}", spans.len());
}
