use pxy_runtime::prelude::*;

struct WrongReturn;

impl Proxy for WrongReturn {
    type Ctx = ();
    fn new_ctx(&self) {}

    async fn request_filter(&self, _session: &mut Session, _ctx: &mut ()) -> Result<Response> {
        Ok(Response::new(StatusCode::OK))
    }

    async fn upstream_peer(&self, _session: &mut Session, _ctx: &mut ()) -> Result<Peer> {
        Err(Error::new(ErrorKind::NoBackend))
    }
}

fn main() {}
