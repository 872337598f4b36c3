//! Choosing a backend: weighted round robin and weighted random.
//!
//! Both are decided at construction so that picking is lock-free. Round robin is nginx's
//! *smooth* weighted round robin (weights 3 and 1 give `a a b a`, interleaved, not
//! `a a a b`): the whole cycle is computed once and walked with one atomic counter. Random
//! draws from the cumulative weights with a thread-local generator.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, ErrorKind, Result};

/// How an [`Upstream`](super::Upstream) spreads requests over its backends. Both honour weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Balance {
    /// Smooth weighted round robin, as nginx does it.
    #[default]
    RoundRobin,
    /// Weighted random choice.
    Random,
}

/// The longest round-robin cycle (sum of weights divided by their gcd) accepted.
pub(crate) const MAX_CYCLE: u64 = 1 << 16;

/// A ready-to-use balancer over backends `0..weights.len()`.
#[derive(Debug)]
pub(crate) enum Balancer {
    RoundRobin {
        cycle: Box<[u32]>,
        next: AtomicUsize,
    },
    Random {
        /// Running totals of the weights; backend `i` owns `[cumulative[i-1], cumulative[i])`.
        cumulative: Box<[u64]>,
    },
}

impl Balancer {
    /// A balancer of kind `balance` for backends of `weights`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] when no weight is positive, or when the round-robin cycle
    /// would be longer than 65536 entries.
    pub(crate) fn new(balance: Balance, weights: &[u32]) -> Result<Self> {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        if total == 0 {
            return Err(Error::explain(
                ErrorKind::InvalidConfig,
                "an upstream needs at least one backend with a positive weight",
            ));
        }
        match balance {
            Balance::RoundRobin => Ok(Balancer::RoundRobin {
                cycle: smooth_cycle(weights)?,
                next: AtomicUsize::new(0),
            }),
            Balance::Random => {
                let mut sum = 0u64;
                let cumulative = weights
                    .iter()
                    .map(|&w| {
                        sum += u64::from(w);
                        sum
                    })
                    .collect();
                Ok(Balancer::Random { cumulative })
            }
        }
    }

    /// The index of the next backend.
    pub(crate) fn pick(&self) -> usize {
        match self {
            Balancer::RoundRobin { cycle, next } => {
                let n = next.fetch_add(1, Ordering::Relaxed);
                // `cycle` is never empty (total weight > 0).
                cycle.get(n % cycle.len()).map_or(0, |&i| i as usize)
            }
            Balancer::Random { cumulative } => {
                let total = cumulative.last().copied().unwrap_or(1);
                let ticket = fastrand::u64(0..total);
                cumulative.partition_point(|&end| end <= ticket)
            }
        }
    }
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
