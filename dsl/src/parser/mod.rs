//! Text to [`ParsedProgram`]: pest does the recognising (grammar/pxy.pest), this module builds the
//! AST and turns pest's failures into a [`ParseError`] in plain words.

mod expr;
mod hints;
mod items;
mod stmt;
mod test_decl;

use pest::iterators::Pair;
use pest::Parser as _;

use crate::ast::{Ident, IntLit, ParsedProgram, Text};
use crate::error::{describe, ParseError, ParseErrorKind};
use crate::Span;

pub use generated::{PxyParser, Rule};

/// pest generates `Rule` with one variant per grammar rule; the grammar file documents them.
#[allow(missing_docs)]
mod generated {
    /// The pest parser generated from `grammar/pxy.pest`.
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/pxy.pest"]
    pub struct PxyParser;
}

/// The deepest nesting of `(`, `[` and `{` accepted. Real programs nest a handful of levels;
/// the limit keeps every recursive pass (pest's, ours, and dropping the tree) far from the end
/// of the stack whatever the input.
pub const MAX_NESTING: usize = 128;

/// The most binary operators accepted in one expression, for the same reason.
pub const MAX_OPERATORS: usize = 512;

/// Parses one `.pxy` source text, with spans counted from its first byte.
///
/// Syntax errors stop the parse (there is no tree to check without it), so at most one
/// [`ParseError`] comes back; everything after parsing reports all it finds.
pub fn parse(source: &str) -> Result<ParsedProgram, ParseError> {
    parse_at(source, 0)
}

/// Parses one `.pxy` source text that starts at offset `base` of a larger offset space: every
/// span in the tree, and the error's span, is `base` bytes further than in [`parse`].
///
/// The compiler gives each file of a program (the main file and its includes) its own range of
/// one offset space, so that a [`Span`] alone says which file it points into; it parses each
/// file at the start of its range.
pub fn parse_at(source: &str, base: usize) -> Result<ParsedProgram, ParseError> {
    let cx = Cx { base };
    check_nesting(cx, source)?;
    let mut pairs =
        PxyParser::parse(Rule::program, source).map_err(|e| from_pest(cx, source, e))?;
    let program = pairs
        .next()
        .expect("the program rule always yields one pair");
    items::program(cx, program)
}

/// What every builder carries besides the pair it builds from: where the file starts in the
/// program's offset space. Every span of the tree is made by [`Cx::at`] or [`Cx::span`], so
/// spans come out already moved and no second pass over the tree is needed.
#[derive(Debug, Clone, Copy)]
struct Cx {
    /// The offset of the source's first byte.
    base: usize,
}

impl Cx {
    /// The span of the bytes `start..end` of the source being parsed.
    fn at(self, start: usize, end: usize) -> Span {
        Span::new(self.base + start, self.base + end)
    }

    /// The span of a pair, without the white space and comments pest skipped after its last
    /// token.
    fn span(self, pair: &Pair<'_, Rule>) -> Span {
        let s = pair.as_span();
        self.at(
            s.start(),
            crate::comments::tight_end(s.get_input(), s.start(), s.end()),
        )
    }

    /// A text node from a pair, as written.
    fn text(self, pair: &Pair<'_, Rule>) -> Text {
        Text {
            value: pair.as_str().to_string(),
            span: self.span(pair),
        }
    }

    /// A name from a pair, as written.
    fn ident(self, pair: Pair<'_, Rule>) -> Ident {
        Ident {
            name: pair.as_str().to_string(),
            span: self.span(&pair),
        }
    }

    /// An integer literal; too large a number is an error rather than a silent wrap.
    fn int_lit(self, pair: &Pair<'_, Rule>) -> Result<IntLit, ParseError> {
        let span = self.span(pair);
        let value = pair.as_str().parse::<u64>().map_err(|_| ParseError {
            span,
            kind: ParseErrorKind::IntTooLarge,
        })?;
        Ok(IntLit { value, span })
    }
}

/// Refuses input nested deeper than [`MAX_NESTING`], pointing at the bracket that went too deep.
fn check_nesting(cx: Cx, source: &str) -> Result<(), ParseError> {
    let mut depth = 0usize;
    for (i, b) in source.bytes().enumerate() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(ParseError {
                        span: cx.at(i, i + 1),
                        kind: ParseErrorKind::TooDeep,
                    });
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

/// Converts pest's error into ours: a span on the offending token and the set of things that
/// would have been accepted, described for people.
fn from_pest(cx: Cx, source: &str, error: pest::error::Error<Rule>) -> ParseError {
    let pos = match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let found = token_at(source, pos);
    let span = cx.at(pos, pos + found.len());
    let positives: &[Rule] = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => positives,
        pest::error::ErrorVariant::CustomError { .. } => &[],
    };
    if let Some((end, kind)) = hints::recognise(source, pos, found, positives) {
        return ParseError {
            span: cx.at(pos, end),
            kind,
        };
    }
    let mut expected: Vec<&'static str> = positives.iter().filter_map(|r| describe(*r)).collect();
    expected.sort_unstable();
    expected.dedup();
    ParseError {
        span,
        kind: ParseErrorKind::Unexpected {
            expected,
            found: found.to_string(),
        },
    }
}

/// The token at `pos` (a run of characters up to white space or punctuation, or a single
/// character), for "found ..." and for the error's span.
fn token_at(source: &str, pos: usize) -> &str {
    let rest = source.get(pos..).unwrap_or("");
    let word_len = rest
        .char_indices()
        .find(|(_, c)| c.is_whitespace() || "{}()[],\"=!&|?<>#~".contains(*c))
        .map(|(i, _)| i)
        .unwrap_or(rest.len());
    if word_len > 0 {
        &rest[..word_len]
    } else {
        rest.chars()
            .next()
            .map(|c| &rest[..c.len_utf8()])
            .unwrap_or("")
    }
}

/// The inner pairs of a pair.
fn inner(pair: Pair<'_, Rule>) -> pest::iterators::Pairs<'_, Rule> {
    pair.into_inner()
}

/// The inner pairs of a pair without its keyword tokens, which carry nothing once the rule is
/// known.
fn no_keywords(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    pair.into_inner().filter(|p| !is_keyword(p.as_rule()))
}

fn is_keyword(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::listen_kw
            | Rule::upstream_kw
            | Rule::server_kw
            | Rule::weight_kw
            | Rule::balance_kw
            | Rule::route_kw
            | Rule::host_kw
            | Rule::path_kw
            | Rule::method_kw
            | Rule::header_kw
            | Rule::headers_kw
            | Rule::on_kw
            | Rule::set_kw
            | Rule::add_kw
            | Rule::remove_kw
            | Rule::respond_kw
            | Rule::redirect_kw
            | Rule::strip_prefix_kw
            | Rule::rewrite_kw
            | Rule::proxy_kw
            | Rule::if_kw
            | Rule::else_kw
            | Rule::let_kw
            | Rule::as_kw
            | Rule::backup_kw
            | Rule::discover_kw
            | Rule::health_kw
            | Rule::passive_kw
            | Rule::include_kw
            | Rule::limit_kw
            | Rule::rate_limit_kw
            | Rule::max_in_flight_kw
            | Rule::cache_kw
            | Rule::purge_kw
            | Rule::verify_jwt_kw
            | Rule::jwt_word
            | Rule::verify_basic_kw
            | Rule::basic_auth_word
            | Rule::verify_forward_kw
            | Rule::forward_auth_word
            | Rule::compress_kw
    )
}

#[cfg(test)]
mod tests;
