//! The smallest proxy: only the required hooks, written as `async fn`, driven on a
//! multi-thread runtime (so its futures must be `Send`).
use pxy_runtime::prelude::*;

struct Minimal {
    upstream: Upstream,
}

impl Proxy for Minimal {
    type Ctx = ();

    fn new_ctx(&self) -> Self::Ctx {}

    async fn upstream_peer(&self, _session: &mut Session, _ctx: &mut ()) -> Result<Peer> {
        self.upstream.select()
    }
}

fn main() {
    let upstream = Upstream::new(
        "api",
        vec![BackendConfig::new(SocketAddr::from(([127, 0, 0, 1], 9)))],
        Balance::RoundRobin,
        UpstreamOptions::default(),
    )
    .expect("valid upstream");
    let proxy = Arc::new(Minimal { upstream });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let hooks = {
            let proxy = proxy.clone();
            tokio::spawn(async move {
                let req = pxy_runtime::http::Request::get("/")
                    .body(())
                    .expect("request");
                let mut session =
                    Session::new_synthetic(req, SocketAddr::from(([127, 0, 0, 1], 1)));
                let mut ctx = proxy.new_ctx();
                let filtered = proxy.request_filter(&mut session, &mut ctx).await;
                assert!(matches!(filtered, Ok(None)));
                let peer = proxy
                    .upstream_peer(&mut session, &mut ctx)
                    .await
                    .expect("peer");
                assert_eq!(peer.upstream_name(), "api");
            })
        };
        hooks.await.expect("hooks ran");
        tokio::spawn(pxy_runtime::serve(proxy, Vec::new(), async {}))
            .await
            .expect("serve task")
            .expect("serve returns");
    });
}
