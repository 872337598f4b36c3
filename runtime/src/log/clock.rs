//! The time stamps of access log lines, always UTC: RFC 3339 with microseconds
//! (`2000-10-10T13:55:36.000123Z`, as the runtime's other log lines) for the text and JSON
//! formats, and Apache's `10/Oct/2000:13:55:36 +0000` for the combined format.

use std::fmt;

use time::OffsetDateTime;

/// Displays as RFC 3339 in UTC with microseconds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rfc3339(pub(crate) OffsetDateTime);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0.to_offset(time::UtcOffset::UTC);
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
            t.year(),
            u8::from(t.month()),
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            t.microsecond()
        )
    }
}

/// Displays as Apache's `%t` without its brackets, in UTC.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Apache(pub(crate) OffsetDateTime);

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

impl fmt::Display for Apache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let t = self.0.to_offset(time::UtcOffset::UTC);
        let month = MONTHS[usize::from(u8::from(t.month())) - 1];
        write!(
            f,
            "{:02}/{month}/{:04}:{:02}:{:02}:{:02} +0000",
            t.day(),
            t.year(),
            t.hour(),
            t.minute(),
            t.second()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_stamps_are_utc() {
        // 2000-10-10T13:55:36.000123Z, seen from UTC-7.
        let t = OffsetDateTime::from_unix_timestamp_nanos(971_186_136_000_123_000)
            .expect("a valid time")
            .to_offset(time::UtcOffset::from_hms(-7, 0, 0).expect("an offset"));
        assert_eq!(Rfc3339(t).to_string(), "2000-10-10T13:55:36.000123Z");
        assert_eq!(Apache(t).to_string(), "10/Oct/2000:13:55:36 +0000");
        let jan = OffsetDateTime::from_unix_timestamp(0).expect("a valid time");
        assert_eq!(Apache(jan).to_string(), "01/Jan/1970:00:00:00 +0000");
    }
}
