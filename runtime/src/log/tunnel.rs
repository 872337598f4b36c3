//! The access log line of a closed tunnel (a connection that switched protocols, WebSocket):
//! the request's own line was written when the `101` went out; this second line, when both
//! directions have ended, says how many bytes went each way and how long it was open, and goes
//! where the request lines go, in their format.
//!
//! - text: `TIME  INFO pxy::access: client=ADDR upstream=ADDR tunnel="closed" to_upstream=N
//!   to_downstream=N duration_us=N request_id="..." [error="..."]`;
//! - JSON: the same names as keys, with `time` first;
//! - combined: no line. Apache's format has one line per request, already written with the
//!   `101`, and no place for a tunnel's byte counts.
//!
//! The byte counts are absent when the relay ended in an error (an idle tunnel cut by
//! `tunnel_idle_timeout`, a reset): the relay does not report partial counts then.

use std::io::{self, Write as _};
use std::net::SocketAddr;

use serde::ser::{SerializeMap as _, Serializer as _};
use time::OffsetDateTime;

use super::clock::Rfc3339;
use super::format::AccessLogFormat;
use super::json::Shown;

/// The facts of one closed tunnel.
#[derive(Debug)]
pub(crate) struct TunnelRecord<'a> {
    /// When the tunnel closed.
    pub(crate) time: OffsetDateTime,
    pub(crate) client: SocketAddr,
    pub(crate) upstream: SocketAddr,
    /// Bytes relayed from the client to the upstream, and back (absent after an error).
    pub(crate) to_upstream: Option<u64>,
    pub(crate) to_downstream: Option<u64>,
    /// Microseconds from the switch to the close.
    pub(crate) duration_us: u64,
    /// The id of the request that switched.
    pub(crate) request_id: &'a str,
    /// Why the relay ended, if not by both sides closing.
    pub(crate) error: Option<&'a io::Error>,
}

impl TunnelRecord<'_> {
    /// Appends the line in `format` (nothing for `off` and `combined`).
    pub(crate) fn write(&self, format: AccessLogFormat, out: &mut Vec<u8>) {
        let written = match format {
            AccessLogFormat::Off | AccessLogFormat::Combined => return,
            AccessLogFormat::Text => self.text(out),
            AccessLogFormat::Json => self.json(out),
        };
        if written.is_err() {
            out.push(b'\n');
        }
    }

    fn text(&self, out: &mut Vec<u8>) -> io::Result<()> {
        write!(
            out,
            "{}  INFO pxy::access: client={} upstream={} tunnel=\"closed\"",
            Rfc3339(self.time),
            self.client,
            self.upstream
        )?;
        if let (Some(up), Some(down)) = (self.to_upstream, self.to_downstream) {
            write!(out, " to_upstream={up} to_downstream={down}")?;
        }
        write!(
            out,
            " duration_us={} request_id={:?}",
            self.duration_us, self.request_id
        )?;
        if let Some(error) = self.error {
            write!(out, " error={:?}", error.to_string())?;
        }
        out.push(b'\n');
        Ok(())
    }

    fn json(&self, out: &mut Vec<u8>) -> io::Result<()> {
        let mut ser = serde_json::Serializer::new(&mut *out);
        let mut map = ser.serialize_map(None)?;
        map.serialize_entry("time", &Shown(Rfc3339(self.time)))?;
        map.serialize_entry("client", &Shown(self.client))?;
        map.serialize_entry("upstream", &Shown(self.upstream))?;
        map.serialize_entry("tunnel", "closed")?;
        if let (Some(up), Some(down)) = (self.to_upstream, self.to_downstream) {
            map.serialize_entry("to_upstream", &up)?;
            map.serialize_entry("to_downstream", &down)?;
        }
        map.serialize_entry("duration_us", &self.duration_us)?;
        map.serialize_entry("request_id", self.request_id)?;
        if let Some(error) = self.error {
            map.serialize_entry("error", &Shown(error))?;
        }
        map.end()?;
        out.push(b'\n');
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(error: Option<&io::Error>) -> TunnelRecord<'_> {
        TunnelRecord {
            time: OffsetDateTime::from_unix_timestamp_nanos(971_186_136_000_123_000)
                .expect("a valid time"),
            client: "192.0.2.7:50000".parse().expect("an address"),
            upstream: "127.0.0.1:8080".parse().expect("an address"),
            to_upstream: error.is_none().then_some(12),
            to_downstream: error.is_none().then_some(345),
            duration_us: 1500,
            request_id: "r-1",
            error,
        }
    }

    fn line(record: &TunnelRecord<'_>, format: AccessLogFormat) -> String {
        let mut out = Vec::new();
        record.write(format, &mut out);
        String::from_utf8(out).expect("UTF-8")
    }

    #[test]
    fn the_text_line_keeps_the_access_prefix() {
        assert_eq!(
            line(&sample(None), AccessLogFormat::Text),
            "2000-10-10T13:55:36.000123Z  INFO pxy::access: client=192.0.2.7:50000 \
             upstream=127.0.0.1:8080 tunnel=\"closed\" to_upstream=12 to_downstream=345 \
             duration_us=1500 request_id=\"r-1\"\n"
        );
    }

    #[test]
    fn the_json_line_is_one_object() {
        let idle = io::Error::new(io::ErrorKind::TimedOut, "tunnel idle for 1s");
        let text = line(&sample(Some(&idle)), AccessLogFormat::Json);
        assert_eq!(text.matches('\n').count(), 1);
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(value["tunnel"], "closed");
        assert_eq!(value["error"], "tunnel idle for 1s");
        assert!(value.get("to_upstream").is_none());
        let closed = line(&sample(None), AccessLogFormat::Json);
        let value: serde_json::Value = serde_json::from_str(&closed).expect("valid JSON");
        assert_eq!(
            (
                value["to_upstream"].as_u64(),
                value["to_downstream"].as_u64()
            ),
            (Some(12), Some(345))
        );
        assert_eq!(value["time"], "2000-10-10T13:55:36.000123Z");
    }

    #[test]
    fn combined_and_off_write_nothing() {
        for format in [AccessLogFormat::Combined, AccessLogFormat::Off] {
            assert_eq!(line(&sample(None), format), "");
        }
    }
}
