use super::*;

fn picks(balancer: &Balancer, n: usize) -> Vec<usize> {
    (0..n).map(|_| balancer.pick()).collect()
}

#[test]
fn smooth_round_robin_interleaves() {
    let b = Balancer::new(Balance::RoundRobin, &[3, 1]).expect("valid weights");
    assert_eq!(picks(&b, 8), [0, 0, 1, 0, 0, 0, 1, 0]);

    let b = Balancer::new(Balance::RoundRobin, &[5, 1, 1]).expect("valid weights");
    assert_eq!(picks(&b, 7), [0, 0, 1, 0, 2, 0, 0]);

    let b = Balancer::new(Balance::RoundRobin, &[1, 1]).expect("valid weights");
    assert_eq!(picks(&b, 4), [0, 1, 0, 1]);
}

#[test]
fn round_robin_reduces_by_gcd_and_skips_zero_weights() {
    let b = Balancer::new(Balance::RoundRobin, &[300, 0, 100]).expect("valid weights");
    match &b {
        Balancer::RoundRobin { cycle, .. } => assert_eq!(cycle.len(), 4),
        Balancer::Random { .. } => panic!("expected round robin"),
    }
    assert_eq!(picks(&b, 4), [0, 0, 2, 0]);
}

#[test]
fn round_robin_exact_spread_over_many_cycles() {
    let b = Balancer::new(Balance::RoundRobin, &[2, 3, 5]).expect("valid weights");
    let mut counts = [0usize; 3];
    for i in picks(&b, 1000) {
        counts[i] += 1;
    }
    assert_eq!(counts, [200, 300, 500]);
}

#[test]
fn rejects_zero_total_and_huge_cycles() {
    assert!(Balancer::new(Balance::RoundRobin, &[0, 0]).is_err());
    assert!(Balancer::new(Balance::Random, &[0]).is_err());
    assert!(Balancer::new(Balance::RoundRobin, &[]).is_err());
    assert!(Balancer::new(Balance::RoundRobin, &[70_000, 1]).is_err());
    assert!(Balancer::new(Balance::Random, &[70_000, 1]).is_ok());
}

#[test]
fn random_follows_weights() {
    fastrand::seed(7);
    let b = Balancer::new(Balance::Random, &[3, 0, 1]).expect("valid weights");
    let mut counts = [0usize; 3];
    for i in picks(&b, 40_000) {
        counts[i] += 1;
    }
    assert_eq!(counts[1], 0);
    // Expect 30000 / 10000; allow 3% of slack.
    assert!((29_100..=30_900).contains(&counts[0]), "{counts:?}");
    assert!((9_100..=10_900).contains(&counts[2]), "{counts:?}");
}
