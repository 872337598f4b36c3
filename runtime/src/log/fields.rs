//! Extra fields of the access log line, added by [`Proxy::logging`](crate::Proxy::logging)
//! (the `on log` section of a `.pxy` program).

use std::fmt;

/// Fields appended to one request's access log line as `name="value"`.
///
/// Names are `&'static str` (in generated code they are literals checked by the compiler), so
/// adding a field allocates only for its value, and a request that adds none allocates
/// nothing. Values are always written quoted and escaped like a Rust string literal (`\"`,
/// `\\`, `\n`, `\r`, `\u{1b}`, ...), so a value can never end the line or forge another field.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LogFields {
    fields: Vec<(&'static str, String)>,
}

impl LogFields {
    /// Sets field `name` to `value`, replacing an earlier value of the same name (the field
    /// keeps its first position).
    pub fn set(&mut self, name: &'static str, value: impl Into<String>) {
        let value = value.into();
        match self.fields.iter_mut().find(|(n, _)| *n == name) {
            Some((_, old)) => *old = value,
            None => self.fields.push((name, value)),
        }
    }

    /// The value of field `name`, if it was set.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The fields in the order they were first set.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.fields.iter().map(|(n, v)| (*n, v.as_str()))
    }

    /// True when no field was set.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

/// `name="value" name2="value2"`, values escaped.
impl fmt::Display for LogFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (name, value)) in self.fields.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{name}={value:?}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_written_in_order_and_set_replaces() {
        let mut fields = LogFields::default();
        assert!(fields.is_empty());
        fields.set("user", "alice");
        fields.set("tenant", String::from("t1"));
        fields.set("user", "bob");
        assert_eq!(fields.get("user"), Some("bob"));
        assert_eq!(fields.to_string(), r#"user="bob" tenant="t1""#);
    }

    #[test]
    fn values_cannot_break_the_line_or_forge_fields() {
        let mut fields = LogFields::default();
        fields.set("user", "a\"\r\nstatus=200 x=\"\u{1b}[31m\\");
        let line = fields.to_string();
        assert!(!line.contains('\n') && !line.contains('\r') && !line.contains('\u{1b}'));
        assert_eq!(line, r#"user="a\"\r\nstatus=200 x=\"\u{1b}[31m\\""#);
        // Exactly one unescaped quote pair: the value's own quotes are all escaped.
        let unescaped = line.replace("\\\\", "").replace("\\\"", "");
        assert_eq!(unescaped.matches('"').count(), 2);
    }
}
