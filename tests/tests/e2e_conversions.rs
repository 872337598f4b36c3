//! The checked conversions `int(s)` and `ip(s)` in a real proxy process: a query parameter
//! turned into a number, a header into an address tested `in` a CIDR, and absent results
//! taking their `??` default; and a header sent as several lines read whole with
//! `req.header_values`.

use pxy_tests::{build_source, free_addr, HttpClient, ProxyProcess};

const PROGRAM: &str = r#"
listen http LISTEN

route path "/page" {
    let page = int(req.query["page"]) ?? 1
    if page > 100 { respond 400 "page out of range\n" }
    respond 200 "page {page}\n"
}

route path "/who" {
    if (ip(req.headers["x-device-ip"]) ?? client.ip) in 10.0.0.0/8 { respond 200 "internal\n" }
    respond 200 "external\n"
}

route path "/valid" {
    let addr = ip(req.headers["x-device-ip"])
    if present(addr) { respond 200 "an address\n" }
    respond 200 "not an address\n"
}

route path "/tags" {
    respond 200 "{req.header_values["x-tag"] ?? "none"} / first {req.headers["x-tag"] ?? "none"}\n"
}

route { respond 404 }
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn query_parameters_become_numbers_and_headers_addresses() {
    let listen = free_addr();
    let bin = build_source(
        "conversions",
        &PROGRAM.replace("LISTEN", &listen.to_string()),
    );
    let _proxy = ProxyProcess::start(&bin, &[], 1);
    let base = format!("http://{listen}");
    let c = HttpClient::http1();
    let url = |path: &str| format!("{base}{path}");

    assert_eq!(c.get(&url("/page?page=7"), &[]).await.body, "page 7\n");
    assert_eq!(
        c.get(&url("/page?page=%207"), &[]).await.body,
        "page 1\n",
        "raw value `%207` is no number"
    );
    assert_eq!(
        c.get(&url("/page"), &[]).await.body,
        "page 1\n",
        "absent: the default"
    );
    assert_eq!(c.get(&url("/page?page=seven"), &[]).await.body, "page 1\n");
    assert_eq!(
        c.get(&url("/page?page=-3"), &[]).await.body,
        "page 1\n",
        "no sign"
    );
    assert_eq!(
        c.get(&url("/page?page=99999999999999999999"), &[])
            .await
            .body,
        "page 1\n",
        "above 2^64-1"
    );
    let r = c.get(&url("/page?page=101"), &[]).await;
    assert_eq!((r.status, r.body.as_str()), (400, "page out of range\n"));

    assert_eq!(
        c.get(&url("/who"), &[("x-device-ip", "10.1.2.3")])
            .await
            .body,
        "internal\n"
    );
    assert_eq!(
        c.get(&url("/who"), &[("x-device-ip", "192.0.2.1")])
            .await
            .body,
        "external\n"
    );
    assert_eq!(
        c.get(&url("/who"), &[]).await.body,
        "external\n",
        "absent: client.ip, 127.0.0.1, is not in 10.0.0.0/8"
    );
    assert_eq!(
        c.get(&url("/who"), &[("x-device-ip", "10.0.0.1:80")])
            .await
            .body,
        "external\n",
        "an address with a port is no address"
    );

    assert_eq!(
        c.get(&url("/valid"), &[("x-device-ip", "2001:db8::1")])
            .await
            .body,
        "an address\n"
    );
    assert_eq!(
        c.get(&url("/valid"), &[("x-device-ip", "localhost")])
            .await
            .body,
        "not an address\n"
    );
    assert_eq!(c.get(&url("/valid"), &[]).await.body, "not an address\n");

    // Two lines of one header: all of them, in order, against the first only.
    assert_eq!(
        c.get(&url("/tags"), &[("x-tag", "a"), ("x-tag", "b, c")])
            .await
            .body,
        "a, b, c / first a\n"
    );
    assert_eq!(
        c.get(&url("/tags"), &[("x-tag", "solo")]).await.body,
        "solo / first solo\n"
    );
    assert_eq!(c.get(&url("/tags"), &[]).await.body, "none / first none\n");
}
