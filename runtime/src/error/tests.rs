use super::*;

#[test]
fn error_is_send_sync_and_pointer_sized() {
    fn assert_send_sync<T: Send + Sync + 'static>() {}
    assert_send_sync::<Error>();
    assert_eq!(std::mem::size_of::<Error>(), std::mem::size_of::<usize>());
    assert_eq!(
        std::mem::size_of::<Result<()>>(),
        std::mem::size_of::<usize>()
    );
}

#[test]
fn status_follows_kind() {
    let cases = [
        (ErrorKind::ConnectRefused, 502),
        (ErrorKind::ConnectError, 502),
        (ErrorKind::NoBackend, 502),
        (ErrorKind::UpstreamProtocol, 502),
        (ErrorKind::ConnectTimeout, 504),
        (ErrorKind::ReadTimeout, 504),
        (ErrorKind::WriteTimeout, 504),
        (ErrorKind::TotalTimeout, 504),
        (ErrorKind::NoHealthyBackend, 503),
        (ErrorKind::Overloaded, 503),
        (ErrorKind::DownstreamProtocol, 400),
        (ErrorKind::InvalidRequest, 400),
        (ErrorKind::UriTooLong, 414),
        (ErrorKind::HeadersTooLarge, 431),
        (ErrorKind::BodyTooLarge, 413),
        (ErrorKind::RateLimited, 429),
        (ErrorKind::InFlightLimit, 503),
        (ErrorKind::Internal, 500),
        (ErrorKind::InvalidConfig, 500),
    ];
    for (kind, status) in cases {
        assert_eq!(Error::new(kind).status().as_u16(), status, "{kind:?}");
    }
}

#[test]
fn only_connect_failures_are_retryable_by_default() {
    assert!(Error::new(ErrorKind::ConnectRefused).is_retryable());
    assert!(Error::new(ErrorKind::ConnectTimeout).is_retryable());
    assert!(!Error::new(ErrorKind::ReadTimeout).is_retryable());
    assert!(!Error::new(ErrorKind::UpstreamProtocol).is_retryable());
    let mut e = Error::new(ErrorKind::ReadTimeout);
    e.set_retryable(true);
    assert!(e.is_retryable());
}

#[test]
fn display_prints_one_layer_and_source_chains() {
    let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
    let e = Error::explain(ErrorKind::ConnectRefused, "connecting to 127.0.0.1:1").with_cause(io);
    assert_eq!(
        e.to_string(),
        "connection refused by upstream: connecting to 127.0.0.1:1"
    );
    assert_eq!(
        e.source().map(|s| s.to_string()).as_deref(),
        Some("refused")
    );
    assert_eq!(e.side(), ErrorSide::Upstream);
    assert_eq!(e.context(), Some("connecting to 127.0.0.1:1"));
}

#[test]
fn or_err_attaches_kind_and_context() {
    let r: std::result::Result<(), std::io::Error> = Err(std::io::Error::other("boom"));
    let e = r.or_err(ErrorKind::Internal, "doing a thing").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Internal);
    assert_eq!(e.to_string(), "internal error: doing a thing");
    assert!(e.source().is_some());
}

#[test]
fn chain_says_each_layer_once() {
    // What a `discover file` listing no backend gives: three layers of one kind.
    let e = Error::explain(ErrorKind::InvalidConfig, "no backend listed")
        .wrap("in backends.txt")
        .wrap("upstream web");
    assert_eq!(
        chain(&e),
        "invalid configuration: upstream web: in backends.txt: no backend listed"
    );
    // A cause of another kind is written whole; a foreign cause once.
    let io = std::io::Error::other("port 1 closed");
    let inner = Error::explain(ErrorKind::ConnectRefused, "connecting").with_cause(io);
    let e = Error::explain(ErrorKind::InvalidConfig, "health check").with_cause(inner);
    assert_eq!(
        chain(&e),
        "invalid configuration: health check: connection refused by upstream: connecting: port 1 closed"
    );
}

#[test]
fn wrap_keeps_kind_and_retry_decision() {
    let e = Error::new(ErrorKind::ReadTimeout)
        .with_retryable(true)
        .wrap("upstream web");
    assert_eq!(e.kind(), ErrorKind::ReadTimeout);
    assert!(e.is_retryable());
    assert_eq!(e.context(), Some("upstream web"));
}
