use super::*;

fn backend(port: u16, weight: u32) -> BackendConfig {
    BackendConfig {
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
        weight,
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
    let ports: Vec<u16> = (0..4)
        .map(|_| up.select().expect("a backend").addr().port())
        .collect();
    assert_eq!(ports, [1, 1, 2, 1]);
    let peer = up.select().expect("a backend");
    assert_eq!(peer.upstream_name(), "api");
    assert_eq!(up.name(), "api");
    assert_eq!(up.backends().len(), 2);
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
    assert_eq!(up.backends()[0].options().max_retries, 1);
}
