//! Expressions and literals. Operator precedence is climbed here over the flat operand/operator
//! list the grammar yields, with the binding powers of [`BinOp::precedence`].

use pest::iterators::Pair;

use super::{inner, Cx, Rule};
use crate::ast::*;
use crate::error::{ParseError, ParseErrorKind};
use crate::Span;

/// `expr = { prefix* ~ operand ~ (infix ~ prefix* ~ operand)* }`
pub(super) fn expr(cx: Cx, pair: Pair<'_, Rule>) -> Result<Expr, ParseError> {
    let mut operands: Vec<Expr> = Vec::new();
    let mut ops: Vec<(BinOp, Span)> = Vec::new();
    let mut nots: Vec<Span> = Vec::new();
    for part in inner(pair) {
        match part.as_rule() {
            Rule::op_not => {
                if nots.len() == super::MAX_OPERATORS {
                    return Err(ParseError {
                        span: cx.span(&part),
                        kind: ParseErrorKind::TooDeep,
                    });
                }
                nots.push(cx.span(&part))
            }
            Rule::operand => {
                let mut e = operand(cx, part)?;
                while let Some(not_span) = nots.pop() {
                    e = Expr {
                        span: not_span.to(e.span),
                        kind: ExprKind::Not(Box::new(e)),
                    };
                }
                operands.push(e);
            }
            rule => {
                if ops.len() == super::MAX_OPERATORS {
                    return Err(ParseError {
                        span: cx.span(&part),
                        kind: ParseErrorKind::TooDeep,
                    });
                }
                ops.push((bin_op(rule), cx.span(&part)))
            }
        }
    }
    let mut operands = operands.into_iter();
    let first = operands
        .next()
        .expect("grammar: an expression has an operand");
    let mut rest = ops.into_iter().zip(operands).peekable();
    Ok(climb(first, &mut rest, 0))
}

/// Precedence climbing: folds operators binding tighter than `min` into `lhs`.
fn climb(
    mut lhs: Expr,
    rest: &mut std::iter::Peekable<impl Iterator<Item = ((BinOp, Span), Expr)>>,
    min: u8,
) -> Expr {
    while let Some(&((op, _), _)) = rest.peek() {
        if op.precedence() < min {
            break;
        }
        let ((op, op_span), mut rhs) = rest.next().expect("peeked");
        while let Some(&((next, _), _)) = rest.peek() {
            if next.precedence() > op.precedence() {
                rhs = climb(rhs, rest, op.precedence() + 1);
            } else {
                break;
            }
        }
        lhs = Expr {
            span: lhs.span.to(rhs.span),
            kind: ExprKind::Binary {
                op,
                op_span,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
        };
    }
    lhs
}

fn bin_op(rule: Rule) -> BinOp {
    match rule {
        Rule::op_or => BinOp::Or,
        Rule::op_and => BinOp::And,
        Rule::op_coalesce => BinOp::Coalesce,
        Rule::op_eq => BinOp::Eq,
        Rule::op_ne => BinOp::Ne,
        Rule::op_lt => BinOp::Lt,
        Rule::op_le => BinOp::Le,
        Rule::op_gt => BinOp::Gt,
        Rule::op_ge => BinOp::Ge,
        Rule::op_starts_with => BinOp::StartsWith,
        Rule::op_ends_with => BinOp::EndsWith,
        Rule::op_contains => BinOp::Contains,
        Rule::op_matches => BinOp::Matches,
        Rule::op_in => BinOp::In,
        Rule::op_mod => BinOp::Mod,
        other => unreachable!("grammar: {other:?} is not an operator"),
    }
}

/// `operand = { primary ~ postfix* }`
fn operand(cx: Cx, pair: Pair<'_, Rule>) -> Result<Expr, ParseError> {
    let mut parts = inner(pair);
    let mut e = primary(cx, parts.next().expect("grammar: primary"))?;
    for index in parts {
        let key_pair = inner(index).next().expect("grammar: index expression");
        let key = expr(cx, key_pair)?;
        e = Expr {
            span: e
                .span
                .to(key.span)
                .to(Span::new(key.span.end, key.span.end + 1)),
            kind: ExprKind::Index {
                base: Box::new(e),
                key: Box::new(key),
            },
        };
    }
    Ok(e)
}

fn primary(cx: Cx, pair: Pair<'_, Rule>) -> Result<Expr, ParseError> {
    let whole = cx.span(&pair);
    let kind = match pair.as_rule() {
        Rule::expr => return expr(cx, pair),
        Rule::call => {
            let mut parts = inner(pair);
            let func = cx.ident(parts.next().expect("grammar: function name"));
            let args = parts.map(|p| expr(cx, p)).collect::<Result<_, _>>()?;
            ExprKind::Call { func, args }
        }
        Rule::dotted => ExprKind::Path(inner(pair).map(|p| cx.ident(p)).collect()),
        Rule::list => ExprKind::List(inner(pair).map(|p| expr(cx, p)).collect::<Result<_, _>>()?),
        _ => return literal(cx, pair),
    };
    Ok(Expr { kind, span: whole })
}

/// Any literal rule.
pub(super) fn literal(cx: Cx, pair: Pair<'_, Rule>) -> Result<Expr, ParseError> {
    let whole = cx.span(&pair);
    let text = pair.as_str();
    let kind = match pair.as_rule() {
        Rule::string => ExprKind::Str(string_parts(cx, pair)?),
        Rule::regex_lit => ExprKind::Regex(regex_text(cx, pair).value),
        Rule::int_lit => ExprKind::Int(number(text, whole)?),
        Rule::duration_lit => {
            let (digits, unit) = split_unit(text);
            let factor = match unit {
                "ms" => 1,
                "s" => 1_000,
                "m" => 60_000,
                "h" => 3_600_000,
                _ => 86_400_000,
            };
            ExprKind::Duration(scaled(number(digits, whole)?, factor, whole)?)
        }
        Rule::size_lit => {
            let (digits, unit) = split_unit(text);
            let factor = match unit {
                "B" => 1,
                "KB" => 1_000,
                "MB" => 1_000_000,
                "GB" => 1_000_000_000,
                "KiB" => 1 << 10,
                "MiB" => 1 << 20,
                _ => 1 << 30,
            };
            ExprKind::Size(scaled(number(digits, whole)?, factor, whole)?)
        }
        Rule::bool_lit => ExprKind::Bool(text == "true"),
        Rule::method_lit => ExprKind::Method(text.to_string()),
        Rule::ip_lit => ExprKind::Ip(text.trim_matches(['[', ']']).to_string()),
        Rule::cidr_lit => ExprKind::Cidr(text.replace(['[', ']'], "")),
        other => unreachable!("grammar: {other:?} is not a literal"),
    };
    Ok(Expr { kind, span: whole })
}

fn split_unit(text: &str) -> (&str, &str) {
    let at = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    text.split_at(at)
}

fn number(digits: &str, span: Span) -> Result<u64, ParseError> {
    digits.parse().map_err(|_| ParseError {
        span,
        kind: ParseErrorKind::IntTooLarge,
    })
}

fn scaled(value: u64, factor: u64, span: Span) -> Result<u64, ParseError> {
    value.checked_mul(factor).ok_or(ParseError {
        span,
        kind: ParseErrorKind::IntTooLarge,
    })
}

/// The parts of a string literal, escapes resolved.
fn string_parts(cx: Cx, pair: Pair<'_, Rule>) -> Result<Vec<StrPart>, ParseError> {
    let mut parts: Vec<StrPart> = Vec::new();
    let push_text = |parts: &mut Vec<StrPart>, s: &str| match parts.last_mut() {
        Some(StrPart::Text(t)) => t.push_str(s),
        _ => parts.push(StrPart::Text(s.to_string())),
    };
    for part in inner(pair) {
        match part.as_rule() {
            Rule::str_text => push_text(&mut parts, part.as_str()),
            Rule::str_brace => push_text(&mut parts, &part.as_str()[..1]),
            Rule::str_escape => {
                let c = match &part.as_str()[1..] {
                    "n" => "\n",
                    "t" => "\t",
                    "r" => "\r",
                    other => other,
                };
                push_text(&mut parts, c)
            }
            Rule::interp => {
                let e = expr(
                    cx,
                    inner(part)
                        .next()
                        .expect("grammar: interpolated expression"),
                )?;
                parts.push(StrPart::Interp(e));
            }
            _ => {}
        }
    }
    Ok(parts)
}

/// A string that must not interpolate (route matchers, header names): its text and span.
pub(super) fn plain_string(cx: Cx, pair: Pair<'_, Rule>) -> Result<Text, ParseError> {
    let whole = cx.span(&pair);
    let mut value = String::new();
    for part in string_parts(cx, pair)? {
        match part {
            StrPart::Text(t) => value.push_str(&t),
            StrPart::Interp(e) => {
                return Err(ParseError {
                    span: e.span,
                    kind: ParseErrorKind::InterpolationNotAllowed,
                })
            }
        }
    }
    Ok(Text { value, span: whole })
}

/// The source of a regex literal, without its slashes; `\/` becomes `/`.
pub(super) fn regex_text(cx: Cx, pair: Pair<'_, Rule>) -> Text {
    let whole = cx.span(&pair);
    let body = inner(pair)
        .find(|p| p.as_rule() == Rule::regex_body)
        .map(|p| p.as_str())
        .unwrap_or("");
    Text {
        value: body.replace("\\/", "/"),
        span: whole,
    }
}
