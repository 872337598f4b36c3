//! The entry point of every generated binary.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use crate::args::Args;
use crate::error::{Error, ErrorKind, Result};
use crate::phase::Proxy;
use crate::server::{bind, serve_with, shutdown, tls_acceptors, ServeOptions, ServerConfig};

/// Entry point of every generated binary: parses the process flags, sets up logging, builds
/// the proxy with `build`, binds the listeners and serves until SIGTERM/SIGINT, then drains
/// in-flight requests for at most `--grace-period` seconds.
///
/// Prints `listening on ADDR` on standard output for each listener once it is bound. With
/// `--test`, only builds the proxy and validates the configuration, printing
/// `<name>: configuration ok`. Exit status 0 on success, 1 on any error (printed on standard
/// error), 2 on invalid flags.
pub fn run<P: Proxy>(config: ServerConfig, build: impl FnOnce() -> Result<P>) -> ExitCode {
    let args = Args::parse_for(&config.name);
    run_with_args(config, args, build)
}

/// [`run`] with flags already parsed (for embedding and tests).
pub fn run_with_args<P: Proxy>(
    config: ServerConfig,
    args: Args,
    build: impl FnOnce() -> Result<P>,
) -> ExitCode {
    let _log = crate::log::init(args.log_level.as_deref());
    let name = config.name.clone();
    let result = if args.test {
        check(&config, build).map(|()| println!("{name}: configuration ok"))
    } else {
        serve_process(config, &args, build)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {}", crate::error::chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// `--test`: the configuration is valid, every certificate, key and CA file loads, and the
/// proxy builds (upstreams included).
fn check<P: Proxy>(config: &ServerConfig, build: impl FnOnce() -> Result<P>) -> Result<()> {
    config.validate()?;
    tls_acceptors(&config.listeners)?;
    build().map(drop)
}

fn serve_process<P: Proxy>(
    config: ServerConfig,
    args: &Args,
    build: impl FnOnce() -> Result<P>,
) -> Result<()> {
    config.validate()?;
    let runtime = runtime(args.threads)?;
    let options = ServeOptions {
        access_log: !args.no_access_log,
        grace_period: Duration::from_secs(args.grace_period),
        ..ServeOptions::default()
    };
    runtime.block_on(async {
        let proxy = Arc::new(build()?);
        let listeners = bind(&config.listeners)?;
        for listener in &listeners {
            match listener.local_addr() {
                Ok(addr) if listener.is_tls() => println!("listening on {addr} (tls)"),
                Ok(addr) => println!("listening on {addr}"),
                Err(e) => {
                    return Err(Error::explain(ErrorKind::Bind, "local address").with_cause(e))
                }
            }
        }
        let _admin = match args.admin {
            Some(addr) => Some(crate::admin::start(addr).await?),
            None => None,
        };
        serve_with(proxy, listeners, options, shutdown::signal_received()).await
    })
}

/// A multi-thread runtime with `threads` workers (default: available cores), or a
/// current-thread one for a single thread (no work-stealing overhead).
fn runtime(threads: Option<u16>) -> Result<tokio::runtime::Runtime> {
    let threads = threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, usize::from),
        usize::from,
    );
    let mut builder = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(threads);
        builder
    };
    builder
        .enable_all()
        .build()
        .map_err(|e| Error::explain(ErrorKind::Internal, "starting the runtime").with_cause(e))
}
