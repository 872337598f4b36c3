//! The end-to-end harness: everything a test needs to build a `.pxy` program with the real
//! `proxyc` binary, run the proxy as a real process, stand up real origin servers and talk to it
//! with real HTTP/1.1 and HTTP/2 clients, all on 127.0.0.1.
//!
//! Every process and server started here stops when its handle is dropped, and every wait is
//! bounded in time.

mod certs;
mod load;
mod origin;
mod process;
mod prometheus;

pub use certs::Pki;
pub use load::Load;
pub use origin::{Origin, OriginRequest};
pub use process::{
    build_example_for, build_file, build_program, build_source, build_target_dir, is_running,
    proxyc, scratch_dir, DaemonProcess, ProxyProcess,
};
pub use prometheus::Prometheus;

use std::net::{SocketAddr, TcpListener};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

/// The workspace root (for `examples/`).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ is in the workspace")
        .to_path_buf()
}

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("bind an ephemeral port")
}

/// A free address on 127.0.0.1.
pub fn free_addr() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], free_port()))
}

/// A simple response as the tests look at it.
#[derive(Debug)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// The response headers.
    pub headers: hyper::HeaderMap,
    /// The body, as text.
    pub body: String,
    /// The body as it came (compressed bodies are not text).
    pub bytes: Bytes,
    /// The HTTP version the response came with.
    pub version: hyper::Version,
}

impl Reply {
    /// A header's value as text, if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The body parsed as JSON (what the test origin sends).
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

/// An HTTP client speaking HTTP/1.1 (keep-alive) or HTTP/2 with prior knowledge (h2c).
#[derive(Clone, Debug)]
pub struct HttpClient {
    client: Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>,
}

impl HttpClient {
    /// An HTTP/1.1 client.
    pub fn http1() -> Self {
        HttpClient {
            client: Client::builder(TokioExecutor::new()).build_http(),
        }
    }

    /// An HTTP/2 cleartext client (prior knowledge).
    pub fn http2() -> Self {
        HttpClient {
            client: Client::builder(TokioExecutor::new())
                .http2_only(true)
                .build_http(),
        }
    }

    /// Sends a request and reads the whole response (bounded to 30 s).
    pub async fn send(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &str,
    ) -> Reply {
        let mut req = hyper::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("valid request");
        tokio::time::timeout(std::time::Duration::from_secs(30), self.exchange(req))
            .await
            .expect("response within 30 s")
            .unwrap_or_else(|e| panic!("request reaches the proxy: {e}"))
    }

    /// `GET url`, or `None` if nothing answers within 5 s (a server still starting).
    pub async fn try_get(&self, url: &str) -> Option<Reply> {
        let req = hyper::Request::get(url)
            .body(Full::new(Bytes::new()))
            .expect("valid request");
        tokio::time::timeout(std::time::Duration::from_secs(5), self.exchange(req))
            .await
            .ok()?
            .ok()
    }

    /// Sends `req` and reads the whole response.
    async fn exchange(&self, req: hyper::Request<Full<Bytes>>) -> Result<Reply, String> {
        let resp = self
            .client
            .request(req)
            .await
            .map_err(|e| format!("{e:?}"))?;
        let (parts, body) = resp.into_parts();
        let bytes = body
            .collect()
            .await
            .map_err(|e| format!("reading the body: {e}"))?
            .to_bytes();
        Ok(Reply {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes,
            version: parts.version,
        })
    }

    /// `GET url` with headers.
    pub async fn get(&self, url: &str, headers: &[(&str, &str)]) -> Reply {
        self.send("GET", url, headers, "").await
    }
}

/// Sends raw bytes on a new TCP connection and returns what came back until the server closed
/// or 5 s passed. For malformed requests no HTTP client would send.
pub async fn raw_request(addr: SocketAddr, bytes: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.write_all(bytes).await.expect("write");
    let mut out = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(5),
        stream.read_to_end(&mut out),
    )
    .await;
    String::from_utf8_lossy(&out).into_owned()
}
