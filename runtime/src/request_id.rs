//! Per-request identifiers.
//!
//! A [`RequestId`] is 24 lowercase hex digits: 8 of a random per-process prefix, chosen once at
//! the first id, then 16 of a process-wide counter. Making one is an atomic increment and a
//! few shifts into an inline buffer: no allocation and no system call per request, and ids stay
//! unique within a process and (with high probability) across processes.
//! [`Session::request_id`](crate::Session::request_id) creates one lazily.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

const LEN: usize = 24;
const HEX: &[u8; 16] = b"0123456789abcdef";

static PREFIX: OnceLock<u32> = OnceLock::new();
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// A unique request identifier stored inline (24 ASCII hex digits).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestId {
    bytes: [u8; LEN],
}

impl RequestId {
    /// Makes the next id of this process.
    pub fn next() -> Self {
        let prefix = *PREFIX.get_or_init(|| fastrand::u32(..));
        let count = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut bytes = [0u8; LEN];
        write_hex(&mut bytes[..8], u64::from(prefix));
        write_hex(&mut bytes[8..], count);
        RequestId { bytes }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        // Every byte comes from `HEX`, so the buffer is ASCII; the fallback is unreachable in
        // practice and keeps this free of panics and `unsafe`.
        std::str::from_utf8(&self.bytes).unwrap_or("")
    }
}

fn write_hex(out: &mut [u8], value: u64) {
    let mut shift = out.len() * 4;
    for byte in out.iter_mut() {
        shift -= 4;
        *byte = HEX[((value >> shift) & 0xf) as usize];
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestId({})", self.as_str())
    }
}

#[cfg(test)]
mod tests;
