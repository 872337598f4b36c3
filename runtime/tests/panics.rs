//! A panic in a phase of the program answers 500 for that request alone: logged on
//! `pxy::panic` with the request id, counted in `pxy_panics_total`, and the same connection
//! (HTTP/1.1 keep-alive and HTTP/2) and the server go on serving.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use common::*;
use pxy_runtime::prelude::*;

/// Panics in the hook its path names; answers `ok` otherwise.
struct Panicky;

impl Proxy for Panicky {
    type Ctx = ();

    fn new_ctx(&self) {}

    async fn request_filter(
        &self,
        session: &mut Session,
        _ctx: &mut (),
    ) -> Result<Option<pxy_runtime::Response>> {
        match session.path() {
            "/panic/request_filter" => panic!("a bug in request_filter"),
            "/panic/upstream_peer" => Ok(None),
            _ => Ok(Some(
                pxy_runtime::Response::new(StatusCode::OK).with_body("ok"),
            )),
        }
    }

    async fn upstream_peer(&self, _session: &mut Session, _ctx: &mut ()) -> Result<Peer> {
        panic!("a bug in upstream_peer")
    }

    fn response_filter(
        &self,
        session: &mut Session,
        _resp: &mut http::response::Parts,
        _ctx: &mut (),
    ) -> Result<()> {
        if session.path() == "/panic/response_filter" {
            panic!("a bug in response_filter");
        }
        Ok(())
    }

    fn response_body_filter(
        &self,
        session: &mut Session,
        _body: &mut Option<Bytes>,
        _end_of_stream: bool,
        _ctx: &mut (),
    ) -> Result<()> {
        if session.path() == "/panic/response_body_filter" {
            panic!("a bug in response_body_filter");
        }
        Ok(())
    }
}

/// Log lines, captured.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn panics_counted() -> f64 {
    let text = pxy_runtime::metrics::encode_text();
    text.lines()
        .find_map(|l| l.strip_prefix("pxy_panics_total "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panicking_phase_answers_500_and_the_connection_goes_on() {
    let logs = Captured::default();
    let writer = logs.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();
    let server = ProxyServer::serve(Panicky).await;
    let before = panics_counted();

    let mut h1 = H1::connect(server.addr).await;
    for hook in ["request_filter", "upstream_peer", "response_filter"] {
        let (parts, _) = h1.get(&format!("/panic/{hook}")).await;
        assert_eq!(parts.status, StatusCode::INTERNAL_SERVER_ERROR, "{hook}");
        let (parts, body) = h1.get("/ok").await;
        assert_eq!(
            (parts.status, &body[..]),
            (StatusCode::OK, &b"ok"[..]),
            "after {hook}"
        );
    }
    let mut h2 = H2::connect(server.addr).await;
    let (parts, _) = h2.send(get("/panic/request_filter")).await;
    assert_eq!(parts.status, StatusCode::INTERNAL_SERVER_ERROR);
    let (parts, body) = h2.send(get("/ok")).await;
    assert_eq!((parts.status, &body[..]), (StatusCode::OK, &b"ok"[..]));

    // Once the header is sent, a panic in a body phase ends that connection only.
    let reply = raw_exchange(
        server.addr,
        b"GET /panic/response_body_filter HTTP/1.1\r\nHost: x\r\n\r\n",
    )
    .await;
    assert!(
        !reply.contains("\r\n\r\nok"),
        "no body after the panic: {reply}"
    );
    let (parts, _) = H1::connect(server.addr).await.get("/ok").await;
    assert_eq!(parts.status, StatusCode::OK);

    assert_eq!(panics_counted() - before, 5.0);
    let text = String::from_utf8_lossy(&logs.0.lock().expect("lock")).into_owned();
    let lines: Vec<&str> = text.lines().filter(|l| l.contains("pxy::panic")).collect();
    assert_eq!(lines.len(), 5, "one line per panic:\n{text}");
    let hooks = [
        "request_filter",
        "upstream_peer",
        "response_filter",
        "request_filter",
        "response_body_filter",
    ];
    for (line, hook) in lines.iter().zip(hooks) {
        assert!(line.contains("request_id="), "{line}");
        assert!(line.contains(&format!("a bug in {hook}")), "{line}");
    }
}
