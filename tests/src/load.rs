//! A bounded client load for tests that replace the proxy under traffic (upgrades, deploys):
//! HTTP/1.1 keep-alive loops, HTTP/1.1 loops opening a connection per request, and HTTP/2
//! cleartext loops sharing one connection, each sending `GET url` and sorting every answer by
//! its body into the answers the test expects, or into failures.
//!
//! An HTTP/2 request refused unprocessed by a server's GOAWAY is sent again (RFC 9113 §6.8,
//! §8.7 allow it, and browsers do), at most three times, and counted apart: that is what a
//! client does when a process stops accepting streams, not a failed request.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Empty};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

type LoadClient = Client<HttpConnector, Empty<Bytes>>;

/// One expected answer and how often, and when last, it came.
struct Expected {
    body: Bytes,
    count: AtomicU64,
    last: Mutex<Option<Instant>>,
}

/// What the clients saw.
struct Tally {
    expected: Vec<Expected>,
    sent: AtomicU64,
    failed: AtomicU64,
    retried: AtomicU64,
    /// The first failures, for assertion messages.
    errors: Mutex<Vec<String>>,
    /// No loop sends more than this many requests in all.
    cap: u64,
    deadline: Instant,
}

impl Tally {
    fn fail(&self, what: String) {
        self.failed.fetch_add(1, Ordering::SeqCst);
        let mut errors = self.errors.lock().expect("not poisoned");
        if errors.len() < 10 {
            errors.push(what);
        }
    }

    fn answered(&self, status: hyper::StatusCode, body: &Bytes) {
        match self.expected.iter().find(|e| e.body == body) {
            Some(expected) if status == 200 => {
                expected.count.fetch_add(1, Ordering::SeqCst);
                *expected.last.lock().expect("not poisoned") = Some(Instant::now());
            }
            _ => self.fail(format!("{status} {body:?}")),
        }
    }
}

/// A running load; stop it with [`Load::finish`] (dropping it leaves its loops to end at
/// their deadline).
pub struct Load {
    tally: Arc<Tally>,
    stop: Arc<AtomicBool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    /// Starts 4 HTTP/1.1 keep-alive loops, 2 HTTP/1.1 loops with a new connection per
    /// request and 4 HTTP/2 loops on `url`, each answer expected to be `200` with one of the
    /// `answers` as its body. The loops stop at [`Load::finish`], after `cap` requests in all,
    /// or after `within`, whichever comes first.
    pub fn start(url: &str, answers: &[&str], cap: u64, within: Duration) -> Load {
        let tally = Arc::new(Tally {
            expected: answers
                .iter()
                .map(|a| Expected {
                    body: Bytes::from(a.to_string()),
                    count: AtomicU64::new(0),
                    last: Mutex::new(None),
                })
                .collect(),
            sent: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            retried: AtomicU64::new(0),
            errors: Mutex::new(Vec::new()),
            cap,
            deadline: Instant::now() + within,
        });
        let stop = Arc::new(AtomicBool::new(false));
        let keep_alive: LoadClient = Client::builder(TokioExecutor::new()).build_http();
        let fresh: LoadClient = Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(0)
            .build_http();
        let h2: LoadClient = Client::builder(TokioExecutor::new())
            .http2_only(true)
            .build_http();
        let mut tasks = Vec::new();
        for (client, loops) in [(keep_alive, 4), (fresh, 2), (h2, 4)] {
            for _ in 0..loops {
                tasks.push(tokio::spawn(client_loop(
                    client.clone(),
                    url.to_owned(),
                    tally.clone(),
                    stop.clone(),
                )));
            }
        }
        Load { tally, stop, tasks }
    }

    /// Requests sent so far.
    pub fn sent(&self) -> u64 {
        self.tally.sent.load(Ordering::SeqCst)
    }

    /// Requests answered with `answer` so far.
    pub fn answered(&self, answer: &str) -> u64 {
        self.expected(answer).count.load(Ordering::SeqCst)
    }

    /// When `answer` last came, if it did.
    pub fn last_answered(&self, answer: &str) -> Option<Instant> {
        *self.expected(answer).last.lock().expect("not poisoned")
    }

    /// Requests that failed: an error, a timeout (10 s), or an unexpected answer.
    pub fn failed(&self) -> u64 {
        self.tally.failed.load(Ordering::SeqCst)
    }

    /// HTTP/2 requests sent again because a GOAWAY refused them unprocessed.
    pub fn retried(&self) -> u64 {
        self.tally.retried.load(Ordering::SeqCst)
    }

    /// The first failures, described.
    pub fn errors(&self) -> Vec<String> {
        self.tally.errors.lock().expect("not poisoned").clone()
    }

    /// Waits until more than `count` requests were sent; panics after `within`.
    pub async fn wait_sent(&self, count: u64, within: Duration) {
        let deadline = Instant::now() + within;
        while self.sent() <= count {
            assert!(
                Instant::now() < deadline,
                "the load sent only {} of {count} requests within {within:?}",
                self.sent()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Stops every loop and waits for them.
    pub async fn finish(self) {
        self.stop.store(true, Ordering::SeqCst);
        for task in self.tasks {
            task.await.expect("a client loop");
        }
    }

    fn expected(&self, answer: &str) -> &Expected {
        self.tally
            .expected
            .iter()
            .find(|e| e.body == answer.as_bytes())
            .unwrap_or_else(|| panic!("{answer:?} is not one of the load's answers"))
    }
}

type Answer = Result<(hyper::StatusCode, Bytes), hyper_util::client::legacy::Error>;

/// One `GET url`, within 10 s (`Err` on timeout).
async fn send(client: &LoadClient, url: &str) -> Result<Answer, tokio::time::error::Elapsed> {
    let request = hyper::Request::get(url)
        .body(Empty::new())
        .expect("a valid request");
    tokio::time::timeout(Duration::from_secs(10), async {
        let response = client.request(request).await?;
        let status = response.status();
        match response.into_body().collect().await {
            Ok(body) => Ok((status, body.to_bytes())),
            // A body cut short is a failure: report it with the status it had.
            Err(e) => Ok((status, Bytes::from(format!("body: {e:?}")))),
        }
    })
    .await
}

/// Whether `error` is an HTTP/2 stream refused by the server's GOAWAY (so never processed).
fn refused_by_goaway(error: &hyper_util::client::legacy::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(e) = source {
        if let Some(h2) = e.downcast_ref::<h2::Error>() {
            return h2.is_go_away() && h2.is_remote() && h2.reason() == Some(h2::Reason::NO_ERROR);
        }
        source = e.source();
    }
    false
}

/// Sends `GET url` until `stop` is set, the cap is reached or the deadline passes.
async fn client_loop(client: LoadClient, url: String, tally: Arc<Tally>, stop: Arc<AtomicBool>) {
    while !stop.load(Ordering::SeqCst)
        && Instant::now() < tally.deadline
        && tally.sent.fetch_add(1, Ordering::SeqCst) < tally.cap
    {
        let mut answer = send(&client, &url).await;
        for _ in 0..3 {
            match &answer {
                Ok(Err(e)) if refused_by_goaway(e) => {
                    tally.retried.fetch_add(1, Ordering::SeqCst);
                    answer = send(&client, &url).await;
                }
                _ => break,
            }
        }
        match answer {
            Ok(Ok((status, body))) => tally.answered(status, &body),
            Ok(Err(e)) => tally.fail(format!("{e:?}")),
            Err(_) => tally.fail("no answer within 10 s".into()),
        }
    }
}
