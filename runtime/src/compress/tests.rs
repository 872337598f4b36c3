use std::io::Read;

use super::*;

fn accepting(value: &'static str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT_ENCODING, HeaderValue::from_static(value));
    headers
}

#[test]
fn the_clients_weights_decide_and_ties_go_to_zstd_then_brotli() {
    let chosen = |value| negotiate(&accepting(value));
    assert_eq!(chosen("gzip, deflate, br, zstd"), Some(Encoding::Zstd));
    assert_eq!(chosen("gzip, deflate, br"), Some(Encoding::Brotli));
    assert_eq!(chosen("gzip"), Some(Encoding::Gzip));
    assert_eq!(chosen("x-gzip"), Some(Encoding::Gzip));
    assert_eq!(chosen("br;q=0.5, gzip"), Some(Encoding::Gzip));
    assert_eq!(
        chosen("zstd;q=0, br;q=0.9, gzip;q=0.8"),
        Some(Encoding::Brotli)
    );
    assert_eq!(chosen("*"), Some(Encoding::Zstd));
    assert_eq!(chosen("*;q=0.1, gzip;q=0.2"), Some(Encoding::Gzip));
    assert_eq!(chosen("identity"), None);
    assert_eq!(chosen("gzip;q=0, *;q=0"), None);
    assert_eq!(
        chosen("gzip;q=2, br;q=0.x"),
        None,
        "malformed weights refuse"
    );
    assert_eq!(negotiate(&HeaderMap::new()), None);
}

fn response(headers: &[(&'static str, &'static str)]) -> http::response::Parts {
    let mut res = http::Response::builder();
    for (n, v) in headers {
        res = res.header(*n, *v);
    }
    res.body(()).unwrap().into_parts().0
}

#[test]
fn only_listed_types_above_the_size_not_yet_encoded_or_ranged() {
    let rule = CompressRule::DEFAULT;
    let html = [
        ("content-type", "text/html; charset=utf-8"),
        ("content-length", "5000"),
    ];
    assert!(compressible(&rule, &response(&html)));
    assert!(compressible(
        &rule,
        &response(&[("content-type", "application/json")])
    ));
    assert!(!compressible(
        &rule,
        &response(&[("content-type", "image/png")])
    ));
    assert!(!compressible(
        &rule,
        &response(&[("content-type", "text/html"), ("content-length", "100")])
    ));
    assert!(!compressible(
        &rule,
        &response(&[("content-type", "text/css"), ("content-encoding", "gzip")])
    ));
    assert!(!compressible(
        &rule,
        &response(&[
            ("content-type", "text/css"),
            ("content-range", "bytes 0-9/100")
        ])
    ));
    assert!(!compressible(
        &rule,
        &response(&[
            ("content-type", "text/css"),
            ("cache-control", "public, no-transform")
        ])
    ));
    assert!(
        !compressible(&rule, &response(&[])),
        "no type, nothing known"
    );
    let mut not_found = response(&html);
    not_found.status = StatusCode::NOT_FOUND;
    assert!(!compressible(&rule, &not_found));
    let own = CompressRule {
        types: &["application/x-ndjson"],
        min_size: 0,
    };
    assert!(compressible(
        &own,
        &response(&[("content-type", "application/x-ndjson")])
    ));
    assert!(!compressible(
        &own,
        &response(&[("content-type", "text/html")])
    ));
}

#[test]
fn vary_is_added_once_and_etags_weakened() {
    let mut headers = HeaderMap::new();
    headers.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    add_vary(&mut headers);
    assert_eq!(headers.get_all(VARY).iter().count(), 1);
    let mut headers = HeaderMap::new();
    headers.insert(VARY, HeaderValue::from_static("cookie"));
    add_vary(&mut headers);
    assert_eq!(headers.get_all(VARY).iter().count(), 2);
    assert_eq!(
        weakened(&HeaderValue::from_static("\"v1\"")).unwrap(),
        "W/\"v1\""
    );
    assert_eq!(weakened(&HeaderValue::from_static("W/\"v1\"")), None);
}

fn decoded(encoding: Encoding, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    match encoding {
        Encoding::Gzip => flate2::read::GzDecoder::new(bytes).read_to_end(&mut out),
        Encoding::Brotli => brotli::Decompressor::new(bytes, 4096).read_to_end(&mut out),
        Encoding::Zstd => zstd::stream::read::Decoder::new(bytes)
            .unwrap()
            .read_to_end(&mut out),
    }
    .unwrap();
    out
}

#[test]
fn each_encoding_streams_chunks_that_decode_to_the_body() {
    let chunks: Vec<Vec<u8>> = (0..20)
        .map(|i| {
            format!("<p>line {i} of a page that repeats itself</p>\n")
                .repeat(50)
                .into_bytes()
        })
        .collect();
    let whole: Vec<u8> = chunks.concat();
    for encoding in Encoding::PREFERRED {
        let mut encoder = Encoder::new(encoding);
        let mut out = Vec::new();
        for chunk in &chunks {
            let piece = encoder.compress(chunk).unwrap();
            assert!(
                !piece.is_empty(),
                "{encoding:?}: every chunk is flushed out"
            );
            out.extend_from_slice(&piece);
        }
        // What was sent so far decodes to what went in so far: nothing waits.
        assert!(decoded_prefix(encoding, &out).starts_with(&whole[..whole.len() / 2]));
        out.extend_from_slice(&encoder.finish().unwrap());
        assert_eq!(decoded(encoding, &out), whole, "{encoding:?}");
        assert!(
            out.len() * 10 < whole.len(),
            "{encoding:?}: {} of {}",
            out.len(),
            whole.len()
        );
    }
}

/// What a decoder gets out of a stream that has not ended.
fn decoded_prefix(encoding: Encoding, bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    let mut read = |reader: &mut dyn Read| loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    };
    match encoding {
        Encoding::Gzip => read(&mut flate2::read::GzDecoder::new(bytes)),
        Encoding::Brotli => read(&mut brotli::Decompressor::new(bytes, 4096)),
        Encoding::Zstd => read(&mut zstd::stream::read::Decoder::new(bytes).unwrap()),
    }
    out
}
