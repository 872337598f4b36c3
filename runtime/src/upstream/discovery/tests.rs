use std::net::SocketAddr;

use super::*;
use crate::upstream::{Balance, Upstream, UpstreamOptions};

fn addrs(up: &Upstream) -> Vec<SocketAddr> {
    up.backends().iter().map(|b| b.addr()).collect()
}

#[tokio::test]
async fn dns_is_resolved_again_at_every_interval() {
    let discovery = Discovery::Dns {
        name: "localhost".into(),
        port: 9,
        interval: Duration::from_millis(20),
    };
    let up = Upstream::discovered(
        "dns-unit",
        discovery,
        Balance::Random,
        UpstreamOptions::default(),
    )
    .expect("localhost resolves");
    let resolved = addrs(&up);
    assert!(
        resolved.contains(&SocketAddr::from(([127, 0, 0, 1], 9))),
        "{resolved:?}"
    );

    // Drift away from what DNS says; the next resolution brings the set back.
    let stray = BackendConfig::new(SocketAddr::from(([127, 0, 0, 2], 9)));
    up.shared.replace(&[stray]).expect("valid backends");
    assert_ne!(addrs(&up), resolved);
    let background = up.start_background();
    assert_eq!(background.len(), 1);
    assert!(up.start_background().is_empty(), "started twice");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while addrs(&up) != resolved {
        assert!(
            tokio::time::Instant::now() < deadline,
            "never resolved again"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    background.stop().await;
    assert_eq!(up.start_background().len(), 1, "restartable after a stop");
}

#[test]
fn unresolvable_names_and_missing_files_are_config_errors() {
    let err = Upstream::discovered(
        "bad",
        Discovery::dns("name.invalid", 80),
        Balance::RoundRobin,
        UpstreamOptions::default(),
    )
    .expect_err("does not resolve");
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    let err = Upstream::discovered(
        "bad",
        Discovery::file("/nonexistent/pxy/backends.txt"),
        Balance::RoundRobin,
        UpstreamOptions::default(),
    )
    .expect_err("no file");
    assert_eq!(err.kind(), ErrorKind::InvalidConfig);
    assert!(crate::error::chain(&err).contains("/nonexistent/pxy/backends.txt"));
}
