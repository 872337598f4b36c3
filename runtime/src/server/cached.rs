//! The cache on the request path, between `request_filter` (which named the cache) and the
//! attempts (`crate::forward`).
//!
//! ```text
//! GET/HEAD ─ lookup ─ fresh ───────────────────────────────▶ hit (304 if the client has it)
//!               ├──── stale, within stale-while-revalidate ─▶ stale, refreshed in a task
//!               ├──── stale ─ lock ─▶ ask with validators ─ 304 ─▶ revalidated (refreshed)
//!               │                                  ├─ 5xx/error, within stale-if-error ─▶ stale
//!               │                                  └─ other ─▶ miss (stored as it streams)
//!               └──── absent ─ lock ─ writer ─▶ miss (stored as it streams)
//!                               └── waiter ─▶ wait (bounded) ─▶ look again
//! other methods ─▶ bypass; an unsafe one that succeeds invalidates its target
//! ```
//! A hit is sent like a local response, through `response_filter`; `Age` says how old it is.
//! A `GET` with `Range` asks upstream for the whole response (to store it) and is answered
//! its range, from the entry or cut from the response as it streams (`cache/range.rs`).

use std::sync::Arc;
use std::time::SystemTime;

use http::header::{AGE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use http::{Method, StatusCode};
use http_body_util::BodyExt;
use http_cache_semantics::AfterResponse;
use hyper::body::Incoming;
use tokio::time::Instant;

use super::body::{ResponseBody, UpstreamParts};
use super::service::{answer, send_parts, Answer, ConnInfo};
use crate::cache::{
    key, range, Acquired, Age, Cache, CacheRule, CacheStatus, FillPlan, Freshness, Object, Woken,
    LOCK_WAIT,
};
use crate::forward::{proxy_upstream, Proxied};
use crate::phase::Proxy;
use crate::request_state::RequestState;
use crate::session::Session;

type Upgrade = Option<hyper::upgrade::OnUpgrade>;

/// The response of a fresh hit of a request of a route that caches in `cache` under `rule`
/// (counted as a hit), for `send_parts`; `None` leaves the request to [`serve`].
///
/// Without awaiting, so that a hit neither makes nor boxes `serve`'s state machine (over
/// 6 KB, copied whole into its box).
pub(super) fn hit<P: Proxy>(
    state: &mut RequestState<P>,
    cache: &Cache,
    rule: &'static CacheRule,
) -> Option<(http::response::Parts, bytes::Bytes)> {
    if !is_lookup(state.session.method()) {
        return None;
    }
    let hit = cache.hit(&state.session, rule)?;
    counted(state, cache, CacheStatus::Hit);
    Some(hit)
}

/// Whether a request of `method` is answered from the cache; others bypass it.
fn is_lookup(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

/// Serves a request of a route that caches in `cache` under `rule` that [`hit`] did not
/// answer: a bypass, a miss, a stale or revalidated entry, or a hit the lock waited for.
pub(super) async fn serve<P: Proxy>(
    state: RequestState<P>,
    conn: &ConnInfo,
    body: Incoming,
    upgrade: Upgrade,
    cache: Cache,
    rule: &'static CacheRule,
) -> Answer<P> {
    let method = state.session.method().clone();
    if !is_lookup(&method) {
        return bypass(state, conn, body, upgrade, cache, rule, method).await;
    }
    let primary = key::primary(&state.session, rule);
    let deadline = Instant::now() + LOCK_WAIT;
    loop {
        let mut lookup = cache.lookup(&primary, state.session.headers());
        let stale = match lookup.object.take() {
            Some(object) => match object.freshness.state(SystemTime::now()) {
                Age::Fresh => return send_hit(state, &cache, &object, CacheStatus::Hit),
                Age::Stale(past) => Some((object, past)),
            },
            None => None,
        };
        let lock = match cache.lock(lookup.key(&primary)) {
            Acquired::Writer(lock) => Some(lock),
            Acquired::Waiter(waiter) => {
                if let Some((object, past)) = &stale {
                    if *past < object.freshness.stale_while_revalidate {
                        // Someone refreshes it already.
                        return send_hit(state, &cache, object, CacheStatus::Stale);
                    }
                }
                if Instant::now() < deadline {
                    match waiter.wait_until(deadline).await {
                        Woken::Done => continue,
                        Woken::Pass | Woken::TimedOut => None,
                    }
                } else {
                    None
                }
            }
        };
        let plan = (method == Method::GET).then(|| FillPlan {
            cache: cache.clone(),
            rule,
            primary: primary.clone(),
            request: request_head(&state.session),
            lock,
        });
        return match stale {
            Some((object, past)) if past < object.freshness.stale_while_revalidate => {
                if let Some(plan) = plan {
                    refresh_in_background(&state, conn, plan, object.clone());
                }
                send_hit(state, &cache, &object, CacheStatus::Stale)
            }
            Some((object, past)) => {
                revalidate(state, conn, upgrade, &cache, plan, object, past).await
            }
            None => miss(state, conn, body, upgrade, &cache, plan).await,
        };
    }
}

/// The request as a fill's policy sees it.
fn request_head(session: &Session) -> http::request::Parts {
    let head = session.req_header();
    let mut copy = http::Request::new(()).into_parts().0;
    copy.method = head.method.clone();
    copy.uri = head.uri.clone();
    copy.version = head.version;
    copy.headers = head.headers.clone();
    range::take(&mut copy.headers);
    copy
}

/// Asks upstream for a response to store: without the client's own validators, so that the
/// origin sends the whole response (the client gets it in full, which answers any condition).
async fn miss<P: Proxy>(
    mut state: RequestState<P>,
    conn: &ConnInfo,
    body: Incoming,
    upgrade: Upgrade,
    cache: &Cache,
    plan: Option<FillPlan>,
) -> Answer<P> {
    counted(&mut state, cache, CacheStatus::Miss);
    // The whole response is asked for, to store it; the client's range is cut from it.
    let mut range = http::HeaderMap::new();
    if plan.is_some() {
        let headers = state.session.headers_mut();
        headers.remove(IF_NONE_MATCH);
        headers.remove(IF_MODIFIED_SINCE);
        range = range::take(headers);
    }
    let proxied = proxy_upstream(&mut state, &conn.forwarding, Some(body)).await;
    state.session.headers_mut().extend(range);
    answer(state, conn, proxied, upgrade, plan)
}

/// Asks the origin whether the stale `object` is still good (RFC 9111 4.3.1).
async fn revalidate<P: Proxy>(
    mut state: RequestState<P>,
    conn: &ConnInfo,
    upgrade: Upgrade,
    cache: &Cache,
    plan: Option<FillPlan>,
    object: Arc<Object>,
    past: std::time::Duration,
) -> Answer<P> {
    let mut client_conditions = set_validators(state.session.headers_mut(), &object);
    if plan.is_some() {
        client_conditions.extend(range::take(state.session.headers_mut()));
    }
    let proxied = proxy_upstream(&mut state, &conn.forwarding, None).await;
    // The client's own conditions, not ours, decide whether it gets a 304.
    let headers = state.session.headers_mut();
    headers.remove(IF_NONE_MATCH);
    headers.remove(IF_MODIFIED_SINCE);
    headers.extend(client_conditions);
    let may_serve_stale = past < object.freshness.stale_if_error;
    match proxied {
        Ok(proxied) if proxied.response.status() == StatusCode::NOT_MODIFIED => {
            let refreshed = match &plan {
                Some(plan) => refreshed(plan, &object, &proxied.response),
                None => None,
            };
            drop(proxied);
            let object = refreshed.unwrap_or(object);
            send_hit(state, cache, &object, CacheStatus::Revalidated)
        }
        Ok(proxied) if proxied.response.status().is_server_error() && may_serve_stale => {
            drop(proxied);
            send_hit(state, cache, &object, CacheStatus::Stale)
        }
        Err(_) if may_serve_stale => send_hit(state, cache, &object, CacheStatus::Stale),
        proxied => {
            counted(&mut state, cache, CacheStatus::Miss);
            answer(state, conn, proxied, upgrade, plan)
        }
    }
}

/// The validators of `object` on a request about to revalidate it, instead of the client's
/// (which are returned).
fn set_validators(headers: &mut http::HeaderMap, object: &Object) -> http::HeaderMap {
    let mut client = http::HeaderMap::new();
    for name in [IF_NONE_MATCH, IF_MODIFIED_SINCE] {
        for value in headers.get_all(&name) {
            client.append(name.clone(), value.clone());
        }
        headers.remove(&name);
    }
    if let Some(etag) = object.headers.get(ETAG) {
        headers.insert(IF_NONE_MATCH, etag.clone());
    }
    if let Some(modified) = object.headers.get(LAST_MODIFIED) {
        headers.insert(IF_MODIFIED_SINCE, modified.clone());
    }
    client
}

/// The entry refreshed by a `304` (and stored), or `None` if the `304` is not for it.
fn refreshed(
    plan: &FillPlan,
    object: &Object,
    not_modified: &http::Response<Incoming>,
) -> Option<Arc<Object>> {
    let now = SystemTime::now();
    let after = object
        .freshness
        .policy
        .after_response(&plan.request, not_modified, now);
    let AfterResponse::NotModified(_, mut parts) = after else {
        return None;
    };
    // The crate's header says `Age: 0` and a new `Date`; the age is ours to send.
    parts.headers.remove(AGE);
    object.restore_stored(&mut parts.headers, not_modified.headers());
    parts.status = object.status;
    let freshness = Freshness::of(&plan.request, &parts, plan.rule, now)?;
    let object = object.refreshed(parts.headers, freshness, &plan.request.headers);
    plan.cache
        .insert(&plan.primary, &plan.request.headers, object);
    plan.cache
        .lookup(&plan.primary, &plan.request.headers)
        .object
}

/// Refreshes a stale entry in a task of its own while the client gets the stale one: the
/// request is routed again (`request_filter` on a copy of its header) and sent without a
/// body; the answer is stored (a `304` refreshes, a new response replaces), then the plan's
/// lock is released. Nothing is sent to anyone.
fn refresh_in_background<P: Proxy>(
    state: &RequestState<P>,
    conn: &ConnInfo,
    plan: FillPlan,
    object: Arc<Object>,
) {
    let proxy = state.proxy.clone();
    let mut head = request_head(&state.session);
    set_validators(&mut head.headers, &object);
    let session = Session::new(head, state.session.client_addr(), conn.forwarding.scheme);
    let forwarding = conn.forwarding.clone();
    let metrics = conn.metrics.clone();
    tokio::spawn(async move {
        let mut state =
            RequestState::new(proxy, false, session, std::time::Instant::now(), metrics);
        let routed = {
            let st = &mut state;
            st.proxy.request_filter(&mut st.session, &mut st.ctx).await
        };
        if !matches!(routed, Ok(None)) {
            return;
        }
        state.session.take_cache();
        let Ok(proxied) = proxy_upstream(&mut state, &forwarding, None).await else {
            return;
        };
        if proxied.response.status() == StatusCode::NOT_MODIFIED {
            refreshed(&plan, &object, &proxied.response);
            return;
        }
        store_in_background(state, proxied, plan).await;
    });
}

/// Reads a refreshed response to its end, storing it if it may be stored.
async fn store_in_background<P: Proxy>(state: RequestState<P>, proxied: Proxied, plan: FillPlan) {
    let (response, upstream) = UpstreamParts::split(proxied);
    let (mut parts, body) = response.into_parts();
    crate::headers::remove_hop_by_hop(&mut parts.headers);
    let Some(fill) = plan.start(&parts) else {
        return;
    };
    let body = ResponseBody::upstream(state, body, upstream, Some(fill));
    // Bounded by the upstream's read timeout between chunks; frames are dropped.
    let _ = body.collect().await;
}

/// Sends `object` from the cache: its header with `Age`, and its body, or `304` when the
/// client's own conditions say it has it.
fn send_hit<P: Proxy>(
    mut state: RequestState<P>,
    cache: &Cache,
    object: &Object,
    status: CacheStatus,
) -> Answer<P> {
    counted(&mut state, cache, status);
    let session = &state.session;
    let (parts, body) = object.response(session.method(), session.headers(), SystemTime::now());
    send_parts(state, parts, body)
}

/// An unsafe or uncacheable method: proxied as it is; an unsafe one that succeeds
/// invalidates the entry of its target, and those of the URIs on its own host that the
/// response names in `Location` and `Content-Location` (RFC 9111 4.4).
async fn bypass<P: Proxy>(
    mut state: RequestState<P>,
    conn: &ConnInfo,
    body: Incoming,
    upgrade: Upgrade,
    cache: Cache,
    rule: &'static CacheRule,
    method: Method,
) -> Answer<P> {
    counted(&mut state, &cache, CacheStatus::Bypass);
    let proxied = proxy_upstream(&mut state, &conn.forwarding, Some(body)).await;
    let unsafe_method = !matches!(
        method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    );
    if let Ok(proxied) = &proxied {
        let status = proxied.response.status();
        if unsafe_method && (status.is_success() || status.is_redirection()) {
            let headers = proxied.response.headers();
            crate::cache::invalidate::after_unsafe(&cache, &state.session, rule, headers);
        }
    }
    answer(state, conn, proxied, upgrade, None)
}

fn counted<P: Proxy>(state: &mut RequestState<P>, cache: &Cache, status: CacheStatus) {
    state.session.set_cache_status(status);
    cache.count(status);
}
