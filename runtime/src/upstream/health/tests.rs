use super::*;

fn who() -> Who<'static> {
    Who {
        upstream: "t",
        addr: SocketAddr::from(([127, 0, 0, 1], 1)),
    }
}

#[test]
fn probes_apply_fall_then_rise() {
    let state = HealthState::default();
    let check = HealthCheck {
        rise: 2,
        fall: 3,
        ..HealthCheck::tcp()
    };
    assert!(state.is_available(who()));
    // Two failures, a pass (breaks the streak), then three failures.
    for passed in [false, false, true, false, false] {
        state.record_probe(passed, &check, who());
        assert!(state.is_available(who()));
    }
    state.record_probe(false, &check, who());
    assert!(!state.is_available(who()));
    assert!(!state.is_healthy_now());
    // One pass, a failure (breaks it), then two passes.
    for passed in [true, false, true] {
        state.record_probe(passed, &check, who());
        assert!(!state.is_available(who()));
    }
    state.record_probe(true, &check, who());
    assert!(state.is_available(who()));
    assert_eq!(state.transitions(), 2);
}

#[test]
fn passive_failures_eject_until_the_cool_down_ends() {
    let state = HealthState::default();
    let passive = PassiveHealth {
        max_fails: 2,
        cool_down: Duration::from_millis(40),
    };
    state.record_failure(Some(&passive), who());
    state.record_success();
    state.record_failure(Some(&passive), who());
    assert!(state.is_available(who()), "a success resets the streak");
    state.record_failure(Some(&passive), who());
    assert!(!state.is_available(who()));
    assert!(!state.is_healthy_now());
    std::thread::sleep(Duration::from_millis(60));
    assert!(state.is_healthy_now());
    assert!(state.is_available(who()));
    assert_eq!(state.transitions(), 2);
    // Without passive health configured, failures change nothing.
    for _ in 0..10 {
        state.record_failure(None, who());
    }
    assert!(state.is_available(who()));
}

#[test]
fn http_check_defaults() {
    let check = HealthCheck::http("/healthz");
    assert_eq!((check.rise, check.fall), (2, 3));
    assert_eq!(check.interval, Duration::from_secs(5));
    match check.probe {
        Probe::Http {
            method,
            path,
            host,
            expect_status,
        } => {
            assert_eq!(method, Method::GET);
            assert_eq!(path, "/healthz");
            assert_eq!(host, None);
            assert_eq!(expect_status, StatusCode::OK);
        }
        Probe::Tcp => panic!("expected an HTTP probe"),
    }
}
