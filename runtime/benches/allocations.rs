//! Heap allocations per proxied request, counted on the proxy's own thread.
//!
//! The proxy is the one-route program `route { proxy app }` as proxyc generates it (a route
//! that picks upstream 0), served by the runtime on a current-thread Tokio runtime on a thread
//! of its own, as a generated binary with `--threads 1` runs it. The origin (a minimal hyper
//! server, 1 KiB answers) and the clients run on other threads, so what is counted is the
//! proxy's work alone: a counting global allocator adds to the totals only on the thread that
//! serves the proxy. Each mode warms up first (pooled upstream connections open, buffers
//! grown), then counts a fixed number of requests; the figure is the count divided by the
//! requests, so connection set-up that warming did is not in it.
//!
//! `cargo bench -p pxy-runtime --bench allocations` prints a table (allocations and bytes per
//! request, for HTTP/1.1 keep-alive, for cache hits of `route { cache main proxy app }` and
//! for h2c); it measures counts, not time, so the
//! machine's load does not change it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use pxy_runtime::prelude::*;

/// Requests each mode sends before counting, and while counting.
const WARMUP: usize = 2_000;
const COUNTED: usize = 20_000;
/// Concurrent client connections (HTTP/1.1), or streams on one connection (h2c).
const CONCURRENCY: usize = 8;

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);
static BYTES: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// True on the proxy's thread: only its allocations are counted.
    static COUNTED_THREAD: Cell<bool> = const { Cell::new(false) };
}

fn count(size: usize) {
    if COUNTED_THREAD.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        BYTES.fetch_add(size as u64, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded to `System` unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: forwarded as given.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size());
        // SAFETY: forwarded as given.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size);
        // SAFETY: forwarded as given.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded as given.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// `route { proxy app }` (or, with a cache, `route { cache main proxy app }`, every answer a
/// hit once the first is stored): what proxyc generates for it, reduced to the phases it
/// implements.
struct OneRoute {
    app: Upstream,
    main: Option<Cache>,
}

impl Proxy for OneRoute {
    type Ctx = Option<usize>;

    fn new_ctx(&self) -> Self::Ctx {
        None
    }

    async fn request_filter(
        &self,
        session: &mut Session,
        ctx: &mut Self::Ctx,
    ) -> Result<Option<Response>> {
        if let Some(main) = &self.main {
            session.use_cache(main, const { &CacheRule::DEFAULT });
        }
        *ctx = Some(0);
        Ok(None)
    }

    async fn upstream_peer(&self, _session: &mut Session, _ctx: &mut Self::Ctx) -> Result<Peer> {
        self.app.select()
    }
}

/// Starts a thread running `serve` on a current-thread runtime; returns what it listens on.
fn spawn_runtime_thread<F>(
    name: &str,
    counted: bool,
    serve: impl FnOnce(std::net::TcpListener) -> F + Send + 'static,
) -> SocketAddr
where
    F: std::future::Future<Output = ()>,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("address");
    listener.set_nonblocking(true).expect("nonblocking");
    let thread = std::thread::Builder::new().name(name.to_string());
    thread
        .spawn(move || {
            COUNTED_THREAD.with(|c| c.set(counted));
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(serve(listener));
        })
        .expect("thread");
    addr
}

/// The origin: 200 with a 1 KiB body to every request, HTTP/1.1 keep-alive; fresh for an
/// hour (`Cache-Control: max-age=3600`) under `/cached/`.
fn origin() -> SocketAddr {
    let body = Bytes::from(vec![b'x'; 1024]);
    spawn_runtime_thread("origin", false, move |listener| async move {
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        while let Ok((stream, _)) = listener.accept().await {
            let _ = stream.set_nodelay(true);
            let body = body.clone();
            let answer = service_fn(move |req: http::Request<hyper::body::Incoming>| {
                let mut response = http::Response::new(Full::new(body.clone()));
                if req.uri().path().starts_with("/cached/") {
                    let fresh = http::HeaderValue::from_static("max-age=3600");
                    response
                        .headers_mut()
                        .insert(http::header::CACHE_CONTROL, fresh);
                }
                async move { Ok::<_, Infallible>(response) }
            });
            tokio::spawn(
                hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), answer),
            );
        }
    })
}

/// `route { proxy app }` in front of `origin`, with `main` if given, counted.
fn proxy(origin: SocketAddr, main: Option<Cache>) -> SocketAddr {
    spawn_runtime_thread("proxy", true, move |listener| async move {
        let app = Upstream::new(
            "app",
            vec![BackendConfig::new(origin)],
            Balance::RoundRobin,
            UpstreamOptions::default(),
        )
        .expect("upstream");
        let listener = tokio::net::TcpListener::from_std(listener).expect("listener");
        let options = ServeOptions {
            access_log: false,
            ..ServeOptions::default()
        };
        let served = pxy_runtime::serve_with(
            Arc::new(OneRoute { app, main }),
            vec![listener.into()],
            options,
            std::future::pending(),
        );
        served.await.expect("serve");
    })
}

fn request(addr: SocketAddr, path: &str) -> http::Request<Full<Bytes>> {
    http::Request::get(format!("http://{addr}{path}"))
        .header("host", "app.example")
        .header("user-agent", "allocations/1.0")
        .header("accept", "*/*")
        .body(Full::new(Bytes::new()))
        .expect("request")
}

/// Sends `n` requests for `path` over `CONCURRENCY` HTTP/1.1 keep-alive connections.
async fn http1(addr: SocketAddr, path: &'static str, n: usize) {
    let mut clients = Vec::new();
    for _ in 0..CONCURRENCY {
        clients.push(tokio::spawn(async move {
            let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
            stream.set_nodelay(true).expect("nodelay");
            let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
                .await
                .expect("handshake");
            tokio::spawn(conn);
            for _ in 0..n / CONCURRENCY {
                let response = (sender.send_request(request(addr, path)).await).expect("response");
                assert_eq!(response.status(), 200);
                response.into_body().collect().await.expect("body");
            }
        }));
    }
    for client in clients {
        client.await.expect("client");
    }
}

/// Sends `n` requests as streams of one h2c connection, `CONCURRENCY` at a time.
async fn h2c(addr: SocketAddr, n: usize) {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (sender, conn) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .expect("handshake");
    tokio::spawn(conn);
    let mut streams = Vec::new();
    for _ in 0..CONCURRENCY {
        let mut sender = sender.clone();
        streams.push(tokio::spawn(async move {
            for _ in 0..n / CONCURRENCY {
                let response =
                    (sender.send_request(request(addr, "/index.html")).await).expect("response");
                assert_eq!(response.status(), 200);
                response.into_body().collect().await.expect("body");
            }
        }));
    }
    for stream in streams {
        stream.await.expect("stream");
    }
}

/// Allocations and bytes per request of `COUNTED` requests sent by `client`, after a warm-up.
fn measure<F: std::future::Future<Output = ()>>(
    runtime: &tokio::runtime::Runtime,
    client: impl Fn(usize) -> F,
) -> (f64, f64) {
    runtime.block_on(client(WARMUP));
    // Let the proxy finish the warm-up's last requests (logging, pooling) before counting.
    std::thread::sleep(Duration::from_millis(100));
    let (a0, b0) = (
        ALLOCATIONS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    runtime.block_on(client(COUNTED));
    std::thread::sleep(Duration::from_millis(100));
    let (a1, b1) = (
        ALLOCATIONS.load(Ordering::Relaxed),
        BYTES.load(Ordering::Relaxed),
    );
    let n = COUNTED as f64;
    ((a1 - a0) as f64 / n, (b1 - b0) as f64 / n)
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this too (as a quick check
    // that it works), with fewer requests being pointless: the counts are exact either way.
    let origin = origin();
    let plain = proxy(origin, None);
    // Counted too: each mode's figures are taken while only its own proxy serves.
    let cached = proxy(origin, Some(Cache::new("main", 64 << 20, 1 << 20)));
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("client runtime");
    println!(
        "allocations on the proxy's thread per request (route {{ proxy app }}, 1 KiB answers)"
    );
    println!("| mode | allocations | bytes |");
    println!("|---|---:|---:|");
    let (count, bytes) = measure(&client, |n| http1(plain, "/index.html", n));
    println!("| HTTP/1.1 keep-alive, {CONCURRENCY} connections | {count:.1} | {bytes:.0} |");
    let (count, bytes) = measure(&client, |n| http1(cached, "/cached/index.html", n));
    println!("| HTTP/1.1, cache hits (`cache main`) | {count:.1} | {bytes:.0} |");
    let (count, bytes) = measure(&client, |n| h2c(plain, n));
    println!("| h2c, 1 connection × {CONCURRENCY} streams | {count:.1} | {bytes:.0} |");
}
