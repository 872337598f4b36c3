//! Upstream declarations: each becomes one `Upstream` built at start-up with its options,
//! health checks, passive health and discovery spelled out, so the runtime reads no
//! configuration at request time.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::exprs::socket_addr;
use crate::typed::{BalancePolicy, TypedDiscovery, TypedHealth, TypedUpstream};

fn millis(ms: u64) -> TokenStream {
    quote! { Duration::from_millis(#ms) }
}

/// The field initialiser `upstream_N: Upstream::...?` of `Program::new`.
pub(crate) fn init(index: usize, up: &TypedUpstream) -> TokenStream {
    let field = format_ident!("upstream_{}", index);
    let name = &up.name;
    let balance = match up.balance {
        BalancePolicy::RoundRobin => quote!(Balance::RoundRobin),
        BalancePolicy::Random => quote!(Balance::Random),
        BalancePolicy::LeastConn => quote!(Balance::LeastConn),
        BalancePolicy::PowerOfTwo => quote!(Balance::PowerOfTwo),
        BalancePolicy::Hash => quote!(Balance::Hash),
    };
    let options = options(up);
    let create = match &up.discovery {
        None => {
            let backends = up.servers.iter().map(|s| {
                let (addr, weight, backup) = (socket_addr(&s.addr), s.weight, s.backup);
                quote! { BackendConfig { weight: #weight, backup: #backup, ..BackendConfig::new(#addr) } }
            });
            quote! { Upstream::new(#name, Vec::from([#(#backends),*]), #balance, #options)? }
        }
        Some(TypedDiscovery::Dns {
            name: host,
            port,
            every_ms,
        }) => {
            let every = millis(every_ms.unwrap_or(30_000));
            quote! {
                Upstream::discovered(#name, Discovery::Dns { name: #host.to_string(), port: #port, interval: #every }, #balance, #options)?
            }
        }
        Some(TypedDiscovery::File { path, every_ms }) => {
            let every = millis(every_ms.unwrap_or(5_000));
            quote! {
                Upstream::discovered(#name, Discovery::File { path: std::path::PathBuf::from(#path), interval: #every }, #balance, #options)?
            }
        }
    };
    quote! { #field: #create }
}

/// `UpstreamOptions { ..., ..UpstreamOptions::default() }` with what the program sets.
fn options(up: &TypedUpstream) -> TokenStream {
    let st = &up.settings;
    let mut fields = Vec::new();
    let mut duration = |name: &str, value: Option<u64>| {
        if let Some(ms) = value {
            let f = format_ident!("{}", name);
            let d = millis(ms);
            fields.push(quote! { #f: #d, });
        }
    };
    duration("connect_timeout", st.connect_timeout_ms);
    duration("read_timeout", st.read_timeout_ms);
    duration("write_timeout", st.write_timeout_ms);
    duration("pool_wait", st.queue_timeout_ms);
    duration("idle_timeout", st.idle_timeout_ms);
    for (name, value) in [
        ("total_timeout", st.total_timeout_ms),
        ("try_timeout", st.try_timeout_ms),
        ("tunnel_idle_timeout", st.tunnel_idle_timeout_ms),
        ("grpc_max_timeout", st.grpc_max_timeout_ms),
    ] {
        if let Some(ms) = value {
            let (f, d) = (format_ident!("{}", name), millis(ms));
            fields.push(quote! { #f: Some(#d), });
        }
    }
    let count = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    if let Some(n) = st.retries.map(count) {
        fields.push(quote! { max_retries: #n, });
    }
    if let Some(statuses) = &st.retry_on {
        fields.push(quote! { retry_on: Vec::from([#(#statuses),*]), });
    }
    if let Some(on) = st.retry_non_idempotent {
        fields.push(quote! { retry_non_idempotent: #on, });
    }
    if st.retry_budget_percent.is_some() || st.retry_budget_min.is_some() {
        let mut set = Vec::new();
        if let Some(n) = st.retry_budget_percent {
            let n = u32::try_from(n).unwrap_or(100);
            set.push(quote! { percent: #n, });
        }
        if let Some(n) = st.retry_budget_min {
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            set.push(quote! { min_concurrent: #n, });
        }
        fields.push(quote! { retry_budget: RetryBudget { #(#set)* ..RetryBudget::default() }, });
    }
    if let Some(n) = st.retry_body_limit.map(count) {
        fields.push(quote! { retry_body_limit: #n, });
    }
    if let Some(n) = st.max_connections.map(count) {
        fields.push(quote! { max_open_per_backend: Some(#n), });
    }
    if let Some(n) = st.max_idle.map(count) {
        fields.push(quote! { max_idle_per_backend: #n, });
    }
    if let Some(unavailable) = st.all_down_unavailable {
        fields.push(if unavailable {
            quote! { all_down: AllDown::Unavailable, }
        } else {
            quote! { all_down: AllDown::TryAnyway, }
        });
    }
    if let Some(h) = &up.health {
        let check = health(h);
        fields.push(quote! { health_check: Some(#check), });
    }
    if let Some(p) = &up.passive {
        let mut set = Vec::new();
        if let Some(n) = p.fails {
            let n = u32::try_from(n).unwrap_or(u32::MAX);
            set.push(quote! { max_fails: #n, });
        }
        if let Some(ms) = p.cool_down_ms {
            let d = millis(ms);
            set.push(quote! { cool_down: #d, });
        }
        fields.push(
            quote! { passive_health: Some(PassiveHealth { #(#set)* ..PassiveHealth::default() }), },
        );
    }
    if up.http2 {
        fields.push(quote! { protocol: UpstreamProtocol::Http2, });
    }
    if let Some(tls) = &up.tls {
        let sni = option_string(tls.sni.as_deref());
        let ca = match &tls.ca {
            Some(path) => quote! { Some(std::path::PathBuf::from(#path)) },
            None => quote! { None },
        };
        let (verify, h2) = (tls.verify, up.http2);
        fields.push(quote! {
            tls: Some(UpstreamTls::new(UpstreamTlsConfig { sni: #sni, ca: #ca, verify: #verify, h2: #h2 })?),
        });
    }
    quote! { UpstreamOptions { #(#fields)* ..UpstreamOptions::default() } }
}

fn option_string(value: Option<&str>) -> TokenStream {
    match value {
        Some(s) => quote! { Some(#s.to_string()) },
        None => quote! { None },
    }
}

fn health(h: &TypedHealth) -> TokenStream {
    let base = match &h.http {
        Some((method, path)) => {
            let method = super::exprs::method_value(method);
            let expect = h.expect.unwrap_or(200);
            quote! {
                HealthCheck {
                    probe: Probe::Http {
                        method: #method,
                        path: #path.to_string(),
                        host: None,
                        expect_status: StatusCode::from_u16(#expect).unwrap_or(StatusCode::OK),
                    },
                    ..HealthCheck::tcp()
                }
            }
        }
        None => quote! { HealthCheck::tcp() },
    };
    let mut set = Vec::new();
    if let Some(ms) = h.every_ms {
        let d = millis(ms);
        set.push(quote! { interval: #d, });
    }
    if let Some(ms) = h.timeout_ms {
        let d = millis(ms);
        set.push(quote! { timeout: #d, });
    }
    for (name, value) in [("rise", h.rise), ("fall", h.fall)] {
        if let Some(n) = value {
            let (f, n) = (
                format_ident!("{}", name),
                u32::try_from(n).unwrap_or(u32::MAX),
            );
            set.push(quote! { #f: #n, });
        }
    }
    quote! { HealthCheck { #(#set)* ..#base } }
}
