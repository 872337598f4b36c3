//! Text to [`ParsedProgram`]: pest does the recognising (grammar/pxy.pest), this module builds the
//! AST and turns pest's failures into a [`ParseError`] in plain words.

mod expr;
mod items;
mod stmt;

use pest::iterators::Pair;
use pest::Parser as _;

use crate::ast::{IntLit, ParsedProgram, Text};
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

/// Parses one `.pxy` source text.
///
/// Syntax errors stop the parse (there is no tree to check without it), so at most one
/// [`ParseError`] comes back; everything after parsing reports all it finds.
pub fn parse(source: &str) -> Result<ParsedProgram, ParseError> {
    check_nesting(source)?;
    let mut pairs = PxyParser::parse(Rule::program, source).map_err(|e| from_pest(source, e))?;
    let program = pairs
        .next()
        .expect("the program rule always yields one pair");
    items::program(program)
}

/// Refuses input nested deeper than [`MAX_NESTING`], pointing at the bracket that went too deep.
fn check_nesting(source: &str) -> Result<(), ParseError> {
    let mut depth = 0usize;
    for (i, b) in source.bytes().enumerate() {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Err(ParseError {
                        span: Span::new(i, i + 1),
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
fn from_pest(source: &str, error: pest::error::Error<Rule>) -> ParseError {
    let pos = match error.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let found = token_at(source, pos);
    let span = Span::new(pos, pos + found.len());
    let mut expected: Vec<&'static str> = match &error.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().filter_map(|r| describe(*r)).collect()
        }
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
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

/// The span of a pair, without the white space and comments pest skipped after its last token.
fn span(pair: &Pair<'_, Rule>) -> Span {
    let s = pair.as_span();
    Span::new(
        s.start(),
        crate::comments::tight_end(s.get_input(), s.start(), s.end()),
    )
}

/// A text node from a pair, as written.
fn text(pair: &Pair<'_, Rule>) -> Text {
    Text {
        value: pair.as_str().to_string(),
        span: span(pair),
    }
}

/// An integer literal; too large a number is an error rather than a silent wrap.
fn int_lit(pair: &Pair<'_, Rule>) -> Result<IntLit, ParseError> {
    let value = pair.as_str().parse::<u64>().map_err(|_| ParseError {
        span: span(pair),
        kind: ParseErrorKind::IntTooLarge,
    })?;
    Ok(IntLit {
        value,
        span: span(pair),
    })
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
    )
}

#[cfg(test)]
mod tests;
