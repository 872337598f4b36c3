//! The JSON format: one object per line (JSON lines), as log shippers (Vector, Fluent Bit,
//! Loki, Elastic) read without a parsing rule. serde_json writes every string, so quotes,
//! backslashes, control characters and invalid UTF-8 never break a line: a header value is
//! read as UTF-8 with replacement characters. Keys: `time`, then the names of
//! [`reserved`](super::reserved) that have a value (`status` is 0 when no response was
//! sent), then the program's own fields, all strings.

use std::fmt::Display;
use std::io;

use serde::ser::{SerializeMap as _, Serializer as _};

use super::clock::Rfc3339;
use super::record::Record;
use super::reserved;

/// Serializes a `Display` value as a JSON string without an intermediate `String`.
pub(super) struct Shown<T>(pub(super) T);

impl<T: Display> serde::Serialize for Shown<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

/// Appends `r`'s line.
pub(super) fn write(r: &Record<'_>, out: &mut Vec<u8>) -> io::Result<()> {
    let mut ser = serde_json::Serializer::new(&mut *out);
    let mut map = ser.serialize_map(None)?;
    map.serialize_entry(reserved::TIME, &Shown(Rfc3339(r.time)))?;
    map.serialize_entry(reserved::METHOD, r.method.as_str())?;
    map.serialize_entry(reserved::PATH, r.path)?;
    map.serialize_entry(reserved::STATUS, &r.status.map_or(0, |s| s.as_u16()))?;
    if let Some(upstream) = r.upstream {
        map.serialize_entry(reserved::UPSTREAM, &Shown(upstream))?;
    }
    map.serialize_entry(reserved::DURATION_US, &r.duration_us)?;
    if let Some(id) = r.request_id {
        map.serialize_entry(reserved::REQUEST_ID, id)?;
    }
    if let Some(error) = r.error {
        map.serialize_entry(reserved::ERROR, &Shown(error))?;
    }
    for (name, value) in r.extra.iter() {
        map.serialize_entry(name, value)?;
    }
    map.end()?;
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorKind};
    use crate::log::LogFields;

    #[test]
    fn a_line_is_one_object_with_the_fields_in_order() {
        let extra = Record::sample_fields();
        assert_eq!(
            Record::sample(&extra).line(write),
            "{\"time\":\"2000-10-10T13:55:36.000123Z\",\"method\":\"GET\",\"path\":\"/a\",\
             \"status\":200,\"upstream\":\"127.0.0.1:8080\",\"duration_us\":1500,\
             \"request_id\":\"r-1\",\"user\":\"ada\"}\n"
        );
    }

    #[test]
    fn strings_are_escaped_as_json_and_read_back() {
        let mut extra = LogFields::default();
        let evil = "a\"b\\c\r\n\t\u{0}\u{1b}[31m\u{2028}é";
        extra.set("note", evil);
        let error = Error::explain(ErrorKind::Internal, "bad \"x\"\n");
        let r = Record {
            path: evil,
            error: Some(&error),
            ..Record::sample(&extra)
        };
        let text = r.line(write);
        assert_eq!(text.matches('\n').count(), 1, "one line: {text}");
        assert!(!text.contains('\u{0}') && !text.contains('\u{1b}') && !text.contains('\r'));
        let value: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(value["path"], evil);
        assert_eq!(value["note"], evil);
        assert_eq!(value["status"], 200);
        assert!(value["error"]
            .as_str()
            .is_some_and(|e| e.contains("bad \"x\"\n")));
    }
}
