//! Cost of `verify_forward` on the request path, as the generated code runs it: the question
//! built from the session, sent on a pooled HTTP/1.1 connection to an auth service on
//! 127.0.0.1, its answer read and the `copy` headers moved onto the request. The service is a
//! minimal hyper server (200 with `x-user`) on a thread of its own, so the time is one real
//! loopback round trip: the proxy's share of it is what `benches/load.sh` sees as CPU, the
//! rest is the service and the kernel.

use std::convert::Infallible;
use std::hint::black_box;
use std::net::SocketAddr;

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use http_body_util::Full;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use pxy_runtime::prelude::*;

/// Starts the auth service on a thread with its own runtime; returns its address.
fn auth_service() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    listener.set_nonblocking(true).expect("nonblocking");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
            while let Ok((stream, _)) = listener.accept().await {
                let _ = stream.set_nodelay(true);
                let answer = service_fn(|_req: http::Request<hyper::body::Incoming>| async {
                    let response = http::Response::builder()
                        .header("x-user", "alice")
                        .body(Full::new(Bytes::new()));
                    Ok::<_, Infallible>(response.expect("response"))
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), answer),
                );
            }
        });
    });
    addr
}

fn session() -> Session {
    let req = http::Request::get("/account?tab=orders")
        .header("host", "shop.example")
        .header("cookie", "session=0123456789abcdef; theme=dark")
        .header("user-agent", "bench/1.0")
        .header("accept", "text/html")
        .body(())
        .expect("request");
    Session::new_synthetic(req, "127.0.0.1:40000".parse().expect("addr"))
}

fn verify(c: &mut Criterion) {
    let service = Arc::new(
        Upstream::new(
            "auth",
            Vec::from([BackendConfig::new(auth_service())]),
            Balance::RoundRobin,
            UpstreamOptions::default(),
        )
        .expect("upstream"),
    );
    // As in the proxy: the check runs in a task on the worker that also drives the pooled
    // connection's task.
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("verify_forward");
    for (name, send) in [
        ("all_headers", Vec::new()),
        (
            "send_cookie_only",
            Vec::from([HeaderName::from_static("cookie")]),
        ),
    ] {
        let verifier = Arc::new(
            ForwardAuth::new(ForwardAuthConfig {
                send,
                copy: Vec::from([HeaderName::from_static("x-user")]),
                ..ForwardAuthConfig::new("bench", "/verify")
            })
            .expect("verifier"),
        );
        let passes = |mut session: Session| {
            let (verifier, service) = (verifier.clone(), service.clone());
            let check = runtime.spawn(async move {
                let verdict = verifier.verify(&service, black_box(&mut session)).await;
                matches!(verdict, Ok(None))
            });
            runtime.block_on(check).expect("the check ran")
        };
        assert!(passes(session()), "the service lets the request pass");
        group.bench_function(name, |b| b.iter(|| assert!(passes(session()))));
    }
    group.finish();
}

criterion_group!(benches, verify);
criterion_main!(benches);
