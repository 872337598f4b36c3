//! A real origin server for tests: hyper on 127.0.0.1, HTTP/1.1 and HTTP/2, answering with a
//! JSON description of the request it received, and counting requests and connections.
//!
//! Special paths: `/status/NNN` answers with that status; `/slow/MS` waits before answering;
//! `/bytes/N` answers with N bytes. TLS origins ([`Origin::start_tls`]) offer `h2` by ALPN.
//! Every answer carries `x-powered-by: test-origin` and `x-origin: NAME`.
//!
//! For cache tests, a request header `x-reply-NAME: VALUE` makes the answer carry
//! `NAME: VALUE` (`x-reply-cache-control: max-age=2`, `x-reply-etag: "v1"`); an answer whose
//! `etag` the request's `if-none-match` names is `304 Not Modified` without a body. The JSON
//! body says `n`, the request's number (1 for the first the origin received).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpListener;

/// What the origin saw of one request.
#[derive(Debug, Clone)]
pub struct OriginRequest {
    /// Method.
    pub method: String,
    /// Path and query.
    pub uri: String,
    /// Headers, lower-case names, in order.
    pub headers: Vec<(String, String)>,
    /// Body length.
    pub body_len: usize,
}

#[derive(Debug, Default)]
struct Stats {
    requests: Mutex<Vec<OriginRequest>>,
    connections: AtomicUsize,
}

/// A running origin; stops when dropped.
#[derive(Debug)]
pub struct Origin {
    /// Where it listens.
    pub addr: SocketAddr,
    name: String,
    stats: Arc<Stats>,
    task: tokio::task::JoinHandle<()>,
}

impl Origin {
    /// Starts an origin called `name` on `addr` (use [`crate::free_addr`]).
    pub async fn start(name: &str, addr: SocketAddr) -> Origin {
        Origin::serve(name, addr, None).await
    }

    /// Starts an origin speaking TLS with the certificate `cert` and key `key` (PEM files),
    /// offering `h2` and `http/1.1` by ALPN.
    pub async fn start_tls(
        name: &str,
        addr: SocketAddr,
        cert: &std::path::Path,
        key: &std::path::Path,
    ) -> Origin {
        use boring::ssl::{AlpnError, SslAcceptor, SslFiletype, SslMethod};
        let mut tls = SslAcceptor::mozilla_intermediate_v5(SslMethod::tls()).expect("context");
        tls.set_certificate_chain_file(cert).expect("certificate");
        tls.set_private_key_file(key, SslFiletype::PEM)
            .expect("key");
        tls.set_alpn_select_callback(|_, client| {
            boring::ssl::select_next_proto(b"\x02h2\x08http/1.1", client).ok_or(AlpnError::NOACK)
        });
        Origin::serve(name, addr, Some(Arc::new(tls.build()))).await
    }

    async fn serve(
        name: &str,
        addr: SocketAddr,
        tls: Option<Arc<boring::ssl::SslAcceptor>>,
    ) -> Origin {
        let listener = TcpListener::bind(addr).await.expect("bind origin");
        let stats = Arc::new(Stats::default());
        let (s, n) = (stats.clone(), name.to_string());
        let task = tokio::spawn(async move {
            // Connections live in this set, so stopping the origin (aborting this task) drops
            // them too: a stopped origin must look dead even to pooled keep-alive connections.
            let mut connections = tokio::task::JoinSet::new();
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    continue;
                };
                s.connections.fetch_add(1, Ordering::SeqCst);
                let (s, n, tls) = (s.clone(), n.clone(), tls.clone());
                while connections.try_join_next().is_some() {}
                connections.spawn(async move {
                    let svc = service_fn(move |req| answer(req, s.clone(), n.clone()));
                    let builder =
                        hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
                    match tls {
                        None => {
                            let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                        }
                        Some(tls) => {
                            if let Ok(stream) = tokio_boring::accept(&tls, stream).await {
                                let _ = builder.serve_connection(TokioIo::new(stream), svc).await;
                            }
                        }
                    }
                });
            }
        });
        Origin {
            addr,
            name: name.to_string(),
            stats,
            task,
        }
    }

    /// The origin's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Requests received so far.
    pub fn requests(&self) -> Vec<OriginRequest> {
        self.stats.requests.lock().expect("not poisoned").clone()
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> usize {
        self.stats.connections.load(Ordering::SeqCst)
    }

    /// Stops listening and drops open connections' tasks.
    pub fn stop(self) {}
}

impl Drop for Origin {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer(
    req: hyper::Request<hyper::body::Incoming>,
    stats: Arc<Stats>,
    name: String,
) -> Result<hyper::Response<Full<Bytes>>, hyper::Error> {
    let (parts, body) = req.into_parts();
    let body = body.collect().await?.to_bytes();
    let seen = OriginRequest {
        method: parts.method.to_string(),
        uri: parts.uri.to_string(),
        headers: parts
            .headers
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body_len: body.len(),
    };
    let n = {
        let mut requests = stats.requests.lock().expect("not poisoned");
        requests.push(seen.clone());
        requests.len()
    };
    let mut reply = hyper::Response::builder();
    for (name, value) in &seen.headers {
        if let Some(name) = name.strip_prefix("x-reply-") {
            reply = reply.header(name, value.as_str());
        }
    }
    let etag = seen.headers.iter().find(|(k, _)| k == "x-reply-etag");
    let if_none_match = seen.headers.iter().find(|(k, _)| k == "if-none-match");
    if let (Some((_, etag)), Some((_, asked))) = (etag, if_none_match) {
        if asked.split(',').any(|tag| tag.trim() == etag) {
            return Ok(reply
                .status(304)
                .header("x-origin", name)
                .body(Full::new(Bytes::new()))
                .expect("valid response"));
        }
    }
    let path = parts.uri.path();
    let mut status = 200;
    if let Some(code) = path.strip_prefix("/status/") {
        status = code.parse().unwrap_or(500);
    }
    if let Some(ms) = path.strip_prefix("/slow/") {
        tokio::time::sleep(std::time::Duration::from_millis(ms.parse().unwrap_or(1000))).await;
    }
    let headers: serde_json::Map<String, serde_json::Value> = seen
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    if let Some(n) = path.strip_prefix("/bytes/") {
        let n: usize = n.parse().unwrap_or(0);
        return Ok(reply
            .header("x-origin", name)
            .body(Full::new(Bytes::from(vec![b'x'; n])))
            .expect("valid response"));
    }
    let json = serde_json::json!({
        "origin": name,
        "version": format!("{:?}", parts.version),
        "method": seen.method,
        "uri": seen.uri,
        "headers": headers,
        "body_len": seen.body_len,
        "n": n,
    });
    Ok(reply
        .status(status)
        .header("content-type", "application/json")
        .header("x-powered-by", "test-origin")
        .header("x-origin", name)
        .body(Full::new(Bytes::from(json.to_string())))
        .expect("valid response"))
}
