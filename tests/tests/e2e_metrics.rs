//! `/metrics` on the admin listener counts a known mix of requests exactly, by the program's
//! own route names (or file:line), status class and upstream server, scraped with a real
//! HTTP client from a compiled binary, and then by a real Prometheus server, whose query API
//! shows the same series.

use pxy_tests::{build_source, free_addr, HttpClient, Origin, Prometheus, ProxyProcess};

/// The value of the sample `name{labels}` in a Prometheus text exposition, if present.
fn sample(text: &str, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    text.lines().find_map(|line| {
        let (series, value) = line.rsplit_once(' ')?;
        let (metric, rest) = series.split_once('{').unwrap_or((series, "}"));
        if metric != name {
            return None;
        }
        let have: Vec<&str> = rest.trim_end_matches('}').split(',').collect();
        let all = labels
            .iter()
            .all(|(k, v)| have.contains(&format!("{k}=\"{v}\"").as_str()));
        (all && have.len() == labels.len()).then(|| value.parse().ok())?
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_requests_by_route_status_class_and_server() {
    let (listen, admin, origin_addr) = (free_addr(), free_addr(), free_addr());
    let dead = [free_addr(), free_addr()];
    let _origin = Origin::start("app", origin_addr).await;
    let source = format!(
        "server {{ admin {admin} }}\n\
         listen http {listen}\n\
         upstream app {{ server {origin_addr} }}\n\
         upstream gone {{ server {} server {} retries 1 }}\n\
         on request {{ if req.path == \"/early\" {{ respond 403 }} }}\n\
         route \"api\" path \"/api/\" {{ strip_prefix \"/api\" proxy app }}\n\
         route path \"/local\" {{ respond 204 }}\n\
         route \"gone\" path \"/gone\" {{ proxy gone }}\n\
         route {{ respond 404 \"no\" }}\n",
        dead[0], dead[1]
    );
    let bin = build_source("metrics", &source);
    let mut proxy = ProxyProcess::start(&bin, &[], 2);
    let (h1, h2) = (HttpClient::http1(), HttpClient::http2());
    let base = format!("http://{listen}");
    let mut sent = Vec::new();
    for (client, path, n) in [
        (&h1, "/api/a", 2),
        (&h2, "/api/b", 1),
        (&h1, "/api/status/503", 2),
        (&h2, "/local", 1),
        (&h1, "/nope", 3),
        (&h2, "/nope", 1),
        (&h1, "/early", 1),
        (&h1, "/gone", 2),
    ] {
        for _ in 0..n {
            sent.push((path, client.get(&format!("{base}{path}"), &[]).await.status));
        }
    }
    let statuses: Vec<u16> = sent.iter().map(|(_, s)| *s).collect();
    assert_eq!(
        statuses,
        [200, 200, 200, 503, 503, 204, 404, 404, 404, 404, 403, 502, 502]
    );

    let scrape = h1.get(&format!("http://{admin}/metrics"), &[]).await;
    assert_eq!(scrape.status, 200);
    let text = scrape.body;
    let requests = |route: &str, status: &str| {
        sample(
            &text,
            "pxy_requests_total",
            &[("route", route), ("status", status)],
        )
    };
    assert_eq!(requests("api", "2xx"), Some(3.0), "{text}");
    assert_eq!(requests("api", "5xx"), Some(2.0));
    assert_eq!(requests("api", "4xx"), Some(0.0));
    assert_eq!(
        requests("metrics.pxy:7", "2xx"),
        Some(1.0),
        "unnamed: file:line"
    );
    assert_eq!(requests("metrics.pxy:9", "4xx"), Some(4.0));
    assert_eq!(requests("gone", "5xx"), Some(2.0));
    assert_eq!(requests("none", "4xx"), Some(1.0), "answered by on request");
    let count = |route: &str| {
        sample(
            &text,
            "pxy_request_duration_seconds_count",
            &[("route", route)],
        )
    };
    assert_eq!(count("api"), Some(5.0));
    assert_eq!(count("metrics.pxy:9"), Some(4.0));
    assert_eq!(count("none"), Some(1.0));
    let backend = origin_addr.to_string();
    let server = [("upstream", "app"), ("backend", backend.as_str())];
    assert_eq!(
        sample(&text, "pxy_upstream_backend_requests_total", &server),
        Some(5.0)
    );
    assert_eq!(
        sample(&text, "pxy_upstream_backend_healthy", &server),
        Some(1.0)
    );
    // One connection to the origin, kept alive for the four requests after the first.
    let app = |name: &str| sample(&text, name, &server);
    assert_eq!(app("pxy_upstream_backend_connections_new_total"), Some(1.0));
    assert_eq!(
        app("pxy_upstream_backend_connections_reused_total"),
        Some(4.0)
    );
    assert_eq!(app("pxy_upstream_backend_connect_errors_total"), Some(0.0));
    assert_eq!(app("pxy_upstream_connect_seconds_count"), Some(1.0));
    assert_eq!(app("pxy_upstream_header_seconds_count"), Some(5.0));
    // Nothing listens at either server of `gone`: each request tries one, then (`retries
    // 1`) the other, both refused. Summed over the two servers:
    let gone = |name: &str| {
        let each = dead.map(|d| {
            let d = d.to_string();
            sample(
                &text,
                name,
                &[("upstream", "gone"), ("backend", d.as_str())],
            )
        });
        each[0].zip(each[1]).map(|(a, b)| a + b)
    };
    assert_eq!(gone("pxy_upstream_backend_requests_total"), Some(4.0));
    assert_eq!(gone("pxy_upstream_backend_connect_errors_total"), Some(4.0));
    assert_eq!(gone("pxy_upstream_backend_retries_total"), Some(2.0));
    assert_eq!(
        gone("pxy_upstream_backend_connections_new_total"),
        Some(0.0)
    );
    assert_eq!(gone("pxy_upstream_header_seconds_count"), Some(0.0));

    // A real Prometheus server scrapes the same endpoint: the series arrive with the same
    // values, labelled by the program's own words.
    let dir = bin.parent().expect("a scratch dir");
    let prometheus = Prometheus::start(dir, admin).await;
    let within = std::time::Duration::from_secs(30);
    let by_route = prometheus
        .wait_for(
            "sum by (route, status) (pxy_requests_total{job=\"proxy\"}) > 0",
            within,
            |series| series.len() == 6,
        )
        .await;
    let mut seen: Vec<(String, String, f64)> = by_route
        .iter()
        .map(|(labels, value)| {
            let label = |name: &str| labels[name].as_str().unwrap_or_default().to_owned();
            (label("route"), label("status"), *value)
        })
        .collect();
    seen.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let expected = [
        ("api", "2xx", 3.0),
        ("api", "5xx", 2.0),
        ("gone", "5xx", 2.0),
        ("metrics.pxy:7", "2xx", 1.0),
        ("metrics.pxy:9", "4xx", 4.0),
        ("none", "4xx", 1.0),
    ]
    .map(|(r, s, v)| (r.to_owned(), s.to_owned(), v));
    assert_eq!(seen, expected);
    let up = prometheus.query("up{job=\"proxy\"}").await;
    assert_eq!(up.len(), 1);
    assert_eq!(up[0].1, 1.0, "the scrape succeeds");
    let reused = prometheus
        .query("pxy_upstream_backend_connections_reused_total{upstream=\"app\"}")
        .await;
    assert_eq!(reused.len(), 1);
    assert_eq!(reused[0].1, 4.0);
    drop(prometheus);

    let status = proxy
        .terminate(std::time::Duration::from_secs(10))
        .expect("exits after SIGTERM");
    assert!(status.success(), "{status:?}");
}
