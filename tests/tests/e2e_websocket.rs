//! `examples/websocket.pxy`: a real WebSocket client talks through the proxy to a real
//! WebSocket echo server (tokio-tungstenite on both ends): the handshake is proxied, 1,000
//! text and binary messages are echoed and checked, and the close handshake completes. Around
//! it: a plain request to the WebSocket route gets the local answer, an upgrade the origin
//! refuses is an ordinary response on a connection that stays usable, and plain requests are
//! served while a tunnel is open. An upstream's `tunnel_idle_timeout` closes a tunnel that
//! stays silent, and only then; its closing line comes in the access log's chosen format
//! (JSON there).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use pxy_tests::{build_program, build_source, free_addr, HttpClient, Origin, ProxyProcess};

/// Messages echoed through one tunnel.
const MESSAGES: usize = 1_000;
/// The longest any one step may take.
const STEP: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_through_the_proxy() {
    let (listen, chat, web) = (free_addr(), free_addr(), free_addr());
    let bin = build_program(
        "websocket",
        &[
            ("127.0.0.1:8080".into(), listen.to_string()),
            ("127.0.0.1:9001".into(), chat.to_string()),
            ("127.0.0.1:9002".into(), web.to_string()),
        ],
    );
    let echo = tokio::spawn(echo_server(TcpListener::bind(chat).await.expect("bind")));
    let web = Origin::start("web", web).await;
    let mut proxy = ProxyProcess::start(&bin, &[], 1);
    let http = HttpClient::http1();

    // The route proxies only upgrades: a plain request there gets the local answer.
    let r = http.get(&format!("http://{listen}/chat"), &[]).await;
    assert_eq!(r.status, 426);
    assert_eq!(r.body, "this endpoint speaks WebSocket\n");
    assert_eq!(r.header("x-upgrade"), Some("none"));

    // The handshake: a 101 with the origin's accept key, through `on response`.
    let stream = TcpStream::connect(listen).await.expect("connect");
    let (mut ws, response) = within(tokio_tungstenite::client_async(
        format!("ws://{listen}/chat"),
        stream,
    ))
    .await
    .expect("handshake through the proxy");
    assert_eq!(response.status(), 101);
    assert_eq!(response.headers()["x-upgrade"], "websocket");
    assert!(response.headers().contains_key("sec-websocket-accept"));

    // Plain requests are served while the tunnel is open.
    let r = http.get(&format!("http://{listen}/plain"), &[]).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-origin"), Some("web"));

    within(echo_messages(&mut ws)).await;

    // A clean close: our close frame out, the server's back with the same code, then the end.
    within(ws.close(Some(CloseFrame {
        code: CloseCode::Normal,
        reason: "done".into(),
    })))
    .await
    .expect("send close");
    let mut closed_with = None;
    while let Some(message) = within(ws.next()).await {
        if let Message::Close(frame) = message.expect("read until the close") {
            closed_with = frame.map(|f| f.code);
        }
    }
    assert_eq!(closed_with, Some(CloseCode::Normal));
    // The server closed its connection after the close handshake; the client closes its own
    // and the tunnel ends with a log line.
    drop(ws);
    for _ in 0..100 {
        if proxy.log_text().contains("to_upstream=") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    refused_upgrade_keeps_the_connection(listen, &web).await;

    echo.abort();
    let status = proxy
        .terminate(Duration::from_secs(10))
        .expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}");
    let log = proxy.log_text();
    assert!(log.contains("status=101"), "the 101 is logged:\n{log}");
    let relayed = |field: &str| -> u64 {
        let at = log
            .find(field)
            .unwrap_or_else(|| panic!("no {field} in\n{log}"));
        let digits: String = log[at + field.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().expect("a byte count")
    };
    let payload = payload_bytes();
    assert!(relayed("to_upstream=") > payload, "{log}");
    assert!(relayed("to_downstream=") > payload, "{log}");
}

/// Message `i` of the exchange: text and binary in turn, of varied lengths.
fn message(i: usize) -> Message {
    if i.is_multiple_of(2) {
        Message::text(format!("text message {i}"))
    } else {
        Message::binary(vec![(i % 251) as u8; i % 300 + 1])
    }
}

/// The payload bytes of all messages: each direction of the tunnel carries more (frame heads).
fn payload_bytes() -> u64 {
    (0..MESSAGES).map(|i| message(i).len() as u64).sum()
}

/// Sends [`MESSAGES`] messages, each checked as it comes back.
async fn echo_messages(ws: &mut WebSocketStream<TcpStream>) {
    for i in 0..MESSAGES {
        let message = message(i);
        ws.send(message.clone()).await.expect("send");
        let echoed = ws.next().await.expect("an echo").expect("a message");
        assert_eq!(echoed, message, "message {i}");
    }
}

/// An upgrade to an origin that does not speak WebSocket: its `200` comes back as an ordinary
/// response with the upgrade headers forwarded to it, and the client's connection carries
/// the next request.
async fn refused_upgrade_keeps_the_connection(listen: SocketAddr, web: &Origin) {
    let mut stream = TcpStream::connect(listen).await.expect("connect");
    let upgrade = "GET /refused HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\n\
                   Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
                   Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    stream.write_all(upgrade.as_bytes()).await.expect("write");
    let (head, body) = within(read_response(&mut stream)).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("x-upgrade: websocket"), "{head}");
    assert!(body.contains("\"uri\":\"/refused\""), "{body}");
    let seen = web.requests();
    let refused = seen.last().expect("the origin saw the upgrade");
    let header = |name: &str| {
        refused
            .headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(header("upgrade"), Some("websocket"));
    assert_eq!(header("connection"), Some("upgrade"));
    assert_eq!(
        header("sec-websocket-key"),
        Some("dGhlIHNhbXBsZSBub25jZQ==")
    );

    stream
        .write_all(b"GET /after HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let (head, body) = within(read_response(&mut stream)).await;
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(head.contains("x-upgrade: none"), "{head}");
    assert!(body.contains("\"uri\":\"/after\""), "{body}");
}

/// Reads one response with a `Content-Length` body: its head and body as text.
async fn read_response(stream: &mut TcpStream) -> (String, String) {
    let mut data = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end + 4]).to_lowercase();
            let length: usize = head
                .lines()
                .find_map(|line| line.strip_prefix("content-length: "))
                .and_then(|n| n.trim().parse().ok())
                .expect("a content-length");
            if data.len() >= end + 4 + length {
                return (
                    String::from_utf8_lossy(&data[..end + 4]).into_owned(),
                    String::from_utf8_lossy(&data[end + 4..end + 4 + length]).into_owned(),
                );
            }
        }
        let n = stream.read(&mut chunk).await.expect("read");
        assert!(n > 0, "connection closed mid-response: {data:?}");
        data.extend_from_slice(&chunk[..n]);
    }
}

/// A WebSocket echo server: every text and binary message goes back as it came; a close is
/// answered by tungstenite with the same code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_tunnel_is_closed_after_the_upstreams_tunnel_idle_timeout() {
    let (listen, chat) = (free_addr(), free_addr());
    let source = format!(
        "listen http {listen}\nupstream chat {{\n    server {chat}\n    tunnel_idle_timeout 600ms\n}}\nroute {{ proxy chat }}\n"
    );
    let bin = build_source("tunnel_idle", &source);
    let echo = tokio::spawn(echo_server(TcpListener::bind(chat).await.expect("bind")));
    // JSON lines: the tunnel's own line comes in the chosen format too.
    let proxy = ProxyProcess::start(&bin, &["--access-log", "json"], 1);
    let stream = TcpStream::connect(listen).await.expect("connect");
    let (mut ws, _) = within(tokio_tungstenite::client_async(
        format!("ws://{listen}/chat"),
        stream,
    ))
    .await
    .expect("handshake through the proxy");

    // A message every 200 ms keeps the tunnel open well past 600 ms.
    for i in 0..8 {
        within(ws.send(Message::text(format!("ping {i}"))))
            .await
            .expect("send");
        let echoed = within(ws.next()).await.expect("open").expect("echo");
        assert_eq!(echoed, Message::text(format!("ping {i}")));
        if i < 7 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // Then silence: the proxy closes the tunnel about 600 ms after the last byte.
    let silent = Instant::now();
    let end = within(ws.next()).await;
    assert!(
        matches!(end, None | Some(Err(_))),
        "closed without a message: {end:?}"
    );
    let waited = silent.elapsed();
    assert!(
        waited >= Duration::from_millis(450) && waited < Duration::from_secs(5),
        "closed after {waited:?}"
    );
    echo.abort();
    let json_lines = |log: &str| -> Vec<serde_json::Value> {
        log.lines()
            .filter(|l| l.starts_with('{'))
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    };
    for _ in 0..100 {
        let lines = json_lines(&proxy.log_text());
        if let Some(closed) = lines.iter().find(|l| l["tunnel"] == "closed") {
            assert!(
                closed["error"]
                    .as_str()
                    .is_some_and(|e| e.contains("tunnel idle")),
                "{closed}"
            );
            assert_eq!(closed["upstream"], chat.to_string());
            let switched = lines
                .iter()
                .find(|l| l["status"] == 101)
                .expect("the 101 line");
            assert_eq!(switched["request_id"], closed["request_id"]);
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no JSON tunnel line in the log:\n{}", proxy.log_text());
}

async fn echo_server(listener: TcpListener) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        tokio::spawn(async move {
            let Ok(mut ws) = tokio_tungstenite::accept_async(stream).await else {
                return;
            };
            while let Some(Ok(message)) = ws.next().await {
                if (message.is_text() || message.is_binary()) && ws.send(message).await.is_err() {
                    return;
                }
            }
        });
    }
}

/// `future`, or a panic after [`STEP`].
async fn within<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(STEP, future)
        .await
        .expect("step finished in time")
}
