//! The layout of `test "NAME" { ... }`: one line per test line, and one line per header,
//! client, body or expectation inside its braces.

use super::{brace_after, duration, string_text, Formatter};
use crate::ast::*;

impl Formatter<'_> {
    pub(super) fn test(&mut self, test: &TestDecl) {
        self.line(&format!("test {} {{", string_text(&test.name.value)));
        self.end_line(brace_after(self.source, test.name.span.end));
        self.indent += 1;
        for item in &test.items {
            self.stmt_start(item.span().start);
            self.test_item(item);
        }
        self.close(test.span.end);
    }

    fn test_item(&mut self, item: &TestItem) {
        match item {
            TestItem::Send(send) => self.send(send),
            TestItem::Replies { upstream, reply } => {
                self.reply(&format!("upstream {} replies", upstream.name), reply);
            }
            TestItem::Reply(reply) => self.reply("reply", reply),
            TestItem::Pick {
                upstream,
                server,
                span,
            } => {
                self.line(&format!(
                    "upstream {} picks server {}",
                    upstream.name, server.value
                ));
                self.end_line(span.end);
            }
            TestItem::Discovers {
                upstream,
                servers,
                span,
            } => {
                self.line(&format!(
                    "upstream {} discovers {}",
                    upstream.name, servers.value
                ));
                self.end_line(span.end);
            }
            TestItem::OriginCert {
                upstream,
                cert,
                key,
                span,
            } => {
                self.line(&format!(
                    "upstream {} cert {} key {}",
                    upstream.name,
                    string_text(&cert.value),
                    string_text(&key.value)
                ));
                self.end_line(span.end);
            }
            TestItem::Fail {
                upstream,
                kind,
                span,
            } => {
                self.line(&format!(
                    "fail upstream {} with {}",
                    upstream.name, kind.name
                ));
                self.end_line(span.end);
            }
            TestItem::ExpectUpstream {
                upstream,
                server,
                checks,
                span,
            } => {
                let (head, after) = match server {
                    Some(s) => (
                        format!("expect upstream {} server {}", upstream.name, s.value),
                        s.span.end,
                    ),
                    None => (
                        format!("expect upstream {}", upstream.name),
                        upstream.span.end,
                    ),
                };
                self.test_block(&head, after, &check_lines(checks), span.end);
            }
            TestItem::ExpectLog { checks, span } => {
                // `expect log` always has its braces (the grammar asks for them).
                let lines = check_lines(checks);
                self.braced_block("expect log", span.start, &lines, span.end);
            }
            TestItem::Expect {
                status,
                checks,
                span,
            } => {
                let head = format!("expect {}", status.value);
                self.test_block(&head, status.span.end, &check_lines(checks), span.end);
            }
        }
    }

    /// `send METHOD "URL" [times N]`, then its lines in braces (a `jwt` with its own).
    fn send(&mut self, send: &TestSend) {
        let mut head = format!("send {} {}", send.method.name, string_text(&send.url.value));
        let mut after = send.url.span.end;
        if let Some(times) = send.times {
            head = format!("{head} times {}", times.value);
            after = times.span.end;
        }
        if send.parts.is_empty() {
            self.line(&head);
            self.end_line(send.span.end);
            return;
        }
        self.line(&format!("{head} {{"));
        self.end_line(brace_after(self.source, after));
        self.indent += 1;
        for part in &send.parts {
            self.stmt_start(part.span().start);
            match part {
                SendPart::Token(token) => self.token(token),
                _ => {
                    self.line(&send_part(part));
                    self.end_line(part.span().end);
                }
            }
        }
        self.close(send.span.end);
    }

    /// `jwt ALG "KEY" [cookie "NAME"]`, and its lines in braces.
    fn token(&mut self, token: &TestToken) {
        let after = token.cookie.as_ref().unwrap_or(&token.key).span.end;
        let lines: Vec<(String, crate::Span)> = token
            .parts
            .iter()
            .map(|part| (token_part(part), part.span()))
            .collect();
        self.test_block(&token_head(token), after, &lines, token.span.end);
    }

    /// `HEAD STATUS ["BODY"]`, and its headers in braces.
    fn reply(&mut self, word: &str, reply: &TestReply) {
        let (head, after) = match &reply.body {
            Some(b) => (
                format!("{word} {} {}", reply.status.value, string_text(&b.value)),
                b.span.end,
            ),
            None => (
                format!("{word} {}", reply.status.value),
                reply.status.span.end,
            ),
        };
        let lines: Vec<(String, crate::Span)> =
            reply.headers.iter().map(|h| (header(h), h.span)).collect();
        self.test_block(&head, after, &lines, reply.span.end);
    }

    /// `HEAD`, or `HEAD {`, one line per entry, `}`; the block's `{` is the first after
    /// `after` in the source, and the item ends at `end`.
    fn test_block(
        &mut self,
        head: &str,
        after: usize,
        lines: &[(String, crate::Span)],
        end: usize,
    ) {
        if lines.is_empty() {
            self.line(head);
            self.end_line(end);
            return;
        }
        self.braced_block(head, after, lines, end);
    }

    /// `HEAD {`, one line per entry, `}`, even with no entry.
    fn braced_block(
        &mut self,
        head: &str,
        after: usize,
        lines: &[(String, crate::Span)],
        end: usize,
    ) {
        self.line(&format!("{head} {{"));
        self.end_line(brace_after(self.source, after));
        self.indent += 1;
        for (text, span) in lines {
            self.stmt_start(span.start);
            self.line(text);
            self.end_line(span.end);
        }
        self.close(end);
    }
}

fn send_part(part: &SendPart) -> String {
    match part {
        SendPart::Header(h) => header(h),
        SendPart::Client(ip) => format!("client {}", ip.value),
        SendPart::Body(body) => format!("body {}", string_text(&body.value)),
        SendPart::Sni(name) => format!("sni {}", string_text(&name.value)),
        SendPart::Certificate { cert, key, .. } => format!(
            "cert {} key {}",
            string_text(&cert.value),
            string_text(&key.value)
        ),
        SendPart::User { user, password, .. } => format!(
            "user {} password {}",
            string_text(&user.value),
            string_text(&password.value)
        ),
        SendPart::Token(token) => token_head(token),
    }
}

/// `jwt ALG "KEY" [cookie "NAME"]`
fn token_head(token: &TestToken) -> String {
    let head = format!("jwt {} {}", token.alg.name, string_text(&token.key.value));
    match &token.cookie {
        Some(cookie) => format!("{head} cookie {}", string_text(&cookie.value)),
        None => head,
    }
}

fn token_part(part: &TokenPart) -> String {
    match part {
        TokenPart::Kid(kid) => format!("kid {}", string_text(&kid.value)),
        TokenPart::Claim { name, value, .. } => format!(
            "claim {} = {}",
            string_text(&name.value),
            string_text(&value.value)
        ),
        TokenPart::Expires(d) => format!("expires {}", duration(d.millis)),
        TokenPart::Expired(d) => format!("expired {}", duration(d.millis)),
    }
}
fn header(h: &TestHeader) -> String {
    format!(
        "header {} = {}",
        string_text(&h.name.value),
        string_text(&h.value.value)
    )
}

fn check_lines(checks: &[TestCheck]) -> Vec<(String, crate::Span)> {
    checks.iter().map(|c| (check(&c.kind), c.span)).collect()
}

fn check(kind: &TestCheckKind) -> String {
    let compare = |c: &Compare| match c {
        Compare::Equals => "=",
        Compare::Contains => "contains",
    };
    match kind {
        TestCheckKind::Path(path) => format!("path {}", string_text(&path.value)),
        TestCheckKind::Method(method) => format!("method {}", method.name),
        TestCheckKind::Header {
            name,
            compare: c,
            value,
        } => format!(
            "header {} {} {}",
            string_text(&name.value),
            compare(c),
            string_text(&value.value)
        ),
        TestCheckKind::NoHeader(name) => format!("no header {}", string_text(&name.value)),
        TestCheckKind::Field {
            name,
            compare: c,
            value,
        } => format!(
            "field {} {} {}",
            string_text(&name.value),
            compare(c),
            string_text(&value.value)
        ),
        TestCheckKind::NoField(name) => format!("no field {}", string_text(&name.value)),
        TestCheckKind::Body {
            compare: Compare::Equals,
            value,
        } => format!("body {}", string_text(&value.value)),
        TestCheckKind::Body {
            compare: Compare::Contains,
            value,
        } => format!("body contains {}", string_text(&value.value)),
    }
}
