use std::rc::Rc;

use pxy_runtime::prelude::*;

struct RcCtx;

impl Proxy for RcCtx {
    type Ctx = Rc<u32>;
    fn new_ctx(&self) -> Rc<u32> {
        Rc::new(0)
    }

    async fn upstream_peer(&self, _session: &mut Session, _ctx: &mut Rc<u32>) -> Result<Peer> {
        Err(Error::new(ErrorKind::NoBackend))
    }
}

fn main() {}
