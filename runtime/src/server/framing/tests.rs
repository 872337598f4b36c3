//! The guard over scripted reads: every input is fed split at every boundary, one byte at a
//! time and in random pieces, and read with buffers of several sizes; what comes out is what
//! hyper would receive.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, Waker};

use tokio::io::{AsyncRead, ReadBuf};

use super::head::{framing, Framing};
use super::{FramingGuard, HeadLimits, UpgradeSwitch, POISON};

const MAX_HEAD: usize = 64 * 1024;

const LIMITS: HeadLimits = HeadLimits {
    max_head: MAX_HEAD,
    max_headers: 100,
    max_uri_len: 8192,
    header_read_timeout: std::time::Duration::from_secs(60),
};

/// A connection whose reads return the given pieces, one (or part of one) per read.
struct Pieces {
    pieces: Vec<Vec<u8>>,
    next: usize,
    offset: usize,
    /// Accepted (as the service does on a `101`) just before piece `.0` is read.
    upgrade: Option<(usize, UpgradeSwitch)>,
}

impl AsyncRead for Pieces {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some((at, upgrade)) = &this.upgrade {
            if *at == this.next {
                upgrade.accept();
            }
        }
        if let Some(piece) = this.pieces.get(this.next) {
            let n = (piece.len() - this.offset).min(buf.remaining());
            buf.put_slice(&piece[this.offset..this.offset + n]);
            this.offset += n;
            if this.offset == piece.len() {
                this.next += 1;
                this.offset = 0;
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// Everything hyper would read through the guard, with reads of `read_size` bytes.
fn through_guard(pieces: Vec<Vec<u8>>, read_size: usize) -> Vec<u8> {
    through_guard_upgrading(pieces, read_size, None)
}

/// [`through_guard`], with the connection upgraded just before piece `upgrade_at` is read.
fn through_guard_upgrading(
    pieces: Vec<Vec<u8>>,
    read_size: usize,
    upgrade_at: Option<usize>,
) -> Vec<u8> {
    let client = "192.0.2.1:1234".parse().expect("address");
    let pieces = pieces.into_iter().filter(|p| !p.is_empty()).collect();
    let switch = UpgradeSwitch::default();
    let mut guard = FramingGuard::new(
        Pieces {
            pieces,
            next: 0,
            offset: 0,
            upgrade: upgrade_at.map(|at| (at, switch.clone())),
        },
        client,
        switch,
        LIMITS,
    );
    let mut cx = Context::from_waker(Waker::noop());
    let mut out = Vec::new();
    let mut storage = vec![0u8; read_size];
    loop {
        let mut buf = ReadBuf::new(&mut storage);
        match Pin::new(&mut guard).poll_read(&mut cx, &mut buf) {
            Poll::Ready(Ok(())) if buf.filled().is_empty() => return out,
            // After a cut head, nothing more is read (`Pieces` itself is always ready).
            Poll::Pending => return out,
            Poll::Ready(Ok(())) => out.extend_from_slice(buf.filled()),
            other => panic!("unexpected read result {other:?}"),
        }
    }
}

/// Ways to split `input` into reads: whole, one byte each, at every single point, and
/// random pieces.
fn splits(input: &[u8]) -> Vec<Vec<Vec<u8>>> {
    let mut all = vec![vec![input.to_vec()]];
    all.push(input.iter().map(|&b| vec![b]).collect());
    for point in 1..input.len() {
        all.push(vec![input[..point].to_vec(), input[point..].to_vec()]);
    }
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    for _ in 0..50 {
        let mut pieces = Vec::new();
        let mut rest = input;
        while !rest.is_empty() {
            let n = rng.usize(1..=rest.len().min(40));
            pieces.push(rest[..n].to_vec());
            rest = &rest[n..];
        }
        all.push(pieces);
    }
    all
}

/// Asserts that hyper receives `expected` from `input` however it is split and read.
fn assert_delivers(input: &[u8], expected: &[u8]) {
    for pieces in splits(input) {
        for read_size in [1, 7, 24, 8192] {
            let out = through_guard(pieces.clone(), read_size);
            assert!(
                out == expected,
                "read size {read_size}, pieces {:?}:\n got {:?}\nwant {:?}",
                pieces.iter().map(Vec::len).collect::<Vec<_>>(),
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(expected),
            );
        }
    }
}

/// Asserts that `input` passes unchanged.
fn assert_passes(input: &[u8]) {
    assert_delivers(input, input);
}

/// Asserts that `good` passes and `bad`, the head after it, is refused: hyper receives
/// `good`, `bad` up to its final line feed, then the poison and the end of the stream.
fn assert_refused(good: &[u8], bad: &[u8], after: &[u8]) {
    let input = [good, bad, after].concat();
    let expected = [good, &bad[..bad.len() - 1], POISON].concat();
    assert_delivers(&input, &expected);
}

const GET: &[u8] = b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n";
const CL_TE: &[u8] =
    b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n";
const SMUGGLED: &[u8] = b"0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

#[test]
fn content_length_body_then_next_request() {
    let request = b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello";
    assert_passes(&[&request[..], GET].concat());
    assert_refused(&[&request[..], GET].concat(), CL_TE, SMUGGLED);
}

#[test]
fn a_body_is_not_mistaken_for_a_head() {
    let body = [CL_TE, SMUGGLED].concat();
    let head = format!("POST /a HTTP/1.1\r\nContent-Length: {}\r\n\r\n", body.len());
    assert_passes(&[head.as_bytes(), &body, GET].concat());
}

#[test]
fn chunked_body_with_extensions_and_trailers_then_next_request() {
    let request = b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n\
        5;name=value\r\nhello\r\nA \t; x\r\n0123456789\r\n\
        0;last\r\nX-Trailer: 1\r\nX-Other: 2\r\n\r\n";
    assert_passes(&[&request[..], GET].concat());
    assert_refused(&[&request[..], GET].concat(), CL_TE, SMUGGLED);
    let bare = b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
    assert_refused(&bare[..], CL_TE, b"");
}

#[test]
fn pipelined_requests_pass_and_a_bad_one_among_them_is_cut() {
    let pipelined = [
        GET,
        GET,
        b"POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\nok",
        GET,
    ]
    .concat();
    assert_passes(&pipelined);
    assert_refused(&pipelined, CL_TE, &[SMUGGLED, GET].concat());
}

#[test]
fn content_length_with_transfer_encoding_is_refused_in_either_order() {
    assert_refused(b"", CL_TE, SMUGGLED);
    let te_first =
        b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nHost: x\r\ncontent-length: 4\r\n\r\n";
    assert_refused(b"", te_first, SMUGGLED);
}

#[test]
fn bad_transfer_encodings_are_refused() {
    let gzip = b"POST /a HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n";
    assert_refused(GET, gzip, b"abc");
    let chunked_then_gzip =
        b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n";
    assert_refused(GET, chunked_then_gzip, b"");
    let http10 = b"POST /a HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_refused(b"", http10, SMUGGLED);
}

#[test]
fn content_lengths_must_agree_and_be_digits() {
    let differing = b"POST /a HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n";
    assert_refused(GET, differing, b"abcd");
    for value in [
        "4, 5",
        "4, 4",
        "+4",
        "-1",
        "0x4",
        "",
        "99999999999999999999999",
    ] {
        let head = format!("POST /a HTTP/1.1\r\nContent-Length: {value}\r\n\r\n");
        assert_eq!(
            framing(head.as_bytes(), 100),
            Framing::Refuse("invalid Content-Length"),
            "{value:?}"
        );
    }
    let same = b"POST /a HTTP/1.1\r\nContent-Length: 4\r\nContent-Length: 4\r\n\r\nabcd";
    assert_passes(&[&same[..], GET].concat());
}

#[test]
fn framing_is_judged_per_rfc_9112() {
    let cases: [(&[u8], Framing); 5] = [
        (b"GET / HTTP/1.1\r\n\r\n", Framing::Empty),
        (
            b"POST / HTTP/1.1\r\nCONTENT-LENGTH: 0\r\n\r\n",
            Framing::Empty,
        ),
        (
            b"POST / HTTP/1.1\r\ncontent-length: 12\r\n\r\n",
            Framing::Length(12),
        ),
        (
            b"POST / HTTP/1.1\r\ntransfer-encoding: CHUNKED \r\n\r\n",
            Framing::Chunked,
        ),
        (b"GET / HTTP/2.0\r\n\r\n", Framing::Unparsable),
    ];
    for (head, expected) in cases {
        assert_eq!(
            framing(head, 100),
            expected,
            "{}",
            String::from_utf8_lossy(head)
        );
    }
}

#[test]
fn bare_line_feeds_and_leading_empty_lines_are_followed_like_httparse() {
    let lf_only = b"\r\n\nPOST /a HTTP/1.1\nContent-Length: 2\n\nokGET / HTTP/1.1\n\n";
    assert_passes(lf_only);
    let bad_lf_only = b"\nPOST /a HTTP/1.1\nContent-Length: 4\nTransfer-Encoding: chunked\n\n";
    assert_refused(lf_only, bad_lf_only, SMUGGLED);
    let mixed = b"POST /a HTTP/1.1\r\nContent-Length: 4\nTransfer-Encoding: chunked\n\r\n";
    assert_refused(GET, mixed, SMUGGLED);
}

#[test]
fn http2_preface_passes_through_untouched() {
    let h2 = [
        &b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"[..],
        &[0, 0, 0, 4, 0, 0, 0, 0, 0],
        CL_TE,
        SMUGGLED,
    ]
    .concat();
    assert_passes(&h2);
    // Not quite the preface: an HTTP/1 head like any other.
    assert_refused(
        b"",
        b"PRI /a HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        b"",
    );
}

const UPGRADE: &[u8] =
    b"GET /ws HTTP/1.1\r\nHost: x\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n";

/// A masked WebSocket text frame "hi", a binary frame holding a whole request head with
/// ambiguous framing, and a close frame: bytes no HTTP/1 reader could follow.
fn frames() -> Vec<u8> {
    let mut frames = vec![0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2];
    frames.extend_from_slice(&[0x82, 126, 0, (CL_TE.len() + SMUGGLED.len()) as u8]);
    frames.extend_from_slice(CL_TE);
    frames.extend_from_slice(SMUGGLED);
    frames.extend_from_slice(&[0x88, 0x80, 9, 9, 9, 9]);
    frames
}

#[test]
fn refused_upgrades_and_connects_are_followed_like_any_other_request() {
    // Without a `101` hyper keeps reading HTTP/1 requests after these.
    let connect = b"CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n";
    assert_refused(&[UPGRADE, &connect[..]].concat(), CL_TE, SMUGGLED);
    assert_refused(UPGRADE, CL_TE, &frames());
}

#[test]
fn an_accepted_upgrade_passes_every_later_byte_untouched() {
    let frames = frames();
    for read_size in [1, 7, 24, 8192] {
        for tunnel in [frames.clone(), [CL_TE, SMUGGLED].concat()] {
            let input = [UPGRADE, &tunnel[..]].concat();
            let pieces = vec![UPGRADE.to_vec(), tunnel];
            let out = through_guard_upgrading(pieces, read_size, Some(1));
            assert!(out == input, "read size {read_size}: {out:?}");
        }
    }
}

#[test]
fn bytes_read_before_the_upgrade_is_accepted_are_still_vetted() {
    // A client pipelining a smuggling attempt behind its upgrade request, before the `101`.
    let pieces = vec![
        [UPGRADE, CL_TE, SMUGGLED].concat(),
        b"frames after the 101".to_vec(),
    ];
    let expected = [UPGRADE, &CL_TE[..CL_TE.len() - 1], POISON].concat();
    for read_size in [1, 7, 24, 8192] {
        let out = through_guard_upgrading(pieces.clone(), read_size, Some(1));
        assert!(out == expected, "read size {read_size}: {out:?}");
    }
}

#[test]
fn what_hyper_rejects_itself_passes_through() {
    // A malformed chunk size: hyper fails the body and closes.
    let bad_chunk = b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n";
    assert_passes(&[&bad_chunk[..], CL_TE, SMUGGLED].concat());
    // An unparsable head: hyper answers 400.
    let bad_head = b"GET /a HTTP/1.1\r\nBad Name: 1\r\n\r\n";
    assert_passes(&[&bad_head[..], CL_TE, SMUGGLED].concat());
    // A head over hyper's limit: hyper answers 431.
    let mut huge = b"GET /a HTTP/1.1\r\nX-Big: ".to_vec();
    huge.resize(MAX_HEAD + 10, b'a');
    let input = [
        &huge[..],
        b"\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n",
    ]
    .concat();
    for read_size in [4096, 8192] {
        let out = through_guard(vec![input.clone()], read_size);
        assert!(out == input, "a huge head was not passed through");
    }
}

#[test]
fn a_target_over_the_limit_is_cut_one_byte_past_it_and_completed() {
    let target = format!("/{}", "a".repeat(9000));
    let input = [
        format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes(),
        SMUGGLED,
    ]
    .concat();
    let expected = [
        &input[..4 + LIMITS.max_uri_len + 1],
        super::line::COMPLETION,
    ]
    .concat();
    let byte_by_byte: Vec<Vec<u8>> = input.iter().map(|&b| vec![b]).collect();
    let in_pieces: Vec<Vec<u8>> = input.chunks(1000).map(<[u8]>::to_vec).collect();
    for pieces in [vec![input.clone()], byte_by_byte, in_pieces] {
        for read_size in [1, 7, 8192, 65536] {
            let out = through_guard(pieces.clone(), read_size);
            assert!(
                out == expected,
                "read size {read_size}: got {} bytes ending {:?}",
                out.len(),
                String::from_utf8_lossy(&out[out.len().saturating_sub(20)..])
            );
        }
    }
    // At the limit, nothing changes.
    let at_limit = format!(
        "GET /{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(LIMITS.max_uri_len - 1)
    )
    .into_bytes();
    let byte_by_byte: Vec<Vec<u8>> = at_limit.iter().map(|&b| vec![b]).collect();
    for pieces in [vec![at_limit.clone()], byte_by_byte] {
        assert!(through_guard(pieces, 8192) == at_limit);
    }
}

#[test]
fn the_header_timer_covers_heads_and_the_first_wait_only() {
    use super::framer::Framer;
    let mut framer = Framer::new(LIMITS);
    assert!(framer.in_head(), "before the first head");
    framer.vet(b"GET / HTTP/1.1\r\n");
    assert!(framer.in_head());
    framer.vet(b"Content-Length: 3\r\n\r\n");
    assert!(!framer.in_head(), "in a body");
    framer.vet(b"abc");
    assert!(!framer.in_head(), "between requests");
    framer.vet(b"\r\n");
    assert!(!framer.in_head(), "empty lines between requests");
    framer.vet(b"G");
    assert!(framer.in_head(), "a second head");
    framer.vet(b"ET / HTTP/1.1\r\n\r\n");
    assert!(!framer.in_head());
    let mut h2 = Framer::new(LIMITS);
    h2.vet(b"PRI * HTTP/2.0\r\n");
    assert!(h2.in_head(), "inside the preface");
    assert!(!h2.is_http2(), "not yet the whole preface");
    h2.vet(b"\r\nSM\r\n\r\n");
    assert!(!h2.in_head(), "HTTP/2 is not followed");
    assert!(h2.is_http2());
    assert!(!framer.is_http2(), "HTTP/1.1");
}
