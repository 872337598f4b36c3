//! `test "NAME" { ... }` blocks. A test is checked like the rest of the program: its upstreams
//! must exist (and the servers it names), its header names be tokens and values free of line
//! breaks, its statuses in range, its URL absolute `http` or `https` (for a program with a
//! TLS listener), its lines given once. A test whose
//! request no route's matchers accept is only warned about: `on request` may answer it.
//!
//! Each test becomes a [`TypedTest`], whose expectations carry their `FILE:LINE:COLUMN` and
//! source text, so a failing one in the test binary points at its line.

use std::collections::HashMap;
use std::net::IpAddr;

use pxy_dsl::ast::{
    Compare, Ident, IntLit, Item, ParsedProgram, SendPart, TestCheck, TestCheckKind, TestDecl,
    TestHeader, TestItem, TestSend, Text,
};
use pxy_dsl::Span;

use super::error::{DuplicateKind, FileKind, Malformed, StatusRange, TestProblem};
use super::{CheckError, Checker};
use crate::catalog::words::{WordKind, TEST_FAILURES};
use crate::routing::RequestShape;
use crate::typed::{
    TypedCheck, TypedCheckKind, TypedProgram, TypedTest, TypedTestMessage, TypedTestRequest,
    TypedTestTls,
};

/// The client address of a test that does not give one: TEST-NET-1 (RFC 5737), an address
/// no real client has.
const DEFAULT_CLIENT: &str = "192.0.2.1";

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
        let mut upstream = None;
        let mut response = None;
        let mut log = None;
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
                TestItem::Reply { .. } => ("reply".to_string(), item.span()),
                TestItem::Expect { .. } => ("expect".to_string(), item.span()),
            };
            if let Some(first) = seen.get(&once) {
                self.problems.push(CheckError::Duplicate {
                    span,
                    first: *first,
                    what: DuplicateKind::TestLine,
                    name: once,
                });
                ok = false;
                continue;
            }
            seen.insert(once, span);
            match item {
                TestItem::Send(send) => request = self.test_request(send, program),
                TestItem::Pick {
                    upstream, server, ..
                } => match self.test_server(upstream, Some(server), program) {
                    Some(Some(n)) => picks.push((upstream.name.clone(), n)),
                    Some(None) | None => ok = false,
                },
                TestItem::Fail { upstream, kind, .. } => {
                    let known = self.test_server(upstream, None, program).is_some();
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
                    let target = self.test_server(name, server.as_ref(), program);
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
                TestItem::Reply {
                    status,
                    body,
                    headers,
                    ..
                } => {
                    let status = self.test_status(status);
                    let headers = self.test_headers(headers);
                    match (status, headers) {
                        (Some(status), Some(headers)) => {
                            reply = Some(TypedTestMessage {
                                status,
                                headers,
                                body: body.as_ref().map(|b| b.value.clone()).unwrap_or_default(),
                            });
                        }
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
            upstream,
            response,
            log,
        })
    }

    fn test_problem(&mut self, span: Span, problem: TestProblem) -> bool {
        self.problems
            .push(CheckError::InvalidTest { span, problem });
        false
    }

    /// `send METHOD "URL" { ... }`; warns when no route takes the request.
    fn test_request(
        &mut self,
        send: &TestSend,
        program: &TypedProgram,
    ) -> Option<TypedTestRequest> {
        let url = send.url.value.parse::<http::Uri>().ok();
        let (scheme, authority) = match &url {
            Some(uri) => (uri.scheme_str(), uri.authority()),
            None => (None, None),
        };
        let (Some(scheme), Some(authority)) = (scheme, authority) else {
            self.test_problem(send.url.span, TestProblem::UrlNotAbsolute);
            return None;
        };
        let https = match scheme {
            "http" => false,
            "https" => true,
            other => {
                let scheme = other.to_string();
                self.test_problem(send.url.span, TestProblem::UrlScheme { scheme });
                return None;
            }
        };
        if https && program.listeners.iter().all(|l| l.tls.is_none()) {
            self.test_problem(send.url.span, TestProblem::NoHttpsListener);
            return None;
        }
        let host = authority.as_str().to_string();
        let path = url
            .as_ref()
            .and_then(http::Uri::path_and_query)
            .map_or_else(|| "/".to_string(), |p| p.as_str().to_string());
        let mut ok = true;
        let mut headers = Vec::new();
        let mut body = String::new();
        let mut client = DEFAULT_CLIENT.to_string();
        let mut sni = None;
        let mut certificate = None;
        for part in &send.parts {
            match part {
                SendPart::Header(h) => match self.test_header(h) {
                    Some(header) => headers.push(header),
                    None => ok = false,
                },
                SendPart::Client(ip) => {
                    let bare = ip.value.trim_start_matches('[').trim_end_matches(']');
                    match bare.parse::<IpAddr>() {
                        Ok(addr) => client = addr.to_string(),
                        Err(_) => {
                            self.problems.push(CheckError::InvalidLiteral {
                                span: ip.span,
                                reason: Malformed::Ip,
                            });
                            ok = false;
                        }
                    }
                }
                SendPart::Body(text) => body.clone_from(&text.value),
                SendPart::Sni(name) if https => sni = Some(name.value.clone()),
                SendPart::Certificate { cert, key, .. } if https => {
                    let cert = self.file(cert, FileKind::Certificate);
                    let key = self.file(key, FileKind::PrivateKey);
                    certificate = Some((cert, key));
                }
                SendPart::Sni(_) | SendPart::Certificate { .. } => {
                    ok = self.test_problem(part.span(), TestProblem::TlsWithoutHttps);
                }
            }
        }
        let host_header = headers
            .iter()
            .find(|(n, _)| n == "host")
            .map_or(host.as_str(), |(_, v)| v.as_str());
        let shape = RequestShape {
            host: Some(without_port(host_header)),
            path: path.split('?').next().unwrap_or("/"),
            method: &send.method.name,
            headers: &headers,
        };
        let reaches_a_route = program
            .routes
            .iter()
            .any(|route| crate::routing::takes(route, program, &shape));
        if !reaches_a_route {
            self.problems
                .push(CheckError::TestMatchesNoRoute { span: send.span });
        }
        ok.then(|| TypedTestRequest {
            method: send.method.name.clone(),
            path,
            host,
            message: TypedTestMessage {
                status: 0,
                headers,
                body,
            },
            client,
            tls: https.then(|| TypedTestTls {
                sni: sni.unwrap_or_else(|| authority.host().to_string()),
                certificate,
            }),
        })
    }

    /// The upstream named in a test line, and the server it names (from 1): `None` when
    /// either is wrong (reported), `Some(None)` when no server is named.
    fn test_server(
        &mut self,
        name: &Ident,
        server: Option<&IntLit>,
        program: &TypedProgram,
    ) -> Option<Option<usize>> {
        let Some(upstream) = program.upstreams.iter().find(|u| u.name == name.name) else {
            // An upstream declared with an error is reported there already.
            if !self.upstream_ids.contains_key(&name.name) {
                self.unknown_upstream(&name.name, name.span);
            }
            return None;
        };
        let Some(server) = server else {
            return Some(None);
        };
        let servers = upstream.servers.len();
        match usize::try_from(server.value) {
            Ok(n) if (1..=servers).contains(&n) => Some(Some(n)),
            _ => {
                let upstream = name.name.clone();
                self.test_problem(server.span, TestProblem::NoSuchServer { upstream, servers });
                None
            }
        }
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
    fn test_header(&mut self, header: &TestHeader) -> Option<(String, String)> {
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
    fn at(&self, span: Span) -> String {
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

/// A `Host` value without its port (`a.example:8080` is `a.example`; `[::1]` stays).
fn without_port(host: &str) -> &str {
    match host.rsplit_once(':') {
        Some((name, port)) if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}
