//! The access log line carries exactly the names in [`reserved`](super::reserved), so a
//! field the runtime adds without listing it there (where the compiler reads it) fails here.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::Layer;

use super::reserved::RESERVED_FIELDS;
use crate::error::{Error, ErrorKind, Result};
use crate::log::LogFields;
use crate::phase::Proxy;
use crate::request_state::RequestState;
use crate::session::Session;
use crate::upstream::Peer;

/// A program whose `logging` adds one field of its own.
struct Logs;

impl Proxy for Logs {
    type Ctx = ();

    fn new_ctx(&self) {}

    async fn upstream_peer(&self, _: &mut Session, _: &mut ()) -> Result<Peer> {
        Err(Error::new(ErrorKind::Internal))
    }

    fn logging(&self, _: &mut Session, _: Option<&Error>, _: &mut (), fields: &mut LogFields) {
        fields.set("user", "alice");
    }
}

/// The field names of every `pxy::access` event: the ones the event declares, then the
/// `name="value"` pairs of its message (the extra fields).
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<Vec<String>>>>);

struct Names {
    names: Vec<String>,
    message: Option<String>,
}

impl Visit for Names {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        match field.name() {
            "message" => self.message = Some(format!("{value:?}")),
            name => self.names.push(name.to_owned()),
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Capture {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() != "pxy::access" {
            return;
        }
        // Declared names, whether or not this line had a value for them.
        let mut names: Vec<String> = event
            .metadata()
            .fields()
            .iter()
            .map(|f| f.name().to_owned())
            .filter(|n| n != "message")
            .collect();
        let mut visited = Names {
            names: Vec::new(),
            message: None,
        };
        event.record(&mut visited);
        names.extend(extra_names(visited.message.as_deref().unwrap_or_default()));
        self.0.lock().expect("not poisoned").push(names);
    }
}

/// The names of `a="x" b="y \" z"`.
fn extra_names(message: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = message;
    while let Some(eq) = rest.find("=\"") {
        names.push(rest[..eq].trim().to_owned());
        let mut chars = rest[eq + 2..].char_indices();
        let mut end = rest.len();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => {
                    end = eq + 2 + i + 1;
                    break;
                }
                _ => {}
            }
        }
        rest = &rest[end..];
    }
    names
}

#[test]
fn the_access_line_has_exactly_the_reserved_names_then_the_programs() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::registry().with(capture.clone());
    tracing::subscriber::with_default(subscriber, || {
        let req = http::Request::post("/echo.Echo/Unary")
            .header("content-type", "application/grpc")
            .body(())
            .expect("a valid request");
        let session = Session::new_synthetic(req, "127.0.0.1:5000".parse().expect("an address"));
        let mut state = RequestState::new(
            Arc::new(Logs),
            true,
            session,
            Instant::now(),
            Arc::new(crate::metrics::requests::RouteMetrics::new(&[])),
        );
        // What the server records on a gRPC error answer it made itself.
        state.grpc_status = Some(14);
        state.finish(Some(Error::new(ErrorKind::ConnectRefused)));
    });
    let lines = capture.0.lock().expect("not poisoned").clone();
    let [names] = lines.as_slice() else {
        panic!("one access line expected, got {lines:?}");
    };
    let (program, mut runtime): (Vec<String>, Vec<String>) =
        names.iter().cloned().partition(|n| n == "user");
    assert_eq!(program, ["user"], "the program's field is on the line once");
    runtime.sort();
    let mut reserved: Vec<String> = RESERVED_FIELDS.iter().map(|s| s.to_string()).collect();
    reserved.sort();
    assert_eq!(
        runtime, reserved,
        "the runtime's names on the line: {names:?}"
    );
}

#[test]
fn extra_names_skip_quoted_values() {
    assert_eq!(
        extra_names(r#"user="a \" b=\"c" grpc_status="14""#),
        ["user", "grpc_status"]
    );
}
