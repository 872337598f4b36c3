//! Response compression through `examples/cache.pxy` (its "cached" route says `compress`),
//! with the test origin behind it: each encoding a client accepts (zstd, brotli, gzip) is
//! sent and decodes to the origin's bytes; a client that accepts none gets them as they are,
//! still with `Vary: Accept-Encoding`; images, small answers, ranges and `HEAD` bodies are
//! not compressed; an entry stored once serves every client compressed its own way, with a
//! weak ETag when compressed; and curl, a real client, decodes what it gets.

use std::io::Read;
use std::process::Command;
use std::time::Duration;

use pxy_tests::{build_example_for, free_addr, HttpClient, Origin, ProxyProcess, Reply};

fn decoded(reply: &Reply) -> Vec<u8> {
    let bytes = &reply.bytes[..];
    let mut out = Vec::new();
    match reply.header("content-encoding") {
        Some("gzip") => flate2::read::GzDecoder::new(bytes).read_to_end(&mut out),
        Some("br") => brotli::Decompressor::new(bytes, 4096).read_to_end(&mut out),
        Some("zstd") => zstd::stream::read::Decoder::new(bytes)
            .expect("zstd")
            .read_to_end(&mut out),
        None => return bytes.to_vec(),
        Some(other) => panic!("unexpected content-encoding {other}"),
    }
    .expect("the body decodes");
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_is_compressed_as_each_client_accepts() {
    let (listen, origin_addr) = (free_addr(), free_addr());
    let origin = Origin::start("app", origin_addr).await;
    let bin = build_example_for("cache", listen, origin_addr);
    let mut proxy = ProxyProcess::start(&bin, &["--threads", "1"], 1);
    let client = HttpClient::http1();
    let text = [("x-reply-content-type", "text/plain; charset=utf-8")];
    let page = format!("http://{listen}/bytes/20000");
    let with = |accept: &'static str| {
        let mut headers = text.to_vec();
        headers.push(("accept-encoding", accept));
        headers
    };

    for (accept, encoding) in [
        ("gzip", "gzip"),
        ("br", "br"),
        ("zstd", "zstd"),
        ("gzip, deflate, br, zstd", "zstd"),
        ("gzip;q=1, br;q=0.5", "gzip"),
    ] {
        let reply = client.get(&page, &with(accept)).await;
        assert_eq!(reply.status, 200);
        assert_eq!(reply.header("content-encoding"), Some(encoding), "{accept}");
        assert_eq!(reply.header("vary"), Some("accept-encoding"));
        assert_eq!(reply.header("content-length"), None, "{accept}");
        assert!(
            reply.bytes.len() < 1000,
            "{accept}: {} bytes",
            reply.bytes.len()
        );
        assert_eq!(decoded(&reply), vec![b'x'; 20000], "{accept}");
    }

    // None accepted: as it came, with Vary so a cache in front keeps the forms apart.
    let plain = client.get(&page, &with("identity")).await;
    assert_eq!(plain.header("content-encoding"), None);
    assert_eq!(plain.header("vary"), Some("accept-encoding"));
    assert_eq!(plain.header("content-length"), Some("20000"));
    let plain = client.get(&page, &text).await;
    assert_eq!(plain.bytes.len(), 20000);

    // Not text, too small, or a HEAD: no compressed body.
    let image = [
        ("x-reply-content-type", "image/png"),
        ("accept-encoding", "gzip"),
    ];
    let png = client.get(&page, &image).await;
    assert_eq!(
        (png.header("content-encoding"), png.header("vary")),
        (None, None)
    );
    let small = client
        .get(&format!("http://{listen}/bytes/100"), &with("gzip"))
        .await;
    assert_eq!(small.header("content-encoding"), None);
    let head = client.send("HEAD", &page, &with("gzip"), "").await;
    assert_eq!(head.header("content-encoding"), Some("gzip"));
    assert!(head.bytes.is_empty());

    // Stored once, answered to each client in its own form; ranges are not compressed.
    let cached = format!("http://{listen}/bytes/5000?stored");
    let stored = |accept: &'static str| {
        let mut headers = with(accept);
        headers.push(("x-reply-cache-control", "max-age=60"));
        headers.push(("x-reply-etag", "\"v1\""));
        headers
    };
    let first = client.get(&cached, &stored("gzip")).await;
    let br = client.get(&cached, &stored("br")).await;
    let identity = client.get(&cached, &stored("identity")).await;
    let statuses: Vec<_> = [&first, &br, &identity]
        .iter()
        .map(|r| r.header("x-cache").unwrap_or("").to_owned())
        .collect();
    assert_eq!(statuses, ["miss", "hit", "hit"]);
    assert_eq!(
        (
            first.header("content-encoding"),
            br.header("content-encoding")
        ),
        (Some("gzip"), Some("br"))
    );
    assert_eq!(identity.header("content-encoding"), None);
    for reply in [&first, &br, &identity] {
        assert_eq!(decoded(reply), vec![b'x'; 5000]);
    }
    assert_eq!(
        (br.header("etag"), identity.header("etag")),
        (Some("W/\"v1\""), Some("\"v1\""))
    );
    let mut ranged = stored("gzip");
    ranged.push(("range", "bytes=0-9"));
    let part = client.get(&cached, &ranged).await;
    assert_eq!((part.status, part.header("content-encoding")), (206, None));
    assert_eq!(part.bytes.len(), 10);
    let asked = origin
        .requests()
        .iter()
        .filter(|r| r.uri == "/bytes/5000?stored")
        .count();
    assert_eq!(asked, 1, "the entry was stored once");

    // curl asks for what it can decode and decodes it.
    let out = Command::new("curl")
        .args(["-s", "--compressed", "-o", "-", "-w", "\n%{size_download}"])
        .args(["-H", "x-reply-content-type: text/html", &page])
        .output()
        .expect("run curl");
    let text = String::from_utf8_lossy(&out.stdout);
    let (body, downloaded) = text.rsplit_once('\n').expect("curl's size line");
    assert_eq!(body, "x".repeat(20000));
    let downloaded: usize = downloaded.trim().parse().expect("a size");
    assert!(downloaded < 1000, "curl downloaded {downloaded} bytes");

    proxy.terminate(Duration::from_secs(10));
    drop(origin);
}
