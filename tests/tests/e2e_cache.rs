//! `examples/cache.pxy` through the whole chain, with the counting test origin behind it:
//! the cache lock (200 concurrent misses, one origin request), `max-age` to the second,
//! `Vary` variants, `304` both ways (the client's own condition answered from the cache, a
//! stale entry revalidated with the origin), `HEAD` from a cached `GET`, purge (of a target,
//! by tag and by path prefix) and
//! invalidation by an unsafe method, a route's own key (`key EXPR`), stale-while-revalidate (stale once, then refreshed),
//! the store's bound while it is filled with ten times its size, and stale-if-error while
//! the origin is down; the access log and the metrics say what the cache did.

use std::time::{Duration, Instant};

use futures_util::future::join_all;
use pxy_tests::{build_example_for, free_addr, HttpClient, Origin, ProxyProcess, Reply};

/// The value of the series `name` in a scrape (0 when absent).
fn series(metrics: &str, name: &str) -> u64 {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .map_or(0, |v| v.trim().parse().expect("a number"))
}

/// How many requests for `uri` the origin received.
fn origin_count(origin: &Origin, uri: &str) -> usize {
    origin.requests().iter().filter(|r| r.uri == uri).count()
}

fn cache_status(reply: &Reply) -> &str {
    reply.header("x-cache").unwrap_or("-")
}

/// The origin's request number in a reply's JSON body.
fn n(reply: &Reply) -> u64 {
    reply.json()["n"].as_u64().expect("n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_cache_answers_as_rfc_9111_says_and_stays_in_its_bound() {
    let (listen, origin_addr, admin) = (free_addr(), free_addr(), free_addr());
    let origin = Origin::start("app", origin_addr).await;
    let bin = build_example_for("cache", listen, origin_addr);
    let admin_arg = admin.to_string();
    let mut proxy = ProxyProcess::start(&bin, &["--threads", "2", "--admin", &admin_arg], 1);
    let base = format!("http://{listen}");
    let client = HttpClient::http1();
    let keep = [("x-reply-cache-control", "max-age=60")];

    // The cache lock: 200 concurrent misses of one cold key make one origin request (slow,
    // so that they all arrive while it is in flight); the others wait and are hits.
    let url = format!("{base}/slow/300?k=lock");
    let replies = join_all((0..200).map(|_| client.get(&url, &keep))).await;
    assert_eq!(origin_count(&origin, "/slow/300?k=lock"), 1);
    assert!(replies
        .iter()
        .all(|r| r.status == 200 && n(r) == n(&replies[0])));
    let misses = replies.iter().filter(|r| cache_status(r) == "miss").count();
    let hits = replies.iter().filter(|r| cache_status(r) == "hit").count();
    assert_eq!((misses, hits), (1, 199));

    // max-age=2, to the second: fresh at 1 s (with its Age), stale after 2 s.
    let two = [("x-reply-cache-control", "max-age=2")];
    let first = client.get(&format!("{base}/age"), &two).await;
    let started = Instant::now();
    assert_eq!(cache_status(&first), "miss");
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let fresh = client.get(&format!("{base}/age"), &two).await;
    assert_eq!(cache_status(&fresh), "hit");
    assert_eq!(n(&fresh), n(&first));
    assert!(
        fresh.header("age").is_some_and(|a| a == "1"),
        "{:?}",
        fresh.headers
    );
    tokio::time::sleep(Duration::from_millis(2100).saturating_sub(started.elapsed())).await;
    let expired = client.get(&format!("{base}/age"), &two).await;
    assert_eq!(cache_status(&expired), "miss");
    assert_eq!(origin_count(&origin, "/age"), 2);

    // Vary: one entry per value of the named request header.
    let vary = |lang: &'static str| {
        [
            ("x-reply-cache-control", "max-age=60"),
            ("x-reply-vary", "x-lang"),
            ("x-lang", lang),
        ]
    };
    let v = format!("{base}/vary");
    let fr = client.get(&v, &vary("fr")).await;
    let en = client.get(&v, &vary("en")).await;
    assert_eq!((cache_status(&fr), cache_status(&en)), ("miss", "miss"));
    let fr_again = client.get(&v, &vary("fr")).await;
    let en_again = client.get(&v, &vary("en")).await;
    assert_eq!(
        (cache_status(&fr_again), cache_status(&en_again)),
        ("hit", "hit")
    );
    assert_eq!(fr_again.json()["headers"]["x-lang"], "fr");
    assert_eq!(en_again.json()["headers"]["x-lang"], "en");
    assert_eq!(origin_count(&origin, "/vary"), 2);

    // A client's own conditional request is answered 304 from the cache; HEAD from a GET.
    let tagged = [
        ("x-reply-cache-control", "max-age=60"),
        ("x-reply-etag", "\"v1\""),
    ];
    let e = format!("{base}/etag");
    assert_eq!(cache_status(&client.get(&e, &tagged).await), "miss");
    let not_modified = client.get(&e, &[("if-none-match", "\"v1\"")]).await;
    assert_eq!(
        (not_modified.status, cache_status(&not_modified)),
        (304, "hit")
    );
    assert!(not_modified.body.is_empty());
    let head = client.send("HEAD", &e, &[], "").await;
    assert_eq!((head.status, cache_status(&head)), (200, "hit"));
    assert!(head.body.is_empty());
    assert_eq!(origin_count(&origin, "/etag"), 1);

    // A stale entry is revalidated with its validator; the origin's 304 refreshes it.
    let short = [
        ("x-reply-cache-control", "max-age=1"),
        ("x-reply-etag", "\"r1\""),
    ];
    let r = format!("{base}/revalidate");
    let stored = client.get(&r, &short).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let revalidated = client.get(&r, &short).await;
    assert_eq!(
        (revalidated.status, cache_status(&revalidated)),
        (200, "revalidated")
    );
    assert_eq!(n(&revalidated), n(&stored), "the stored body is sent");
    let asked = origin.requests();
    let last = asked
        .iter()
        .rfind(|q| q.uri == "/revalidate")
        .expect("asked");
    assert!(last
        .headers
        .iter()
        .any(|(k, v)| k == "if-none-match" && v == "\"r1\""));
    assert_eq!(
        cache_status(&client.get(&r, &short).await),
        "hit",
        "refreshed"
    );

    // `cache` under an `if`: only the requests that take the branch use the cache.
    let draft = format!("{base}/drafts/post");
    let visitor = client.get(&draft, &keep).await;
    let again = client.get(&draft, &keep).await;
    assert_eq!(
        (cache_status(&visitor), cache_status(&again)),
        ("miss", "hit")
    );
    let mut preview = keep.to_vec();
    preview.push(("x-preview", "1"));
    let previews = [
        client.get(&draft, &preview).await,
        client.get(&draft, &preview).await,
    ];
    for reply in &previews {
        assert_eq!(
            cache_status(reply),
            "none",
            "a preview never uses the cache"
        );
    }
    assert_eq!(
        n(&previews[1]),
        n(&previews[0]) + 1,
        "both previews reached the origin"
    );

    // Surrogate-Control speaks to this cache ahead of Cache-Control, and never reaches a
    // client: stored though browsers are told no-store; revalidated on its own lifetime, the
    // client still getting the origin's own Cache-Control.
    let surrogate = [
        ("x-reply-cache-control", "no-store"),
        ("x-reply-surrogate-control", "max-age=60"),
    ];
    let sc = format!("{base}/surrogate");
    let first = client.get(&sc, &surrogate).await;
    let again = client.get(&sc, &surrogate).await;
    assert_eq!(
        (cache_status(&first), cache_status(&again)),
        ("miss", "hit")
    );
    for reply in [&first, &again] {
        assert_eq!(reply.header("surrogate-control"), None);
        assert_eq!(reply.header("cache-control"), Some("no-store"));
    }
    let short_surrogate = [
        ("x-reply-cache-control", "max-age=30"),
        ("x-reply-surrogate-control", "max-age=1"),
        ("x-reply-etag", "\"s1\""),
    ];
    let scr = format!("{base}/surrogate-revalidate");
    client.get(&scr, &short_surrogate).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let revalidated = client.get(&scr, &short_surrogate).await;
    assert_eq!(cache_status(&revalidated), "revalidated");
    assert_eq!(revalidated.header("cache-control"), Some("max-age=30"));
    assert_eq!(revalidated.header("surrogate-control"), None);
    let after = client.get(&scr, &short_surrogate).await;
    assert_eq!(cache_status(&after), "hit");
    assert_eq!(after.header("cache-control"), Some("max-age=30"));

    // PURGE removes an entry (and says when there was none); POST invalidates its target.
    let purged = client.send("PURGE", &e, &[], "").await;
    assert_eq!((purged.status, purged.body.as_str()), (200, "purged\n"));
    assert_eq!(client.send("PURGE", &e, &[], "").await.status, 404);
    assert_eq!(cache_status(&client.get(&e, &tagged).await), "miss");
    assert_eq!(cache_status(&client.get(&e, &tagged).await), "hit");
    let post = client.send("POST", &e, &[], "x").await;
    assert_eq!((post.status, cache_status(&post)), (200, "bypass"));
    assert_eq!(cache_status(&client.get(&e, &tagged).await), "miss");
    // ... and the Location (relative here) and Content-Location (absolute) its answer names
    // on this host; a Location on another host is not this cache's to remove.
    let named = ["/named/cl", "/etag", "/named/foreign"];
    for path in named {
        let url = format!("{base}{path}");
        client.get(&url, &tagged).await;
        assert_eq!(
            cache_status(&client.get(&url, &tagged).await),
            "hit",
            "{path}"
        );
    }
    let same_host = format!("{base}/etag");
    let moved = [
        ("x-reply-location", "cl"),
        ("x-reply-content-location", same_host.as_str()),
    ];
    let put = client
        .send("PUT", &format!("{base}/named/new"), &moved, "x")
        .await;
    assert_eq!(put.status, 200);
    let elsewhere = [("x-reply-location", "http://elsewhere.example/named/foreign")];
    client
        .send("DELETE", &format!("{base}/named/gone"), &elsewhere, "")
        .await;
    let mut statuses = Vec::new();
    for path in named {
        let reply = client.get(&format!("{base}{path}"), &tagged).await;
        statuses.push(cache_status(&reply).to_owned());
    }
    assert_eq!(statuses, ["miss", "miss", "hit"], "{named:?}");

    // Purge by tag (the origin's Surrogate-Key or Cache-Tag, not shown to clients) and by
    // path prefix: exactly the entries named go, the others stay.
    let product_1 = [
        ("x-reply-cache-control", "max-age=60"),
        ("x-reply-surrogate-key", "product-1 list"),
    ];
    let product_2 = [
        ("x-reply-cache-control", "max-age=60"),
        ("x-reply-cache-tag", "product-2,list"),
    ];
    let objects = [
        ("/p/1", &product_1[..]),
        ("/p/2", &product_2[..]),
        ("/other/3", &product_2[..]),
    ];
    let fill = |expected: &'static str| {
        let client = &client;
        let base = &base;
        async move {
            for (path, headers) in objects {
                let reply = client.get(&format!("{base}{path}"), headers).await;
                assert_eq!(cache_status(&reply), expected, "{path}");
                assert_eq!(reply.header("surrogate-key"), None);
                assert_eq!(reply.header("cache-tag"), None);
            }
        }
    };
    fill("miss").await;
    fill("hit").await;
    let purge_tags = |tags: &'static str| {
        let (client, e) = (&client, &e);
        async move {
            client
                .send("PURGE", e, &[("surrogate-key", tags)], "")
                .await
        }
    };
    let one = purge_tags("product-1").await;
    assert_eq!((one.status, one.body.as_str()), (200, "purged 1\n"));
    let p1 = client.get(&format!("{base}/p/1"), &product_1).await;
    assert_eq!(cache_status(&p1), "miss", "the tagged object went");
    let p2 = client.get(&format!("{base}/p/2"), &product_2).await;
    assert_eq!(cache_status(&p2), "hit", "the others stay");
    let list = purge_tags("nothing-here, list").await;
    assert_eq!((list.status, list.body.as_str()), (200, "purged 3\n"));
    assert_eq!(purge_tags("list").await.status, 404);
    fill("miss").await;
    let prefix = client.send("PURGE", &format!("{base}/p/*"), &[], "").await;
    assert_eq!((prefix.status, prefix.body.as_str()), (200, "purged 2\n"));
    let other = client.get(&format!("{base}/other/3"), &product_2).await;
    assert_eq!(cache_status(&other), "hit", "outside the prefix");
    let p1 = client.get(&format!("{base}/p/1"), &product_1).await;
    assert_eq!(cache_status(&p1), "miss", "under the prefix");

    // The search route's own key: only `q` counts, so other parameters share its entry;
    // another `q` is another entry; a POST removes the entry of its own key.
    let search = |query: &str| format!("{base}/search?{query}");
    let first = client.get(&search("q=shoes&utm_source=mail"), &keep).await;
    let shared = client.get(&search("utm_source=ad&q=shoes"), &keep).await;
    let other = client.get(&search("q=hats"), &keep).await;
    assert_eq!(
        [&first, &shared, &other].map(cache_status),
        ["miss", "hit", "miss"]
    );
    assert_eq!(n(&shared), n(&first));
    assert_eq!(origin_count(&origin, "/search?utm_source=ad&q=shoes"), 0);
    let posted = client.send("POST", &search("q=shoes&x=1"), &[], "x").await;
    assert_eq!((posted.status, cache_status(&posted)), (200, "bypass"));
    let after = client.get(&search("q=shoes"), &keep).await;
    assert_eq!(
        cache_status(&after),
        "miss",
        "the POST removed its key's entry"
    );
    assert_eq!(
        cache_status(&client.get(&search("q=hats&page=1"), &keep).await),
        "hit"
    );

    // stale-while-revalidate: served stale once, refreshed in the background, then fresh.
    let s = format!("{base}/stale/swr");
    let one = [("x-reply-cache-control", "max-age=1")];
    let old = client.get(&s, &one).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let stale = client.get(&s, &one).await;
    assert_eq!((cache_status(&stale), n(&stale)), ("stale", n(&old)));
    let deadline = Instant::now() + Duration::from_secs(5);
    while origin_count(&origin, "/stale/swr") < 2 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let refreshed = client.get(&s, &one).await;
    assert_eq!(cache_status(&refreshed), "hit");
    assert!(n(&refreshed) > n(&old));
    assert_eq!(origin_count(&origin, "/stale/swr"), 2);

    // Ten times the cache's size (1 MiB) in 30 KB objects: the store stays in its bound.
    for i in 0..350 {
        let reply = client
            .get(&format!("{base}/bytes/30000?i={i}"), &keep)
            .await;
        assert_eq!(reply.status, 200);
    }
    let metrics = client
        .get(&format!("http://{admin}/metrics"), &[])
        .await
        .body;
    let bytes = series(&metrics, "pxy_cache_bytes{cache=\"main\"}");
    assert!(bytes > 256 << 10 && bytes <= 1 << 20, "{bytes} bytes held");
    assert!(
        series(
            &metrics,
            "pxy_cache_requests_total{cache=\"main\",status=\"hit\"}"
        ) >= 199
    );
    let rss_kib = proxy.peak_rss_kib();
    println!("peak RSS {rss_kib} KiB with a 1 MiB cache filled 10 times over");
    assert!(rss_kib < 64 << 10, "peak RSS {rss_kib} KiB");

    // stale-if-error: the origin is down, the expired entry is served; a key never stored
    // gets the 502.
    let down = format!("{base}/stale/down");
    let kept = client.get(&down, &one).await;
    drop(origin);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let rescued = client.get(&down, &one).await;
    assert_eq!((rescued.status, cache_status(&rescued)), (200, "stale"));
    assert_eq!(n(&rescued), n(&kept));
    assert_eq!(
        client
            .get(&format!("{base}/stale/never"), &one)
            .await
            .status,
        502
    );

    // The access log says what the cache did, by itself.
    proxy.terminate(Duration::from_secs(5));
    let log = proxy.log_text();
    for status in ["miss", "hit", "stale", "revalidated", "bypass"] {
        assert!(
            log.contains(&format!("cache=\"{status}\"")),
            "no cache={status} in the log"
        );
    }
}
