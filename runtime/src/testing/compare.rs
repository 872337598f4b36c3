//! A test's expectations against what happened: each one that does not hold becomes a
//! [`Failed`] naming the expectation's source, what it wanted and what there was.

use http::HeaderMap;

use super::case::{Check, CheckKind, TestCase};
use super::stage::{Got, Outcome, Seen};

/// One expectation that did not hold.
#[derive(Debug)]
pub(super) struct Failed {
    /// `FILE:LINE:COLUMN` of the expectation (of the test, for what the test left unsaid).
    pub(super) at: &'static str,
    /// The expectation as written.
    pub(super) source: String,
    /// What it wanted.
    pub(super) expected: String,
    /// What happened.
    pub(super) actual: String,
}

/// Every expectation of `case` that `outcome` breaks, in source order.
pub(super) fn failures(case: &'static TestCase, outcome: &Outcome) -> Vec<Failed> {
    let mut failed = Vec::new();
    // The request the expected upstream received (an auth service may have been asked
    // first), else the first any upstream received.
    let expected_name = case
        .upstream
        .and_then(<[Check]>::first)
        .and_then(|c| match c.kind {
            CheckKind::Upstream(name, _) => Some(name),
            CheckKind::Status(_)
            | CheckKind::Path(_)
            | CheckKind::Method(_)
            | CheckKind::Header(..)
            | CheckKind::HeaderContains(..)
            | CheckKind::NoHeader(_)
            | CheckKind::Body(_)
            | CheckKind::BodyContains(_)
            | CheckKind::Field(..)
            | CheckKind::FieldContains(..)
            | CheckKind::NoField(_) => None,
        });
    let expected = expected_name.and_then(|name| outcome.seen.iter().find(|s| s.upstream == name));
    let first = expected.or(outcome.seen.first());
    match (case.upstream, first) {
        (Some(checks), Some(seen)) => {
            failed.extend(checks.iter().filter_map(|c| on_upstream(c, seen)));
        }
        (Some(checks), None) => {
            if let Some(check) = checks.first() {
                failed.push(Failed {
                    at: check.at,
                    source: check.source.to_string(),
                    expected: "the request reaches an upstream".into(),
                    actual: format!("no upstream received it ({})", answered(outcome)),
                });
            }
        }
        (None, _) => {}
    }
    for upstream in &outcome.uncertified {
        failed.push(Failed {
            at: case.at,
            source: format!("test {:?}", case.name),
            expected: format!(
                "a certificate for the stand-ins of upstream {upstream}, which speaks TLS: `upstream {upstream} cert \"FILE\" key \"FILE\"`"
            ),
            actual: format!("the proxy opened a TLS connection to upstream {upstream}"),
        });
    }
    // An upstream the test neither expects nor gives an answer must not be asked.
    if let Some(seen) = outcome.seen.iter().find(|seen| {
        case.reply_of(&seen.upstream).is_none() && expected_name != Some(seen.upstream.as_str())
    }) {
        failed.push(Failed {
            at: case.at,
            source: format!("test {:?}", case.name),
            expected: format!(
                "no request to upstream {} (the test gives it no `reply`)",
                seen.upstream
            ),
            actual: format!(
                "upstream {} (server {}) received {} {}",
                seen.upstream, seen.server, seen.method, seen.path
            ),
        });
    }
    match (&outcome.response, case.response) {
        (Ok(got), Some(checks)) => {
            failed.extend(checks.iter().filter_map(|c| on_response(c, got)));
        }
        (Err(why), checks) => failed.push(Failed {
            at: checks.and_then(<[Check]>::first).map_or(case.at, |c| c.at),
            source: checks
                .and_then(<[Check]>::first)
                .map_or_else(|| format!("test {:?}", case.name), |c| c.source.to_string()),
            expected: "a response".into(),
            actual: why.clone(),
        }),
        (Ok(_), None) => {}
    }
    if let Some(checks) = case.log {
        match &outcome.log {
            Some(Ok(fields)) => failed.extend(checks.iter().filter_map(|c| on_log(c, fields))),
            Some(Err(why)) => failed.extend(checks.first().map(|check| Failed {
                at: check.at,
                source: check.source.to_string(),
                expected: "an access log line".into(),
                actual: why.clone(),
            })),
            None => {}
        }
    }
    failed
}

/// The checks on the fields of an access log line.
fn on_log(check: &Check, fields: &serde_json::Map<String, serde_json::Value>) -> Option<Failed> {
    let value = |name: &str| {
        fields.get(name).map(|v| match v {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        })
    };
    let verdict = match check.kind {
        CheckKind::Field(name, want) => named(value(name), Wanted::Is(want)),
        CheckKind::FieldContains(name, part) => named(value(name), Wanted::Containing(part)),
        CheckKind::NoField(name) => named(value(name), Wanted::Absent),
        CheckKind::Status(_)
        | CheckKind::Upstream(..)
        | CheckKind::Path(_)
        | CheckKind::Method(_)
        | CheckKind::Header(..)
        | CheckKind::HeaderContains(..)
        | CheckKind::NoHeader(_)
        | CheckKind::Body(_)
        | CheckKind::BodyContains(_) => return None,
    };
    verdict.failed(check)
}

/// What became of a request no upstream received.
fn answered(outcome: &Outcome) -> String {
    match &outcome.response {
        Ok(got) => format!("the proxy answered {} itself", got.status.as_u16()),
        Err(why) => why.clone(),
    }
}

fn on_upstream(check: &Check, seen: &Seen) -> Option<Failed> {
    let fail = |expected: String, actual: String| {
        Some(Failed {
            at: check.at,
            source: check.source.to_string(),
            expected,
            actual,
        })
    };
    match check.kind {
        CheckKind::Upstream(name, server) => {
            let same_server = server.is_none_or(|s| s == seen.server);
            if name == seen.upstream && same_server {
                return None;
            }
            let wanted = match server {
                Some(s) => format!("upstream {name} (server {s})"),
                None => format!("upstream {name}"),
            };
            fail(
                wanted,
                format!("upstream {} (server {})", seen.upstream, seen.server),
            )
        }
        CheckKind::Path(path) => (seen.path != path)
            .then(|| fail(quoted(path), quoted(&seen.path)))
            .flatten(),
        CheckKind::Method(method) => (seen.method != method)
            .then(|| fail(method.to_string(), seen.method.clone()))
            .flatten(),
        CheckKind::Status(_)
        | CheckKind::Field(..)
        | CheckKind::FieldContains(..)
        | CheckKind::NoField(_) => None,
        CheckKind::Header(..)
        | CheckKind::HeaderContains(..)
        | CheckKind::NoHeader(_)
        | CheckKind::Body(_)
        | CheckKind::BodyContains(_) => on_message(check, &seen.headers, &seen.body),
    }
}

fn on_response(check: &Check, got: &Got) -> Option<Failed> {
    match check.kind {
        CheckKind::Status(status) if got.status.as_u16() != status => Some(Failed {
            at: check.at,
            source: check.source.to_string(),
            expected: format!("status {status}"),
            actual: format!("status {}", got.status.as_u16()),
        }),
        CheckKind::Status(_)
        | CheckKind::Upstream(..)
        | CheckKind::Path(_)
        | CheckKind::Method(_)
        | CheckKind::Field(..)
        | CheckKind::FieldContains(..)
        | CheckKind::NoField(_) => None,
        CheckKind::Header(..)
        | CheckKind::HeaderContains(..)
        | CheckKind::NoHeader(_)
        | CheckKind::Body(_)
        | CheckKind::BodyContains(_) => on_message(check, &got.headers, &got.body),
    }
}

/// The checks on headers and body, shared by both sides.
fn on_message(check: &Check, headers: &HeaderMap, body: &[u8]) -> Option<Failed> {
    let value = |name: &str| {
        let lines: Vec<String> = headers
            .get_all(name)
            .iter()
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .collect();
        (!lines.is_empty()).then(|| lines.join(", "))
    };
    let text = || Some(String::from_utf8_lossy(body).into_owned());
    let verdict = match check.kind {
        CheckKind::Header(name, want) => named(value(name), Wanted::Is(want)),
        CheckKind::HeaderContains(name, part) => named(value(name), Wanted::Containing(part)),
        CheckKind::NoHeader(name) => named(value(name), Wanted::Absent),
        CheckKind::Body(want) => named(text(), Wanted::Is(want)),
        CheckKind::BodyContains(part) => named(text(), Wanted::Containing(part)),
        CheckKind::Status(_)
        | CheckKind::Upstream(..)
        | CheckKind::Path(_)
        | CheckKind::Method(_)
        | CheckKind::Field(..)
        | CheckKind::FieldContains(..)
        | CheckKind::NoField(_) => return None,
    };
    verdict.failed(check)
}

/// What a check wants of a value (a header, a log field, a body).
enum Wanted {
    /// Exactly this.
    Is(&'static str),
    /// Present, containing this.
    Containing(&'static str),
    /// No value.
    Absent,
}

/// Whether a check held, with what it wanted and what there was, in words.
struct Verdict {
    holds: bool,
    expected: String,
    actual: String,
}

impl Verdict {
    fn failed(self, check: &Check) -> Option<Failed> {
        (!self.holds).then(|| Failed {
            at: check.at,
            source: check.source.to_string(),
            expected: self.expected,
            actual: self.actual,
        })
    }
}

/// `value` (absent: `None`) against what the check wants.
fn named(value: Option<String>, wanted: Wanted) -> Verdict {
    let actual = value.as_deref().map_or_else(|| "absent".into(), quoted);
    let (holds, expected) = match wanted {
        Wanted::Is(want) => (value.as_deref() == Some(want), quoted(want)),
        Wanted::Containing(part) => (
            value.as_deref().is_some_and(|v| v.contains(part)),
            format!("containing {}", quoted(part)),
        ),
        Wanted::Absent => (value.is_none(), "absent".into()),
    };
    Verdict {
        holds,
        expected,
        actual,
    }
}

/// A value as the test would write it, cut when long.
fn quoted(text: &str) -> String {
    const SHOWN: usize = 400;
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{:?}… ({} bytes)", &text[..cut], text.len()),
        None => format!("{text:?}"),
    }
}
