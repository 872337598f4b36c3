use super::*;

#[test]
fn content_length_is_set_from_the_body() {
    let resp = Response::new(StatusCode::OK)
        .with_body("hello")
        .with_header(
            HeaderName::from_static("x-a"),
            HeaderValue::from_static("1"),
        )
        .with_header(
            HeaderName::from_static("x-a"),
            HeaderValue::from_static("2"),
        );
    let (parts, body) = resp.into_parts();
    assert_eq!(parts.status, StatusCode::OK);
    assert_eq!(parts.headers[CONTENT_LENGTH], "5");
    assert_eq!(parts.headers.get_all("x-a").iter().count(), 2);
    assert_eq!(body, "hello");
}

#[test]
fn no_content_drops_the_body() {
    let (parts, body) = Response::new(StatusCode::NO_CONTENT)
        .with_body("ignored")
        .into_parts();
    assert!(parts.headers.get(CONTENT_LENGTH).is_none());
    assert!(body.is_empty());
}

#[test]
fn redirect_validates_status_and_location() {
    let resp = Response::redirect(StatusCode::FOUND, "https://example.com/x").expect("valid");
    assert_eq!(resp.status(), StatusCode::FOUND);
    assert_eq!(resp.headers()[LOCATION], "https://example.com/x");
    assert!(Response::redirect(StatusCode::OK, "/x").is_err());
    assert!(Response::redirect(StatusCode::FOUND, "/x\r\nSet-Cookie: a=b").is_err());
}

#[test]
fn error_page_names_the_status() {
    let resp = Response::error_page(StatusCode::BAD_GATEWAY);
    assert_eq!(resp.body(), "502 Bad Gateway\n");
    assert_eq!(resp.headers()[CONTENT_TYPE], "text/plain; charset=utf-8");
}

#[test]
fn retry_after_rounds_up_and_keeps_a_declared_one() {
    let wait = |d: Duration| {
        Response::new(StatusCode::TOO_MANY_REQUESTS)
            .with_retry_after(d)
            .headers()[http::header::RETRY_AFTER]
            .clone()
    };
    assert_eq!(wait(Duration::from_millis(11_400)), "12");
    assert_eq!(wait(Duration::from_secs(12)), "12");
    assert_eq!(wait(Duration::ZERO), "1");
    let declared = Response::new(StatusCode::TOO_MANY_REQUESTS)
        .with_header(http::header::RETRY_AFTER, HeaderValue::from_static("60"))
        .with_retry_after(Duration::from_secs(3));
    assert_eq!(declared.headers()[http::header::RETRY_AFTER], "60");
}
