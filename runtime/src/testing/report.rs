//! What `proxyc test` prints: a line per test, the failures with their expected and actual
//! values and where the expectation is written, a summary line; and JUnit XML for CI systems.

use std::fmt::Write as _;
use std::time::Duration;

use super::compare::Failed;

/// How one test ended.
#[derive(Debug)]
pub(super) struct Ran {
    /// The test's name.
    pub(super) name: &'static str,
    /// Where it is written.
    pub(super) at: &'static str,
    /// What did not hold (empty: passed), or why it could not run.
    pub(super) result: Result<Vec<Failed>, String>,
    /// How long it took.
    pub(super) took: Duration,
}

impl Ran {
    pub(super) fn passed(&self) -> bool {
        matches!(&self.result, Ok(failed) if failed.is_empty())
    }
}

/// The line printed when a test ends.
pub(super) fn line(ran: &Ran) -> String {
    let verdict = if ran.passed() { "ok" } else { "FAILED" };
    format!("test {:?} ... {verdict}", ran.name)
}

/// The details of every failed test, then the summary line.
pub(super) fn summary(ran: &[Ran], filtered_out: usize, took: Duration) -> String {
    let mut out = String::new();
    for test in ran.iter().filter(|r| !r.passed()) {
        let _ = writeln!(out, "\n---- {:?} ({})", test.name, test.at);
        match &test.result {
            Ok(failed) => {
                for f in failed {
                    let _ = writeln!(out, "{}: {}", f.at, f.source);
                    let _ = writeln!(out, "    expected: {}", f.expected);
                    let _ = writeln!(out, "    actual:   {}", f.actual);
                }
            }
            Err(why) => {
                let _ = writeln!(out, "could not run: {why}");
            }
        }
    }
    let passed = ran.iter().filter(|r| r.passed()).count();
    let _ = write!(out, "\n{passed} passed, {} failed", ran.len() - passed);
    if filtered_out > 0 {
        let _ = write!(out, ", {filtered_out} filtered out");
    }
    let _ = write!(out, " ({:.2}s)", took.as_secs_f64());
    out
}

/// JUnit XML for the tests of program `suite`, as CI systems read it.
pub(super) fn junit(suite: &str, ran: &[Ran], took: Duration) -> String {
    let failures = ran.iter().filter(|r| !r.passed()).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites tests=\"{}\" failures=\"{failures}\" time=\"{:.3}\">",
        ran.len(),
        took.as_secs_f64()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" time=\"{:.3}\">",
        xml(suite),
        ran.len(),
        took.as_secs_f64()
    );
    for test in ran {
        let _ = write!(
            out,
            "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" time=\"{:.3}\"",
            xml(test.name),
            xml(suite),
            xml(test.at),
            test.took.as_secs_f64()
        );
        let text = match &test.result {
            Ok(failed) if failed.is_empty() => {
                out.push_str("/>\n");
                continue;
            }
            Ok(failed) => failed
                .iter()
                .map(|f| {
                    format!(
                        "{}: {}\n    expected: {}\n    actual:   {}\n",
                        f.at, f.source, f.expected, f.actual
                    )
                })
                .collect::<String>(),
            Err(why) => format!("could not run: {why}\n"),
        };
        let message = text.lines().next().unwrap_or_default();
        let _ = writeln!(
            out,
            ">\n      <failure message=\"{}\">{}</failure>\n    </testcase>",
            xml(message),
            xml(&text)
        );
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// `text` escaped for XML text and attribute values.
fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and newlines are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed() -> Ran {
        Ran {
            name: "a <b>",
            at: "p.pxy:3:1",
            result: Ok(vec![Failed {
                at: "p.pxy:5:5",
                source: "expect 200".into(),
                expected: "status 200".into(),
                actual: "status 404".into(),
            }]),
            took: Duration::from_millis(12),
        }
    }

    #[test]
    fn summary_shows_the_failing_expectation_and_counts() {
        let ok = Ran {
            name: "fine",
            at: "p.pxy:1:1",
            result: Ok(Vec::new()),
            took: Duration::ZERO,
        };
        assert_eq!(line(&ok), "test \"fine\" ... ok");
        let text = summary(&[ok, failed()], 2, Duration::from_millis(500));
        assert!(text
            .contains("p.pxy:5:5: expect 200\n    expected: status 200\n    actual:   status 404"));
        assert!(
            text.ends_with("1 passed, 1 failed, 2 filtered out (0.50s)"),
            "{text}"
        );
    }

    #[test]
    fn junit_escapes_and_marks_failures() {
        let xml = junit("p", &[failed()], Duration::from_millis(12));
        assert!(xml.contains("<testcase name=\"a &lt;b&gt;\""));
        assert!(xml.contains("<failure message=\"p.pxy:5:5: expect 200\">"));
        assert!(xml.contains("tests=\"1\" failures=\"1\""));
    }
}
