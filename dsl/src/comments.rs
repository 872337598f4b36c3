//! Where comments are. The grammar skips comments (and white space) implicitly, so they are not
//! in the tree; the formatter needs them, and spans must not include them: pest counts the
//! white space and comments it skipped after a rule's last token as part of the rule.
//!
//! A `#` starts a comment unless it is inside a string or a regex literal. Neither can span a
//! line, so a line can be read on its own, starting outside any literal.

/// The offset of the comment on `line` (a line, or the start of one), if it has one.
pub(crate) fn start_in_line(line: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    // Each entry: true = inside a string, false = inside an interpolation `{...}` of a string.
    let mut stack: Vec<bool> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match stack.last() {
            Some(true) => match b {
                b'\\' => i += 1,
                b'{' if bytes.get(i + 1) == Some(&b'{') => i += 1,
                b'}' if bytes.get(i + 1) == Some(&b'}') => i += 1,
                b'{' => stack.push(false),
                b'"' => {
                    stack.pop();
                }
                _ => {}
            },
            _ => match b {
                b'#' => return Some(i),
                b'"' => stack.push(true),
                b'}' if stack.last() == Some(&false) => {
                    stack.pop();
                }
                // A regex literal, unless the slash is a CIDR's (after a digit or `]`).
                b'/' if i == 0 || !(bytes[i - 1].is_ascii_digit() || bytes[i - 1] == b']') => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'/' {
                        if bytes[i] == b'\\' {
                            i += 1;
                        }
                        i += 1;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    None
}

/// Every comment in `source`: its offset and text (from `#` to the end of the line).
pub(crate) fn all(source: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut line_start = 0;
    for line in source.split_inclusive('\n') {
        if let Some(at) = start_in_line(line) {
            out.push((line_start + at, line[at..].trim_end()));
        }
        line_start += line.len();
    }
    out
}

/// `end` moved back over trailing white space and comments, but not before `start`.
pub(crate) fn tight_end(source: &str, start: usize, mut end: usize) -> usize {
    loop {
        let trimmed = source[start..end].trim_end();
        end = start + trimmed.len();
        let line_start = source[..end].rfind('\n').map_or(0, |i| i + 1);
        match start_in_line(&source[line_start..end]) {
            Some(at) if line_start + at >= start && line_start + at < end => end = line_start + at,
            _ => return end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_outside_literals_only() {
        assert_eq!(start_in_line("x = \"#no\" # yes"), Some(10));
        assert_eq!(start_in_line("path ~ /a#b/ # yes"), Some(13));
        assert_eq!(start_in_line("client.ip in 10.0.0.0/8 # yes"), Some(24));
        assert_eq!(start_in_line("\"a{req.headers[\"#\"]}b\" # yes"), Some(23));
        assert_eq!(start_in_line("\"{{#}}\""), None);
    }

    #[test]
    fn spans_lose_trailing_junk() {
        let src = "let x = 1  # c\n   # d\n  next";
        assert_eq!(tight_end(src, 8, src.find("next").unwrap()), 9);
    }
}
