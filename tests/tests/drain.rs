//! A graceful stop drains in-flight requests even while a TLS handshake is under way: the
//! server used to skip draining (and return at once) whenever a handshake task was still
//! running when it stopped, which would fail the requests of an HTTPS proxy's upgrade.

use std::sync::Arc;
use std::time::{Duration, Instant};

use pxy_runtime::prelude::*;
use pxy_runtime::{serve_with, tls_acceptors, Listener};
use pxy_tests::{HttpClient, Pki};

/// Answers every request by itself after `DELAY`.
struct Slow;

const DELAY: Duration = Duration::from_millis(800);

impl Proxy for Slow {
    type Ctx = ();

    fn new_ctx(&self) {}

    async fn request_filter(&self, _: &mut Session, _: &mut ()) -> Result<Option<Response>> {
        tokio::time::sleep(DELAY).await;
        Ok(Some(Response::new(StatusCode::OK).with_body("slow\n")))
    }

    async fn upstream_peer(&self, _: &mut Session, _: &mut ()) -> Result<Peer> {
        Err(Error::new(ErrorKind::Internal))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_tls_handshake_does_not_stop_the_drain() {
    let pki = Pki::generate("drain");
    let tls = TlsConfig {
        certs: vec![CertKey {
            cert: pki.file("api.pem"),
            key: pki.file("api.key"),
        }],
        alpn: vec![Alpn::Http11],
        client_auth: None,
    };
    let any: SocketAddr = "127.0.0.1:0".parse().expect("address");
    let acceptor = tls_acceptors(&[ListenerConfig::https(any, tls)])
        .expect("the certificate loads")
        .pop()
        .flatten();
    let plain = tokio::net::TcpListener::bind(any).await.expect("bind");
    let secure = tokio::net::TcpListener::bind(any).await.expect("bind");
    let (plain_addr, secure_addr) = (
        plain.local_addr().expect("address"),
        secure.local_addr().expect("address"),
    );
    let listeners = vec![Listener::from(plain), Listener::new(secure, acceptor)];
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let options = ServeOptions {
        grace_period: Duration::from_secs(10),
        access_log: false,
        ..ServeOptions::default()
    };
    let served = tokio::spawn(serve_with(Arc::new(Slow), listeners, options, async {
        let _ = stopped.await;
    }));

    // A client that connects to the TLS listener and says nothing: its handshake waits.
    let mut stalled = tokio::net::TcpStream::connect(secure_addr)
        .await
        .expect("connect");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let slow = tokio::spawn(async move {
        HttpClient::http1()
            .get(&format!("http://{plain_addr}/"), &[])
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.send(()).expect("the server listens for the stop");
    let reply = slow.await.expect("the slow request's task");
    assert_eq!((reply.status, reply.body.as_str()), (200, "slow\n"));
    assert!(
        !served.is_finished(),
        "the server was still draining when the in-flight request ended"
    );
    // The stalled handshake is the last thing open; once it ends, the server returns.
    use tokio::io::AsyncWriteExt as _;
    stalled.shutdown().await.expect("close");
    drop(stalled);
    let ended = Instant::now();
    tokio::time::timeout(Duration::from_secs(5), served)
        .await
        .expect("the server returns once the handshake ended")
        .expect("the server task")
        .expect("serve_with");
    assert!(ended.elapsed() < Duration::from_secs(5));
}
