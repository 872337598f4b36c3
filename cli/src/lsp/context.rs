//! What kind of text a cursor is in, read from its line alone: code, a string, a regex or a
//! comment, and the word being typed. Completion and the keyword fallback of hover use this, so
//! they work while the document does not parse.
//!
//! A line is enough because strings, regexes and comments never span lines. Inside a string,
//! `{expr}` is code again (`{{` is a literal brace); a `/` right after a digit or `]` is the
//! slash of a CIDR, anywhere else in code it opens a regex (the language has no division).

/// The kind of text at a position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Code, including an `{interpolation}` inside a string.
    Code,
    /// The text of a string literal.
    Str,
    /// A regex literal's body.
    Regex,
    /// A `#` comment.
    Comment,
}

/// The start of the line that contains `offset`.
pub fn line_start(source: &str, offset: usize) -> usize {
    source[..offset].rfind('\n').map_or(0, |i| i + 1)
}

/// The kind of text just before `offset` (a valid char boundary of `source`).
pub fn mode_at(source: &str, offset: usize) -> Mode {
    let line = &source[line_start(source, offset)..offset];
    // Open string and interpolation levels, innermost last.
    let mut stack = vec![Mode::Code];
    let mut chars = line.chars().peekable();
    let mut previous = ' ';
    while let Some(c) = chars.next() {
        let mode = stack.last().copied().unwrap_or(Mode::Code);
        match (mode, c) {
            (Mode::Comment, _) => return Mode::Comment,
            (Mode::Code, '#') => stack.push(Mode::Comment),
            (Mode::Code, '"') => stack.push(Mode::Str),
            (Mode::Code, '/') if !(previous.is_ascii_digit() || previous == ']') => {
                stack.push(Mode::Regex)
            }
            // The end of an interpolation: back in its string.
            (Mode::Code, '}') if stack.len() > 1 => {
                stack.pop();
            }
            (Mode::Str | Mode::Regex, '\\') => {
                chars.next();
            }
            (Mode::Str, '{' | '}') if chars.peek() == Some(&c) => {
                chars.next();
            }
            (Mode::Str, '{') => stack.push(Mode::Code),
            (Mode::Str, '"') | (Mode::Regex, '/') => {
                stack.pop();
            }
            _ => {}
        }
        previous = c;
    }
    stack.last().copied().unwrap_or(Mode::Code)
}

/// True for the characters of names and keywords.
pub fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The start of the word that ends at `offset`: `offset` itself when none does.
pub fn word_start(source: &str, offset: usize) -> usize {
    source[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_word_char(*c))
        .last()
        .map_or(offset, |(i, _)| i)
}

/// The word around `offset` (touching it on either side), as a byte range.
pub fn word_around(source: &str, offset: usize) -> Option<(usize, usize)> {
    let start = word_start(source, offset);
    let end = source[offset..]
        .char_indices()
        .find(|(_, c)| !is_word_char(*c))
        .map_or(source.len(), |(i, _)| offset + i);
    (start < end).then_some((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode_before(line: &str, marker: &str) -> Mode {
        mode_at(line, line.find(marker).expect("marker"))
    }

    #[test]
    fn modes_follow_strings_interpolations_regexes_and_comments() {
        let line =
            r#"  respond 200 "a {req.host ?? "x"} b \"c" if z matches /a\/b/ in 10.0.0.0/8 # note"#;
        assert_eq!(mode_before(line, "respond"), Mode::Code);
        assert_eq!(mode_before(line, "a {"), Mode::Str);
        assert_eq!(mode_before(line, "req.host"), Mode::Code);
        assert_eq!(mode_before(line, "x\"}"), Mode::Str);
        assert_eq!(mode_before(line, " b "), Mode::Str);
        assert_eq!(mode_before(line, "c\" if"), Mode::Str);
        assert_eq!(mode_before(line, " if z"), Mode::Code);
        assert_eq!(mode_before(line, "\\/b"), Mode::Regex);
        assert_eq!(mode_before(line, " in 10"), Mode::Code);
        assert_eq!(mode_before(line, " # note"), Mode::Code);
        assert_eq!(mode_before(line, "note"), Mode::Comment);
        assert_eq!(mode_before("\"{{ x", "x"), Mode::Str);
    }

    #[test]
    fn words_around_a_cursor() {
        let text = "proxy é_api;";
        let start = text.find("_api").unwrap();
        assert_eq!(word_start(text, start + 2), start);
        assert_eq!(word_around(text, start), Some((start, start + 4)));
        assert_eq!(word_around(text, 3), Some((0, 5)));
        assert_eq!(word_around(text, text.len()), None);
    }
}
