//! The access log of a test binary, for `expect log { ... }`: the process's own access log
//! (the same lines, fields and `on log` phase a deployed proxy writes), in the JSON format, to
//! a file of the run's own; each test reads the line its request added.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::log::AccessLogFormat;

/// How long the access log writer may take to catch up after a test.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// The run's access log file and how much of it earlier tests read.
#[derive(Debug)]
pub(super) struct AccessLines {
    path: PathBuf,
    read: usize,
}

impl AccessLines {
    /// Starts the process's access log, in JSON, to a new file in the temporary directory.
    pub(super) fn start(program: &str) -> Result<AccessLines, String> {
        let path = std::env::temp_dir().join(format!(
            "pxy-test-{program}-{}.access.log",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&path);
        crate::log::init_access(AccessLogFormat::Json, Some(path.clone()))
            .map_err(|e| format!("the access log: {}", crate::error::chain(&e)))?;
        Ok(AccessLines { path, read: 0 })
    }

    /// The fields of the last line written since the previous call.
    pub(super) fn last(&mut self) -> Result<Map<String, Value>, String> {
        if !crate::log::flush_access(FLUSH_TIMEOUT) {
            return Err(format!(
                "the access log was not written within {FLUSH_TIMEOUT:?}"
            ));
        }
        let text = std::fs::read_to_string(&self.path)
            .map_err(|e| format!("reading {}: {e}", self.path.display()))?;
        let new = text.get(self.read..).unwrap_or_default();
        self.read = text.len();
        let line = new
            .lines()
            .last()
            .ok_or("the request wrote no access log line")?;
        match serde_json::from_str(line) {
            Ok(Value::Object(fields)) => Ok(fields),
            Ok(_) | Err(_) => Err(format!(
                "an access log line that is not a JSON object: {line}"
            )),
        }
    }
}

impl Drop for AccessLines {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
