//! The consistent-hashing ring behind [`Balance::Hash`](super::Balance::Hash).
//!
//! Ketama style: every backend with weight `w` puts `160 × w` points on a 64-bit ring, each
//! the hash of its address and the point's number, so a backend's points depend only on its
//! own identity. A key goes to the owner of the first point at or after the key's hash. When
//! one backend leaves, only the keys that landed on its points move (to the next points
//! clockwise, spread over the others); every other key keeps its backend. The hash is
//! FNV-1a followed by the murmur3 finalizer: fast on short keys and well mixed.

use std::sync::Arc;

use super::scan;
use crate::upstream::backend::Backend;

/// Points per unit of weight, as nginx and libketama use.
const POINTS_PER_WEIGHT: u64 = 160;
/// The most points a ring holds; beyond it, each unit of weight gets fewer points.
const MAX_POINTS: u64 = 1 << 20;

/// A sorted ring of `(point, member index)`.
#[derive(Debug)]
pub(crate) struct Ring {
    points: Box<[(u64, u32)]>,
    members: usize,
}

impl Ring {
    /// The ring of `members` (weight-0 members get no point). The caller has checked that
    /// some weight is positive.
    pub(crate) fn new(members: &[Arc<Backend>]) -> Ring {
        let total: u64 = members.iter().map(|m| u64::from(m.weight())).sum();
        let per_weight = (MAX_POINTS / total.max(1)).clamp(1, POINTS_PER_WEIGHT);
        let mut points = Vec::with_capacity((total * per_weight) as usize);
        for (index, member) in members.iter().enumerate() {
            let identity = member.addr().to_string();
            for n in 0..u64::from(member.weight()) * per_weight {
                let mut label = Vec::with_capacity(identity.len() + 21);
                label.extend_from_slice(identity.as_bytes());
                label.push(b'-');
                label.extend_from_slice(n.to_string().as_bytes());
                points.push((hash_key(&label), index as u32));
            }
        }
        // Equal points (vanishingly rare) are ordered by address, not by position, so that
        // removing another backend does not change who owns them.
        points.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0).then_with(|| {
                members[a.1 as usize]
                    .addr()
                    .cmp(&members[b.1 as usize].addr())
            })
        });
        Ring {
            points: points.into_boxed_slice(),
            members: members.len(),
        }
    }

    /// The owner of `key`'s point, or the owner of one of the next `max_steps` points if it
    /// is not `ok`, or else the first `ok` member after it; `Err(owner)` if none is `ok`.
    #[inline]
    pub(crate) fn walk(
        &self,
        key: u64,
        max_steps: usize,
        ok: impl Fn(usize) -> bool,
    ) -> Result<usize, usize> {
        let len = self.points.len();
        // Never empty: the balancer is built only when some weight is positive.
        let start = self.points.partition_point(|&(point, _)| point < key) % len.max(1);
        let owner = self
            .points
            .get(start)
            .map_or(0, |&(_, owner)| owner as usize);
        for step in 0..max_steps.min(len) {
            let candidate = self.points[(start + step) % len].1 as usize;
            if ok(candidate) {
                return Ok(candidate);
            }
        }
        scan(self.members, owner, ok).ok_or(owner)
    }
}

/// The 64-bit hash of a request key (and of ring points).
#[inline]
pub(crate) fn hash_key(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    // murmur3's fmix64: FNV alone leaves similar keys close together on the ring.
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xff51_afd7_ed55_8ccd);
    hash ^= hash >> 33;
    hash = hash.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    hash ^ (hash >> 33)
}
