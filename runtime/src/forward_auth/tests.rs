//! `ForwardAuth` against a real auth service on 127.0.0.1: a hyper server that records what it
//! was asked and answers as the test says.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use super::*;
use crate::upstream::{BackendConfig, Balance, UpstreamOptions};

/// How the test's auth service answers a question.
#[derive(Clone, Copy)]
enum Reply {
    /// 200 with `x-user: alice` and `x-other: no`.
    Pass,
    /// 302 to a login page, with a body and a hop-by-hop header.
    Login,
    /// 200 with a body larger than the proxy passes on.
    Huge,
    /// Never answers.
    Silent,
}

/// A running auth service: what it was asked, and how many connections it accepted.
struct Service {
    addr: SocketAddr,
    asked: Arc<Mutex<Vec<http::request::Parts>>>,
    connections: Arc<AtomicUsize>,
}

async fn service(reply: Reply) -> Service {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let connections = Arc::new(AtomicUsize::new(0));
    let (seen, count) = (asked.clone(), connections.clone());
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            let seen = seen.clone();
            let answer = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                seen.lock().unwrap().push(req.into_parts().0);
                async move {
                    let response = match reply {
                        Reply::Pass => http::Response::builder()
                            .header("x-user", "alice")
                            .header("x-other", "no")
                            .body(Full::new(Bytes::new())),
                        Reply::Login => http::Response::builder()
                            .status(302)
                            .header("location", "/login")
                            .header("keep-alive", "timeout=5")
                            .body(Full::new(Bytes::from_static(b"log in first\n"))),
                        Reply::Huge => http::Response::builder()
                            .body(Full::new(Bytes::from(vec![b'x'; MAX_ANSWER_BODY + 1]))),
                        Reply::Silent => {
                            std::future::pending::<()>().await;
                            unreachable!()
                        }
                    };
                    Ok::<_, Infallible>(response.unwrap())
                }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), answer),
            );
        }
    });
    Service {
        addr,
        asked,
        connections,
    }
}

fn upstream(addr: SocketAddr) -> Upstream {
    Upstream::new(
        "auth",
        vec![BackendConfig::new(addr)],
        Balance::RoundRobin,
        UpstreamOptions::default(),
    )
    .unwrap()
}

fn verifier(configure: impl FnOnce(&mut ForwardAuthConfig)) -> ForwardAuth {
    let mut config = ForwardAuthConfig::new("sso", "/verify?app=web");
    config.copy = vec![HeaderName::from_static("x-user")];
    configure(&mut config);
    ForwardAuth::new(config).unwrap()
}

/// A client's `POST https://shop.example:8443/cart?id=7` from 192.0.2.9 with a body, credentials
/// and a forged `x-user`.
fn session() -> Session {
    let req = http::Request::builder()
        .method("POST")
        .uri("/cart?id=7")
        .header("host", "shop.example:8443")
        .header("authorization", "Bearer t0ken")
        .header("cookie", "sid=1")
        .header("content-length", "5")
        .header("connection", "keep-alive")
        .header("x-user", "mallory")
        .header("x-forwarded-for", "10.9.9.9")
        .body(())
        .unwrap();
    Session::new_synthetic(req, "192.0.2.9:4000".parse().unwrap())
}

fn run<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn a_2xx_passes_and_moves_only_the_copied_headers_onto_the_request() {
    run(async {
        let auth = service(Reply::Pass).await;
        let mut session = session();
        let verdict = verifier(|_| {})
            .verify(&upstream(auth.addr), &mut session)
            .await
            .unwrap();
        assert!(verdict.is_none());
        let users: Vec<_> = session.headers().get_all("x-user").iter().collect();
        assert_eq!(users, ["alice"], "the forged x-user is gone");
        assert!(session.headers().get("x-other").is_none());

        let asked = auth.asked.lock().unwrap();
        let question = &asked[0];
        assert_eq!(question.method, Method::GET);
        assert_eq!(question.uri, "/verify?app=web");
        let header = |name: &str| question.headers.get(name).map(|v| v.to_str().unwrap());
        assert_eq!(header("host"), Some(auth.addr.to_string().as_str()));
        assert_eq!(header("authorization"), Some("Bearer t0ken"));
        assert_eq!(header("cookie"), Some("sid=1"));
        assert_eq!(header("x-forwarded-method"), Some("POST"));
        assert_eq!(header("x-forwarded-proto"), Some("http"));
        assert_eq!(header("x-forwarded-host"), Some("shop.example:8443"));
        assert_eq!(header("x-forwarded-uri"), Some("/cart?id=7"));
        assert_eq!(
            header("x-forwarded-for"),
            Some("192.0.2.9"),
            "never the client's list"
        );
        assert_eq!(header("content-length"), None, "the question has no body");
        assert_eq!(header("connection"), None);
    });
}

#[test]
fn send_limits_the_headers_the_auth_service_sees() {
    run(async {
        let auth = service(Reply::Pass).await;
        let only_cookie = verifier(|c| c.send = vec![HeaderName::from_static("cookie")]);
        only_cookie
            .verify(&upstream(auth.addr), &mut session())
            .await
            .unwrap();
        let asked = auth.asked.lock().unwrap();
        let headers = &asked[0].headers;
        assert_eq!(headers.get("cookie").unwrap(), "sid=1");
        assert!(headers.get("authorization").is_none());
        assert!(headers.get("x-user").is_none());
        assert_eq!(headers.get("x-forwarded-uri").unwrap(), "/cart?id=7");
    });
}

#[test]
fn any_other_answer_goes_to_the_client_as_the_service_sent_it() {
    run(async {
        let auth = service(Reply::Login).await;
        let mut session = session();
        let refused = verifier(|_| {})
            .verify(&upstream(auth.addr), &mut session)
            .await
            .unwrap()
            .expect("a 302 is returned to the client");
        assert_eq!(refused.status(), 302);
        assert_eq!(refused.headers()["location"], "/login");
        assert!(refused.headers().get("keep-alive").is_none());
        assert_eq!(refused.body().as_ref(), b"log in first\n");
        assert_eq!(session.headers()["x-user"], "mallory", "nothing copied");
    });
}

#[test]
fn connections_to_the_auth_service_are_pooled() {
    run(async {
        let auth = service(Reply::Pass).await;
        let (verifier, upstream) = (verifier(|_| {}), upstream(auth.addr));
        for _ in 0..5 {
            let verdict = verifier.verify(&upstream, &mut session()).await.unwrap();
            assert!(verdict.is_none());
        }
        assert_eq!(auth.asked.lock().unwrap().len(), 5);
        assert_eq!(auth.connections.load(Ordering::SeqCst), 1);
    });
}

#[test]
fn an_unreachable_slow_or_oversized_service_fails_the_request() {
    run(async {
        let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let nobody = closed.local_addr().unwrap();
        drop(closed);
        let e = verifier(|_| {})
            .verify(&upstream(nobody), &mut session())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ConnectRefused);

        let silent = service(Reply::Silent).await;
        let quick = verifier(|c| c.timeout = Duration::from_millis(200));
        let started = std::time::Instant::now();
        let e = quick
            .verify(&upstream(silent.addr), &mut session())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::ReadTimeout);
        assert_eq!(e.status(), 504);
        assert!(started.elapsed() < Duration::from_secs(2));

        let huge = service(Reply::Huge).await;
        let e = verifier(|_| {})
            .verify(&upstream(huge.addr), &mut session())
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::UpstreamProtocol);
    });
}

#[test]
fn a_path_that_is_not_origin_form_is_refused_at_start_up() {
    for bad in ["verify", "http://x/verify", ""] {
        let e = ForwardAuth::new(ForwardAuthConfig::new("sso", bad)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{bad:?}");
    }
}
