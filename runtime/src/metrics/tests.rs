use std::net::SocketAddr;

use super::*;
use crate::upstream::{BackendConfig, Balance, PassiveHealth, Upstream, UpstreamOptions};

/// The value of `name` for `upstream`/`backend` in the registry, if present.
fn value(name: &str, upstream: &str, backend: &str) -> Option<f64> {
    let families = registry().gather();
    let family = families.iter().find(|f| f.name() == name)?;
    family.get_metric().iter().find_map(|m| {
        let labels = m.get_label();
        let matches = labels
            .iter()
            .any(|l| l.name() == "upstream" && l.value() == upstream)
            && labels
                .iter()
                .any(|l| l.name() == "backend" && l.value() == backend);
        matches.then(|| {
            if family.get_field_type() == MetricType::COUNTER {
                m.get_counter().get_value()
            } else {
                m.get_gauge().get_value()
            }
        })
    })
}

#[test]
fn backend_state_is_visible_in_the_registry() {
    let addr = SocketAddr::from(([127, 0, 0, 1], 9));
    let up = Upstream::new(
        "metrics-unit",
        vec![BackendConfig::new(addr)],
        Balance::RoundRobin,
        UpstreamOptions {
            passive_health: Some(PassiveHealth::default()),
            ..UpstreamOptions::default()
        },
    )
    .expect("valid upstream");
    let backend = "127.0.0.1:9";
    let get = |name| value(name, "metrics-unit", backend).expect("series present");
    assert_eq!(get("pxy_upstream_backend_healthy"), 1.0);
    assert_eq!(get("pxy_upstream_backend_in_flight"), 0.0);

    let peer = up.select().expect("a backend");
    let b = peer.backend().clone();
    assert_eq!(get("pxy_upstream_backend_in_flight"), 1.0);
    for _ in 0..3 {
        b.record_attempt();
        b.record_failure();
    }
    assert_eq!(get("pxy_upstream_backend_requests_total"), 3.0);
    assert_eq!(get("pxy_upstream_backend_failures_total"), 3.0);
    assert_eq!(get("pxy_upstream_backend_healthy"), 0.0);
    assert_eq!(get("pxy_upstream_backend_health_transitions_total"), 1.0);
    assert_eq!(get("pxy_upstream_backend_open_connections"), 0.0);
    drop(peer);
    assert_eq!(get("pxy_upstream_backend_in_flight"), 0.0);

    let text = encode_text();
    assert!(text.contains("pxy_upstream_backend_failures_total{upstream=\"metrics-unit\",backend=\"127.0.0.1:9\"} 3"), "{text}");

    drop(up);
    drop(b);
    assert_eq!(
        value("pxy_upstream_backend_healthy", "metrics-unit", backend),
        None
    );
}
