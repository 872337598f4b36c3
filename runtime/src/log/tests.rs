//! The access log line of every format carries exactly the names in
//! [`reserved`](super::reserved) (so a field the runtime adds without listing it there, where
//! the compiler reads it, fails here), and the writer drops and counts lines it cannot keep
//! up with instead of making requests wait.

use std::io;
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::output::Output;
use super::record::Record;
use super::reserved::{self, RESERVED_FIELDS};
use super::sink::{Drops, Sink};
use super::{AccessLogFormat, LogFields};
use crate::error::{Error, ErrorKind};

fn line(format: AccessLogFormat, record: &Record<'_>) -> String {
    let mut out = Vec::new();
    format.write(record, &mut out);
    String::from_utf8(out).expect("UTF-8")
}

/// The names of `a=1 b="x \" y" c=z` after the text line's prefix.
fn kv_names(line: &str) -> Vec<String> {
    let (_, fields) = line.split_once("pxy::access: ").expect("the prefix");
    let mut names = Vec::new();
    let mut rest = fields.trim_end();
    while let Some(eq) = rest.find('=') {
        names.push(rest[..eq].trim().to_owned());
        rest = &rest[eq + 1..];
        let end = match rest.strip_prefix('"') {
            Some(quoted) => {
                let mut chars = quoted.char_indices();
                let mut end = quoted.len();
                while let Some((i, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' => {
                            end = i + 1;
                            break;
                        }
                        _ => {}
                    }
                }
                end + 1
            }
            None => rest.find(' ').unwrap_or(rest.len()),
        };
        rest = &rest[end.min(rest.len())..];
    }
    names
}

/// A record with every reserved name set, and a field of the program's.
fn full_record<'a>(extra: &'a mut LogFields, error: &'a Error) -> Record<'a> {
    extra.set("user", "a \" b=\"c");
    // What the request state adds on a gRPC error answer the proxy made.
    extra.set(reserved::GRPC_STATUS, "14");
    // And on a request of a route that caches.
    extra.set(reserved::CACHE, "miss");
    Record {
        error: Some(error),
        ..Record::sample(extra)
    }
}

fn sorted(mut names: Vec<String>) -> Vec<String> {
    names.sort();
    names
}

#[test]
fn the_text_line_has_exactly_the_reserved_names_then_the_programs() {
    let (mut extra, error) = (LogFields::default(), Error::new(ErrorKind::ConnectRefused));
    let text = line(AccessLogFormat::Text, &full_record(&mut extra, &error));
    let names = kv_names(&text);
    let (program, runtime): (Vec<String>, Vec<String>) =
        names.iter().cloned().partition(|n| n == "user");
    assert_eq!(
        program,
        ["user"],
        "the program's field is on the line once: {text}"
    );
    // The time is the line's unnamed prefix.
    let reserved: Vec<String> = RESERVED_FIELDS
        .iter()
        .filter(|n| **n != reserved::TIME)
        .map(|s| s.to_string())
        .collect();
    assert_eq!(sorted(runtime), sorted(reserved), "{text}");
}

#[test]
fn the_json_line_has_exactly_the_reserved_names_then_the_programs() {
    let (mut extra, error) = (LogFields::default(), Error::new(ErrorKind::ConnectRefused));
    let text = line(AccessLogFormat::Json, &full_record(&mut extra, &error));
    let value: serde_json::Value = serde_json::from_str(&text).expect("JSON");
    let names: Vec<String> = value
        .as_object()
        .expect("an object")
        .keys()
        .filter(|k| *k != "user")
        .cloned()
        .collect();
    let reserved: Vec<String> = RESERVED_FIELDS.iter().map(|s| s.to_string()).collect();
    assert_eq!(sorted(names), sorted(reserved), "{text}");
    assert_eq!(value["user"], "a \" b=\"c");
}

#[test]
fn kv_names_skip_quoted_values() {
    assert_eq!(
        kv_names(r#"T  INFO pxy::access: method=GET user="a \" b=\"c" grpc_status="14""#),
        ["method", "user", "grpc_status"]
    );
}

/// An output whose first write blocks until the test lets it go: a disk that stalls.
struct Stalled {
    entered: mpsc::Sender<()>,
    release: Arc<Mutex<()>>,
    lines: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl Output for Stalled {
    fn write_line(&mut self, line: &[u8]) -> io::Result<()> {
        let _ = self.entered.send(());
        drop(self.release.lock().expect("not poisoned"));
        self.lines.lock().expect("not poisoned").push(line.to_vec());
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
    fn reopen(&mut self) -> io::Result<bool> {
        Ok(false)
    }
}

#[test]
fn a_writer_that_cannot_keep_up_drops_and_counts_lines_without_blocking() {
    const CAPACITY: usize = 8;
    let (entered, writing) = mpsc::channel();
    let release = Arc::new(Mutex::new(()));
    let lines = Arc::new(Mutex::new(Vec::new()));
    let stall = release.lock().expect("not poisoned");
    let output = Stalled {
        entered,
        release: release.clone(),
        lines: lines.clone(),
    };
    let drops = Drops::unregistered();
    let sink = Sink::start(Box::new(output), CAPACITY, drops.clone()).expect("a thread");

    // The writer takes the first line and stalls on it; the queue then fills.
    sink.send(b"0\n".to_vec());
    writing
        .recv_timeout(Duration::from_secs(10))
        .expect("the writer took the first line");
    let started = Instant::now();
    for i in 1..=CAPACITY + 100 {
        sink.send(format!("{i}\n").into_bytes());
    }
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "sending never waits on the writer"
    );
    assert_eq!(
        drops.queue_full.get(),
        100,
        "beyond the queue, lines are dropped"
    );

    drop(stall);
    assert!(sink.flush(Duration::from_secs(10)), "the writer catches up");
    let written = lines.lock().expect("not poisoned").clone();
    let expected: Vec<Vec<u8>> = (0..=CAPACITY)
        .map(|i| format!("{i}\n").into_bytes())
        .collect();
    assert_eq!(written, expected, "the queued lines are written in order");
    assert_eq!(drops.write_error.get(), 0);
}
