use pxy_runtime::prelude::*;

struct NoPeer;

impl Proxy for NoPeer {
    type Ctx = ();
    fn new_ctx(&self) {}
}

fn main() {}
