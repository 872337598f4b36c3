//! Which access log line a proxy writes: the choice of `server { access_log ... }` and of
//! the `--access-log` flag, and the dispatch to the writer of each format.

use super::record::Record;

/// The format of the access log, one line per request. Defaults may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AccessLogFormat {
    /// No access log.
    Off,
    /// `TIME  INFO pxy::access: method=GET path="/" status=200 ...`: the runtime's own
    /// `name=value` line, values quoted and escaped (`kv.rs`).
    #[default]
    Text,
    /// One JSON object per line (JSON lines), escaped by serde_json (`json.rs`).
    Json,
    /// Apache's combined log format, escaped as Apache does (`combined.rs`).
    Combined,
}

impl AccessLogFormat {
    /// Whether a line is written at all.
    pub fn is_on(self) -> bool {
        match self {
            AccessLogFormat::Off => false,
            AccessLogFormat::Text | AccessLogFormat::Json | AccessLogFormat::Combined => true,
        }
    }

    /// Appends `record`'s line, newline included, to `out` (nothing when off).
    pub(crate) fn write(self, record: &Record<'_>, out: &mut Vec<u8>) {
        // Writing to a `Vec` cannot fail; a formatter's own error (a `Display` failing)
        // would leave a partial line, which the newline below still ends.
        let written = match self {
            AccessLogFormat::Off => return,
            AccessLogFormat::Text => super::kv::write(record, out),
            AccessLogFormat::Json => super::json::write(record, out),
            AccessLogFormat::Combined => super::combined::write(record, out),
        };
        if written.is_err() {
            out.push(b'\n');
        }
    }
}
