//! A real Prometheus server (Debian's `prometheus`, installed by `scripts/setup.sh`) scraping a
//! proxy's admin listener every second, and its query API, to show that the series a proxy
//! exposes arrive in Prometheus as they are.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::HttpClient;

/// A running Prometheus; killed when dropped.
#[derive(Debug)]
pub struct Prometheus {
    child: Child,
    api: String,
    log: std::path::PathBuf,
}

impl Prometheus {
    /// Starts Prometheus with its data and log in `dir`, scraping `http://TARGET/metrics`
    /// every second, and waits (up to 30 s) until it answers its readiness check.
    pub async fn start(dir: &Path, target: std::net::SocketAddr) -> Prometheus {
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
                 scrape_configs:\n  - job_name: proxy\n    static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .expect("write prometheus.yml");
        let listen = crate::free_addr();
        let log = dir.join("prometheus.log");
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={listen}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("create the log"))
            .spawn()
            .expect("start prometheus (scripts/setup.sh installs it)");
        let prometheus = Prometheus {
            child,
            api: format!("http://{listen}"),
            log,
        };
        let client = HttpClient::http1();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(reply) = client.try_get(&format!("{}/-/ready", prometheus.api)).await {
                if reply.status == 200 {
                    return prometheus;
                }
            }
            assert!(
                Instant::now() < deadline,
                "prometheus not ready within 30 s; its log:\n{}",
                std::fs::read_to_string(&prometheus.log).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The instant vector `query` evaluates to now: each series' labels and value.
    pub async fn query(&self, query: &str) -> Vec<(serde_json::Value, f64)> {
        let url = format!("{}/api/v1/query?query={}", self.api, percent_encode(query));
        let reply = HttpClient::http1().get(&url, &[]).await;
        assert_eq!(reply.status, 200, "{query}: {}", reply.body);
        let json = reply.json();
        json["data"]["result"]
            .as_array()
            .expect("a vector result")
            .iter()
            .map(|series| {
                let value = series["value"][1]
                    .as_str()
                    .and_then(|v| v.parse().ok())
                    .expect("a sample value");
                (series["metric"].clone(), value)
            })
            .collect()
    }

    /// Evaluates `query` every 250 ms until `done` accepts its result; panics after `within`.
    pub async fn wait_for(
        &self,
        query: &str,
        within: Duration,
        done: impl Fn(&[(serde_json::Value, f64)]) -> bool,
    ) -> Vec<(serde_json::Value, f64)> {
        let deadline = Instant::now() + within;
        loop {
            let result = self.query(query).await;
            if done(&result) {
                return result;
            }
            assert!(
                Instant::now() < deadline,
                "{query} never became what was expected within {within:?}; last: {result:?}"
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Percent-encodes everything but unreserved characters, for a query parameter.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
