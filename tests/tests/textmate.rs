//! The TextMate grammar `grammar/pxy.tmLanguage.json`: every regex in it compiles (the grammar
//! keeps to the syntax Oniguruma and the `regex` crate share: no lookaround, no backreferences),
//! and a small TextMate matcher run over every line of `examples/*.pxy` gives every keyword a
//! keyword scope and scopes every comment and string.
//!
//! What counts as a keyword comes from `grammar/pxy.pest`; where strings and regexes are comes
//! from the parser's AST, so neither is the grammar's own opinion.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use pxy_dsl::ast::{Block, Else, Expr, ExprKind, Item, MatcherKind, StmtKind};
use pxy_dsl::Span;
use regex::Regex;
use serde_json::Value;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn grammar() -> Value {
    let text = std::fs::read_to_string(root().join("grammar/pxy.tmLanguage.json")).expect("read");
    serde_json::from_str(&text).expect("the grammar is JSON")
}

/// The keywords of `grammar/pxy.pest`: the words of its `keyword` rule.
fn keywords() -> Vec<String> {
    let pest = std::fs::read_to_string(root().join("grammar/pxy.pest")).expect("read");
    let start = pest.find("\nkeyword ").expect("a keyword rule");
    let rule = &pest[start..start + pest[start..].find('}').expect("rule end")];
    let words: Vec<String> = Regex::new(r#""([a-z_]+)""#)
        .expect("regex")
        .captures_iter(rule)
        .map(|c| c[1].to_string())
        .collect();
    assert!(words.len() > 20, "{words:?}");
    words
}

/// A TextMate matcher: enough of the format for this grammar (`match` with `captures`,
/// `begin`/`end` regions with `patterns`, `include` of repository entries), one line at a time.
struct Matcher {
    grammar: Value,
    regexes: HashMap<String, Regex>,
}

/// A scope over a byte range of a line.
#[derive(Debug)]
struct Token {
    start: usize,
    end: usize,
    scope: String,
}

impl Matcher {
    fn new(grammar: Value) -> Matcher {
        let mut sources = Vec::new();
        collect_regexes(&grammar, &mut sources);
        let regexes = sources
            .into_iter()
            .map(|s| {
                let re = Regex::new(&s).unwrap_or_else(|e| panic!("{s:?} does not compile: {e}"));
                (s, re)
            })
            .collect();
        Matcher { grammar, regexes }
    }

    fn regex(&self, source: &Value) -> &Regex {
        &self.regexes[source.as_str().expect("a regex is a string")]
    }

    /// A pattern list with `include`s replaced by what they name, flattened.
    fn rules<'a>(&'a self, patterns: &'a Value) -> Vec<&'a Value> {
        let mut out = Vec::new();
        for p in patterns.as_array().into_iter().flatten() {
            let p = match p["include"].as_str() {
                Some(name) => {
                    let name = name.strip_prefix('#').expect("only repository includes");
                    &self.grammar["repository"][name]
                }
                None => p,
            };
            assert!(p.is_object(), "unresolved pattern {p}");
            if p.get("match").is_some() || p.get("begin").is_some() {
                out.push(p);
            } else {
                out.extend(self.rules(&p["patterns"]));
            }
        }
        out
    }

    fn tokenize(&self, line: &str) -> Vec<Token> {
        let mut out = Vec::new();
        let top = self.rules(&self.grammar["patterns"]);
        let end = self.scan(line, 0, line.len(), &top, None, &mut out);
        assert_eq!(end, None, "a region is left open at the end of {line:?}");
        out
    }

    /// Scans `line[pos..limit]` with `rules` until the `end` of `region` matches. Returns where
    /// the end match finished, or `None` when the limit came first.
    fn scan(
        &self,
        line: &str,
        mut pos: usize,
        limit: usize,
        rules: &[&Value],
        region: Option<&Value>,
        out: &mut Vec<Token>,
    ) -> Option<usize> {
        let text = &line[..limit];
        while pos <= text.len() {
            // The earliest match wins; on a tie the end pattern, then the first rule.
            let mut best: Option<(usize, Option<&Value>, regex::Captures<'_>)> = None;
            if let Some(region) = region {
                if let Some(c) = self.regex(&region["end"]).captures_at(text, pos) {
                    best = Some((c.get(0).map_or(0, |m| m.start()), None, c));
                }
            }
            for rule in rules {
                let source = rule
                    .get("match")
                    .or_else(|| rule.get("begin"))
                    .expect("rule");
                if let Some(c) = self.regex(source).captures_at(text, pos) {
                    let start = c.get(0).map_or(0, |m| m.start());
                    if best.as_ref().is_none_or(|(s, _, _)| start < *s) {
                        best = Some((start, Some(*rule), c));
                    }
                }
            }
            let (start, rule, caps) = best?;
            let whole = caps.get(0).expect("group 0");
            let Some(rule) = rule else {
                let end_captures = region.map_or(&Value::Null, |r| &r["endCaptures"]);
                self.captures(line, &caps, end_captures, out);
                return Some(whole.end());
            };
            if rule.get("match").is_some() {
                self.name(rule, start, whole.end(), out);
                self.captures(line, &caps, &rule["captures"], out);
                pos = whole.end();
            } else {
                self.captures(line, &caps, &rule["beginCaptures"], out);
                let inner = self.rules(&rule["patterns"]);
                let closed = self
                    .scan(line, whole.end(), limit, &inner, Some(rule), out)
                    .unwrap_or_else(|| panic!("region {} not closed in {line:?}", rule["begin"]));
                self.name(rule, start, closed, out);
                pos = closed;
            }
            if whole.is_empty() {
                pos += text[pos..].chars().next().map_or(1, char::len_utf8);
            }
        }
        None
    }

    fn name(&self, rule: &Value, start: usize, end: usize, out: &mut Vec<Token>) {
        if let Some(scope) = rule["name"].as_str() {
            out.push(Token {
                start,
                end,
                scope: scope.to_string(),
            });
        }
    }

    fn captures(&self, line: &str, caps: &regex::Captures<'_>, spec: &Value, out: &mut Vec<Token>) {
        for (group, capture) in spec.as_object().into_iter().flatten() {
            let Some(m) = group.parse().ok().and_then(|g: usize| caps.get(g)) else {
                continue;
            };
            self.name(capture, m.start(), m.end(), out);
            if capture.get("patterns").is_some() {
                let rules = self.rules(&capture["patterns"]);
                self.scan(line, m.start(), m.end(), &rules, None, out);
            }
        }
    }
}

fn collect_regexes(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("match" | "begin" | "end", Value::String(s)) => out.push(s.clone()),
                    _ => collect_regexes(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_regexes(v, out)),
        _ => {}
    }
}

/// Spans of string and regex literals (outermost: an interpolated string is one span).
fn literal_spans(source: &str) -> Vec<Span> {
    let program = pxy_dsl::parse(source).expect("the example parses");
    let mut spans = Vec::new();
    for item in &program.items {
        match item {
            Item::Route(route) => {
                for m in &route.matchers {
                    match &m.kind {
                        MatcherKind::Host(t)
                        | MatcherKind::PathPrefix(t)
                        | MatcherKind::PathRegex { regex: t, .. } => spans.push(t.span),
                        MatcherKind::Header { name, value } => {
                            spans.push(name.span);
                            spans.extend(value.as_ref().map(|v| v.span));
                        }
                        MatcherKind::Method(_) => {}
                    }
                }
                block(&route.body, &mut spans);
                for on in &route.on {
                    block(&on.body, &mut spans);
                }
            }
            Item::On(on) => block(&on.body, &mut spans),
            Item::Limit(limit) => expr(&limit.key, &mut spans),
            Item::Listen(_) | Item::Upstream(_) | Item::Server(_) | Item::Cache(_) => {}
            Item::Jwt(jwt) => jwt.options.iter().for_each(|o| expr(&o.value, &mut spans)),
            Item::BasicAuth(b) => b.options.iter().for_each(|o| expr(&o.value, &mut spans)),
            Item::ForwardAuth(f) => f.options.iter().for_each(|o| expr(&o.value, &mut spans)),
            Item::Include(i) => spans.push(i.path.span),
            Item::Data(d) => spans.push(d.path.span),
            Item::Test(test) => test_spans(test, &mut spans),
        }
    }
    spans
}

/// The string literals of a test (every text but the client address).
fn test_spans(test: &pxy_dsl::ast::TestDecl, spans: &mut Vec<Span>) {
    use pxy_dsl::ast::{SendPart, TestCheckKind, TestItem, TokenPart};
    spans.push(test.name.span);
    let checks = |checks: &[pxy_dsl::ast::TestCheck], spans: &mut Vec<Span>| {
        for check in checks {
            match &check.kind {
                TestCheckKind::Path(t) | TestCheckKind::NoHeader(t) => spans.push(t.span),
                TestCheckKind::Header { name, value, .. }
                | TestCheckKind::Field { name, value, .. } => spans.extend([name.span, value.span]),
                TestCheckKind::NoField(t) => spans.push(t.span),
                TestCheckKind::Body { value, .. } => spans.push(value.span),
                TestCheckKind::Method(_) => {}
            }
        }
    };
    for item in &test.items {
        match item {
            TestItem::Send(send) => {
                spans.push(send.url.span);
                for part in &send.parts {
                    match part {
                        SendPart::Header(h) => spans.extend([h.name.span, h.value.span]),
                        SendPart::Body(t) | SendPart::Sni(t) => spans.push(t.span),
                        SendPart::Certificate { cert, key, .. } => {
                            spans.extend([cert.span, key.span])
                        }
                        SendPart::User { user, password, .. } => {
                            spans.extend([user.span, password.span])
                        }
                        SendPart::Token(token) => {
                            spans.push(token.key.span);
                            spans.extend(token.cookie.as_ref().map(|c| c.span));
                            for part in &token.parts {
                                match part {
                                    TokenPart::Kid(t) => spans.push(t.span),
                                    TokenPart::Claim { name, value, .. } => {
                                        spans.extend([name.span, value.span])
                                    }
                                    TokenPart::Expires(_) | TokenPart::Expired(_) => {}
                                }
                            }
                        }
                        SendPart::Client(_) => {}
                    }
                }
            }
            TestItem::Reply(reply) | TestItem::Replies { reply, .. } => {
                spans.extend(reply.body.as_ref().map(|b| b.span));
                spans.extend(
                    reply
                        .headers
                        .iter()
                        .flat_map(|h| [h.name.span, h.value.span]),
                );
            }
            TestItem::ExpectUpstream { checks: c, .. }
            | TestItem::Expect { checks: c, .. }
            | TestItem::ExpectLog { checks: c, .. } => checks(c, spans),
            TestItem::OriginCert { cert, key, .. } => spans.extend([cert.span, key.span]),
            TestItem::Pick { .. } | TestItem::Discovers { .. } | TestItem::Fail { .. } => {}
        }
    }
}

fn block(block_: &Block, spans: &mut Vec<Span>) {
    for stmt in &block_.stmts {
        stmt_spans(&stmt.kind, spans);
    }
}

fn stmt_spans(kind: &StmtKind, spans: &mut Vec<Span>) {
    match kind {
        StmtKind::Set { place, value } | StmtKind::Add { place, value } => {
            place.key.iter().for_each(|k| expr(k, spans));
            expr(value, spans);
        }
        StmtKind::Remove { place } => place.key.iter().for_each(|k| expr(k, spans)),
        StmtKind::Respond { body, headers, .. } => {
            body.iter().for_each(|b| expr(b, spans));
            for h in headers {
                spans.push(h.name.span);
                expr(&h.value, spans);
            }
        }
        StmtKind::Redirect { location, .. } => expr(location, spans),
        StmtKind::StripPrefix(e) | StmtKind::RewritePath(e) | StmtKind::Let { value: e, .. } => {
            expr(e, spans)
        }
        StmtKind::Purge { scope, .. } => scope.iter().for_each(|s| expr(&s.value, spans)),
        StmtKind::Compress(settings) => settings.iter().for_each(|s| expr(&s.value, spans)),
        StmtKind::Proxy(_)
        | StmtKind::Cache { .. }
        | StmtKind::VerifyJwt(_)
        | StmtKind::VerifyBasic(_)
        | StmtKind::VerifyForward(_) => {}
        StmtKind::RateLimit { otherwise, .. } => {
            otherwise.iter().for_each(|s| stmt_spans(&s.kind, spans))
        }
        StmtKind::MaxInFlight { key, otherwise, .. } => {
            key.iter().for_each(|k| expr(k, spans));
            otherwise.iter().for_each(|s| stmt_spans(&s.kind, spans));
        }
        StmtKind::If {
            cond, then, else_, ..
        } => {
            expr(cond, spans);
            block(then, spans);
            match else_.as_deref() {
                Some(Else::Block(b)) => block(b, spans),
                Some(Else::If(s)) => stmt_spans(&s.kind, spans),
                None => {}
            }
        }
    }
}

fn expr(e: &Expr, spans: &mut Vec<Span>) {
    match &e.kind {
        ExprKind::Str(_) | ExprKind::Regex(_) => spans.push(e.span),
        ExprKind::Index { base, key } => {
            expr(base, spans);
            expr(key, spans);
        }
        ExprKind::Call { args, .. } | ExprKind::List(args) => {
            args.iter().for_each(|a| expr(a, spans))
        }
        ExprKind::Not(inner) => expr(inner, spans),
        ExprKind::Binary { lhs, rhs, .. } => {
            expr(lhs, spans);
            expr(rhs, spans);
        }
        _ => {}
    }
}

fn covered(tokens: &[Token], start: usize, end: usize, prefix: &str) -> bool {
    tokens
        .iter()
        .any(|t| t.start <= start && end <= t.end && t.scope.starts_with(prefix))
}

#[test]
fn the_grammar_names_the_language_and_every_regex_compiles() {
    let grammar = grammar();
    assert_eq!(grammar["scopeName"], "source.pxy");
    assert_eq!(grammar["fileTypes"], serde_json::json!(["pxy"]));
    // Compiles every `match`, `begin` and `end`, and resolves every include.
    let matcher = Matcher::new(grammar);
    for entry in matcher.grammar["repository"]
        .as_object()
        .expect("a repository")
        .values()
    {
        if let Some(patterns) = entry.get("patterns") {
            matcher.rules(patterns);
        }
    }
}

#[test]
fn examples_get_keyword_comment_and_string_scopes() {
    let matcher = Matcher::new(grammar());
    let keywords = keywords();
    let word = Regex::new(r"\b[A-Za-z_][A-Za-z0-9_]*\b").expect("regex");
    let mut examples: Vec<PathBuf> = std::fs::read_dir(root().join("examples"))
        .expect("examples")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "pxy"))
        .collect();
    examples.sort();
    assert!(!examples.is_empty());
    let (mut keywords_seen, mut comments_seen, mut strings_seen) = (0, 0, 0);
    for path in &examples {
        let source = std::fs::read_to_string(path).expect("read");
        let literals = literal_spans(&source);
        let in_literal =
            |offset: usize| literals.iter().any(|s| s.start <= offset && offset < s.end);
        let mut line_start = 0;
        for (number, line) in source.split('\n').enumerate() {
            let tokens = matcher.tokenize(line);
            let at = |i: usize| format!("{}:{}:{}: {line:?}", path.display(), number + 1, i + 1);
            // A `#` outside strings and regexes starts a comment.
            let comment = line
                .char_indices()
                .find(|(i, c)| *c == '#' && !in_literal(line_start + i))
                .map(|(i, _)| i);
            if let Some(c) = comment {
                assert!(
                    covered(&tokens, c, line.len(), "comment."),
                    "comment at {}",
                    at(c)
                );
                comments_seen += 1;
            }
            let code_end = comment.unwrap_or(line.len());
            for m in word.find_iter(&line[..code_end]) {
                let is_field = line[..m.start()].ends_with('.');
                if in_literal(line_start + m.start())
                    || is_field
                    || !keywords.iter().any(|k| k == m.as_str())
                {
                    continue;
                }
                let want = if matches!(m.as_str(), "true" | "false") {
                    "constant.language."
                } else {
                    "keyword."
                };
                assert!(
                    covered(&tokens, m.start(), m.end(), want),
                    "`{}` is not a {want} at {}: {tokens:#?}",
                    m.as_str(),
                    at(m.start())
                );
                keywords_seen += 1;
            }
            for span in &literals {
                let (start, end) = (
                    span.start.max(line_start),
                    span.end.min(line_start + line.len()),
                );
                if start < end && span.start >= line_start {
                    let (s, e) = (start - line_start, end - line_start);
                    assert!(
                        covered(&tokens, s, e, "string."),
                        "string at {}: {tokens:#?}",
                        at(s)
                    );
                    strings_seen += 1;
                }
            }
            line_start += line.len() + 1;
        }
    }
    assert!(
        keywords_seen > 50 && comments_seen > 5 && strings_seen > 20,
        "{keywords_seen} {comments_seen} {strings_seen}"
    );
}

#[test]
fn expressions_get_their_scopes() {
    let matcher = Matcher::new(grammar());
    let line = r#"    if client.ip in 10.0.0.0/8 && lower(req.path) matches /^\/a\// { respond 200 "é {req.headers["h"] ?? "d"}\n" }  # done"#;
    let tokens = matcher.tokenize(line);
    let scope_of = |needle: &str, prefix: &str| {
        let start = line.find(needle).expect("needle");
        covered(&tokens, start, start + needle.len(), prefix)
    };
    assert!(scope_of("client", "variable.language"));
    assert!(scope_of("ip", "variable.other.member"));
    assert!(scope_of("in", "keyword.operator.word"));
    assert!(scope_of("10.0.0.0/8", "constant.numeric.cidr"));
    assert!(scope_of("&&", "keyword.operator"));
    assert!(scope_of("lower", "support.function"));
    assert!(scope_of(r"/^\/a\//", "string.regexp"));
    assert!(scope_of(r"\/", "constant.character.escape"));
    assert!(scope_of("200", "constant.numeric"));
    assert!(scope_of(
        r#"{req.headers["h"] ?? "d"}"#,
        "meta.interpolation"
    ));
    assert!(scope_of("headers", "variable.other.member"));
    assert!(scope_of(r#""d""#, "string.quoted"));
    assert!(scope_of("??", "keyword.operator"));
    assert!(scope_of(r"\n", "constant.character.escape"));
    assert!(scope_of("# done", "comment.line"));
    let line = "listen http 127.0.0.1:8080 upstream api_x { read_timeout 30s server [::1]:9 }";
    let addresses = matcher.tokenize(line);
    let has = |text: &str, prefix: &str| {
        let start = line.find(text).expect("text");
        covered(&addresses, start, start + text.len(), prefix)
    };
    assert!(has("127.0.0.1:8080", "constant.numeric.address"));
    assert!(has("30s", "constant.numeric.duration"));
    assert!(has("[::1]:9", "constant.numeric.address"));
    assert!(has("api_x", "entity.name.type.upstream"));
}
