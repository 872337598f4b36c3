//! Response compression: what `compress [{ types ... min_size S }]` compiles to.
//!
//! A route (or `on request`) names a [`CompressRule`] on the session
//! ([`Session::use_compression`]); when the response header is final (after
//! `response_filter`), [`start`] decides: a `200` whose media type the rule lists, not
//! already encoded, not a range, not smaller than `min_size` (when its length is known),
//! without `Cache-Control: no-transform`, to a client whose `Accept-Encoding` takes zstd,
//! brotli or gzip. Such a response gets `Content-Encoding`, `Vary: Accept-Encoding`, a weak
//! `ETag` (the bytes differ from the origin's) and no `Content-Length` or `Accept-Ranges`;
//! its body is then compressed chunk by chunk as it streams ([`Encoder`]), each chunk
//! flushed, so a streamed response (server-sent events, a long download) reaches the client
//! as promptly as uncompressed. A response that could be compressed gets
//! `Vary: Accept-Encoding` even when this client takes none of the encodings, so that a
//! cache in front does not serve one client's form to another.
//!
//! The HTTP cache stores what the origin sent, once; a hit is compressed on its way out as
//! a miss is (the stored entry serves every `Accept-Encoding`, at the price of compressing
//! each hit: memory once rather than per encoding).

use std::io::Write;

use bytes::Bytes;
use http::header::{
    ACCEPT_ENCODING, ACCEPT_RANGES, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE,
    CONTENT_TYPE, ETAG, VARY,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};

use crate::error::{Error, ErrorKind, Result};
use crate::session::Session;

/// A route's compression settings: generated code makes one `static` per `compress`.
#[derive(Debug, Clone, Copy)]
pub struct CompressRule {
    /// The media types compressed: `text/html`, or `text/*` for a whole top-level type,
    /// lower case.
    pub types: &'static [&'static str],
    /// Responses whose `Content-Length` is smaller are sent as they are.
    pub min_size: u64,
}

/// The media types compressed unless a `compress` names its own: text formats that are not
/// compressed already.
pub const DEFAULT_TYPES: &[&str] = &[
    "text/*",
    "application/json",
    "application/javascript",
    "application/xml",
    "application/xhtml+xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/wasm",
    "image/svg+xml",
];

/// The smallest response compressed unless a `compress` says otherwise: below it the
/// encoding's own framing eats most of the gain.
pub const DEFAULT_MIN_SIZE: u64 = 256;

impl CompressRule {
    /// [`DEFAULT_TYPES`] above [`DEFAULT_MIN_SIZE`].
    pub const DEFAULT: CompressRule = CompressRule {
        types: DEFAULT_TYPES,
        min_size: DEFAULT_MIN_SIZE,
    };

    /// Whether `content_type` (a `Content-Type` value) is one of the rule's types.
    fn compresses(&self, content_type: &str) -> bool {
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        self.types.iter().any(|t| match t.strip_suffix("/*") {
            Some(top) => essence
                .split_once('/')
                .is_some_and(|(essence_top, _)| essence_top.eq_ignore_ascii_case(top)),
            None => essence.eq_ignore_ascii_case(t),
        })
    }
}

/// A content coding the proxy produces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `zstd` (RFC 8878).
    Zstd,
    /// `br` (RFC 7932).
    Brotli,
    /// `gzip` (RFC 1952).
    Gzip,
}

impl Encoding {
    /// In order of preference when a client takes several equally.
    const PREFERRED: [Encoding; 3] = [Encoding::Zstd, Encoding::Brotli, Encoding::Gzip];

    /// The token of `Content-Encoding` and `Accept-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Encoding::Zstd => "zstd",
            Encoding::Brotli => "br",
            Encoding::Gzip => "gzip",
        }
    }
}

/// The encoding to answer a client's `Accept-Encoding` with (RFC 9110 §12.5.3): the one it
/// gives the highest weight, ties broken by [`Encoding::PREFERRED`]; `*` stands for those it
/// does not name; a weight of 0 refuses.
pub fn negotiate(request: &HeaderMap) -> Option<Encoding> {
    let mut named: Vec<(&str, u16)> = Vec::new();
    for value in request.get_all(ACCEPT_ENCODING) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut parts = item.split(';');
            let coding = parts.next().unwrap_or_default().trim();
            if coding.is_empty() {
                continue;
            }
            let weight = parts
                .find_map(|p| {
                    let (name, value) = p.split_once('=')?;
                    name.trim()
                        .eq_ignore_ascii_case("q")
                        .then(|| weight(value.trim()))
                })
                .unwrap_or(Some(1000));
            if let Some(weight) = weight {
                named.push((coding, weight));
            }
        }
    }
    let weight_of = |token: &str| {
        (named.iter().find(|(c, _)| c.eq_ignore_ascii_case(token)))
            .or_else(|| named.iter().find(|(c, _)| *c == "*"))
            .map(|(_, w)| *w)
    };
    let mut best: Option<(Encoding, u16)> = None;
    for encoding in Encoding::PREFERRED {
        let weight = match encoding {
            // An old alias some clients still send.
            Encoding::Gzip => weight_of("gzip").or_else(|| weight_of("x-gzip")),
            Encoding::Zstd | Encoding::Brotli => weight_of(encoding.token()),
        };
        if let Some(weight) = weight.filter(|w| *w > 0) {
            if best.is_none_or(|(_, b)| weight > b) {
                best = Some((encoding, weight));
            }
        }
    }
    best.map(|(encoding, _)| encoding)
}

/// A qvalue (`0`, `0.5`, `1.000`) in thousandths; `None` when malformed.
fn weight(value: &str) -> Option<u16> {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    if fraction.len() > 3 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths = format!("{fraction:0<3}").parse::<u16>().ok()?;
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

/// Decides for the response header `parts` to the request in `session`, and adjusts the
/// header when the body is to be compressed: the encoder of the body, or `None` to send it
/// as it is (always for `HEAD`, whose header still says what a `GET` would get).
pub(crate) fn start(session: &Session, parts: &mut http::response::Parts) -> Option<Encoder> {
    let rule = session.compression()?;
    if !compressible(rule, parts) {
        return None;
    }
    add_vary(&mut parts.headers);
    let encoding = negotiate(session.headers())?;
    let headers = &mut parts.headers;
    headers.insert(CONTENT_ENCODING, HeaderValue::from_static(encoding.token()));
    headers.remove(CONTENT_LENGTH);
    headers.remove(ACCEPT_RANGES);
    if let Some(weak) = headers.get(ETAG).and_then(weakened) {
        headers.insert(ETAG, weak);
    }
    (*session.method() != Method::HEAD).then(|| Encoder::new(encoding))
}

/// Whether the response may be compressed under `rule`, whoever asks.
fn compressible(rule: &CompressRule, parts: &http::response::Parts) -> bool {
    let headers = &parts.headers;
    let text = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let no_transform = headers
        .get_all(CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|d| d.trim().eq_ignore_ascii_case("no-transform"));
    let too_small = text(CONTENT_LENGTH)
        .and_then(|len| len.parse::<u64>().ok())
        .is_some_and(|len| len < rule.min_size);
    parts.status == StatusCode::OK
        && !headers.contains_key(CONTENT_ENCODING)
        && !headers.contains_key(CONTENT_RANGE)
        && !no_transform
        && !too_small
        && text(CONTENT_TYPE).is_some_and(|t| rule.compresses(t))
}

/// Adds `accept-encoding` to `Vary` unless it is there (or `Vary: *`), read as the cache
/// reads `Vary`.
fn add_vary(headers: &mut HeaderMap) {
    let listed =
        crate::cache::vary::names(headers).map_or(true, |names| names.contains(&ACCEPT_ENCODING));
    if !listed {
        headers.append(VARY, HeaderValue::from_static("accept-encoding"));
    }
}

/// `W/"x"` for a strong `"x"`; `None` for a weak one (already right).
fn weakened(etag: &HeaderValue) -> Option<HeaderValue> {
    let bytes = etag.as_bytes();
    if bytes.starts_with(b"W/") {
        return None;
    }
    let mut weak = Vec::with_capacity(bytes.len() + 2);
    weak.extend_from_slice(b"W/");
    weak.extend_from_slice(bytes);
    HeaderValue::from_bytes(&weak).ok()
}

/// Compresses one response body as it streams: each chunk in, the compressed bytes so far
/// out (flushed, so nothing waits for more input), and the end of the stream at the end.
/// Public for programs written against the runtime directly, and for the benches.
pub struct Encoder {
    inner: Inner,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let encoding = match self.inner {
            Inner::Gzip(_) => Encoding::Gzip,
            Inner::Brotli(_) => Encoding::Brotli,
            Inner::Zstd(_) => Encoding::Zstd,
        };
        f.debug_struct("Encoder")
            .field("encoding", &encoding)
            .finish()
    }
}

enum Inner {
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Brotli(Box<brotli::CompressorWriter<Vec<u8>>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

/// zstd's level 3 (its default), brotli's quality 4 with a 1 MiB window and gzip's level 6:
/// on-the-fly levels (benches/README.md: brotli 5 took twice the CPU of 4 for a 26 % smaller
/// 64 KiB page; 4 is still smaller than gzip 6 and faster).
const ZSTD_LEVEL: i32 = 3;
const BROTLI_QUALITY: u32 = 4;
const BROTLI_WINDOW: u32 = 20;
const GZIP_LEVEL: u32 = 6;

impl Encoder {
    /// A new stream in `encoding`, at the levels above.
    pub fn new(encoding: Encoding) -> Encoder {
        let inner = match encoding {
            Encoding::Gzip => Inner::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::new(GZIP_LEVEL),
            )),
            Encoding::Brotli => Inner::Brotli(Box::new(brotli::CompressorWriter::new(
                Vec::new(),
                4096,
                BROTLI_QUALITY,
                BROTLI_WINDOW,
            ))),
            // Writing into a `Vec` cannot fail; an encoder that cannot be made falls back to
            // gzip rather than failing the response (its header is already chosen, though,
            // so this is only reachable if zstd's allocation fails).
            Encoding::Zstd => match zstd::stream::write::Encoder::new(Vec::new(), ZSTD_LEVEL) {
                Ok(encoder) => Inner::Zstd(encoder),
                Err(_) => Inner::Gzip(flate2::write::GzEncoder::new(
                    Vec::new(),
                    flate2::Compression::new(GZIP_LEVEL),
                )),
            },
        };
        Encoder { inner }
    }

    /// The compressed form of `chunk`, flushed (possibly empty).
    ///
    /// # Errors
    ///
    /// Only if the encoder fails, which writing into memory does not.
    pub fn compress(&mut self, chunk: &[u8]) -> Result<Bytes> {
        let written = match &mut self.inner {
            Inner::Gzip(e) => e.write_all(chunk).and_then(|()| e.flush()),
            Inner::Brotli(e) => e.write_all(chunk).and_then(|()| e.flush()),
            Inner::Zstd(e) => e.write_all(chunk).and_then(|()| e.flush()),
        };
        written.map_err(failed)?;
        let out = match &mut self.inner {
            Inner::Gzip(e) => std::mem::take(e.get_mut()),
            Inner::Brotli(e) => std::mem::take(e.get_mut()),
            Inner::Zstd(e) => std::mem::take(e.get_mut()),
        };
        Ok(Bytes::from(out))
    }

    /// The end of the compressed stream.
    ///
    /// # Errors
    ///
    /// As [`Encoder::compress`].
    pub fn finish(self) -> Result<Bytes> {
        let out = match self.inner {
            Inner::Gzip(e) => e.finish(),
            Inner::Brotli(mut e) => e.flush().map(|()| e.into_inner()),
            Inner::Zstd(e) => e.finish(),
        };
        out.map(Bytes::from).map_err(failed)
    }
}

fn failed(e: std::io::Error) -> Error {
    Error::explain(ErrorKind::Internal, "compressing the response body").with_cause(e)
}

#[cfg(test)]
mod tests;
