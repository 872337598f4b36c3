//! Two mistakes that pest's "expected one of ..." describes badly, recognised at the place
//! where parsing stopped so that the error can say what the text is rather than list rules:
//! a keyword written where a name goes (`let host = ...`), and an expression written where a
//! statement goes (`lower(req.path)` alone on a line).

use pest::Parser as _;

use super::{PxyParser, Rule};
use crate::error::ParseErrorKind;

/// The end (in `source`) and kind of a recognised mistake at `pos`, where pest stopped with
/// `positives` expected and `found` the token there; `None` when it is neither mistake.
pub(super) fn recognise(
    source: &str,
    pos: usize,
    found: &str,
    positives: &[Rule],
) -> Option<(usize, ParseErrorKind)> {
    if positives.contains(&Rule::ident) && is_keyword(found) {
        let kind = ParseErrorKind::KeywordAsName {
            keyword: found.to_string(),
        };
        return Some((pos + found.len(), kind));
    }
    if positives.iter().any(|r| is_statement(*r)) {
        let end = expression_end(source, pos)?;
        let text = source[pos..end].to_string();
        let is_word = text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        return Some((end, ParseErrorKind::ExpressionAsStatement { text, is_word }));
    }
    None
}

/// Whether the whole of `word` is one of the grammar's keywords.
fn is_keyword(word: &str) -> bool {
    PxyParser::parse(Rule::keyword, word)
        .ok()
        .and_then(|mut pairs| pairs.next())
        .is_some_and(|p| p.as_str().len() == word.len())
}

/// Whether pest expecting `rule` means a statement could start here.
fn is_statement(rule: Rule) -> bool {
    matches!(
        rule,
        Rule::set_stmt
            | Rule::set_kw
            | Rule::add_stmt
            | Rule::add_kw
            | Rule::remove_stmt
            | Rule::remove_kw
            | Rule::respond_stmt
            | Rule::respond_kw
            | Rule::redirect_stmt
            | Rule::redirect_kw
            | Rule::strip_prefix_stmt
            | Rule::strip_prefix_kw
            | Rule::rewrite_stmt
            | Rule::rewrite_kw
            | Rule::proxy_stmt
            | Rule::proxy_kw
            | Rule::if_stmt
            | Rule::if_kw
            | Rule::let_stmt
            | Rule::let_kw
            | Rule::rate_limit_stmt
            | Rule::rate_limit_kw
            | Rule::max_in_flight_stmt
            | Rule::max_in_flight_kw
            | Rule::cache_stmt
            | Rule::cache_kw
            | Rule::purge_stmt
            | Rule::purge_kw
            | Rule::verify_jwt_stmt
            | Rule::verify_jwt_kw
            | Rule::verify_basic_stmt
            | Rule::verify_basic_kw
            | Rule::verify_forward_stmt
            | Rule::verify_forward_kw
            | Rule::compress_stmt
            | Rule::compress_kw
    )
}

/// Where an expression starting at `pos` ends (without trailing white space or comments), if
/// one starts there.
fn expression_end(source: &str, pos: usize) -> Option<usize> {
    let rest = source.get(pos..)?;
    let pair = PxyParser::parse(Rule::expr, rest).ok()?.next()?;
    let span = pair.as_span();
    let end = crate::comments::tight_end(rest, span.start(), span.end());
    (end > 0).then_some(pos + end)
}
