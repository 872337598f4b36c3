//! `test "NAME" { ... }` blocks. A test is checked like the rest of the program: its upstreams
//! must exist (and the servers it names), its header names be tokens and values free of line
//! breaks, its statuses in range, its URL absolute `http` or `https` (for a program with a
//! TLS listener), its lines given once. A test whose
//! request no route's matchers accept is only warned about: `on request` may answer it.
//!
//! Each test becomes a [`TypedTest`], whose expectations carry their `FILE:LINE:COLUMN` and
//! source text, so a failing one in the test binary points at its line.

use std::collections::{BTreeMap, HashMap};

use pxy_dsl::ast::{
    Compare, Ident, IntLit, Item, ParsedProgram, TestCheck, TestCheckKind, TestDecl, TestHeader,
    TestItem, TestReply, Text,
};
use pxy_dsl::Span;

use super::error::{DuplicateKind, FileKind, StatusRange, TestProblem};
use super::{CheckError, Checker};
use crate::catalog::words::{WordKind, TEST_FAILURES};
use crate::typed::{
    TypedCheck, TypedCheckKind, TypedProgram, TypedTest, TypedTestMessage, TypedUpstream,
};

/// The most servers a test may give a discovered upstream (`upstream NAME discovers N`).
const MAX_DISCOVERED: usize = 64;

impl Checker<'_> {
    /// Checks every test of `parsed` against the checked `program` (its upstreams, routes and
    /// regexes).
    pub(super) fn tests(
        &mut self,
        parsed: &ParsedProgram,
        program: &TypedProgram,
    ) -> Vec<TypedTest> {
        let mut names: HashMap<&str, Span> = HashMap::new();
        let mut tests = Vec::new();
        for item in &parsed.items {
            let Item::Test(test) = item else {
                continue;
            };
            if let Some(first) = names.insert(&test.name.value, test.name.span) {
                self.problems.push(CheckError::Duplicate {
                    span: test.name.span,
                    first,
                    what: DuplicateKind::Test,
                    name: test.name.value.clone(),
                });
            }
            if let Some(typed) = self.test(test, program) {
                tests.push(typed);
            }
        }
        tests
    }

    fn test(&mut self, test: &TestDecl, program: &TypedProgram) -> Option<TypedTest> {
        let mut ok = true;
        let mut request = None;
        let mut picks = Vec::new();
        let mut failures = Vec::new();
        let mut reply = None;
        let mut replies = Vec::new();
        let mut certificates = Vec::new();
        let mut upstream = None;
        let mut response = None;
        let mut log = None;
        // `upstream NAME discovers N`, read first: the servers a later line may name.
        let discovered = self.test_discovered(test, program);
        // The first line of each kind that a test has once, for "written twice".
        let mut seen: HashMap<String, Span> = HashMap::new();
        for item in &test.items {
            let (once, span) = match item {
                TestItem::Send(_) => ("send".to_string(), item.span()),
                TestItem::Pick { upstream, .. } => {
                    (format!("upstream {} picks", upstream.name), item.span())
                }
                TestItem::Fail { upstream, .. } => {
                    (format!("fail upstream {}", upstream.name), item.span())
                }
                TestItem::ExpectUpstream { .. } => ("expect upstream".to_string(), item.span()),
                TestItem::ExpectLog { .. } => ("expect log".to_string(), item.span()),
                TestItem::Reply(_) => ("reply".to_string(), item.span()),
                TestItem::Replies { upstream, .. } => {
                    (format!("upstream {} replies", upstream.name), item.span())
                }
                TestItem::OriginCert { upstream, .. } => {
                    (format!("upstream {} cert", upstream.name), item.span())
                }
                TestItem::Discovers { upstream, .. } => {
                    (format!("upstream {} discovers", upstream.name), item.span())
                }
                TestItem::Expect { .. } => ("expect".to_string(), item.span()),
            };
            if !self.test_line_once(&mut seen, once, span) {
                ok = false;
                continue;
            }
            match item {
                TestItem::Send(send) => request = self.test_request(send, program),
                TestItem::Pick {
                    upstream, server, ..
                } => match self.test_server(upstream, Some(server), &discovered, program) {
                    Some(Some(n)) => picks.push((upstream.name.clone(), n)),
                    Some(None) | None => ok = false,
                },
                TestItem::OriginCert {
                    upstream,
                    cert,
                    key,
                    span,
                } => match self.origin_certificate(upstream, cert, key, *span, program) {
                    Some(files) => certificates.push((upstream.name.clone(), files)),
                    None => ok = false,
                },
                // Checked by `test_discovered`, before the other lines.
                TestItem::Discovers { .. } => {}
                TestItem::Fail { upstream, kind, .. } => {
                    let known = self.test_upstream(upstream, program).is_some();
                    let kind =
                        self.word(&kind.name, kind.span, WordKind::TestFailure, TEST_FAILURES);
                    match (known, kind) {
                        (true, Some(kind)) => failures.push((upstream.name.clone(), kind)),
                        _ => ok = false,
                    }
                }
                TestItem::ExpectUpstream {
                    upstream: name,
                    server,
                    checks,
                    span,
                } => {
                    let target = self.test_server(name, server.as_ref(), &discovered, program);
                    let head = match server {
                        Some(s) => format!("expect upstream {} server {}", name.name, s.value),
                        None => format!("expect upstream {}", name.name),
                    };
                    let first = TypedCheck {
                        at: self.at(*span),
                        source: head,
                        kind: TypedCheckKind::Upstream(name.name.clone(), target.flatten()),
                    };
                    let checks = self.test_checks(checks);
                    match (target, checks) {
                        (Some(_), Some(checks)) => {
                            upstream = Some(std::iter::once(first).chain(checks).collect());
                        }
                        _ => ok = false,
                    }
                }
                TestItem::Reply(written) => match self.test_reply(written) {
                    Some(message) => reply = Some(message),
                    None => ok = false,
                },
                TestItem::Replies {
                    upstream,
                    reply: written,
                } => {
                    let known = self.test_upstream(upstream, program).is_some();
                    match (known, self.test_reply(written)) {
                        (true, Some(message)) => replies.push((upstream.name.clone(), message)),
                        _ => ok = false,
                    }
                }
                TestItem::ExpectLog { checks, .. } => match self.test_checks(checks) {
                    Some(checks) => log = Some(checks),
                    None => ok = false,
                },
                TestItem::Expect {
                    status,
                    checks,
                    span,
                } => {
                    let code = self.test_status(status);
                    let checks = self.test_checks(checks);
                    match (code, checks) {
                        (Some(code), Some(checks)) => {
                            let first = TypedCheck {
                                at: self.at(*span),
                                source: format!("expect {code}"),
                                kind: TypedCheckKind::Status(code),
                            };
                            response = Some(std::iter::once(first).chain(checks).collect());
                        }
                        _ => ok = false,
                    }
                }
            }
        }
        if !seen.contains_key("send") {
            self.test_problem(test.name.span, TestProblem::NoRequest);
            return None;
        }
        let has_expectation = ["expect", "expect upstream", "expect log"]
            .iter()
            .any(|line| seen.contains_key(*line));
        if !has_expectation {
            self.test_problem(test.name.span, TestProblem::NothingExpected);
            return None;
        }
        let request = request?;
        ok.then(|| TypedTest {
            name: test.name.value.clone(),
            at: self.at(test.span),
            span: test.span,
            request,
            picks,
            failures,
            reply,
            replies,
            certificates,
            discovered: discovered.into_iter().collect(),
            upstream,
            response,
            log,
        })
    }

    /// `upstream NAME cert "FILE" key "FILE"`: the files, made absolute, when the upstream
    /// exists and speaks TLS.
    fn origin_certificate(
        &mut self,
        upstream: &Ident,
        cert: &Text,
        key: &Text,
        span: Span,
        program: &TypedProgram,
    ) -> Option<(String, String)> {
        if self.test_upstream(upstream, program)?.tls.is_none() {
            let upstream = upstream.name.clone();
            self.test_problem(span, TestProblem::CertWithoutTls { upstream });
            return None;
        }
        let cert = self.file(cert, FileKind::Certificate);
        let key = self.file(key, FileKind::PrivateKey);
        Some((cert, key))
    }

    /// `STATUS ["BODY"] { header ... }` of `reply` or `upstream NAME replies`.
    fn test_reply(&mut self, reply: &TestReply) -> Option<TypedTestMessage> {
        let status = self.test_status(&reply.status);
        let headers = self.test_headers(&reply.headers);
        Some(TypedTestMessage {
            status: status?,
            headers: headers?,
            body: reply
                .body
                .as_ref()
                .map(|b| b.value.clone())
                .unwrap_or_default(),
        })
    }

    /// Notes the line `once` at `span` in `seen`; `false` (reported as written twice) when
    /// `seen` has it already.
    pub(super) fn test_line_once(
        &mut self,
        seen: &mut HashMap<String, Span>,
        once: String,
        span: Span,
    ) -> bool {
        if let Some(first) = seen.get(&once) {
            self.problems.push(CheckError::Duplicate {
                span,
                first: *first,
                what: DuplicateKind::TestLine,
                name: once,
            });
            return false;
        }
        seen.insert(once, span);
        true
    }

    pub(super) fn test_problem(&mut self, span: Span, problem: TestProblem) -> bool {
        self.problems
            .push(CheckError::InvalidTest { span, problem });
        false
    }

    /// The upstream named in a test line; `None` (reported) when there is none.
    fn test_upstream<'p>(
        &mut self,
        name: &Ident,
        program: &'p TypedProgram,
    ) -> Option<&'p TypedUpstream> {
        let upstream = program.upstreams.iter().find(|u| u.name == name.name);
        // An upstream declared with an error is reported there already.
        if upstream.is_none() && !self.upstream_ids.contains_key(&name.name) {
            self.unknown_upstream(&name.name, name.span);
        }
        upstream
    }

    /// The upstream named in a test line, and the server it names (from 1): `None` when
    /// either is wrong (reported), `Some(None)` when no server is named. A discovered
    /// upstream has the servers its `upstream NAME discovers N` gives (one without it).
    fn test_server(
        &mut self,
        name: &Ident,
        server: Option<&IntLit>,
        discovered: &BTreeMap<String, usize>,
        program: &TypedProgram,
    ) -> Option<Option<usize>> {
        let upstream = self.test_upstream(name, program)?;
        let Some(server) = server else {
            return Some(None);
        };
        let servers = match upstream.discovery {
            Some(_) => discovered.get(&name.name).copied().unwrap_or(1),
            None => upstream.servers.len(),
        };
        match usize::try_from(server.value) {
            Ok(n) if (1..=servers).contains(&n) => Some(Some(n)),
            _ => {
                let problem = TestProblem::NoSuchServer {
                    upstream: name.name.clone(),
                    servers,
                    discovered: upstream.discovery.is_some(),
                };
                self.test_problem(server.span, problem);
                None
            }
        }
    }

    /// The `upstream NAME discovers N` lines of `test` that name a discovered upstream and
    /// a count from 1 to [`MAX_DISCOVERED`].
    fn test_discovered(
        &mut self,
        test: &TestDecl,
        program: &TypedProgram,
    ) -> BTreeMap<String, usize> {
        let mut discovered = BTreeMap::new();
        for item in &test.items {
            let TestItem::Discovers {
                upstream, servers, ..
            } = item
            else {
                continue;
            };
            let Some(declared) = self.test_upstream(upstream, program) else {
                continue;
            };
            if declared.discovery.is_none() {
                let upstream = upstream.name.clone();
                self.test_problem(item.span(), TestProblem::NotDiscovered { upstream });
                continue;
            }
            match usize::try_from(servers.value) {
                Ok(n) if (1..=MAX_DISCOVERED).contains(&n) => {
                    discovered.entry(upstream.name.clone()).or_insert(n);
                }
                _ => {
                    self.test_problem(servers.span, TestProblem::DiscoveredCount);
                }
            }
        }
        discovered
    }

    fn test_status(&mut self, status: &IntLit) -> Option<u16> {
        match u16::try_from(status.value) {
            Ok(code) if (100..=599).contains(&code) => Some(code),
            _ => {
                self.problems.push(CheckError::InvalidStatus {
                    span: status.span,
                    value: status.value,
                    allowed: StatusRange::Any,
                });
                None
            }
        }
    }

    fn test_headers(&mut self, headers: &[TestHeader]) -> Option<Vec<(String, String)>> {
        let checked: Vec<_> = headers.iter().map(|h| self.test_header(h)).collect();
        checked.into_iter().collect()
    }

    /// A header of a request or reply: a token for a name, no line break in the value.
    pub(super) fn test_header(&mut self, header: &TestHeader) -> Option<(String, String)> {
        let name = self.header_name(&header.name.value, header.name.span);
        let value = self.test_header_value(&header.value);
        Some((name?, value?))
    }

    fn test_header_value(&mut self, value: &Text) -> Option<String> {
        if super::stmts::breaks_a_header(&value.value) {
            self.problems
                .push(CheckError::InvalidHeaderValue { span: value.span });
            return None;
        }
        Some(value.value.clone())
    }

    fn test_checks(&mut self, checks: &[TestCheck]) -> Option<Vec<TypedCheck>> {
        let checked: Vec<_> = checks.iter().map(|c| self.test_check(c)).collect();
        checked.into_iter().collect()
    }

    fn test_check(&mut self, check: &TestCheck) -> Option<TypedCheck> {
        let kind = match &check.kind {
            TestCheckKind::Path(path) => TypedCheckKind::Path(path.value.clone()),
            TestCheckKind::Method(method) => TypedCheckKind::Method(method.name.clone()),
            TestCheckKind::Header {
                name,
                compare,
                value,
            } => {
                let name = self.header_name(&name.value, name.span);
                let value = self.test_header_value(value);
                let (name, value) = (name?, value?);
                match compare {
                    Compare::Equals => TypedCheckKind::Header(name, value),
                    Compare::Contains => TypedCheckKind::HeaderContains(name, value),
                }
            }
            TestCheckKind::NoHeader(name) => {
                TypedCheckKind::NoHeader(self.header_name(&name.value, name.span)?)
            }
            TestCheckKind::Field {
                name,
                compare,
                value,
            } => match compare {
                Compare::Equals => TypedCheckKind::Field(name.value.clone(), value.value.clone()),
                Compare::Contains => {
                    TypedCheckKind::FieldContains(name.value.clone(), value.value.clone())
                }
            },
            TestCheckKind::NoField(name) => TypedCheckKind::NoField(name.value.clone()),
            TestCheckKind::Body { compare, value } => match compare {
                Compare::Equals => TypedCheckKind::Body(value.value.clone()),
                Compare::Contains => TypedCheckKind::BodyContains(value.value.clone()),
            },
        };
        Some(TypedCheck {
            at: self.at(check.span),
            source: self.source_line(check.span),
            kind,
        })
    }

    /// `FILE:LINE:COLUMN` of the start of `span`, the file as the program names it.
    pub(super) fn at(&self, span: Span) -> String {
        let file = self.sources.file_of(span);
        let local = file.local(span);
        let line_start = file.text[..local.start].rfind('\n').map_or(0, |i| i + 1);
        let column = file.text[line_start..local.start].chars().count() + 1;
        format!("{}:{}:{column}", file.path, file.line_of(span))
    }

    /// The source of `span` on one line, white space runs made one space.
    fn source_line(&self, span: Span) -> String {
        let file = self.sources.file_of(span);
        let local = file.local(span);
        file.text[local.start..local.end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}
