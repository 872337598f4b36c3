//! The formatter: one canonical layout for every program, comments kept.
//!
//! `format(format(x)) == format(x)`, and formatting never changes what a program means (the
//! tests compare the parsed trees). Layout: four-space indentation, one statement per line, a
//! blank line between top-level items (consecutive `listen` lines stay together), the user's
//! single blank lines between statements kept, minimal parentheses, canonical literals (`90s`,
//! `64KiB`), trailing commas in `headers { }`.
//!
//! Comments are not in the AST (the grammar skips them); `crate::comments` finds them. Each is
//! printed before the first node that follows it, or at the end of the line of the node it
//! followed on the same line.

use crate::ast::*;
use crate::{parse, ParseError, Span};

/// Formats a program; syntax errors are returned instead.
pub fn format(source: &str) -> Result<String, ParseError> {
    let program = parse(source)?;
    let comments = crate::comments::all(source)
        .into_iter()
        .map(|(at, text)| Comment {
            at,
            text: text.to_string(),
        })
        .collect();
    let mut f = Formatter {
        source,
        out: String::new(),
        comments,
        next: 0,
        indent: 0,
        last_end: 0,
        last_trailing: None,
        prefix: None,
    };
    f.program(&program);
    Ok(f.out)
}

/// A comment in the source: where it starts and its text (from `#`, without the newline).
#[derive(Debug)]
struct Comment {
    at: usize,
    text: String,
}

struct Formatter<'s> {
    source: &'s str,
    out: String,
    comments: Vec<Comment>,
    /// The next comment not yet printed.
    next: usize,
    indent: usize,
    /// Where the last printed node ended in the source (for blank-line detection).
    last_end: usize,
    /// The comment at the end of the last output line, if any.
    last_trailing: Option<String>,
    /// Text the next line starts with after its indentation (`rate_limit x else `).
    prefix: Option<String>,
}

impl Formatter<'_> {
    // ===== Lines and comments =====

    fn line(&mut self, text: &str) {
        self.last_trailing = None;
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        if let Some(prefix) = self.prefix.take() {
            self.out.push_str(&prefix);
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn blank(&mut self) {
        if !self.out.is_empty() && !self.out.ends_with("\n\n") && !self.out.ends_with("{\n") {
            self.out.push('\n');
        }
    }

    /// Whether the source has an empty line between the last printed node and `pos`.
    fn had_blank_line(&self, pos: usize) -> bool {
        let gap = self.source.get(self.last_end.min(pos)..pos).unwrap_or("");
        let mut lines = gap.split('\n');
        lines.next();
        let mut middle: Vec<&str> = lines.collect();
        middle.pop();
        middle.iter().any(|l| l.trim().is_empty())
    }

    /// Prints every comment that starts before `pos` on lines of its own.
    fn comments_before(&mut self, pos: usize) {
        while let Some(c) = self.comments.get(self.next) {
            if c.at >= pos {
                break;
            }
            let text = c.text.clone();
            let at = c.at;
            if self.had_blank_line(at) {
                self.blank();
            }
            self.line(&text);
            self.last_end = at + text.len();
            self.next += 1;
        }
    }

    /// Appends a comment that sits on the same source line after `pos` to the last output line.
    fn trailing(&mut self, pos: usize) {
        let line_end = self.source[pos.min(self.source.len())..]
            .find('\n')
            .map_or(self.source.len(), |i| pos + i);
        if let Some(c) = self.comments.get(self.next) {
            if c.at >= pos && c.at < line_end {
                let text = c.text.clone();
                self.out.pop();
                self.out.push_str("  ");
                self.out.push_str(&text);
                self.out.push('\n');
                self.next += 1;
                self.last_end = line_end;
                self.last_trailing = Some(text);
            }
        }
    }

    // ===== Items =====

    fn program(&mut self, program: &ParsedProgram) {
        // Consecutive one-line items of one kind (listeners, includes, limits) stay together.
        let mut previous_group = None;
        for item in &program.items {
            let span = item_span(item);
            let group = match item {
                Item::Listen(_) => Some("listen"),
                Item::Include(_) => Some("include"),
                Item::Limit(_) => Some("limit"),
                Item::Data(_) => Some("data"),
                Item::Cache(_) => Some("cache"),
                _ => None,
            };
            if !(group.is_some() && group == previous_group && !self.had_blank_line(span.start)) {
                self.blank();
            }
            self.comments_before(span.start);
            if self.had_blank_line(span.start) {
                self.blank();
            }
            match item {
                Item::Listen(l) => self.listen(l),
                Item::Server(b) => self.server_block(b),
                Item::Upstream(u) => self.upstream(u),
                Item::Limit(l) => {
                    self.line(&format!(
                        "limit {} = {} per {}{} by {}",
                        l.name.name,
                        l.requests.value,
                        expr(&l.period),
                        settings(&l.options),
                        expr(&l.key)
                    ));
                    self.end_line(l.span.end);
                }
                Item::Data(d) => {
                    let path = &self.source[d.path.span.start..d.path.span.end];
                    let head = match &d.kind {
                        DataKind::List { element } => {
                            format!("list {}: {}", d.name.name, element.name)
                        }
                        DataKind::Flag => format!("flag {}", d.name.name),
                    };
                    self.line(&format!("{head} from file {path}"));
                    self.end_line(d.span.end);
                }
                Item::Cache(c) => {
                    self.line(&cache_text(&c.name, &c.settings, true));
                    self.end_line(c.span.end);
                }
                Item::Jwt(j) => self.options_block("jwt", &j.name, &j.options, j.span),
                Item::BasicAuth(b) => self.options_block("basic_auth", &b.name, &b.options, b.span),
                Item::ForwardAuth(f) => {
                    self.options_block("forward_auth", &f.name, &f.options, f.span)
                }
                Item::Route(r) => self.route(r),
                Item::On(on) => self.block(&format!("on {}", on.phase.name), &on.body),
                Item::Test(t) => self.test(t),
                Item::Include(i) => {
                    let path = &self.source[i.path.span.start..i.path.span.end];
                    self.line(&format!("include {path}"));
                    self.end_line(i.span.end);
                }
            }
            previous_group = group;
        }
        self.comments_before(usize::MAX);
    }

    fn end_line(&mut self, end: usize) {
        self.last_end = end;
        self.trailing(end);
    }

    fn listen(&mut self, l: &Listen) {
        let head = format!("listen {} {}", l.protocol.name, l.addr.value);
        if l.tls.is_empty() {
            self.line(&head);
            self.end_line(l.span.end);
            return;
        }
        self.line(&format!("{head} {{"));
        self.end_line(brace_after(self.source, l.addr.span.end));
        self.indent += 1;
        for item in &l.tls {
            let span = item.span();
            self.stmt_start(span.start);
            let text = match item {
                ListenItem::Cert { cert, key, .. } => format!(
                    "cert {} key {}",
                    string_text(&cert.value),
                    string_text(&key.value)
                ),
                ListenItem::Alpn { protocols, .. } => {
                    let ids: Vec<&str> = protocols.iter().map(|p| p.value.as_str()).collect();
                    format!("alpn {}", ids.join(", "))
                }
                ListenItem::ClientCa { ca, mode, .. } => {
                    format!("client_ca {} {}", string_text(&ca.value), mode.name)
                }
                ListenItem::ProxyProtocol { .. } => "proxy_protocol".to_string(),
                ListenItem::TrustProxies { addrs, .. } => {
                    let addrs: Vec<String> = addrs.iter().map(expr).collect();
                    format!("trust_proxies {}", addrs.join(", "))
                }
            };
            self.line(&text);
            self.end_line(span.end);
        }
        self.close(l.span.end);
    }

    fn server_block(&mut self, b: &ServerBlock) {
        self.line("server {");
        self.end_line(brace_after(self.source, b.span.start));
        self.indent += 1;
        for setting in &b.settings {
            self.stmt_start(setting.span.start);
            let value = match &setting.value {
                ServerValue::Address(addr) => addr.value.clone(),
                ServerValue::Value(value) => expr(value),
            };
            self.line(&format!("{} {value}", setting.name.name));
            self.end_line(setting.span.end);
        }
        self.close(b.span.end);
    }

    /// `WORD NAME { OPTION VALUE ... }`, one option a line.
    fn options_block(&mut self, word: &str, name: &Ident, options: &[Setting], span: Span) {
        self.line(&format!("{word} {} {{", name.name));
        self.end_line(brace_after(self.source, name.span.end));
        self.indent += 1;
        for option in options {
            self.stmt_start(option.span.start);
            self.line(&setting_text(option));
            self.end_line(option.span.end);
        }
        self.close(span.end);
    }

    fn upstream(&mut self, u: &UpstreamDecl) {
        let open = brace_after(self.source, u.name.span.end);
        self.line(&format!("upstream {} {{", u.name.name));
        self.end_line(open);
        self.indent += 1;
        for item in &u.items {
            let span = item.span();
            self.stmt_start(span.start);
            let text = match item {
                UpstreamItem::Server(s) => {
                    let mut t = format!("server {}", s.addr.value);
                    if let Some(w) = &s.weight {
                        t.push_str(&format!(" weight {}", w.value));
                    }
                    if s.backup {
                        t.push_str(" backup");
                    }
                    t
                }
                UpstreamItem::Balance { policy, key, .. } => match key {
                    Some(k) => format!("balance {}({})", policy.name, expr(k)),
                    None => format!("balance {}", policy.name),
                },
                UpstreamItem::Discover {
                    kind,
                    target,
                    options,
                    ..
                } => {
                    format!(
                        "discover {} {}{}",
                        kind.name,
                        string_text(&target.value),
                        settings(options)
                    )
                }
                UpstreamItem::Health {
                    kind,
                    request,
                    options,
                    ..
                } => {
                    let request = request
                        .as_ref()
                        .map(|(m, p)| format!(" {} {}", m.name, string_text(&p.value)))
                        .unwrap_or_default();
                    format!("health {}{request}{}", kind.name, settings(options))
                }
                UpstreamItem::Passive { options, .. } => format!("passive{}", settings(options)),
                UpstreamItem::Setting(s) => setting_text(s),
            };
            self.line(&text);
            self.end_line(span.end);
        }
        self.close(u.span.end);
    }

    /// Comments and a kept blank line before a statement.
    fn stmt_start(&mut self, start: usize) {
        self.comments_before(start);
        if self.had_blank_line(start) {
            self.blank();
        }
    }

    /// `}` at the end of a block whose last byte is at `end - 1`.
    fn close(&mut self, end: usize) {
        self.comments_before(end.saturating_sub(1));
        self.indent -= 1;
        self.line("}");
        self.end_line(end);
    }

    /// `HEAD {`, the statements, `}`.
    fn block(&mut self, head: &str, body: &Block) {
        self.line(&format!("{head} {{"));
        self.end_line(body.span.start + 1);
        self.indent += 1;
        self.stmts(&body.stmts);
        self.close(body.span.end);
    }

    /// A route: its statements and its `on` blocks, in source order.
    fn route(&mut self, r: &Route) {
        self.line(&format!("{} {{", route_head(r)));
        self.end_line(r.body.span.start + 1);
        self.indent += 1;
        let (mut stmts, mut ons) = (r.body.stmts.iter().peekable(), r.on.iter().peekable());
        loop {
            let on_first = match (stmts.peek(), ons.peek()) {
                (Some(s), Some(o)) => o.span.start < s.span.start,
                (None, Some(_)) => true,
                (_, None) => false,
            };
            if on_first {
                let on = ons.next().expect("peeked");
                self.stmt_start(on.span.start);
                self.block(&format!("on {}", on.phase.name), &on.body);
            } else if let Some(s) = stmts.next() {
                self.stmt_start(s.span.start);
                self.stmt(s);
            } else {
                break;
            }
        }
        self.close(r.body.span.end);
    }

    fn stmts(&mut self, stmts: &[Stmt]) {
        for s in stmts {
            self.stmt_start(s.span.start);
            self.stmt(s);
        }
    }

    // ===== Statements =====

    fn stmt(&mut self, s: &Stmt) {
        let text = match &s.kind {
            StmtKind::Set { place: p, value } => format!("set {} = {}", place(p), expr(value)),
            StmtKind::Add { place: p, value } => format!("add {} = {}", place(p), expr(value)),
            StmtKind::Remove { place: p } => format!("remove {}", place(p)),
            StmtKind::Respond {
                status,
                body,
                headers,
            } => {
                let mut t = match status {
                    Status::Literal(lit) => format!("respond {}", lit.value),
                    Status::Field(e) => format!("respond {}", expr(e)),
                };
                if let Some(b) = body {
                    t.push(' ');
                    t.push_str(&expr(b));
                }
                if !headers.is_empty() {
                    self.line(&format!("{t} headers {{"));
                    let after = body.as_ref().map_or(status.span().end, |b| b.span.end);
                    self.end_line(brace_after(self.source, after));
                    self.indent += 1;
                    for h in headers {
                        self.stmt_start(h.span.start);
                        self.line(&format!(
                            "{} = {},",
                            string_text(&h.name.value),
                            expr(&h.value)
                        ));
                        self.end_line(h.span.end);
                    }
                    self.close(s.span.end);
                    return;
                }
                t
            }
            StmtKind::Redirect { status, location } => match status {
                Some(st) => format!("redirect {} {}", st.value, expr(location)),
                None => format!("redirect {}", expr(location)),
            },
            StmtKind::StripPrefix(e) => format!("strip_prefix {}", expr(e)),
            StmtKind::RewritePath(e) => format!("rewrite path = {}", expr(e)),
            StmtKind::Proxy(name) => format!("proxy {}", name.name),
            StmtKind::Cache { cache, settings } => cache_text(cache, settings, false),
            StmtKind::Compress(settings) if settings.is_empty() => "compress".to_string(),
            StmtKind::Compress(settings) => format!("compress {{ {} }}", settings_text(settings)),
            StmtKind::Purge { cache, scope } => match scope {
                Some(scope) => format!(
                    "purge {} {} {}",
                    cache.name,
                    scope.by.word(),
                    expr(&scope.value)
                ),
                None => format!("purge {}", cache.name),
            },
            StmtKind::VerifyJwt(name) => format!("verify_jwt {}", name.name),
            StmtKind::VerifyBasic(name) => format!("verify_basic {}", name.name),
            StmtKind::VerifyForward(name) => format!("verify_forward {}", name.name),
            StmtKind::Let { name, value } => format!("let {} = {}", name.name, expr(value)),
            StmtKind::If { .. } => {
                self.if_chain(s, false);
                return;
            }
            StmtKind::RateLimit { limit, otherwise } => {
                let head = format!("rate_limit {}", limit.name);
                self.then_otherwise(head, otherwise.as_deref(), s.span.end);
                return;
            }
            StmtKind::MaxInFlight {
                max,
                key,
                queue,
                otherwise,
            } => {
                let mut head = format!("max_in_flight {}", max.value);
                if let Some(key) = key {
                    head.push_str(&format!(" by {}", expr(key)));
                }
                if let Some(queue) = queue {
                    head.push_str(&format!(" queue {}", expr(queue)));
                }
                self.then_otherwise(head, otherwise.as_deref(), s.span.end);
                return;
            }
        };
        self.line(&text);
        self.end_line(s.span.end);
    }

    /// `HEAD`, or `HEAD else STMT` with the statement's first line after `else`.
    fn then_otherwise(&mut self, head: String, otherwise: Option<&Stmt>, end: usize) {
        match otherwise {
            None => {
                self.line(&head);
                self.end_line(end);
            }
            Some(stmt) => {
                self.prefix = Some(format!("{head} else "));
                self.stmt(stmt);
            }
        }
    }

    /// `if c { } else if c { } else { }`, with `} else` on the closing line.
    fn if_chain(&mut self, s: &Stmt, after_else: bool) {
        let StmtKind::If {
            cond,
            captures,
            then,
            else_,
        } = &s.kind
        else {
            return;
        };
        let head = match captures {
            Some(name) => format!("if {} as {} {{", expr(cond), name.name),
            None => format!("if {} {{", expr(cond)),
        };
        if after_else {
            self.append_to_last_line(&format!(" else {head}"));
        } else {
            self.line(&head);
        }
        self.end_line(then.span.start + 1);
        self.indent += 1;
        self.stmts(&then.stmts);
        self.close(then.span.end);
        match else_.as_deref() {
            None => {}
            Some(Else::Block(b)) => {
                self.append_to_last_line(" else {");
                self.end_line(b.span.start + 1);
                self.indent += 1;
                self.stmts(&b.stmts);
                self.close(b.span.end);
            }
            Some(Else::If(inner)) => self.if_chain(inner, true),
        }
    }

    /// Continues the last output line (`}` becomes `} else {`), keeping a trailing comment at
    /// the end.
    fn append_to_last_line(&mut self, text: &str) {
        self.out.pop();
        let comment = self.last_trailing.take();
        if let Some(c) = &comment {
            let keep = self.out.len() - c.len() - 2;
            self.out.truncate(keep);
        }
        self.out.push_str(text);
        if let Some(c) = comment {
            self.out.push_str("  ");
            self.out.push_str(&c);
        }
        self.out.push('\n');
    }
}

// ===== Pieces of text =====

fn item_span(item: &Item) -> Span {
    match item {
        Item::Listen(l) => l.span,
        Item::Server(b) => b.span,
        Item::Upstream(u) => u.span,
        Item::Limit(l) => l.span,
        Item::Data(d) => d.span,
        Item::Cache(c) => c.span,
        Item::Jwt(j) => j.span,
        Item::BasicAuth(b) => b.span,
        Item::ForwardAuth(f) => f.span,
        Item::Route(r) => r.span,
        Item::On(o) => o.span,
        Item::Include(i) => i.span,
        Item::Test(t) => t.span,
    }
}

/// The offset just after the first `{` at or after `from`.
fn brace_after(source: &str, from: usize) -> usize {
    source
        .get(from..)
        .and_then(|s| s.find('{'))
        .map_or(from, |i| from + i + 1)
}

/// `name value`, or `name value, value` for a list (`retry_on 502, 503`, written without
/// brackets).
fn setting_text(s: &Setting) -> String {
    let value = if let ExprKind::List(values) = &s.value.kind {
        values.iter().map(expr).collect::<Vec<_>>().join(", ")
    } else {
        expr(&s.value)
    };
    format!("{} {value}", s.name.name)
}

/// `cache NAME { setting ... }` on one line; without settings `cache NAME` for a route's
/// statement and `cache NAME {}` for a declaration (which needs its braces).
fn cache_text(name: &Ident, settings: &[Setting], declaration: bool) -> String {
    if settings.is_empty() {
        let braces = if declaration { " {}" } else { "" };
        return format!("cache {}{braces}", name.name);
    }
    format!("cache {} {{ {} }}", name.name, settings_text(settings))
}

/// `name value name value, value` on one line.
fn settings_text(settings: &[Setting]) -> String {
    settings
        .iter()
        .map(setting_text)
        .collect::<Vec<_>>()
        .join(" ")
}

/// ` name value name value ...` for options on one line.
fn settings(options: &[Setting]) -> String {
    options
        .iter()
        .map(|o| format!(" {} {}", o.name.name, expr(&o.value)))
        .collect()
}

fn route_head(r: &Route) -> String {
    let mut head = String::from("route");
    if let Some(name) = &r.name {
        head.push(' ');
        head.push_str(&string_text(&name.value));
    }
    for m in &r.matchers {
        head.push(' ');
        head.push_str(&match &m.kind {
            MatcherKind::Host(t) => format!("host {}", string_text(&t.value)),
            MatcherKind::PathPrefix(t) => format!("path {}", string_text(&t.value)),
            MatcherKind::PathRegex { regex: r, captures } => match captures {
                Some(name) => format!("path ~ {} as {}", regex(&r.value), name.name),
                None => format!("path ~ {}", regex(&r.value)),
            },
            MatcherKind::Method(ms) => {
                let names: Vec<&str> = ms.iter().map(|m| m.name.as_str()).collect();
                format!("method {}", names.join(", "))
            }
            MatcherKind::Header { name, value } => match value {
                Some(v) => format!(
                    "header {} == {}",
                    string_text(&name.value),
                    string_text(&v.value)
                ),
                None => format!("header {}", string_text(&name.value)),
            },
        });
    }
    head
}

fn place(p: &Place) -> String {
    let path: Vec<&str> = p.path.iter().map(|i| i.name.as_str()).collect();
    match &p.key {
        Some(k) => format!("{}[{}]", path.join("."), expr(k)),
        None => path.join("."),
    }
}

/// A plain string literal.
fn string_text(value: &str) -> String {
    let mut out = String::from("\"");
    escape_into(value, &mut out);
    out.push('"');
    out
}

fn escape_into(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '{' => out.push_str("{{"),
            '}' => out.push_str("}}"),
            c => out.push(c),
        }
    }
}

fn regex(source: &str) -> String {
    format!("/{}/", source.replace('/', "\\/"))
}

/// An expression with the fewest parentheses that keep its meaning.
pub(crate) fn expr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Str(parts) => {
            let mut out = String::from("\"");
            for p in parts {
                match p {
                    StrPart::Text(t) => escape_into(t, &mut out),
                    StrPart::Interp(inner) => {
                        out.push('{');
                        out.push_str(&expr(inner));
                        out.push('}');
                    }
                }
            }
            out.push('"');
            out
        }
        ExprKind::List(items) => {
            let items: Vec<String> = items.iter().map(expr).collect();
            format!("[{}]", items.join(", "))
        }
        ExprKind::Int(n) => n.to_string(),
        ExprKind::Duration(ms) => duration(*ms),
        ExprKind::Size(bytes) => size(*bytes),
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Regex(r) => regex(r),
        ExprKind::Method(m) => m.clone(),
        ExprKind::Ip(ip) if ip.contains(':') => format!("[{ip}]"),
        ExprKind::Ip(ip) => ip.clone(),
        ExprKind::Cidr(c) if c.contains(':') => match c.split_once('/') {
            Some((a, b)) => format!("[{a}]/{b}"),
            None => c.clone(),
        },
        ExprKind::Cidr(c) => c.clone(),
        ExprKind::Path(path) => path
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()
            .join("."),
        ExprKind::Index { base, key } => format!("{}[{}]", operand(base), expr(key)),
        ExprKind::Call { func, args } => {
            let args: Vec<String> = args.iter().map(expr).collect();
            format!("{}({})", func.name, args.join(", "))
        }
        ExprKind::Not(inner) => format!("!{}", operand(inner)),
        ExprKind::Binary { op, lhs, rhs, .. } => {
            let l = side(lhs, op.precedence(), false);
            let r = side(rhs, op.precedence(), true);
            format!("{l} {} {r}", op.as_str())
        }
    }
}

/// An operand of a prefix or postfix operator: anything but an atom gets parentheses.
fn operand(e: &Expr) -> String {
    match e.kind {
        ExprKind::Binary { .. } => format!("({})", expr(e)),
        _ => expr(e),
    }
}

/// A binary operand: parenthesised when it binds looser than its parent (or equally, on the
/// right, since operators associate to the left).
fn side(e: &Expr, parent: u8, right: bool) -> String {
    match &e.kind {
        ExprKind::Binary { op, .. }
            if op.precedence() < parent || (right && op.precedence() == parent) =>
        {
            format!("({})", expr(e))
        }
        _ => expr(e),
    }
}

/// A duration in the largest unit that writes it exactly (`90s` is `90s`, `120s` is `2m`).
pub(super) fn duration(ms: u64) -> String {
    for (unit, factor) in [
        ("d", 86_400_000),
        ("h", 3_600_000),
        ("m", 60_000),
        ("s", 1_000),
    ] {
        if ms >= factor && ms.is_multiple_of(factor) {
            return format!("{}{unit}", ms / factor);
        }
    }
    format!("{ms}ms")
}

fn size(bytes: u64) -> String {
    let units = [
        ("GiB", 1u64 << 30),
        ("MiB", 1 << 20),
        ("KiB", 1 << 10),
        ("GB", 1_000_000_000),
        ("MB", 1_000_000),
        ("KB", 1_000),
    ];
    for (unit, factor) in units {
        if bytes >= factor && bytes.is_multiple_of(factor) {
            return format!("{}{unit}", bytes / factor);
        }
    }
    format!("{bytes}B")
}

mod test_decl;

#[cfg(test)]
mod tests;
