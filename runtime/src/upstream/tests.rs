use std::net::SocketAddr;
use std::time::Duration;

use super::*;

fn backend(port: u16, weight: u32) -> BackendConfig {
    BackendConfig {
        weight,
        ..BackendConfig::new(SocketAddr::from(([127, 0, 0, 1], port)))
    }
}

fn backup(port: u16) -> BackendConfig {
    BackendConfig::backup(SocketAddr::from(([127, 0, 0, 1], port)))
}

fn port(up: &Upstream) -> u16 {
    up.select().expect("a backend").addr().port()
}

fn eject(up: &Upstream, port: u16) {
    let backends = up.backends();
    let b = backends
        .iter()
        .find(|b| b.addr().port() == port)
        .expect("backend exists");
    b.record_failure();
}

fn passive(cool_down: Duration) -> UpstreamOptions {
    UpstreamOptions {
        passive_health: Some(PassiveHealth {
            max_fails: 1,
            cool_down,
        }),
        ..UpstreamOptions::default()
    }
}

#[test]
fn rejects_empty_and_weightless_upstreams() {
    let err = Upstream::new(
        "api",
        vec![],
        Balance::RoundRobin,
        UpstreamOptions::default(),
    )
    .expect_err("no backend");
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(err.to_string().contains("api"));
    let err = Upstream::new(
        "api",
        vec![backend(1, 0), backend(2, 0)],
        Balance::Random,
        UpstreamOptions::default(),
    )
    .expect_err("no weight");
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    let err = Upstream::new(
        "api",
        vec![backup(1)],
        Balance::RoundRobin,
        UpstreamOptions::default(),
    )
    .expect_err("backups only");
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
}

#[test]
fn select_walks_the_smooth_cycle() {
    let up = Upstream::new(
        "api",
        vec![backend(1, 3), backend(2, 1)],
        Balance::RoundRobin,
        UpstreamOptions::default(),
    )
    .expect("valid upstream");
    let ports: Vec<u16> = (0..4).map(|_| port(&up)).collect();
    assert_eq!(ports, [1, 1, 2, 1]);
    let peer = up.select().expect("a backend");
    assert_eq!(peer.upstream_name(), "api");
    assert_eq!(up.name(), "api");
    assert_eq!(up.backends().len(), 2);
    assert_eq!(up.balance(), Balance::RoundRobin);
}

#[test]
fn max_retries_is_capped_by_backends() {
    let up = Upstream::new(
        "one",
        vec![backend(1, 1)],
        Balance::RoundRobin,
        UpstreamOptions::default(),
    )
    .expect("valid upstream");
    assert_eq!(up.backends()[0].options().max_retries, 0);
    let up = Upstream::new(
        "two",
        vec![backend(1, 1), backend(2, 1)],
        Balance::RoundRobin,
        UpstreamOptions::default(),
    )
    .expect("valid upstream");
    assert_eq!(up.options().max_retries, 1);
}

#[test]
fn backups_serve_only_while_every_primary_is_down() {
    let up = Upstream::new(
        "backup",
        vec![backend(1, 1), backend(2, 1), backup(3)],
        Balance::RoundRobin,
        passive(Duration::from_secs(60)),
    )
    .expect("valid upstream");
    assert!((0..100).all(|_| port(&up) != 3));
    eject(&up, 1);
    assert!((0..100).all(|_| port(&up) == 2));
    eject(&up, 2);
    assert!((0..100).all(|_| port(&up) == 3));
}

#[test]
fn all_down_tries_anyway_or_answers_503() {
    let up = Upstream::new(
        "anyway",
        vec![backend(1, 1), backend(2, 1)],
        Balance::LeastConn,
        passive(Duration::from_secs(60)),
    )
    .expect("valid upstream");
    eject(&up, 1);
    eject(&up, 2);
    assert!(up.backends().iter().all(|b| !b.is_healthy()));
    let ports: Vec<u16> = (0..4).map(|_| port(&up)).collect();
    assert!(ports.contains(&1) && ports.contains(&2), "{ports:?}");

    let up = Upstream::new(
        "unavailable",
        vec![backend(1, 1), backup(2)],
        Balance::RoundRobin,
        UpstreamOptions {
            all_down: AllDown::Unavailable,
            ..passive(Duration::from_secs(60))
        },
    )
    .expect("valid upstream");
    eject(&up, 1);
    assert_eq!(port(&up), 2);
    eject(&up, 2);
    let err = up.select().expect_err("all down");
    assert_eq!(err.kind(), ErrorKind::NoHealthyBackend);
    assert_eq!(err.status().as_u16(), 503);
}

#[test]
fn ejected_backend_returns_after_its_cool_down() {
    let up = Upstream::new(
        "cool",
        vec![backend(1, 1), backend(2, 1)],
        Balance::RoundRobin,
        passive(Duration::from_millis(50)),
    )
    .expect("valid upstream");
    eject(&up, 1);
    assert!((0..10).all(|_| port(&up) == 2));
    std::thread::sleep(Duration::from_millis(80));
    let ports: Vec<u16> = (0..4).map(|_| port(&up)).collect();
    assert!(ports.contains(&1), "{ports:?}");
}

#[test]
fn peers_count_in_flight_until_dropped_or_taken_over() {
    let up = Upstream::new(
        "count",
        vec![backend(1, 1)],
        Balance::LeastConn,
        UpstreamOptions::default(),
    )
    .expect("valid upstream");
    let b = up.backends()[0].clone();
    let mut peer = up.select().expect("a backend");
    let clone = peer.clone();
    assert_eq!(b.in_flight(), 1);
    drop(clone);
    assert_eq!(b.in_flight(), 1);
    let guard = peer.take_in_flight();
    drop(peer);
    assert_eq!(b.in_flight(), 1);
    drop(guard);
    assert_eq!(b.in_flight(), 0);
    drop(up.select().expect("a backend"));
    assert_eq!(b.in_flight(), 0);
}

#[test]
fn select_by_key_is_consistent_for_hash_and_ignored_otherwise() {
    let backends: Vec<BackendConfig> = (1..=5).map(|p| backend(p, 1)).collect();
    let up = Upstream::new(
        "hash",
        backends.clone(),
        Balance::Hash,
        UpstreamOptions::default(),
    )
    .expect("valid upstream");
    for user in ["alice", "bob", "carol"] {
        let first = up.select_by_key(user.as_bytes()).expect("a backend").addr();
        assert!(
            (0..20).all(|_| up.select_by_key(user.as_bytes()).expect("a backend").addr() == first)
        );
    }
    let rr = Upstream::new(
        "rr",
        backends,
        Balance::RoundRobin,
        UpstreamOptions::default(),
    )
    .expect("valid upstream");
    let ports: Vec<u16> = (0..5)
        .map(|_| rr.select_by_key(b"same").expect("a backend").addr().port())
        .collect();
    assert_eq!(ports, [1, 2, 3, 4, 5]);
}

#[test]
fn replacing_backends_keeps_the_ones_that_stay() {
    let up = Upstream::new(
        "replace",
        vec![backend(1, 1), backend(2, 1)],
        Balance::RoundRobin,
        UpstreamOptions::default(),
    )
    .expect("valid upstream");
    let kept = up.backends()[1].clone();
    let removed = up.backends()[0].clone();
    let in_flight = up.select().expect("a backend");
    assert_eq!(in_flight.addr().port(), 1);
    up.shared
        .replace(&[backend(2, 1), backend(3, 1)])
        .expect("valid backends");
    let now = up.backends();
    assert!(Arc::ptr_eq(&now[0], &kept));
    assert_eq!(now[1].addr().port(), 3);
    assert!((0..10).all(|_| port(&up) != 1));
    // The removed backend lives on for its in-flight request.
    assert_eq!(removed.in_flight(), 1);
    assert!(up.shared.replace(&[]).is_err());
    assert_eq!(up.backends().len(), 2);
}
