//! The entry point of every generated binary.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::args::Args;
use crate::error::{Error, ErrorKind, Result};
use crate::lifecycle::daemon::{self, Ready};
use crate::lifecycle::handover::{self, Inherited, Kind, Socket};
use crate::lifecycle::pid_file::PidFile;
use crate::lifecycle::{notify, signals};
use crate::phase::Proxy;
use crate::server::{
    adopt, bind_one, serve_until, tls_acceptors, Listener, ServeOptions, ServerConfig, Stop,
    StopHandle,
};
use crate::tls::TlsAcceptor;

/// Entry point of every generated binary: parses the process flags, sets up logging, builds
/// the proxy with `build`, gets its listeners (bound, or with `--upgrade` taken over from the
/// running proxy) and serves until a signal or a successor stops it, then drains in-flight
/// requests for at most `--grace-period` seconds (see `crate::lifecycle`).
///
/// Prints `listening on ADDR` on standard output for each listener once it is bound. With
/// `--test`, only builds the proxy and validates the configuration, printing
/// `<name>: configuration ok`. Exit status 0 on success, 1 on any error (printed on standard
/// error), 2 on invalid flags.
pub fn run<P: Proxy>(config: ServerConfig, build: impl FnOnce() -> Result<P>) -> ExitCode {
    let args = Args::parse_for(&config.name, &config.version);
    run_with_args(config, args, build)
}

/// [`run`] with flags already parsed (for embedding and tests).
pub fn run_with_args<P: Proxy>(
    config: ServerConfig,
    args: Args,
    build: impl FnOnce() -> Result<P>,
) -> ExitCode {
    let name = config.name.clone();
    // Forking comes before any thread (the log writer, the runtime's workers).
    let mut ready = Ready::none();
    if args.daemon && !args.test {
        match daemon::daemonize() {
            Ok(Ok(child)) => ready = child,
            Ok(Err(0)) => return ExitCode::SUCCESS,
            Ok(Err(code)) => {
                eprintln!("{name}: the daemon did not start serving; see its log");
                return ExitCode::from(code);
            }
            Err(e) => {
                eprintln!("{name}: {}", crate::error::chain(&e));
                return ExitCode::FAILURE;
            }
        }
    }
    let _log = crate::log::init(args.log_level.as_deref());
    let result = if args.test {
        check(&config, &args, build).map(|()| println!("{name}: configuration ok"))
    } else {
        serve_process(config, &args, build, &mut ready)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{name}: {}", crate::error::chain(&e));
            ExitCode::FAILURE
        }
    }
}

/// `--test`: the configuration is valid, the access log file can be written, every
/// certificate, key and CA file loads, and the proxy builds (upstreams included, and every
/// `list` file it reads).
fn check<P: Proxy>(
    config: &ServerConfig,
    args: &Args,
    build: impl FnOnce() -> Result<P>,
) -> Result<()> {
    config.validate()?;
    let settings = args.settings(&config.settings);
    settings.limits.validate()?;
    crate::log::check_access(settings.access_log, settings.access_log_file)?;
    tls_acceptors(&config.listeners)?;
    build().map(drop)
}

fn serve_process<P: Proxy>(
    config: ServerConfig,
    args: &Args,
    build: impl FnOnce() -> Result<P>,
    ready: &mut Ready,
) -> Result<()> {
    config.validate()?;
    let settings = args.settings(&config.settings);
    let runtime = runtime(settings.threads)?;
    crate::log::init_access(settings.access_log, settings.access_log_file.clone())?;
    let options = ServeOptions {
        access_log: settings.access_log.is_on(),
        grace_period: settings.grace_period,
        limits: settings.limits,
    };
    options.limits.validate()?;
    runtime.block_on(async {
        // Everything that can fail comes before an upgrade asks the running process for
        // anything: the configuration, certificates, the proxy itself.
        let proxy = Arc::new(build()?);
        let acceptors = tls_acceptors(&config.listeners)?;
        let (handle, stop) = StopHandle::new();
        signals::install(handle.clone())?;
        let mut inherited = match args.upgrade {
            true => Some(inherit(&config, args).await?),
            false => None,
        };
        let listeners = listeners(&config, acceptors, inherited.as_mut())?;
        let admin = match settings.admin {
            Some(addr) => {
                let socket = match inherited.as_mut().and_then(|i| i.take(Kind::Admin, addr)) {
                    Some(socket) => socket,
                    None => crate::admin::bind(addr)?,
                };
                Some((addr, socket))
            }
            None => None,
        };
        let offered = offered(&config, &listeners, admin.as_ref())?;
        let hand_over_path = match &args.upgrade_socket {
            Some(path) => Some(path.clone()),
            None => offered.first().and_then(|s| default_path(s.local)),
        };
        for listener in &listeners {
            let addr = listener
                .local_addr()
                .map_err(|e| Error::explain(ErrorKind::Bind, "local address").with_cause(e))?;
            match listener.is_tls() {
                true => println!("listening on {addr} (tls)"),
                false => println!("listening on {addr}"),
            }
        }
        let admin = admin
            .map(|(_, socket)| crate::admin::serve_std(socket))
            .transpose()?;

        // Serving from here on.
        let stopping = tokio::spawn({
            let mut stop = stop.clone();
            async move {
                stop.requested().await;
                notify::stopping();
                if let Some(admin) = admin {
                    admin.abort();
                }
            }
        });
        let serving = tokio::spawn(serve_until(proxy, listeners, options, stop));
        if let Some(inherited) = inherited {
            let from = inherited.old_pid();
            match tokio::task::spawn_blocking(move || inherited.ready()).await {
                Ok(Ok(())) => tracing::info!(old_pid = from, "took over; the old process drains"),
                Ok(Err(e)) => tracing::warn!(old_pid = from, error = %e, "the old process did not confirm; serving anyway"),
                Err(e) => tracing::warn!(error = %e, "hand-over task failed; serving anyway"),
            }
        }
        // After an upgrade nothing may fail any more: the old process stops accepting.
        let pid_file = match (&args.pid_file, args.upgrade) {
            (None, _) => None,
            (Some(path), false) => Some(PidFile::write(path)?),
            (Some(path), true) => PidFile::write(path)
                .inspect_err(|e| tracing::error!(error = %crate::error::chain(e), "no pid file"))
                .ok(),
        };
        let offer = hand_over_path.and_then(|path| {
            let handle = handle.clone();
            let taken = move |_pid| handle.stop(Stop::Graceful);
            handover::offer(path.clone(), offered, taken)
                .inspect_err(|e| {
                    tracing::warn!(path = %path.display(), error = %e, "no hand-over socket; upgrades will not find this process")
                })
                .ok()
        });
        if let Some(offer) = &offer {
            tracing::info!(path = %offer.path().display(), "hand-over socket ready for upgrades");
        }
        notify::ready();
        ready.serving();
        let served = serving
            .await
            .map_err(|e| Error::explain(ErrorKind::Internal, "the server task").with_cause(e))?;
        stopping.abort();
        drop((offer, pid_file));
        served
    })
}

/// `--upgrade`: receives the running process's sockets.
async fn inherit(config: &ServerConfig, args: &Args) -> Result<Inherited> {
    let candidates: Vec<PathBuf> = match &args.upgrade_socket {
        Some(path) => vec![path.clone()],
        None => config
            .listeners
            .iter()
            .filter_map(|l| default_path(l.addr))
            .collect(),
    };
    if candidates.is_empty() {
        return Err(Error::explain(
            ErrorKind::InvalidConfig,
            "--upgrade: no listener has a fixed port to find the running proxy by; pass --upgrade-socket",
        ));
    }
    let inherited = tokio::task::spawn_blocking(move || handover::request(&candidates))
        .await
        .map_err(|e| Error::explain(ErrorKind::Internal, "hand-over task").with_cause(e))?
        .map_err(|e| Error::explain(ErrorKind::Bind, "--upgrade").with_cause(e))?;
    tracing::info!(
        old_pid = inherited.old_pid(),
        path = %inherited.path().display(),
        "received the running process's sockets"
    );
    Ok(inherited)
}

/// Every listener of `config`: taken from `inherited` when it has the address, else bound.
fn listeners(
    config: &ServerConfig,
    acceptors: Vec<Option<TlsAcceptor>>,
    mut inherited: Option<&mut Inherited>,
) -> Result<Vec<Listener>> {
    config
        .listeners
        .iter()
        .zip(acceptors)
        .map(|(l, tls)| {
            let taken = inherited
                .as_deref_mut()
                .and_then(|i| i.take(Kind::Listen, l.addr));
            let listener = match taken {
                Some(socket) => adopt(l.addr, socket, tls),
                None => Ok(Listener::new(bind_one(l.addr)?, tls)),
            };
            listener.map(|l2| l2.with_client_address(l.client_address.clone()))
        })
        .collect()
}

/// What this process will offer a successor: every listener, then the admin one.
fn offered(
    config: &ServerConfig,
    listeners: &[Listener],
    admin: Option<&(std::net::SocketAddr, std::net::TcpListener)>,
) -> Result<Vec<Socket>> {
    let fail = |e: std::io::Error| {
        Error::explain(ErrorKind::Internal, "duplicating a listening socket").with_cause(e)
    };
    let mut sockets = Vec::new();
    for (l, listener) in config.listeners.iter().zip(listeners) {
        sockets.push(Socket::of(Kind::Listen, l.addr, listener).map_err(fail)?);
    }
    if let Some((addr, socket)) = admin {
        sockets.push(Socket::of(Kind::Admin, *addr, socket).map_err(fail)?);
    }
    Ok(sockets)
}

/// The default hand-over socket for a listener on `addr`; none for an ephemeral port, or
/// when the private directory cannot be used (logged).
fn default_path(addr: std::net::SocketAddr) -> Option<PathBuf> {
    if addr.port() == 0 {
        return None;
    }
    handover::default_path(addr)
        .inspect_err(|e| tracing::warn!(error = %e, "no default hand-over socket"))
        .ok()
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
