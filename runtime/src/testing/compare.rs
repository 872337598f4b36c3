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
    let expected = case
        .upstream
        .and_then(<[Check]>::first)
        .and_then(|c| match c.kind {
            CheckKind::Upstream(name, _) => outcome.seen.iter().find(|s| s.upstream == name),
            CheckKind::Status(_)
            | CheckKind::Path(_)
            | CheckKind::Method(_)
            | CheckKind::Header(..)
            | CheckKind::HeaderContains(..)
            | CheckKind::NoHeader(_)
            | CheckKind::Body(_)
            | CheckKind::BodyContains(_) => None,
        });
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
        (None, Some(seen)) if case.reply.is_none() => failed.push(Failed {
            at: case.at,
            source: format!("test {:?}", case.name),
            expected: "an answer from the proxy itself (the test has no `reply`)".into(),
            actual: format!(
                "upstream {} (server {}) received {} {}",
                seen.upstream, seen.server, seen.method, seen.path
            ),
        }),
        (None, _) => {}
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
    failed
}

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
        CheckKind::Status(_) => None,
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
        | CheckKind::Method(_) => None,
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
    let shown = |v: &Option<String>| v.as_deref().map_or_else(|| "absent".into(), quoted);
    let text = String::from_utf8_lossy(body);
    let (holds, expected, actual) = match check.kind {
        CheckKind::Header(name, want) => {
            let v = value(name);
            (v.as_deref() == Some(want), quoted(want), shown(&v))
        }
        CheckKind::HeaderContains(name, part) => {
            let v = value(name);
            let holds = v.as_deref().is_some_and(|v| v.contains(part));
            (holds, format!("containing {}", quoted(part)), shown(&v))
        }
        CheckKind::NoHeader(name) => {
            let v = value(name);
            (v.is_none(), "absent".into(), shown(&v))
        }
        CheckKind::Body(want) => (text == want, quoted(want), quoted(&text)),
        CheckKind::BodyContains(part) => (
            text.contains(part),
            format!("containing {}", quoted(part)),
            quoted(&text),
        ),
        CheckKind::Status(_)
        | CheckKind::Upstream(..)
        | CheckKind::Path(_)
        | CheckKind::Method(_) => (true, String::new(), String::new()),
    };
    (!holds).then(|| Failed {
        at: check.at,
        source: check.source.to_string(),
        expected,
        actual,
    })
}

/// A value as the test would write it, cut when long.
fn quoted(text: &str) -> String {
    const SHOWN: usize = 400;
    match text.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{:?}… ({} bytes)", &text[..cut], text.len()),
        None => format!("{text:?}"),
    }
}
