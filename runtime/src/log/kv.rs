//! The text format: the `name=value` line the runtime has always written, now also to a
//! file. It keeps the prefix of the runtime's other log lines (`TIME  INFO pxy::access: `),
//! so one stream of standard error reads alike. Strings are quoted and escaped like Rust
//! string literals (`\"`, `\\`, `\n`, `\u{1b}`), so no value can end the line or forge a
//! field; numbers, the method (a token) and addresses are written bare.

use std::io::{self, Write as _};

use super::clock::Rfc3339;
use super::record::Record;

/// Appends `r`'s line.
pub(super) fn write(r: &Record<'_>, out: &mut Vec<u8>) -> io::Result<()> {
    write!(
        out,
        "{}  INFO pxy::access: method={} path={:?} status={}",
        Rfc3339(r.time),
        r.method,
        r.path,
        r.status.map_or(0, |s| s.as_u16())
    )?;
    if let Some(upstream) = r.upstream {
        write!(out, " upstream={upstream}")?;
    }
    write!(out, " duration_us={}", r.duration_us)?;
    if let Some(id) = r.request_id {
        write!(out, " request_id={id:?}")?;
    }
    if let Some(error) = r.error {
        write!(out, " error={:?}", error.to_string())?;
    }
    if !r.extra.is_empty() {
        write!(out, " {}", r.extra)?;
    }
    out.push(b'\n');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Error, ErrorKind};
    use crate::log::LogFields;

    #[test]
    fn a_line_has_the_fields_in_order() {
        let extra = Record::sample_fields();
        assert_eq!(
            Record::sample(&extra).line(write),
            "2000-10-10T13:55:36.000123Z  INFO pxy::access: method=GET path=\"/a\" status=200 \
             upstream=127.0.0.1:8080 duration_us=1500 request_id=\"r-1\" user=\"ada\"\n"
        );
    }

    #[test]
    fn strings_are_escaped_and_absent_values_left_out() {
        let extra = LogFields::default();
        let error = Error::explain(ErrorKind::Internal, "bad \"x\"\nstatus=1");
        let r = Record {
            path: "/\"\r\n\u{1b}",
            status: None,
            upstream: None,
            request_id: None,
            error: Some(&error),
            ..Record::sample(&extra)
        };
        let text = r.line(write);
        assert_eq!(text.matches('\n').count(), 1, "{text}");
        assert!(!text.contains('\u{1b}') && !text.contains('\r'));
        assert!(text.contains(r#"path="/\"\r\n\u{1b}" status=0 duration_us=1500 error=""#));
        assert!(text.contains(r#"bad \"x\"\nstatus=1"#), "{text}");
    }
}
