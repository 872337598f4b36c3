//! The layout of `test "NAME" { ... }`: one line per test line, and one line per header,
//! client, body or expectation inside its braces.

use super::{brace_after, string_text, Formatter};
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
            TestItem::Send(send) => {
                let head = format!("send {} {}", send.method.name, string_text(&send.url.value));
                let lines: Vec<(String, crate::Span)> = send
                    .parts
                    .iter()
                    .map(|part| (send_part(part), part.span()))
                    .collect();
                self.test_block(&head, send.url.span.end, &lines, send.span.end);
            }
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
            TestItem::Reply {
                status,
                body,
                headers,
                span,
            } => {
                let (head, after) = match body {
                    Some(b) => (
                        format!("reply {} {}", status.value, string_text(&b.value)),
                        b.span.end,
                    ),
                    None => (format!("reply {}", status.value), status.span.end),
                };
                let lines: Vec<(String, crate::Span)> =
                    headers.iter().map(|h| (header(h), h.span)).collect();
                self.test_block(&head, after, &lines, span.end);
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
