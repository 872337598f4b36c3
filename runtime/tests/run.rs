//! `run`'s `--test` mode: build the proxy, validate the configuration, exit.

mod common;

use std::process::ExitCode;

use common::{upstream, TestProxy};
use pxy_runtime::args::{Args, LimitArgs};
use pxy_runtime::prelude::*;

fn args(test: bool) -> Args {
    Args {
        test,
        threads: Some(1),
        grace_period: Some(1),
        upgrade: false,
        upgrade_socket: None,
        daemon: false,
        pid_file: None,
        no_access_log: true,
        access_log: None,
        access_log_file: None,
        log_level: Some("off".to_owned()),
        admin: None,
        limits: LimitArgs::default(),
    }
}

fn config(addrs: &[&str]) -> ServerConfig {
    ServerConfig {
        name: "gw".to_owned(),
        version: "0.0.0".to_owned(),
        listeners: addrs
            .iter()
            .map(|a| ListenerConfig::http(a.parse().expect("valid address")))
            .collect(),
        settings: ServerSettings::default(),
    }
}

fn build() -> Result<TestProxy> {
    let addr = "127.0.0.1:9".parse().expect("valid address");
    Ok(TestProxy::new(upstream(
        &[addr],
        UpstreamOptions::default(),
    )))
}

#[test]
fn test_mode_accepts_a_valid_configuration() {
    let code = pxy_runtime::run_with_args(config(&["127.0.0.1:8080"]), args(true), build);
    assert_eq!(code, ExitCode::SUCCESS);
}

#[test]
fn test_mode_rejects_duplicate_listeners_and_build_errors() {
    let duplicate = config(&["127.0.0.1:8080", "0.0.0.0:8080"]);
    assert_eq!(
        pxy_runtime::run_with_args(duplicate, args(true), build),
        ExitCode::FAILURE
    );
    let failing = || -> Result<TestProxy> { Error::err_explain(ErrorKind::InvalidConfig, "bad") };
    assert_eq!(
        pxy_runtime::run_with_args(config(&["127.0.0.1:8080"]), args(true), failing),
        ExitCode::FAILURE
    );
}

#[test]
fn listen_failure_exits_with_an_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = taken.local_addr().expect("address").to_string();
    let code = pxy_runtime::run_with_args(config(&[&addr]), args(false), build);
    assert_eq!(code, ExitCode::FAILURE);
}

/// Set in the child process of [`logs_to_a_pipe_have_no_colour`].
const LOG_CHILD: &str = "PXY_TEST_LOG_CHILD";

#[test]
fn logs_to_a_pipe_have_no_colour() {
    if std::env::var_os(LOG_CHILD).is_some() {
        let _log = pxy_runtime::log::init(Some("info"));
        tracing::warn!(target: "pxy::reject", client = "192.0.2.1:1", "a warning");
        return;
    }
    let exe = std::env::current_exe().expect("test binary");
    let output = std::process::Command::new(exe)
        .args(["--exact", "logs_to_a_pipe_have_no_colour", "--nocapture"])
        .env(LOG_CHILD, "1")
        .output()
        .expect("run the child");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("WARN"), "{stderr}");
    assert!(stderr.contains("a warning"), "{stderr}");
    assert!(!stderr.contains('\x1b'), "ANSI escapes in {stderr:?}");
}
