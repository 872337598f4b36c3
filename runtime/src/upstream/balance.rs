//! Choosing a backend within a group: round robin, random, least connections, power of two
//! choices and consistent hashing, all weighted and all health-aware.
//!
//! Each balancer is built once per backend set (at start-up, and again off the hot path when
//! discovery changes the set), so that picking is lock-free and allocation-free. Round robin
//! is nginx's *smooth* weighted round robin (weights 3 and 1 give `a a b a`, interleaved, not
//! `a a a b`): the whole cycle is computed once and walked with one atomic counter. Random
//! draws from the cumulative weights with a thread-local generator. Least connections scans
//! the in-flight counters; power of two choices compares two weighted random draws. Hashing
//! walks a ketama ring (`balance/ketama.rs`).
//!
//! Unusable members (unhealthy, or weight 0) are skipped: each policy tries its own choice
//! first, then falls back to a scan, so a pick costs O(members) at worst.

mod ketama;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use super::backend::Backend;
use crate::error::{Error, ErrorKind, Result};
pub(crate) use ketama::hash_key;
use ketama::Ring;

/// How an [`Upstream`](super::Upstream) spreads requests over its backends. All honour
/// weights and skip unhealthy backends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Balance {
    /// Smooth weighted round robin, as nginx does it. The default.
    #[default]
    RoundRobin,
    /// Weighted random choice.
    Random,
    /// The backend with the fewest in-flight requests relative to its weight; ties go round
    /// robin.
    LeastConn,
    /// Two weighted random candidates; the one with fewer in-flight requests (relative to
    /// its weight) wins.
    PowerOfTwo,
    /// Consistent hashing of a request key on a ketama ring (160 points per unit of weight):
    /// a key always goes to the same backend while it is healthy, and removing one of N
    /// backends moves only the keys it owned (about 1/N). Use
    /// [`Upstream::select_by_key`](super::Upstream::select_by_key); plain
    /// [`select`](super::Upstream::select) hashes a random key.
    Hash,
}

/// The longest round-robin cycle (sum of weights divided by their gcd) accepted.
pub(crate) const MAX_CYCLE: u64 = 1 << 16;

/// How many ring points a hash pick walks for a usable backend before scanning.
const RING_WALK: usize = 64;

/// A ready-to-use balancer over members `0..n` of a group.
#[derive(Debug)]
pub(crate) enum Balancer {
    RoundRobin {
        cycle: Box<[u32]>,
        next: AtomicUsize,
    },
    Random {
        /// Running totals of the weights; member `i` owns `[cumulative[i-1], cumulative[i])`.
        cumulative: Box<[u64]>,
    },
    LeastConn {
        next: AtomicUsize,
    },
    PowerOfTwo {
        cumulative: Box<[u64]>,
    },
    Hash {
        ring: Ring,
    },
}

impl Balancer {
    /// A balancer of kind `balance` for `members`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] when no weight is positive, or when the round-robin cycle
    /// would be longer than 65536 entries.
    pub(crate) fn new(balance: Balance, members: &[Arc<Backend>]) -> Result<Self> {
        let weights: Vec<u32> = members.iter().map(|m| m.weight()).collect();
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        if total == 0 {
            return Err(Error::explain(
                ErrorKind::InvalidConfig,
                "at least one backend needs a positive weight",
            ));
        }
        Ok(match balance {
            Balance::RoundRobin => Balancer::RoundRobin {
                cycle: smooth_cycle(&weights)?,
                next: AtomicUsize::new(0),
            },
            Balance::Random => Balancer::Random {
                cumulative: cumulative(&weights),
            },
            Balance::LeastConn => Balancer::LeastConn {
                next: AtomicUsize::new(0),
            },
            Balance::PowerOfTwo => Balancer::PowerOfTwo {
                cumulative: cumulative(&weights),
            },
            Balance::Hash => Balancer::Hash {
                ring: Ring::new(members),
            },
        })
    }

    /// The index of the member to use, among those `usable` accepts (weight-0 members are
    /// never chosen). `key` is the hashed request key for [`Balance::Hash`]. When no member
    /// is usable, `Err` carries the member this pick would have chosen ignoring health (so
    /// that "try anyway" keeps the policy's spread without a second pick).
    #[inline]
    pub(crate) fn pick(
        &self,
        members: &[Arc<Backend>],
        key: Option<u64>,
        usable: impl Fn(&Backend) -> bool,
    ) -> std::result::Result<usize, usize> {
        let weighted = |i: usize| members.get(i).is_some_and(|m| m.weight() > 0);
        let ok = |i: usize| weighted(i) && usable(&members[i]);
        match self {
            Balancer::RoundRobin { cycle, next } => {
                let n = next.fetch_add(1, Ordering::Relaxed);
                let len = cycle.len();
                let i = cycle[n % len] as usize;
                if ok(i) {
                    return Ok(i);
                }
                // Hand an unusable member's turn to the others in rotation (one more each
                // cycle), not always to its neighbour.
                let others = members.len().saturating_sub(1).max(1);
                let offset = 1 + (n / len) % others;
                scan(members.len(), (i + offset) % members.len(), ok).ok_or(i)
            }
            Balancer::Random { cumulative } => {
                let first = draw(cumulative);
                let mut i = first;
                for _ in 0..2 {
                    if ok(i) {
                        return Ok(i);
                    }
                    i = draw(cumulative);
                }
                scan(members.len(), i, ok).ok_or(first)
            }
            Balancer::LeastConn { next } => {
                let start = next.fetch_add(1, Ordering::Relaxed);
                least_loaded(members, start, ok)
                    .ok_or_else(|| least_loaded(members, start, weighted).unwrap_or(0))
            }
            Balancer::PowerOfTwo { cumulative } => {
                let a = draw(cumulative);
                let mut b = draw(cumulative);
                if b == a {
                    b = draw(cumulative);
                }
                if b == a {
                    // Two distinct candidates whenever there are two members.
                    b = (a + 1) % members.len().max(1);
                }
                match (ok(a), ok(b)) {
                    (true, true) if a != b && lighter(&members[b], &members[a]) => Ok(b),
                    (true, _) => Ok(a),
                    (false, true) => Ok(b),
                    (false, false) => least_loaded(members, a, ok).ok_or(a),
                }
            }
            Balancer::Hash { ring } => {
                let key = key.unwrap_or_else(|| fastrand::u64(..));
                ring.walk(key, RING_WALK, ok)
            }
        }
    }
}

/// The first member from `start` on (wrapping) that `ok` accepts.
#[inline]
fn scan(len: usize, start: usize, ok: impl Fn(usize) -> bool) -> Option<usize> {
    (0..len).map(|step| (start + step) % len).find(|&i| ok(i))
}

/// The usable member with the fewest in-flight requests per unit of weight, scanning from
/// `start` (so ties rotate).
#[inline]
fn least_loaded(
    members: &[Arc<Backend>],
    start: usize,
    ok: impl Fn(usize) -> bool,
) -> Option<usize> {
    let len = members.len();
    let mut best: Option<usize> = None;
    for step in 0..len {
        let i = start.wrapping_add(step) % len;
        if !ok(i) {
            continue;
        }
        best = match best {
            Some(b) if !lighter(&members[i], &members[b]) => Some(b),
            _ => Some(i),
        };
    }
    best
}

/// Whether `a` carries strictly less in-flight load per unit of weight than `b`.
#[inline]
fn lighter(a: &Backend, b: &Backend) -> bool {
    let (la, wa) = (a.in_flight() as u128, u128::from(a.weight()));
    let (lb, wb) = (b.in_flight() as u128, u128::from(b.weight()));
    la * wb < lb * wa
}

/// A weighted random member.
#[inline]
fn draw(cumulative: &[u64]) -> usize {
    let total = cumulative.last().copied().unwrap_or(1).max(1);
    let ticket = fastrand::u64(0..total);
    cumulative.partition_point(|&end| end <= ticket)
}

fn cumulative(weights: &[u32]) -> Box<[u64]> {
    let mut sum = 0u64;
    weights
        .iter()
        .map(|&w| {
            sum += u64::from(w);
            sum
        })
        .collect()
}

/// One full cycle of nginx's smooth weighted round robin.
fn smooth_cycle(weights: &[u32]) -> Result<Box<[u32]>> {
    let divisor = weights.iter().fold(0u32, |g, &w| gcd(g, w)).max(1);
    let reduced: Vec<i64> = weights.iter().map(|&w| i64::from(w / divisor)).collect();
    let total: i64 = reduced.iter().sum();
    if total as u64 > MAX_CYCLE {
        return Err(Error::explain(
            ErrorKind::InvalidConfig,
            format!(
                "round-robin weights too fine-grained: their sum divided by their greatest \
                 common divisor is {total}, at most {MAX_CYCLE} is supported"
            ),
        ));
    }
    let mut current = vec![0i64; reduced.len()];
    let mut cycle = Vec::with_capacity(total as usize);
    for _ in 0..total {
        let mut best = 0;
        for (i, weight) in reduced.iter().enumerate() {
            current[i] += weight;
            if current[i] > current[best] {
                best = i;
            }
        }
        current[best] -= total;
        cycle.push(best as u32);
    }
    Ok(cycle.into_boxed_slice())
}

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

#[cfg(test)]
mod tests;
