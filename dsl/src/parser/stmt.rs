//! Blocks and statements.

use pest::iterators::Pair;

use super::{expr, inner, no_keywords, Cx, Rule};
use crate::ast::*;
use crate::error::ParseError;

/// `block = { "{" ~ stmt* ~ "}" }`
pub(super) fn block(cx: Cx, pair: Pair<'_, Rule>) -> Result<Block, ParseError> {
    let whole = cx.span(&pair);
    let stmts = inner(pair).map(|p| stmt(cx, p)).collect::<Result<_, _>>()?;
    Ok(Block { stmts, span: whole })
}

pub(super) fn stmt(cx: Cx, pair: Pair<'_, Rule>) -> Result<Stmt, ParseError> {
    let whole = cx.span(&pair);
    let rule = pair.as_rule();
    let mut parts = no_keywords(pair);
    let mut next = || parts.next().expect("grammar: statement part");
    let kind = match rule {
        Rule::set_stmt => StmtKind::Set {
            place: place(cx, next())?,
            value: expr::expr(cx, next())?,
        },
        Rule::add_stmt => StmtKind::Add {
            place: place(cx, next())?,
            value: expr::expr(cx, next())?,
        },
        Rule::remove_stmt => StmtKind::Remove {
            place: place(cx, next())?,
        },
        Rule::respond_stmt => {
            let first = inner(next())
                .next()
                .expect("grammar: a status has one part");
            let status = if first.as_rule() == Rule::int_lit {
                Status::Literal(cx.int_lit(&first)?)
            } else {
                let span = cx.span(&first);
                Status::Field(Expr {
                    kind: ExprKind::Path(inner(first).map(|p| cx.ident(p)).collect()),
                    span,
                })
            };
            let mut body = None;
            let mut headers = Vec::new();
            for part in parts {
                match part.as_rule() {
                    Rule::respond_headers => headers = header_entries(cx, part)?,
                    _ => body = Some(expr::expr(cx, part)?),
                }
            }
            StmtKind::Respond {
                status,
                body,
                headers,
            }
        }
        Rule::redirect_stmt => {
            let first = next();
            let (status, location) = if first.as_rule() == Rule::int_lit {
                (Some(cx.int_lit(&first)?), expr::expr(cx, next())?)
            } else {
                (None, expr::expr(cx, first)?)
            };
            StmtKind::Redirect { status, location }
        }
        Rule::strip_prefix_stmt => StmtKind::StripPrefix(expr::expr(cx, next())?),
        Rule::rewrite_stmt => StmtKind::RewritePath(expr::expr(cx, next())?),
        Rule::proxy_stmt => StmtKind::Proxy(cx.ident(next())),
        Rule::let_stmt => StmtKind::Let {
            name: cx.ident(next()),
            value: expr::expr(cx, next())?,
        },
        Rule::verify_jwt_stmt => StmtKind::VerifyJwt(cx.ident(next())),
        Rule::verify_basic_stmt => StmtKind::VerifyBasic(cx.ident(next())),
        Rule::verify_forward_stmt => StmtKind::VerifyForward(cx.ident(next())),
        Rule::compress_stmt => StmtKind::Compress(
            parts
                .map(|p| super::items::setting(cx, p))
                .collect::<Result<_, _>>()?,
        ),
        Rule::rate_limit_stmt => StmtKind::RateLimit {
            limit: cx.ident(next()),
            otherwise: parts
                .next()
                .map(|p| stmt(cx, p).map(Box::new))
                .transpose()?,
        },
        Rule::cache_stmt => StmtKind::Cache {
            cache: cx.ident(next()),
            settings: parts
                .map(|p| super::items::setting(cx, p))
                .collect::<Result<_, _>>()?,
        },
        Rule::purge_stmt => StmtKind::Purge {
            cache: cx.ident(next()),
            scope: match parts.next() {
                Some(word) => Some(PurgeScope {
                    by: if word.as_str() == "prefix" {
                        PurgeBy::Prefix
                    } else {
                        PurgeBy::Tag
                    },
                    by_span: cx.span(&word),
                    value: expr::expr(cx, parts.next().expect("grammar: purge value"))?,
                }),
                None => None,
            },
        },
        Rule::max_in_flight_stmt => {
            let max = cx.int_lit(&next())?;
            let (mut key, mut queue, mut otherwise) = (None, None, None);
            for part in parts {
                match part.as_rule() {
                    Rule::expr => key = Some(expr::expr(cx, part)?),
                    Rule::duration_lit => queue = Some(expr::literal(cx, part)?),
                    Rule::by_word | Rule::queue_word => {}
                    _ => otherwise = Some(Box::new(stmt(cx, part)?)),
                }
            }
            StmtKind::MaxInFlight {
                max,
                key,
                queue,
                otherwise,
            }
        }
        Rule::if_stmt => {
            let cond = expr::expr(cx, next())?;
            let mut part = next();
            let captures = if part.as_rule() == Rule::ident {
                let name = cx.ident(part);
                part = next();
                Some(name)
            } else {
                None
            };
            let then = block(cx, part)?;
            let else_ = match parts.next() {
                None => None,
                Some(p) if p.as_rule() == Rule::block => Some(Box::new(Else::Block(block(cx, p)?))),
                Some(p) => Some(Box::new(Else::If(stmt(cx, p)?))),
            };
            StmtKind::If {
                cond,
                captures,
                then,
                else_,
            }
        }
        other => unreachable!("grammar: {other:?} is not a statement"),
    };
    Ok(Stmt { kind, span: whole })
}

fn header_entries(cx: Cx, pair: Pair<'_, Rule>) -> Result<Vec<HeaderEntry>, ParseError> {
    no_keywords(pair)
        .map(|entry| {
            let whole = cx.span(&entry);
            let mut parts = inner(entry);
            let name = expr::plain_string(cx, parts.next().expect("grammar: header name"))?;
            let value = expr::expr(cx, parts.next().expect("grammar: header value"))?;
            Ok(HeaderEntry {
                name,
                value,
                span: whole,
            })
        })
        .collect()
}

/// `place = { dotted ~ ("[" ~ expr ~ "]")? }`
fn place(cx: Cx, pair: Pair<'_, Rule>) -> Result<Place, ParseError> {
    let whole = cx.span(&pair);
    let mut parts = inner(pair);
    let path = inner(parts.next().expect("grammar: dotted"))
        .map(|p| cx.ident(p))
        .collect();
    let key = parts.next().map(|p| expr::expr(cx, p)).transpose()?;
    Ok(Place {
        path,
        key,
        span: whole,
    })
}
