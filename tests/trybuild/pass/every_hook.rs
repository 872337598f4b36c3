//! A proxy overriding every hook, the way generated code does.
use pxy_runtime::prelude::*;

struct Gateway {
    api: Upstream,
    blocked: Regex,
}

#[derive(Default)]
struct Ctx {
    route: Option<&'static str>,
    bytes_in: usize,
    bytes_out: usize,
}

impl Proxy for Gateway {
    type Ctx = Ctx;

    fn new_ctx(&self) -> Ctx {
        Ctx::default()
    }

    async fn request_filter(
        &self,
        session: &mut Session,
        ctx: &mut Ctx,
    ) -> Result<Option<Response>> {
        if self.blocked.is_match(session.path()) {
            return Ok(Some(
                Response::new(StatusCode::FORBIDDEN).with_body("blocked"),
            ));
        }
        if session.path().starts_with("/v1/") {
            let rest = session.path()["/v1".len()..].to_owned();
            session.set_path(&rest)?;
            ctx.route = Some("v1");
        }
        if session
            .header(&HeaderName::from_static("x-request-id"))
            .is_none()
        {
            let id = HeaderValue::from_str(session.request_id())
                .map_err(|e| Error::explain(ErrorKind::Internal, "request id").with_cause(e))?;
            session.headers_mut().insert("x-request-id", id);
        }
        Ok(None)
    }

    fn request_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<Bytes>,
        _end_of_stream: bool,
        ctx: &mut Ctx,
    ) -> Result<()> {
        ctx.bytes_in += body.as_ref().map_or(0, Bytes::len);
        Ok(())
    }

    async fn upstream_peer(&self, _session: &mut Session, _ctx: &mut Ctx) -> Result<Peer> {
        self.api.select()
    }

    async fn upstream_request_filter(
        &self,
        _session: &mut Session,
        upstream_request: &mut pxy_runtime::http::request::Parts,
        _ctx: &mut Ctx,
    ) -> Result<()> {
        upstream_request
            .headers
            .insert("x-via", HeaderValue::from_static("pxy"));
        Ok(())
    }

    fn upstream_response_filter(
        &self,
        _session: &mut Session,
        upstream_response: &mut pxy_runtime::http::response::Parts,
        _ctx: &mut Ctx,
    ) -> Result<()> {
        upstream_response.headers.remove("x-powered-by");
        Ok(())
    }

    fn response_filter(
        &self,
        _session: &mut Session,
        response: &mut pxy_runtime::http::response::Parts,
        _ctx: &mut Ctx,
    ) -> Result<()> {
        response
            .headers
            .insert("server", HeaderValue::from_static("edge"));
        Ok(())
    }

    fn response_body_filter(
        &self,
        _session: &mut Session,
        body: &mut Option<Bytes>,
        _end_of_stream: bool,
        ctx: &mut Ctx,
    ) -> Result<()> {
        ctx.bytes_out += body.as_ref().map_or(0, Bytes::len);
        Ok(())
    }

    fn fail_to_connect(
        &self,
        _session: &mut Session,
        _peer: &Peer,
        _ctx: &mut Ctx,
        error: Error,
    ) -> Error {
        error.with_retryable(true)
    }

    fn error_while_proxy(
        &self,
        _session: &mut Session,
        peer: &Peer,
        _ctx: &mut Ctx,
        error: Error,
    ) -> Error {
        let context = format!("proxying to {}", peer.addr());
        error.with_context(context)
    }

    async fn fail_to_proxy(
        &self,
        _session: &mut Session,
        error: &Error,
        _ctx: &mut Ctx,
    ) -> Response {
        Response::new(error.status()).with_body(format!("sorry: {error}"))
    }

    fn logging(
        &self,
        session: &mut Session,
        error: Option<&Error>,
        ctx: &mut Ctx,
        fields: &mut LogFields,
    ) {
        let _ = (
            session.response_status(),
            error.map(Error::kind),
            ctx.route,
            ctx.bytes_in,
            ctx.bytes_out,
        );
        fields.set("route", ctx.route.unwrap_or("-"));
        fields.set("id", session.request_id().to_owned());
    }
}

fn main() {
    let config = ServerConfig {
        name: "gateway".to_owned(),
        version: "1.0.0".to_owned(),
        listeners: vec![ListenerConfig::http(SocketAddr::from(([127, 0, 0, 1], 0)))],
        settings: ServerSettings::default(),
    };
    config.validate().expect("valid config");
    let build = || -> Result<Gateway> {
        Ok(Gateway {
            api: Upstream::new(
                "api",
                vec![BackendConfig {
                    weight: 3,
                    ..BackendConfig::new(SocketAddr::from(([127, 0, 0, 1], 9001)))
                }],
                Balance::Random,
                UpstreamOptions {
                    connect_timeout: Duration::from_secs(1),
                    ..UpstreamOptions::default()
                },
            )?,
            blocked: Regex::new(r"^/admin")
                .map_err(|e| Error::explain(ErrorKind::InvalidConfig, "regex").with_cause(e))?,
        })
    };
    // `run` is what `main` calls in a generated binary; here only check that it type-checks.
    let _entry: fn(ServerConfig, fn() -> Result<Gateway>) -> std::process::ExitCode =
        |c, b| run(c, b);
    assert!(build().is_ok());
}
