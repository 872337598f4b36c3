//! `examples/forward_auth.pxy` through the whole chain, with a real SSO service written here
//! (hyper on 127.0.0.1) that decides by the session cookie: a good session reaches the origin
//! with the user and groups the service named (and not the `x-user` the client forged); no
//! session gets the service's redirect to its login page, an expired one its 401, and neither
//! reaches the origin; `/public/` never asks; a service that does not answer in time is 504
//! and one that is down 502, and still nothing reaches the origin. The questions carry what
//! the client asked for and only the headers the program sends, on pooled connections.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use pxy_tests::{build_program, free_addr, HttpClient, Origin, ProxyProcess};
use tokio::net::TcpListener;

/// A question the SSO service was asked: its target, and its headers (lower-case names).
type Question = (String, Vec<(String, String)>);

/// The SSO service: the questions it was asked, and the connections it accepted.
struct Sso {
    asked: Arc<Mutex<Vec<Question>>>,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Sso {
    /// Answers by the `session` cookie: `good` → 200 with `x-user: alice`,
    /// `x-groups: staff` and `x-groups: ops`; `expired` → 401; `slow` → 200 after 4 s; none
    /// → 302 to the login page, with where the client was going.
    async fn start(addr: SocketAddr) -> Sso {
        let listener = TcpListener::bind(addr).await.expect("bind the SSO service");
        let asked = Arc::new(Mutex::new(Vec::new()));
        let connections = Arc::new(AtomicUsize::new(0));
        let (seen, count) = (asked.clone(), connections.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                let seen = seen.clone();
                let answer = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let headers: Vec<(String, String)> = (req.headers().iter())
                        .map(|(n, v)| (n.to_string(), v.to_str().unwrap_or("").to_owned()))
                        .collect();
                    seen.lock()
                        .unwrap()
                        .push((req.uri().to_string(), headers.clone()));
                    async move { Ok::<_, Infallible>(decide(&headers).await) }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), answer),
                );
            }
        });
        Sso {
            asked,
            connections,
            task,
        }
    }

    fn asked(&self) -> usize {
        self.asked.lock().unwrap().len()
    }
}

impl Drop for Sso {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn decide(headers: &[(String, String)]) -> hyper::Response<Full<Bytes>> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let session = header("cookie")
        .and_then(|c| c.split("; ").find_map(|kv| kv.strip_prefix("session=")))
        .unwrap_or("");
    let reply = hyper::Response::builder();
    let reply = match session {
        "good" => reply
            .header("x-user", "alice")
            .header("x-groups", "staff")
            .header("x-groups", "ops")
            .header("x-internal", "not for the origin")
            .body(Full::new(Bytes::new())),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(4)).await;
            reply.header("x-user", "late").body(Full::new(Bytes::new()))
        }
        "expired" => reply
            .status(401)
            .header("www-authenticate", "Bearer realm=\"shop\"")
            .body(Full::new(Bytes::from_static(b"session expired\n"))),
        _ => {
            let back = header("x-forwarded-uri").unwrap_or("/");
            reply
                .status(302)
                .header("location", format!("https://sso.example/login?rd={back}"))
                .header("content-type", "text/plain")
                .body(Full::new(Bytes::from_static(b"please log in\n")))
        }
    };
    reply.unwrap()
}

/// The values of `name` in the origin's last request.
fn seen(origin: &Origin, name: &str) -> Vec<String> {
    let request = origin.requests().pop().expect("the origin got the request");
    (request.headers.into_iter())
        .filter(|(n, _)| n == name)
        .map(|(_, v)| v)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sso_service_decides_what_reaches_the_origin() {
    let (listen, app_addr, sso_addr) = (free_addr(), free_addr(), free_addr());
    let origin = Origin::start("app", app_addr).await;
    let sso = Sso::start(sso_addr).await;
    let bin = build_program(
        "forward_auth",
        &[
            ("127.0.0.1:8080".into(), listen.to_string()),
            ("127.0.0.1:9001".into(), app_addr.to_string()),
            ("127.0.0.1:9100".into(), sso_addr.to_string()),
        ],
    );
    let mut proxy = ProxyProcess::start(&bin, &["--threads", "1"], 1);
    let client = HttpClient::http1();
    let account = format!("http://{listen}/account?tab=orders");

    // A good session passes with the service's user and groups, not the client's forgery.
    let reply = client
        .get(
            &account,
            &[
                ("cookie", "theme=dark; session=good"),
                ("x-user", "mallory"),
                ("x-groups", "admins"),
                ("x-trace", "client-only"),
            ],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(seen(&origin, "x-user"), ["alice"]);
    assert_eq!(seen(&origin, "x-groups"), ["staff", "ops"]);
    assert!(
        seen(&origin, "x-internal").is_empty(),
        "copied a header not named"
    );
    assert_eq!(
        seen(&origin, "x-trace"),
        ["client-only"],
        "the request is otherwise as sent"
    );

    // What the service was asked: the declared uri, what the client wanted, only `send`.
    let (uri, question) = sso.asked.lock().unwrap()[0].clone();
    assert_eq!(uri, "/auth?app=shop");
    let header = |name: &str| {
        question
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("cookie"), Some("theme=dark; session=good"));
    assert_eq!(header("x-forwarded-method"), Some("GET"));
    assert_eq!(header("x-forwarded-uri"), Some("/account?tab=orders"));
    assert_eq!(
        header("x-forwarded-host"),
        Some(listen.to_string().as_str())
    );
    assert_eq!(header("x-forwarded-proto"), Some("http"));
    assert_eq!(header("x-forwarded-for"), Some("127.0.0.1"));
    assert_eq!(
        header("x-user"),
        None,
        "a header `send` does not name went out"
    );
    assert_eq!(header("x-trace"), None);

    // Refusals are the service's own answers, and the origin sees nothing of them.
    let passed = origin.requests().len();
    let login = client.get(&account, &[]).await;
    assert_eq!(login.status, 302);
    assert_eq!(
        login.header("location"),
        Some("https://sso.example/login?rd=/account?tab=orders")
    );
    assert_eq!(login.body, "please log in\n");
    let expired = client.get(&account, &[("cookie", "session=expired")]).await;
    assert_eq!(expired.status, 401);
    assert_eq!(
        expired.header("www-authenticate"),
        Some("Bearer realm=\"shop\"")
    );
    assert_eq!(expired.body, "session expired\n");
    assert_eq!(
        origin.requests().len(),
        passed,
        "a refused request reached the origin"
    );

    // Public pages never ask.
    let asked = sso.asked();
    let public = client
        .get(&format!("http://{listen}/public/logo.svg"), &[])
        .await;
    assert_eq!(public.status, 200);
    assert_eq!(sso.asked(), asked);

    // Sequential questions share one pooled connection.
    for _ in 0..5 {
        let reply = client.get(&account, &[("cookie", "session=good")]).await;
        assert_eq!(reply.status, 200);
    }
    assert_eq!(sso.connections.load(Ordering::SeqCst), 1);

    // A service that does not answer within `timeout 2s` is a 504, not a pass.
    let passed = origin.requests().len();
    let started = Instant::now();
    let slow = client.get(&account, &[("cookie", "session=slow")]).await;
    assert_eq!(slow.status, 504, "{}", slow.body);
    let took = started.elapsed();
    assert!(
        (Duration::from_millis(1900)..Duration::from_millis(3500)).contains(&took),
        "the timeout took {took:?}"
    );

    // A service that is down is a 502, and the log says why.
    drop(sso);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let down = client.get(&account, &[("cookie", "session=good")]).await;
    assert_eq!(down.status, 502, "{}", down.body);
    assert_eq!(
        origin.requests().len(),
        passed,
        "a request passed without a yes"
    );

    let log = proxy.log_text();
    assert!(log.contains("reason=\"denied\" status=302"), "{log}");
    assert!(log.contains("reason=\"denied\" status=401"), "{log}");
    assert!(log.contains("reason=\"unavailable\""), "{log}");
    assert!(
        !log.contains("session=good"),
        "the log holds a credential:\n{log}"
    );

    proxy.terminate(Duration::from_secs(10));
    drop(origin);
}
