//! Apache's combined log format, which GoAccess, AWStats and most log tools read as is:
//!
//! `%h %l %u %t "%r" %>s %b "%{Referer}i" "%{User-agent}i"`, e.g.
//! `192.0.2.7 - - [10/Oct/2000:13:55:36 +0000] "GET /a?b HTTP/1.1" 200 2326 "-" "curl/8"`.
//!
//! As Apache (`ap_escape_logitem`): in the quoted parts, `"` and `\` get a backslash, `\b`
//! `\n` `\r` `\t` `\v` are written as those escapes, and every other byte that is not
//! printable ASCII as `\xhh`; a missing header is `-`. `%l` and `%u` are always `-` (no
//! identd, no authenticated user), `%b` is `-` for an empty body and `%>s` is `-` when no
//! response was sent (Apache's own rules). The time is UTC. The program's own `on log`
//! fields are not written: the format has no place for them (the checker warns).

use std::io::{self, Write as _};

use super::clock::Apache;
use super::record::Record;

/// Appends `r`'s line.
pub(super) fn write(r: &Record<'_>, out: &mut Vec<u8>) -> io::Result<()> {
    write!(out, "{} - - [{}] \"", r.client, Apache(r.time))?;
    escape(r.method.as_str().as_bytes(), out);
    out.push(b' ');
    escape(r.path.as_bytes(), out);
    if let Some(query) = r.query {
        out.push(b'?');
        escape(query.as_bytes(), out);
    }
    write!(out, " {:?}\" ", r.version)?;
    match r.status {
        Some(status) => write!(out, "{}", status.as_u16())?,
        None => out.push(b'-'),
    }
    match r.body_bytes {
        0 => out.extend_from_slice(b" -"),
        n => write!(out, " {n}")?,
    }
    for header in [r.referer, r.user_agent] {
        out.extend_from_slice(b" \"");
        match header {
            Some(value) => escape(value, out),
            None => out.push(b'-'),
        }
        out.push(b'"');
    }
    out.push(b'\n');
    Ok(())
}

/// Appends `bytes` escaped as Apache escapes a log item.
fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for &b in bytes {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x0b => out.extend_from_slice(b"\\v"),
            0x20..=0x7e => out.push(b),
            _ => out.extend_from_slice(&[
                b'\\',
                b'x',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log::LogFields;
    use http::Version;

    #[test]
    fn a_line_is_apaches_combined_format() {
        let extra = Record::sample_fields();
        assert_eq!(
            Record::sample(&extra).line(write),
            "192.0.2.7 - - [10/Oct/2000:13:55:36 +0000] \"GET /a?b HTTP/1.1\" 200 2326 \"-\" \"curl/8\"\n"
        );
    }

    #[test]
    fn quoted_parts_are_escaped_as_apache_does() {
        let extra = LogFields::default();
        let r = Record {
            query: None,
            version: Version::HTTP_2,
            status: None,
            body_bytes: 0,
            referer: Some(b"http://x/\"q\\\x08\n\r\t\x0b\x7f\x1b\xc3\xa9"),
            user_agent: None,
            ..Record::sample(&extra)
        };
        assert_eq!(
            r.line(write),
            "192.0.2.7 - - [10/Oct/2000:13:55:36 +0000] \"GET /a HTTP/2.0\" - - \
             \"http://x/\\\"q\\\\\\b\\n\\r\\t\\v\\x7f\\x1b\\xc3\\xa9\" \"-\"\n"
        );
    }
}
