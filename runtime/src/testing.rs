//! Tests written in `.pxy` (`test "NAME" { ... }`), run by the binary `proxyc test` builds.
//!
//! That binary is the program's own generated code with this module's [`main`] instead of
//! [`run`](crate::run): what is tested is what is deployed. Each test builds the program
//! afresh (so no cache, limit or balancer state leaks from one test to the next), stands in
//! for its upstreams' servers with origins of its own, serves it on a port of its own and
//! sends one real HTTP/1.1 request (`stage.rs`); then its expectations are compared with what
//! the origins received, what the client got and the request's access log line (`access.rs`)
//! in `compare.rs`, and reported (`report.rs`).

mod access;
mod case;
mod compare;
mod report;
mod stage;
mod token;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::Parser;

pub use case::{
    Check, CheckKind, Failure, TestCase, TestMessage, TestRequest, TestTls, TestToken, TokenAlg,
};
use report::Ran;

use crate::error::Result;
use crate::phase::Proxy;
use crate::server::{ClientAddress, ServeOptions, ServerConfig};
use crate::tls::TlsAcceptor;

/// The flags of a test binary.
#[derive(Debug, Parser)]
#[command(about = "The tests of a proxy program, built by `proxyc test`.", long_about = None)]
struct TestArgs {
    /// Run only the tests whose name contains this text.
    filter: Option<String>,
    /// Run only the test with exactly this name (with FILTER).
    #[arg(long)]
    exact: bool,
    /// Also write the results as JUnit XML to this file.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// List the tests instead of running them.
    #[arg(long)]
    list: bool,
    /// Show the proxy's log at this level while the tests run (default: nothing).
    #[arg(long, value_name = "LEVEL")]
    log: Option<String>,
}

/// Entry point of a test binary: runs the `cases` of the program that `build` makes, prints a
/// line per test, the failures and a summary; exit status 0 when every test passed, 1 when
/// one failed, 2 on invalid flags.
pub fn main<P: Proxy>(
    config: ServerConfig,
    build: impl Fn() -> Result<P>,
    cases: &'static [TestCase],
) -> ExitCode {
    let args = TestArgs::parse();
    // Every server is a stand-in: a discovered upstream need not resolve or read its file.
    crate::upstream::stand_ins_only();
    let selected: Vec<&'static TestCase> = cases
        .iter()
        .filter(|case| match &args.filter {
            Some(f) if args.exact => case.name == f,
            Some(f) => case.name.contains(f.as_str()),
            None => true,
        })
        .collect();
    if args.list {
        for case in &selected {
            println!("{}: {}", case.at, case.name);
        }
        return ExitCode::SUCCESS;
    }
    // `pxy::access` on: the access log lines of `expect log` are written (to their own file).
    let filter = format!("{},pxy::access=info", args.log.as_deref().unwrap_or("off"));
    let _log = crate::log::init(Some(&filter));
    let mut access = match selected.iter().any(|case| case.log.is_some()) {
        true => match access::AccessLines::start(&config.name) {
            Ok(access) => Some(access),
            Err(why) => {
                eprintln!("{}: {why}", config.name);
                return ExitCode::FAILURE;
            }
        },
        false => None,
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("{}: no async runtime: {e}", config.name);
            return ExitCode::FAILURE;
        }
    };
    let start = Instant::now();
    println!(
        "running {} test{} of {}",
        selected.len(),
        if selected.len() == 1 { "" } else { "s" },
        config.name
    );
    let ran: Vec<Ran> = selected
        .iter()
        .map(|case| {
            let ran = runtime.block_on(one(&config, &build, case, access.as_mut()));
            println!("{}", report::line(&ran));
            ran
        })
        .collect();
    let took = start.elapsed();
    println!(
        "{}",
        report::summary(&ran, cases.len() - selected.len(), took)
    );
    if let Some(path) = &args.junit {
        if let Err(e) = std::fs::write(path, report::junit(&config.name, &ran, took)) {
            eprintln!("{}: writing {}: {e}", config.name, path.display());
            return ExitCode::FAILURE;
        }
    }
    match ran.iter().all(Ran::passed) {
        true => ExitCode::SUCCESS,
        false => ExitCode::FAILURE,
    }
}

/// The listener a test's request arrives on: the program's first `https` one for an
/// `https://` URL (with its certificates), else its first cleartext one (or its first).
fn listener_of(
    config: &ServerConfig,
    case: &TestCase,
) -> std::result::Result<(ClientAddress, Option<TlsAcceptor>), String> {
    let wants_tls = case.request.tls.is_some();
    let listener = config
        .listeners
        .iter()
        .find(|l| l.tls.is_some() == wants_tls)
        .or_else(|| config.listeners.first().filter(|_| !wants_tls));
    let Some(listener) = listener else {
        return match wants_tls {
            true => Err("the program has no `listen https`".into()),
            false => Ok((ClientAddress::default(), None)),
        };
    };
    let tls = match (&listener.tls, wants_tls) {
        (Some(tls), true) => Some(TlsAcceptor::new(tls).map_err(|e| {
            format!(
                "the TLS listener {}: {}",
                listener.addr,
                crate::error::chain(&e)
            )
        })?),
        _ => None,
    };
    Ok((listener.client_address.clone(), tls))
}

/// Runs one test on a freshly built program.
async fn one<P: Proxy>(
    config: &ServerConfig,
    build: &impl Fn() -> Result<P>,
    case: &'static TestCase,
    access: Option<&mut access::AccessLines>,
) -> Ran {
    let start = Instant::now();
    let result = match build() {
        Ok(proxy) => match listener_of(config, case) {
            Ok((client_address, tls)) => {
                let options = ServeOptions {
                    access_log: case.log.is_some(),
                    limits: config.settings.limits,
                    grace_period: Duration::from_secs(1),
                };
                let outcome = stage::run(proxy, client_address, tls, options, case).await;
                outcome.map(|mut outcome| {
                    if case.log.is_some() {
                        outcome.log = access.map(access::AccessLines::last);
                    }
                    compare::failures(case, &outcome)
                })
            }
            Err(why) => Err(why),
        },
        Err(e) => Err(format!(
            "the program did not start: {}",
            crate::error::chain(&e)
        )),
    };
    Ran {
        name: case.name,
        at: case.at,
        result,
        took: start.elapsed(),
    }
}
