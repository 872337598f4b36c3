//! The backend file format of [`Discovery::File`](super::Discovery::File).
//!
//! ```text
//! # comment
//! 10.0.0.1:8080
//! 10.0.0.2:8080 weight=3
//! 10.0.0.9:8080 backup
//! ```

use crate::error::{Error, ErrorKind, Result};
use crate::upstream::backend::BackendConfig;

/// The backends listed in `text`.
///
/// # Errors
///
/// [`ErrorKind::InvalidConfig`] naming the first bad line; an empty list is an error too.
pub(super) fn parse(text: &str) -> Result<Vec<BackendConfig>> {
    let mut backends = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line
            .split_once('#')
            .map_or(line, |(content, _)| content)
            .trim();
        if line.is_empty() {
            continue;
        }
        backends.push(parse_line(line).map_err(|reason| {
            Error::explain(
                ErrorKind::InvalidConfig,
                format!("line {}: {reason}", number + 1),
            )
        })?);
    }
    if backends.is_empty() {
        return Err(Error::explain(
            ErrorKind::InvalidConfig,
            "no backend listed",
        ));
    }
    Ok(backends)
}

fn parse_line(line: &str) -> std::result::Result<BackendConfig, String> {
    let mut words = line.split_whitespace();
    let addr = words.next().unwrap_or_default();
    let addr = addr
        .parse()
        .map_err(|_| format!("{addr:?} is not an IP address with a port"))?;
    let mut backend = BackendConfig::new(addr);
    for word in words {
        match word.split_once('=') {
            Some(("weight", n)) => {
                backend.weight = n
                    .parse()
                    .map_err(|_| format!("weight {n:?} is not a number from 0 to 4294967295"))?;
            }
            None if word == "backup" => backend.backup = true,
            _ => {
                return Err(format!(
                    "unknown option {word:?} (expected weight=N or backup)"
                ))
            }
        }
    }
    Ok(backend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_addresses_weights_backups_and_comments() {
        let text = "# backends\n127.0.0.1:1\n\n  127.0.0.1:2 weight=3 # heavy\n[::1]:3 backup\n";
        let backends = parse(text).expect("valid file");
        assert_eq!(backends.len(), 3);
        assert_eq!(
            backends[0],
            BackendConfig::new("127.0.0.1:1".parse().expect("addr"))
        );
        assert_eq!(backends[1].weight, 3);
        assert!(!backends[1].backup);
        assert!(backends[2].backup);
        assert_eq!(backends[2].addr.port(), 3);
    }

    #[test]
    fn rejects_bad_lines_and_empty_files() {
        let err = parse("127.0.0.1:1\nlocalhost:80\n").expect_err("a name");
        assert!(err.to_string().contains("line 2"), "{err}");
        assert!(parse("127.0.0.1:1 weight=x").is_err());
        assert!(parse("127.0.0.1:1 fast").is_err());
        assert!(parse("# nothing\n\n").is_err());
    }
}
