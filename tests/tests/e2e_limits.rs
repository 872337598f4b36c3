//! `examples/limits.pxy` through the whole chain, built with `proxyc build` and run as a
//! process: real HTTP clients see the 429s and 503s with their `Retry-After`, other keys and
//! other routes are not affected, places are given back when responses end, the admin
//! listener counts each refusal per limit; and the client's address comes from a trusted
//! `X-Forwarded-For` or a PROXY protocol header, never from an untrusted peer's claim.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::future::join_all;
use pxy_tests::{build_program, free_addr, HttpClient, Origin, ProxyProcess, Reply};

/// `n` concurrent GETs of `url`, each with `headers`, answers in no particular order.
async fn concurrently(
    client: &HttpClient,
    n: usize,
    url: &str,
    headers: &[(&str, &str)],
) -> Vec<Reply> {
    join_all((0..n).map(|_| client.get(url, headers))).await
}

fn statuses(replies: &[Reply]) -> Vec<u16> {
    let mut s: Vec<u16> = replies.iter().map(|r| r.status).collect();
    s.sort_unstable();
    s
}

/// The line of `examples/limits.pxy` that starts with `statement` (after indentation).
fn line_of(statement: &str) -> usize {
    let source = std::fs::read_to_string(pxy_tests::workspace_root().join("examples/limits.pxy"))
        .expect("read the example");
    1 + source
        .lines()
        .position(|l| l.trim_start().starts_with(statement))
        .unwrap_or_else(|| panic!("no `{statement}` in the example"))
}

/// The value of `pxy_limit_rejected_total{limit="NAME"}` in a scrape.
fn rejected(metrics: &str, name: &str) -> u64 {
    let series = format!("pxy_limit_rejected_total{{limit=\"{name}\"}} ");
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(series.as_str()))
        .map_or(0, |v| v.trim().parse().expect("a count"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limits_refuse_with_retry_after_and_count_per_limit() {
    let (listen, behind_lb, origin_addr) = (free_addr(), free_addr(), free_addr());
    let origin = Origin::start("app", origin_addr).await;
    let bin = build_program(
        "limits",
        &[
            ("127.0.0.1:8080".into(), listen.to_string()),
            ("127.0.0.1:8081".into(), behind_lb.to_string()),
            ("127.0.0.1:9001".into(), origin_addr.to_string()),
        ],
    );
    let admin = free_addr();
    let admin_arg = admin.to_string();
    let mut proxy = ProxyProcess::start(&bin, &["--threads", "1", "--admin", &admin_arg], 2);
    let base = format!("http://{listen}");
    let client = HttpClient::http1();

    // 100 per minute per key: a burst of 100, then one more every 0.6 s. Sent on 10
    // connections at once, all 101 arrive well within 0.6 s.
    let api = format!("{base}/api/items");
    let started = Instant::now();
    let mut first_hundred = Vec::new();
    for _ in 0..10 {
        first_hundred.extend(concurrently(&client, 10, &api, &[("x-api-key", "k1")]).await);
    }
    assert_eq!(statuses(&first_hundred), vec![200; 100]);
    let refused = client.get(&api, &[("x-api-key", "k1")]).await;
    let elapsed = started.elapsed();
    assert!(
        elapsed < Duration::from_millis(600),
        "too slow to test the burst: {elapsed:?}"
    );
    assert_eq!(refused.status, 429, "{}", refused.body);
    assert_eq!(
        refused.header("retry-after"),
        Some("1"),
        "0.6 s, rounded up"
    );
    assert_eq!(refused.body, "429 Too Many Requests\n");
    // Another key has its own budget; a route without the limit is never limited.
    assert_eq!(client.get(&api, &[("x-api-key", "k2")]).await.status, 200);
    let other = format!("{base}/other");
    for _ in 0..100 {
        let replies = concurrently(&client, 10, &other, &[("x-api-key", "k1")]).await;
        assert_eq!(statuses(&replies), vec![200; 10]);
    }

    // 3 per minute, refused with the program's own answer: the 4th waits 20 s, to the second.
    let login = format!("{base}/login");
    for _ in 0..3 {
        assert_eq!(client.get(&login, &[]).await.status, 200);
    }
    let refused = client.get(&login, &[]).await;
    assert_eq!(
        (refused.status, refused.body.as_str()),
        (429, "slow down\n")
    );
    assert_eq!(refused.header("retry-after"), Some("20"));

    // At most 2 in flight: the third of three slow requests is refused at once.
    let slow = format!("{base}/slow/700");
    let t = Instant::now();
    let replies = concurrently(&client, 3, &slow, &[]).await;
    assert_eq!(statuses(&replies), vec![200, 200, 503]);
    let busy = replies.iter().find(|r| r.status == 503).expect("a 503");
    assert_eq!(busy.header("retry-after"), Some("1"));
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    // The places are given back when the responses end.
    assert_eq!(
        statuses(&concurrently(&client, 2, &slow, &[]).await),
        vec![200, 200]
    );

    // One in flight with a 2 s queue: of three 1.5 s requests, the second waits its turn and
    // the third gives up after 2 s.
    let queued = format!("{base}/queued/slow/1500");
    let t = Instant::now();
    let replies = concurrently(&client, 3, &queued, &[]).await;
    assert_eq!(statuses(&replies), vec![200, 200, 503]);
    assert!(
        t.elapsed() >= Duration::from_millis(2900),
        "the second waited: {:?}",
        t.elapsed()
    );

    // One in flight per user: a second request of the same user is refused, another user's
    // is not.
    let per_user = format!("{base}/per-user/slow/700");
    let (ada, grace) = tokio::join!(
        concurrently(&client, 2, &per_user, &[("x-user", "ada")]),
        client.get(&per_user, &[("x-user", "grace")]),
    );
    assert_eq!(statuses(&ada), vec![200, 503]);
    assert_eq!(grace.status, 200);

    let metrics = client
        .get(&format!("http://{admin}/metrics"), &[])
        .await
        .body;
    assert_eq!(rejected(&metrics, "per_key"), 1, "{metrics}");
    assert_eq!(rejected(&metrics, "login"), 1);
    for statement in [
        "max_in_flight 2",
        "max_in_flight 1 queue 2s",
        "max_in_flight 1 by",
    ] {
        let label = format!("max_in_flight@limits.pxy:{}", line_of(statement));
        assert_eq!(rejected(&metrics, &label), 1, "{label}");
    }

    client_address(&client, listen, behind_lb, &origin).await;

    proxy.terminate(Duration::from_secs(10)).expect("exits");
    let log = proxy.log_text();
    let refused_line = log
        .lines()
        .find(|l| l.contains("pxy::access") && l.contains("status=429") && l.contains("/api/items"))
        .unwrap_or_else(|| panic!("no access line for the refused request in:\n{log}"));
    assert!(refused_line.contains("over a rate limit"), "{refused_line}");
    assert!(
        log.contains("PROXY protocol header missing or invalid"),
        "{log}"
    );
    assert!(log.contains("not a trusted proxy"), "{log}");
    origin.stop();
}

/// `client.ip` and the `X-Forwarded-For` the origin gets, from trusted and untrusted peers and
/// through the PROXY protocol listener.
async fn client_address(
    client: &HttpClient,
    listen: SocketAddr,
    behind_lb: SocketAddr,
    origin: &Origin,
) {
    let whoami = format!("http://{listen}/whoami");
    // The test's own address, 127.0.0.1, is a trusted proxy: the right-most untrusted hop.
    let r = client
        .get(&whoami, &[("x-forwarded-for", "203.0.113.7")])
        .await;
    assert_eq!(r.body, "203.0.113.7\n");
    let r = client
        .get(
            &whoami,
            &[("x-forwarded-for", "192.0.2.1, 198.51.100.1, 10.1.1.1")],
        )
        .await;
    assert_eq!(
        r.body, "198.51.100.1\n",
        "10.1.1.1 is trusted, 198.51.100.1 is not"
    );
    let r = client.get(&whoami, &[]).await;
    assert_eq!(r.body, "127.0.0.1\n");
    // Proxied from a trusted peer: the chain is kept and the peer appended.
    let r = client
        .get(
            &format!("http://{listen}/chain"),
            &[("x-forwarded-for", "203.0.113.7")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert_eq!(forwarded_for(origin, "/chain"), "203.0.113.7, 127.0.0.1");

    // From 127.0.0.2, not trusted, the header is a claim: ignored, and replaced upstream.
    let reply = from_untrusted(listen, "/whoami").await;
    assert!(reply.ends_with("\r\n\r\n127.0.0.2\n"), "{reply}");
    let reply = from_untrusted(listen, "/forged").await;
    assert!(reply.starts_with("HTTP/1.1 200"), "{reply}");
    assert_eq!(forwarded_for(origin, "/forged"), "127.0.0.2");

    // The PROXY protocol listener: the header's source is the client, v1 and v2.
    let request = b"GET /whoami HTTP/1.1\r\nhost: lb\r\nconnection: close\r\n\r\n";
    let v1 = [
        b"PROXY TCP4 192.0.2.44 127.0.0.1 5555 443\r\n".as_slice(),
        request,
    ]
    .concat();
    let reply = pxy_tests::raw_request(behind_lb, &v1).await;
    assert!(reply.ends_with("\r\n\r\n192.0.2.44\n"), "{reply}");
    let mut v2 = b"\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c".to_vec();
    v2.extend_from_slice(&[198, 51, 100, 9, 127, 0, 0, 1, 0x15, 0xb3, 0x01, 0xbb]);
    let reply = pxy_tests::raw_request(behind_lb, &[v2.as_slice(), request].concat()).await;
    assert!(reply.ends_with("\r\n\r\n198.51.100.9\n"), "{reply}");
    // Without a header the connection is closed unanswered; the listener goes on serving.
    let reply = pxy_tests::raw_request(behind_lb, request).await;
    assert_eq!(reply, "", "no answer without a PROXY header");
    let reply = pxy_tests::raw_request(behind_lb, &v1).await;
    assert!(reply.ends_with("192.0.2.44\n"), "{reply}");
    // Only the trusted load balancers may send PROXY headers: from 127.0.0.2 the same bytes
    // get the connection closed unanswered.
    assert_eq!(send_from_untrusted(behind_lb, &v1).await, "");
}

/// The `X-Forwarded-For` the origin received with the request for `path`.
fn forwarded_for(origin: &Origin, path: &str) -> String {
    let request = origin
        .requests()
        .into_iter()
        .find(|r| r.uri == path)
        .unwrap_or_else(|| panic!("the origin saw no {path}"));
    let values: Vec<String> = request
        .headers
        .iter()
        .filter(|(n, _)| n == "x-forwarded-for")
        .map(|(_, v)| v.clone())
        .collect();
    values.join(" | ")
}

/// A request for `path` claiming `X-Forwarded-For: 203.0.113.7`, sent from 127.0.0.2 (an
/// address the example does not trust); the raw reply.
async fn from_untrusted(listen: SocketAddr, path: &str) -> String {
    let request = format!(
        "GET {path} HTTP/1.1\r\nhost: x\r\nx-forwarded-for: 203.0.113.7\r\nconnection: close\r\n\r\n"
    );
    send_from_untrusted(listen, request.as_bytes()).await
}

/// `bytes` sent from 127.0.0.2; the raw reply, read until the proxy closes.
async fn send_from_untrusted(listen: SocketAddr, bytes: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let socket = tokio::net::TcpSocket::new_v4().expect("a socket");
    socket
        .bind("127.0.0.2:0".parse().expect("an address"))
        .expect("bind 127.0.0.2");
    let mut stream = socket.connect(listen).await.expect("connect");
    // The proxy may close before reading everything: a failed write is part of the answer.
    let _ = stream.write_all(bytes).await;
    let mut reply = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut reply))
        .await
        .expect("an answer within 5 s");
    // Closed with our bytes unread, the proxy's kernel may answer with a reset: no reply too.
    if let Err(e) = read {
        assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset, "{e}");
    }
    String::from_utf8_lossy(&reply).into_owned()
}
