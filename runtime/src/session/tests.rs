use super::*;
use http::{HeaderName, HeaderValue, Request};

fn addr() -> SocketAddr {
    "192.0.2.1:5555".parse().expect("valid address")
}

fn session(req: Request<()>) -> Session {
    Session::new_synthetic(req, addr())
}

#[test]
fn accessors_on_a_synthetic_request() {
    let req = Request::builder()
        .method(Method::POST)
        .uri("/a/b?x=1&y=2")
        .header("host", "Example.COM:8080")
        .header("x-token", "abc")
        .header("x-token", "second")
        .body(())
        .expect("valid request");
    let s = session(req);
    assert_eq!(s.method(), Method::POST);
    assert_eq!(s.path(), "/a/b");
    assert_eq!(s.query(), Some("x=1&y=2"));
    assert_eq!(s.host(), Some("Example.COM"));
    assert_eq!(s.scheme(), "http");
    let token = HeaderName::from_static("x-token");
    assert_eq!(s.header(&token), Some("abc"));
    assert_eq!(s.header("X-Token"), Some("abc"));
    assert_eq!(s.header("x-missing"), None);
    assert_eq!(s.client_addr(), addr());
    assert_eq!(s.response_status(), None);
    assert!(s.upstream().is_none());
}

#[test]
fn host_prefers_the_authority_and_strips_ports() {
    let s = session(
        Request::get("http://h2.example:443/p")
            .header("host", "other")
            .body(())
            .expect("valid request"),
    );
    assert_eq!(s.host(), Some("h2.example"));
    let s = session(
        Request::get("/")
            .header("host", "[::1]:8080")
            .body(())
            .expect("valid request"),
    );
    assert_eq!(s.host(), Some("[::1]"));
    let s = session(Request::get("/").body(()).expect("valid request"));
    assert_eq!(s.host(), None);
}

#[test]
fn header_hides_non_visible_ascii() {
    let mut s = session(Request::get("/").body(()).expect("valid request"));
    s.headers_mut().insert(
        "x-bin",
        HeaderValue::from_bytes(b"caf\xc3\xa9").expect("opaque value"),
    );
    assert_eq!(s.header("x-bin"), None);
    assert!(s.headers().contains_key("x-bin"));
}

#[test]
fn set_path_keeps_the_query_and_rejects_invalid_paths() {
    let mut s = session(
        Request::get("/v1/users?id=7")
            .body(())
            .expect("valid request"),
    );
    s.set_path("/users").expect("valid path");
    assert_eq!(s.path(), "/users");
    assert_eq!(s.query(), Some("id=7"));
    assert_eq!(s.req_header().uri, "/users?id=7");

    for bad in ["users", "/a b", "/a?b", "/a#b", "/a\nb", ""] {
        let err = s.set_path(bad).expect_err(bad);
        assert_eq!(err.kind(), ErrorKind::InvalidRequest);
        assert_eq!(s.path(), "/users", "unchanged after {bad:?}");
    }

    let mut s = session(Request::get("/x").body(()).expect("valid request"));
    s.set_path("/y").expect("valid path");
    assert_eq!(s.req_header().uri, "/y");
}

#[test]
fn request_id_is_stable_per_session_and_unique_across_sessions() {
    let mut a = session(Request::get("/").body(()).expect("valid request"));
    let mut b = session(Request::get("/").body(()).expect("valid request"));
    let first = a.request_id().to_owned();
    assert_eq!(a.request_id(), first);
    assert_ne!(b.request_id(), first);
}

#[test]
fn query_params_and_cookies_are_found_in_place() {
    let req = http::Request::builder()
        .uri("/p?a=1&flag&b=x%20y&a=2")
        .header("cookie", "session=abc; beta=1")
        .header("cookie", "theme=\"dark\"")
        .body(())
        .unwrap();
    let s = Session::new_synthetic(req, "127.0.0.1:1".parse().unwrap());
    assert_eq!(s.query_param("a"), Some("1"));
    assert_eq!(s.query_param("flag"), Some(""));
    assert_eq!(s.query_param("b"), Some("x%20y"));
    assert_eq!(s.query_param("c"), None);
    assert_eq!(s.cookie("beta"), Some("1"));
    assert_eq!(s.cookie("session"), Some("abc"));
    assert_eq!(s.cookie("theme"), Some("dark"));
    assert_eq!(s.cookie("none"), None);
}

#[test]
fn request_id_value_is_the_same_id() {
    let req = http::Request::builder().uri("/").body(()).unwrap();
    let mut s = Session::new_synthetic(req, "127.0.0.1:1".parse().unwrap());
    let value = s.request_id_value();
    assert_eq!(value.as_str(), s.request_id());
}

#[test]
fn upgrade_is_the_lower_cased_protocol_of_an_http_11_switch() {
    let ask = |version, connection| {
        let req = Request::builder()
            .version(version)
            .header("connection", connection)
            .header("upgrade", " WebSocket ")
            .body(())
            .expect("valid request");
        session(req).upgrade().map(str::to_owned)
    };
    assert_eq!(
        ask(http::Version::HTTP_11, "Upgrade").as_deref(),
        Some("websocket")
    );
    assert_eq!(ask(http::Version::HTTP_11, "keep-alive"), None);
    assert_eq!(ask(http::Version::HTTP_2, "upgrade"), None);
    assert_eq!(session(Request::new(())).upgrade(), None);
}
