//! Range requests on a caching route (`examples/cache.pxy`, the counting test origin
//! behind it): a stored entry answers `bytes=a-b`, `bytes=a-` and `bytes=-n` with `206` and
//! `Content-Range`, an unsatisfiable range with `416`, several ranges and a mismatched
//! `If-Range` with the whole `200`; a range that misses asks the origin for the whole
//! object (no `Range` upstream), stores it and answers the range cut from it. With hyper
//! and with curl.

use std::time::Duration;

use pxy_tests::{build_example_for, free_addr, HttpClient, Origin, ProxyProcess};

/// What every request asks the origin for: a minute of freshness and a validator.
const KEEP: [(&str, &str); 2] = [
    ("x-reply-cache-control", "max-age=60"),
    ("x-reply-etag", "\"v1\""),
];

/// [`KEEP`] and `extra`.
fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut headers = KEEP.to_vec();
    headers.extend_from_slice(extra);
    headers
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ranges_are_answered_from_the_cache() {
    let (listen, origin_addr) = (free_addr(), free_addr());
    let origin = Origin::start("app", origin_addr).await;
    let bin = build_example_for("cache", listen, origin_addr);
    let mut proxy = ProxyProcess::start(&bin, &["--threads", "2"], 1);
    let base = format!("http://{listen}");
    let client = HttpClient::http1();
    let keep = KEEP;

    // A range that misses: the whole object is asked for and stored, the range cut from it.
    let url = format!("{base}/r/miss");
    let first = client.get(&url, &with(&[("range", "bytes=5-14")])).await;
    assert_eq!(first.status, 206, "{:?}", first.headers);
    assert_eq!(first.header("x-cache"), Some("miss"));
    assert_eq!(first.body.len(), 10);
    assert_eq!(first.header("content-length"), Some("10"));
    assert_eq!(first.header("accept-ranges"), Some("bytes"));
    let sent = origin.requests();
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].headers.iter().all(|(name, _)| name != "range"),
        "the origin is asked for the whole object: {:?}",
        sent[0].headers
    );
    let whole = client.get(&url, &keep).await;
    assert_eq!((whole.status, whole.header("x-cache")), (200, Some("hit")));
    assert_eq!(whole.header("accept-ranges"), Some("bytes"));
    let len = whole.body.len();
    assert!(len > 100, "{len}");
    assert_eq!(first.body, whole.body[5..15]);
    assert_eq!(
        first.header("content-range"),
        Some(format!("bytes 5-14/{len}").as_str())
    );

    // Hits: the three forms of one range.
    let cases: [(&str, usize, usize); 4] = [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, len - 1),
        ("bytes=-50", len - 50, len - 1),
        ("bytes=10-100000", 10, len - 1),
    ];
    for (range, start, end) in cases {
        let reply = client.get(&url, &with(&[("range", range)])).await;
        assert_eq!(reply.status, 206, "{range}");
        assert_eq!(reply.header("x-cache"), Some("hit"), "{range}");
        assert_eq!(reply.body, whole.body[start..=end], "{range}");
        let content_range = format!("bytes {start}-{end}/{len}");
        assert_eq!(reply.header("content-range"), Some(content_range.as_str()));
    }

    // Unsatisfiable: 416 with the length.
    let past = format!("bytes={len}-");
    let reply = client.get(&url, &with(&[("range", past.as_str())])).await;
    assert_eq!(reply.status, 416);
    assert_eq!(reply.body, "");
    let star = format!("bytes */{len}");
    assert_eq!(reply.header("content-range"), Some(star.as_str()));

    // Several ranges, and an If-Range that does not match: the whole object.
    let ignored: [&[(&str, &str)]; 3] = [
        &[("range", "bytes=0-1,5-6")],
        &[("range", "bytes=0-9"), ("if-range", "\"v2\"")],
        &[("range", "bytes=0-9"), ("if-range", "W/\"v1\"")],
    ];
    for extra in ignored {
        let reply = client.get(&url, &with(extra)).await;
        assert_eq!(reply.status, 200, "{extra:?}");
        assert_eq!(reply.body, whole.body, "{extra:?}");
        assert_eq!(reply.header("content-range"), None);
    }
    let matching = with(&[("range", "bytes=0-9"), ("if-range", "\"v1\"")]);
    let reply = client.get(&url, &matching).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (206, &whole.body[..10])
    );

    // A HEAD ignores the range.
    let head = client
        .send("HEAD", &url, &with(&[("range", "bytes=0-9")]), "")
        .await;
    assert_eq!(head.status, 200);
    assert_eq!(origin.requests().len(), 1, "everything came from the cache");

    // curl, on a miss and a hit.
    for (path, cache) in [("/r/curl", "miss"), ("/r/curl", "hit")] {
        let curl = std::process::Command::new("curl")
            .args([
                "-s",
                "-D",
                "-",
                "-r",
                "3-7",
                "-H",
                "x-reply-cache-control: max-age=60",
                &format!("{base}{path}"),
            ])
            .output()
            .expect("curl is installed by scripts/setup.sh");
        let out = String::from_utf8_lossy(&curl.stdout).into_owned();
        assert!(out.starts_with("HTTP/1.1 206"), "{out}");
        assert!(out.contains(&format!("x-cache: {cache}")), "{out}");
        assert!(out.contains("content-range: bytes 3-7/"), "{out}");
        let body = out.split("\r\n\r\n").nth(1).expect("a body");
        assert_eq!(body.len(), 5, "{out}");
    }
    assert_eq!(origin.requests().len(), 2);

    let status = proxy
        .terminate(Duration::from_secs(10))
        .expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}");
}
