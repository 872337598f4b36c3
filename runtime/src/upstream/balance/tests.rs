use std::collections::HashMap;
use std::net::SocketAddr;

use super::*;
use crate::upstream::backend::BackendConfig;
use crate::upstream::options::UpstreamOptions;

fn members(weights: &[u32]) -> Vec<Arc<Backend>> {
    let options = Arc::new(UpstreamOptions::default());
    weights
        .iter()
        .enumerate()
        .map(|(i, &weight)| {
            let config = BackendConfig {
                weight,
                ..BackendConfig::new(SocketAddr::from(([10, 0, 0, i as u8 + 1], 8080)))
            };
            Arc::new(Backend::new(
                config,
                Arc::from("t"),
                options.clone(),
                Arc::default(),
            ))
        })
        .collect()
}

fn balancer(balance: Balance, members: &[Arc<Backend>]) -> Balancer {
    Balancer::new(balance, members).expect("valid weights")
}

fn picks(b: &Balancer, members: &[Arc<Backend>], n: usize) -> Vec<usize> {
    (0..n)
        .map(|_| b.pick(members, None, |_| true).expect("a usable member"))
        .collect()
}

fn counts(picked: &[usize], len: usize) -> Vec<usize> {
    let mut counts = vec![0; len];
    for &i in picked {
        counts[i] += 1;
    }
    counts
}

#[test]
fn smooth_round_robin_interleaves() {
    let m = members(&[3, 1]);
    assert_eq!(
        picks(&balancer(Balance::RoundRobin, &m), &m, 8),
        [0, 0, 1, 0, 0, 0, 1, 0]
    );
    let m = members(&[5, 1, 1]);
    assert_eq!(
        picks(&balancer(Balance::RoundRobin, &m), &m, 7),
        [0, 0, 1, 0, 2, 0, 0]
    );
    let m = members(&[1, 1]);
    assert_eq!(
        picks(&balancer(Balance::RoundRobin, &m), &m, 4),
        [0, 1, 0, 1]
    );
}

#[test]
fn round_robin_reduces_by_gcd_and_skips_zero_weights() {
    let m = members(&[300, 0, 100]);
    let b = balancer(Balance::RoundRobin, &m);
    match &b {
        Balancer::RoundRobin { cycle, .. } => assert_eq!(cycle.len(), 4),
        other => panic!("expected round robin, got {other:?}"),
    }
    assert_eq!(picks(&b, &m, 4), [0, 0, 2, 0]);
}

#[test]
fn round_robin_exact_spread_over_many_cycles() {
    let m = members(&[2, 3, 5]);
    let b = balancer(Balance::RoundRobin, &m);
    assert_eq!(counts(&picks(&b, &m, 1000), 3), [200, 300, 500]);
}

#[test]
fn round_robin_shares_an_unusable_members_turns_evenly() {
    let m = members(&[1, 1, 1, 1]);
    let b = balancer(Balance::RoundRobin, &m);
    let picked: Vec<usize> = (0..1200)
        .map(|_| {
            b.pick(&m, None, |x| x.addr() != m[1].addr())
                .expect("a member")
        })
        .collect();
    assert_eq!(counts(&picked, 4), [400, 0, 400, 400]);
}

#[test]
fn rejects_zero_total_and_huge_cycles() {
    assert!(Balancer::new(Balance::RoundRobin, &members(&[0, 0])).is_err());
    assert!(Balancer::new(Balance::Random, &members(&[0])).is_err());
    assert!(Balancer::new(Balance::Hash, &members(&[])).is_err());
    assert!(Balancer::new(Balance::RoundRobin, &members(&[70_000, 1])).is_err());
    assert!(Balancer::new(Balance::Random, &members(&[70_000, 1])).is_ok());
}

#[test]
fn random_follows_weights() {
    fastrand::seed(7);
    let m = members(&[3, 0, 1]);
    let picked = picks(&balancer(Balance::Random, &m), &m, 40_000);
    let c = counts(&picked, 3);
    assert_eq!(c[1], 0);
    // Expect 30000 / 10000; allow 3% of slack.
    assert!((29_100..=30_900).contains(&c[0]), "{c:?}");
    assert!((9_100..=10_900).contains(&c[2]), "{c:?}");
}

#[test]
fn nothing_usable_gives_none() {
    for balance in [
        Balance::RoundRobin,
        Balance::Random,
        Balance::LeastConn,
        Balance::PowerOfTwo,
        Balance::Hash,
    ] {
        let m = members(&[1, 2, 3]);
        let b = balancer(balance, &m);
        assert!(b.pick(&m, Some(42), |_| false).is_err(), "{balance:?}");
        let only = m[2].addr();
        for _ in 0..50 {
            assert_eq!(
                b.pick(&m, Some(42), |x| x.addr() == only),
                Ok(2),
                "{balance:?}"
            );
        }
    }
}

#[test]
fn least_conn_prefers_the_idle_backend() {
    let m = members(&[1, 1, 1]);
    let b = balancer(Balance::LeastConn, &m);
    // All idle: ties rotate.
    assert_eq!(picks(&b, &m, 3), [0, 1, 2]);
    m[0].acquire();
    m[1].acquire();
    m[1].acquire();
    assert!(picks(&b, &m, 20).iter().all(|&i| i == 2));
    m[2].acquire();
    m[2].acquire();
    // Loads 1, 2, 2: the first is least loaded.
    assert!(picks(&b, &m, 20).iter().all(|&i| i == 0));
}

#[test]
fn least_conn_weighs_load_by_weight() {
    let m = members(&[4, 1]);
    let b = balancer(Balance::LeastConn, &m);
    for _ in 0..3 {
        m[0].acquire();
    }
    // 3 in flight on weight 4 is lighter than 1 on weight 1.
    m[1].acquire();
    assert!(picks(&b, &m, 10).iter().all(|&i| i == 0));
}

#[test]
fn power_of_two_never_picks_the_busier_of_two() {
    fastrand::seed(11);
    let m = members(&[1, 1, 1]);
    for _ in 0..5 {
        m[1].acquire();
    }
    for _ in 0..10 {
        m[2].acquire();
    }
    let b = balancer(Balance::PowerOfTwo, &m);
    let c = counts(&picks(&b, &m, 3000), 3);
    // Backend 2 is the busiest of any pair it is in.
    assert_eq!(c[2], 0, "{c:?}");
    assert!(c[0] > c[1], "{c:?}");

    let m = members(&[1, 1]);
    for _ in 0..3 {
        m[0].acquire();
    }
    let b = balancer(Balance::PowerOfTwo, &m);
    assert_eq!(counts(&picks(&b, &m, 1000), 2), [0, 1000]);
}

fn owners(b: &Balancer, m: &[Arc<Backend>], keys: usize) -> Vec<SocketAddr> {
    (0..keys)
        .map(|k| {
            let key = hash_key(format!("session-{k}").as_bytes());
            m[b.pick(m, Some(key), |_| true).expect("an owner")].addr()
        })
        .collect()
}

#[test]
fn ketama_moves_about_one_nth_of_keys_when_a_backend_leaves() {
    const N: usize = 10;
    const KEYS: usize = 10_000;
    let all = members(&[1; N]);
    let before = owners(&balancer(Balance::Hash, &all), &all, KEYS);

    // Every backend owns a fair share (10% ± 5%).
    let mut share: HashMap<SocketAddr, usize> = HashMap::new();
    for addr in &before {
        *share.entry(*addr).or_default() += 1;
    }
    assert_eq!(share.len(), N);
    assert!(
        share.values().all(|&n| (500..=1500).contains(&n)),
        "{share:?}"
    );

    let removed = all[3].addr();
    let rest: Vec<Arc<Backend>> = all
        .iter()
        .filter(|b| b.addr() != removed)
        .cloned()
        .collect();
    let after = owners(&balancer(Balance::Hash, &rest), &rest, KEYS);
    let moved: Vec<usize> = (0..KEYS).filter(|&k| before[k] != after[k]).collect();
    // Only the removed backend's keys move, and they are about 1/N of all keys.
    assert!(moved.iter().all(|&k| before[k] == removed));
    assert_eq!(moved.len(), share[&removed]);
    let fraction = moved.len() as f64 / KEYS as f64;
    assert!((0.05..=0.15).contains(&fraction), "moved {fraction}");
}

#[test]
fn hash_is_stable_and_skips_unusable_owners() {
    let m = members(&[1, 1, 1, 1]);
    let b = balancer(Balance::Hash, &m);
    let key = hash_key(b"user-42");
    let owner = b.pick(&m, Some(key), |_| true).expect("owner");
    for _ in 0..10 {
        assert_eq!(b.pick(&m, Some(key), |_| true), Ok(owner));
    }
    let down = m[owner].addr();
    let fallback = b
        .pick(&m, Some(key), |x| x.addr() != down)
        .expect("fallback");
    assert_ne!(fallback, owner);
    assert_eq!(b.pick(&m, Some(key), |x| x.addr() != down), Ok(fallback));
}
