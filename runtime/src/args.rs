//! The flags every generated proxy binary accepts.
//!
//! The operations flags (`--upgrade`, `--upgrade-socket`, `--daemon`, `--pid-file`) and the
//! signals are described in `crate::lifecycle` and the README's operations section.

use clap::Parser;

/// Process flags, parsed by [`run`](crate::run).
#[derive(Debug, Clone, Parser)]
#[command(about = "A proxy built by proxyc.", long_about = None)]
pub struct Args {
    /// Build the proxy and check its configuration, print `<name>: configuration ok`, exit.
    #[arg(long)]
    pub test: bool,
    /// Worker threads (default: the number of available cores; 1 runs a single-threaded
    /// runtime).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Seconds in-flight requests and open tunnels may take to finish after SIGTERM or
    /// SIGQUIT, or once a new process has taken the listeners over (SIGINT stops at once).
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub grace_period: u64,
    /// Take the listening sockets over from the running proxy (found through its hand-over
    /// socket), serve on them, then tell it to stop accepting and drain. If this process
    /// fails before it serves, the running one goes on untouched.
    #[arg(long)]
    pub upgrade: bool,
    /// The hand-over socket to offer the listeners on, and with `--upgrade` to take them
    /// from (default: derived from the listen addresses, under `$XDG_RUNTIME_DIR/proxyc/`
    /// or `/tmp/proxyc-UID/`).
    #[arg(long, value_name = "PATH")]
    pub upgrade_socket: Option<std::path::PathBuf>,
    /// Run in the background: the command returns once the proxy serves (exit 0), or fails
    /// to (exit 1).
    #[arg(long)]
    pub daemon: bool,
    /// Write the serving process's pid here once its listeners are bound (an upgrade
    /// rewrites it).
    #[arg(long, value_name = "PATH")]
    pub pid_file: Option<std::path::PathBuf>,
    /// Do not write the per-request access log (target `pxy::access`).
    #[arg(long)]
    pub no_access_log: bool,
    /// Log filter, e.g. `info` or `warn,pxy::access=info` (default: env `PXY_LOG`, else `info`).
    #[arg(long, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Serve `/metrics` (Prometheus) and `/healthz` on this address, e.g. `127.0.0.1:9900`
    /// (default: no admin listener).
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<std::net::SocketAddr>,
}

impl Args {
    /// Parses the process arguments, naming the program `name` in `--help`. Exits the
    /// process on `--help` or invalid flags, as command-line tools do.
    pub fn parse_for(name: &str) -> Self {
        use clap::{CommandFactory, FromArgMatches};
        let command = Args::command().bin_name(name);
        let matches = command.get_matches();
        match Args::from_arg_matches(&matches) {
            Ok(args) => args,
            Err(e) => e.exit(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_flags() {
        let args = Args::try_parse_from(["gw"]).expect("no flags");
        assert!(!args.test && !args.no_access_log && !args.upgrade && !args.daemon);
        assert_eq!((args.upgrade_socket, args.pid_file), (None, None));
        assert_eq!(args.grace_period, 30);
        assert_eq!(args.threads, None);
        let args = Args::try_parse_from([
            "gw",
            "--test",
            "--threads",
            "1",
            "--grace-period",
            "5",
            "--no-access-log",
            "--log-level",
            "debug",
        ])
        .expect("valid flags");
        assert!(args.test && args.no_access_log);
        assert_eq!(args.threads, Some(1));
        assert_eq!(args.grace_period, 5);
        assert_eq!(args.log_level.as_deref(), Some("debug"));
        assert!(Args::try_parse_from(["gw", "--threads", "0"]).is_err());
        let args = Args::try_parse_from([
            "gw",
            "--upgrade",
            "--upgrade-socket",
            "/run/gw.sock",
            "--daemon",
            "--pid-file",
            "/run/gw.pid",
        ])
        .expect("operations flags");
        assert!(args.upgrade && args.daemon);
        assert_eq!(
            args.upgrade_socket.as_deref(),
            Some("/run/gw.sock".as_ref())
        );
        assert_eq!(args.pid_file.as_deref(), Some("/run/gw.pid".as_ref()));
    }
}
