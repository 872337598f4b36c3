use super::*;

fn map(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for (name, value) in pairs {
        headers.append(
            HeaderName::from_static(name),
            HeaderValue::from_static(value),
        );
    }
    headers
}

#[test]
fn removes_fixed_hop_by_hop_headers() {
    let mut headers = map(&[
        ("connection", "keep-alive"),
        ("keep-alive", "timeout=5"),
        ("proxy-connection", "keep-alive"),
        ("te", "trailers"),
        ("trailer", "x-checksum"),
        ("transfer-encoding", "chunked"),
        ("upgrade", "websocket"),
        ("content-type", "text/plain"),
        ("x-custom", "1"),
    ]);
    remove_hop_by_hop(&mut headers);
    let mut names: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["content-type", "x-custom"]);
}

#[test]
fn removes_headers_named_by_connection() {
    let mut headers = map(&[
        ("connection", "close, X-Secret"),
        ("connection", " x-other ,"),
        ("x-secret", "1"),
        ("x-other", "2"),
        ("x-kept", "3"),
    ]);
    remove_hop_by_hop(&mut headers);
    let names: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
    assert_eq!(names, ["x-kept"]);
}

#[test]
fn ignores_garbage_in_connection() {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONNECTION,
        HeaderValue::from_bytes(b"\xff, bad header name").expect("opaque value"),
    );
    headers.insert("x-kept", HeaderValue::from_static("1"));
    remove_hop_by_hop(&mut headers);
    assert_eq!(headers.len(), 1);
}

#[test]
fn sets_forwarding_headers() {
    let ip = HeaderValue::from_static("10.0.0.7");
    let mut headers = HeaderMap::new();
    set_forwarding(&mut headers, &ip, "http");
    assert_eq!(headers[&X_FORWARDED_FOR], "10.0.0.7");
    assert_eq!(headers[&X_FORWARDED_PROTO], "http");

    let mut headers = map(&[
        ("x-forwarded-for", "1.1.1.1"),
        ("x-forwarded-for", "2.2.2.2"),
        ("x-forwarded-proto", "https"),
    ]);
    set_forwarding(&mut headers, &ip, "http");
    let xff: Vec<_> = headers.get_all(&X_FORWARDED_FOR).iter().collect();
    assert_eq!(xff, ["1.1.1.1, 2.2.2.2, 10.0.0.7"]);
    assert_eq!(headers[&X_FORWARDED_PROTO], "http");
}

#[test]
fn an_upgrade_is_requested_by_http_11_with_connection_naming_it() {
    let asks = map(&[
        ("connection", "keep-alive, Upgrade"),
        ("upgrade", "WebSocket"),
    ]);
    assert_eq!(
        requested_upgrade(Version::HTTP_11, &asks).map(HeaderValue::as_bytes),
        Some(&b"WebSocket"[..])
    );
    assert_eq!(requested_upgrade(Version::HTTP_10, &asks), None);
    assert_eq!(requested_upgrade(Version::HTTP_2, &asks), None);
    let no_token = map(&[("connection", "keep-alive"), ("upgrade", "websocket")]);
    assert_eq!(requested_upgrade(Version::HTTP_11, &no_token), None);
    let no_protocol = map(&[("connection", "upgrade")]);
    assert_eq!(requested_upgrade(Version::HTTP_11, &no_protocol), None);
}

#[test]
fn an_upgrade_keeps_its_two_headers_and_loses_the_others() {
    let mut headers = map(&[
        ("connection", "upgrade, x-hop"),
        ("upgrade", "websocket"),
        ("x-hop", "1"),
        ("keep-alive", "timeout=5"),
        ("sec-websocket-key", "abc"),
    ]);
    let protocol = headers.get(UPGRADE).cloned().expect("upgrade");
    remove_hop_by_hop(&mut headers);
    keep_upgrade(&mut headers, protocol);
    let mut names: Vec<&str> = headers.keys().map(HeaderName::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["connection", "sec-websocket-key", "upgrade"]);
    assert_eq!(headers[CONNECTION], "upgrade");
    assert_eq!(headers[UPGRADE], "websocket");
}
