//! The flags every generated proxy binary accepts.
//!
//! The operations flags (`--upgrade`, `--upgrade-socket`, `--daemon`, `--pid-file`) and the
//! signals are described in `crate::lifecycle` and the README's operations section.

use std::time::Duration;

use clap::Parser;

use crate::log::AccessLogFormat;
use crate::server::{ClientLimits, ServerSettings};

/// Process flags, parsed by [`run`](crate::run).
#[derive(Debug, Clone, Parser)]
#[command(about = "A proxy built by proxyc.", long_about = None)]
pub struct Args {
    /// Build the proxy and check its configuration, print `<name>: configuration ok`, exit.
    #[arg(long)]
    pub test: bool,
    /// Worker threads (default: the program's `threads`, else the number of available
    /// cores; 1 runs a single-threaded runtime).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Seconds in-flight requests and open tunnels may take to finish after SIGTERM or
    /// SIGQUIT, or once a new process has taken the listeners over (SIGINT stops at once;
    /// default: the program's `grace_period`, else 30).
    #[arg(long, value_name = "SECS")]
    pub grace_period: Option<u64>,
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
    /// Do not write the per-request access log (as `--access-log off`).
    #[arg(long)]
    pub no_access_log: bool,
    /// The access log's format: `text` (`name=value` pairs), `json` (JSON lines),
    /// `combined` (Apache's combined log format) or `off` (default: the program's
    /// `access_log`, else text).
    #[arg(long, value_name = "FORMAT", value_enum)]
    pub access_log: Option<AccessLogFormat>,
    /// Append the access log to this file instead of standard error; SIGUSR1 reopens it
    /// (after logrotate moved it). Default: the program's `access_log_file`.
    #[arg(long, value_name = "PATH")]
    pub access_log_file: Option<std::path::PathBuf>,
    /// Log filter, e.g. `info` or `warn,pxy::access=info` (default: env `PXY_LOG`, else `info`).
    #[arg(long, value_name = "LEVEL")]
    pub log_level: Option<String>,
    /// Serve `/metrics` (Prometheus), `/healthz` and the status page (`/status`,
    /// `/status.json`) on this address, e.g. `127.0.0.1:9900`
    /// (default: the program's `admin`, else no admin listener).
    #[arg(long, value_name = "ADDR")]
    pub admin: Option<std::net::SocketAddr>,
    /// Client limits and timeouts.
    #[command(flatten)]
    pub limits: LimitArgs,
}

/// The flags that set [`ClientLimits`]; each one given overrides the program's `server { }`
/// value, which defaults to [`ClientLimits::default`]'s.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct LimitArgs {
    /// Seconds a client has to send a complete request head: the first of a connection from
    /// its start, each later one from its first byte; then the connection is closed
    /// (default 10).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout: Option<u64>,
    /// Seconds a keep-alive connection may wait after a response for the next request head
    /// to be complete (default 60).
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: Option<u64>,
    /// Client connections open at once, across listeners; more are accepted and closed
    /// (default 10000).
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    pub max_connections: Option<usize>,
    /// Longest request target (URI), in bytes; longer: 414 (default 8192).
    #[arg(long, value_name = "BYTES", value_parser = at_least_one)]
    pub max_uri_length: Option<usize>,
    /// Largest request header section (names, values, 4 bytes per field), in bytes; larger:
    /// 431. Also HTTP/2's SETTINGS_MAX_HEADER_LIST_SIZE (default 32768).
    #[arg(long, value_name = "BYTES", value_parser = at_least_one)]
    pub max_header_bytes: Option<usize>,
    /// Most header fields in an HTTP/1 request (at most 256); more: 431 (default 100).
    #[arg(long, value_name = "N", value_parser = at_least_one)]
    pub max_headers: Option<usize>,
    /// Largest request body, in bytes, also chunked or streamed; larger: 413. 0: no limit
    /// (default 64 MiB).
    #[arg(long, value_name = "BYTES")]
    pub max_body_bytes: Option<u64>,
    /// HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS per client connection (default 100).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub h2_max_concurrent_streams: Option<u32>,
    /// HTTP/2 streams a client may reset before the proxy accepts them (rapid reset) before
    /// its connection is closed with GOAWAY (default 20).
    #[arg(long, value_name = "N")]
    pub h2_max_pending_reset_streams: Option<usize>,
    /// HTTP/2 streams the proxy may reset for a client's errors before its connection is
    /// closed with GOAWAY (default 1024).
    #[arg(long, value_name = "N")]
    pub h2_max_error_reset_streams: Option<usize>,
}

impl LimitArgs {
    /// `base` (the program's limits) with every limit these flags give replaced.
    pub fn client_limits(&self, base: ClientLimits) -> ClientLimits {
        let secs = |flag: Option<u64>, value: Duration| flag.map_or(value, Duration::from_secs);
        ClientLimits {
            header_read_timeout: secs(self.header_read_timeout, base.header_read_timeout),
            idle_timeout: secs(self.idle_timeout, base.idle_timeout),
            max_connections: self.max_connections.unwrap_or(base.max_connections),
            max_uri_len: self.max_uri_length.unwrap_or(base.max_uri_len),
            max_header_bytes: self.max_header_bytes.unwrap_or(base.max_header_bytes),
            max_headers: self.max_headers.unwrap_or(base.max_headers),
            max_body_bytes: self
                .max_body_bytes
                .map_or(base.max_body_bytes, |n| (n > 0).then_some(n)),
            h2_max_concurrent_streams: self
                .h2_max_concurrent_streams
                .unwrap_or(base.h2_max_concurrent_streams),
            h2_max_pending_accept_reset_streams: self
                .h2_max_pending_reset_streams
                .unwrap_or(base.h2_max_pending_accept_reset_streams),
            h2_max_local_error_reset_streams: self
                .h2_max_error_reset_streams
                .unwrap_or(base.h2_max_local_error_reset_streams),
        }
    }
}

fn at_least_one(value: &str) -> Result<usize, String> {
    match value.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

impl Args {
    /// The program's settings (`server { }`) with every one these flags give replaced.
    pub fn settings(&self, program: &ServerSettings) -> ServerSettings {
        ServerSettings {
            threads: self.threads.or(program.threads),
            grace_period: self
                .grace_period
                .map_or(program.grace_period, Duration::from_secs),
            admin: self.admin.or(program.admin),
            access_log: match self.no_access_log {
                true => AccessLogFormat::Off,
                false => self.access_log.unwrap_or(program.access_log),
            },
            access_log_file: self
                .access_log_file
                .clone()
                .or_else(|| program.access_log_file.clone()),
            limits: self.limits.client_limits(program.limits),
        }
    }

    /// Parses the process arguments, naming the program `name` in `--help`; `--version`
    /// prints `NAME VERSION`. Exits the process on `--help`, `--version` or invalid flags, as
    /// command-line tools do.
    pub fn parse_for(name: &str, version: &str) -> Self {
        use clap::{CommandFactory, FromArgMatches};
        let command = Args::command()
            .name(name.to_owned())
            .bin_name(name)
            .version(version.to_owned());
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
        assert_eq!(args.grace_period, None);
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
        assert_eq!(args.grace_period, Some(5));
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

    #[test]
    fn limit_flags_default_to_client_limits_and_override_them() {
        let args = Args::try_parse_from(["gw"]).expect("no flags");
        assert_eq!(args.limits, LimitArgs::default());
        let program = ClientLimits {
            max_uri_len: 50,
            ..ClientLimits::default()
        };
        assert_eq!(args.limits.client_limits(program), program);
        let args = Args::try_parse_from([
            "gw",
            "--header-read-timeout",
            "3",
            "--idle-timeout",
            "7",
            "--max-connections",
            "5",
            "--max-uri-length",
            "100",
            "--max-header-bytes",
            "200",
            "--max-headers",
            "9",
            "--max-body-bytes",
            "0",
            "--h2-max-concurrent-streams",
            "4",
            "--h2-max-pending-reset-streams",
            "2",
            "--h2-max-error-reset-streams",
            "1",
        ])
        .expect("valid flags");
        let program = ClientLimits {
            max_uri_len: 50,
            max_body_bytes: Some(7),
            ..ClientLimits::default()
        };
        let limits = args.limits.client_limits(program);
        assert_eq!(limits.header_read_timeout, Duration::from_secs(3));
        assert_eq!(limits.idle_timeout, Duration::from_secs(7));
        assert_eq!(limits.max_connections, 5);
        assert_eq!(
            (
                limits.max_uri_len,
                limits.max_header_bytes,
                limits.max_headers
            ),
            (100, 200, 9)
        );
        assert_eq!(limits.max_body_bytes, None);
        assert_eq!(limits.h2_max_concurrent_streams, 4);
        assert_eq!(limits.h2_max_pending_accept_reset_streams, 2);
        assert_eq!(limits.h2_max_local_error_reset_streams, 1);
        assert!(limits.validate().is_ok());
        for zero in [
            "--max-connections",
            "--header-read-timeout",
            "--max-headers",
        ] {
            assert!(Args::try_parse_from(["gw", zero, "0"]).is_err(), "{zero}");
        }
    }

    #[test]
    fn flags_override_the_programs_settings_and_only_those_given() {
        let program = ServerSettings {
            threads: Some(4),
            grace_period: Duration::from_secs(3),
            admin: Some("127.0.0.1:9100".parse().expect("address")),
            access_log: AccessLogFormat::Json,
            access_log_file: Some("/var/log/gw.log".into()),
            limits: ClientLimits {
                max_uri_len: 100,
                max_headers: 7,
                ..ClientLimits::default()
            },
        };
        let none = Args::try_parse_from(["gw"]).expect("no flags");
        assert_eq!(none.settings(&program), program);
        let some = Args::try_parse_from([
            "gw",
            "--grace-period",
            "9",
            "--admin",
            "127.0.0.1:9200",
            "--max-uri-length",
            "300",
        ])
        .expect("valid flags");
        let merged = some.settings(&program);
        assert_eq!(merged.threads, Some(4));
        assert_eq!(merged.grace_period, Duration::from_secs(9));
        assert_eq!(
            merged.admin,
            Some("127.0.0.1:9200".parse().expect("address"))
        );
        assert_eq!(
            (merged.limits.max_uri_len, merged.limits.max_headers),
            (300, 7)
        );
        assert_eq!(merged.access_log, AccessLogFormat::Json);
        let logs = |flags: &[&str]| {
            let args = Args::try_parse_from([&["gw"], flags].concat()).expect("valid flags");
            let merged = args.settings(&program);
            (merged.access_log, merged.access_log_file)
        };
        assert_eq!(
            logs(&[
                "--access-log",
                "combined",
                "--access-log-file",
                "/tmp/a.log"
            ]),
            (AccessLogFormat::Combined, Some("/tmp/a.log".into()))
        );
        assert_eq!(logs(&["--access-log", "off"]).0, AccessLogFormat::Off);
        assert_eq!(logs(&["--no-access-log"]).0, AccessLogFormat::Off);
        assert!(Args::try_parse_from(["gw", "--access-log", "xml"]).is_err());
    }
}
