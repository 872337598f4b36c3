//! Blocks and statements.

use pest::iterators::Pair;

use super::{expr, inner, int_lit, items::ident_of, no_keywords, span, Rule};
use crate::ast::*;
use crate::error::ParseError;

/// `block = { "{" ~ stmt* ~ "}" }`
pub(super) fn block(pair: Pair<'_, Rule>) -> Result<Block, ParseError> {
    let whole = span(&pair);
    let stmts = inner(pair).map(stmt).collect::<Result<_, _>>()?;
    Ok(Block { stmts, span: whole })
}

fn stmt(pair: Pair<'_, Rule>) -> Result<Stmt, ParseError> {
    let whole = span(&pair);
    let rule = pair.as_rule();
    let mut parts = no_keywords(pair);
    let mut next = || parts.next().expect("grammar: statement part");
    let kind = match rule {
        Rule::set_stmt => StmtKind::Set {
            place: place(next())?,
            value: expr::expr(next())?,
        },
        Rule::add_stmt => StmtKind::Add {
            place: place(next())?,
            value: expr::expr(next())?,
        },
        Rule::remove_stmt => StmtKind::Remove {
            place: place(next())?,
        },
        Rule::respond_stmt => {
            let first = inner(next())
                .next()
                .expect("grammar: a status has one part");
            let status = if first.as_rule() == Rule::int_lit {
                Status::Literal(int_lit(&first)?)
            } else {
                let span = super::span(&first);
                Status::Field(Expr {
                    kind: ExprKind::Path(inner(first).map(ident_of).collect()),
                    span,
                })
            };
            let mut body = None;
            let mut headers = Vec::new();
            for part in parts {
                match part.as_rule() {
                    Rule::respond_headers => headers = header_entries(part)?,
                    _ => body = Some(expr::expr(part)?),
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
                (Some(int_lit(&first)?), expr::expr(next())?)
            } else {
                (None, expr::expr(first)?)
            };
            StmtKind::Redirect { status, location }
        }
        Rule::strip_prefix_stmt => StmtKind::StripPrefix(expr::expr(next())?),
        Rule::rewrite_stmt => StmtKind::RewritePath(expr::expr(next())?),
        Rule::proxy_stmt => StmtKind::Proxy(ident_of(next())),
        Rule::let_stmt => StmtKind::Let {
            name: ident_of(next()),
            value: expr::expr(next())?,
        },
        Rule::if_stmt => {
            let cond = expr::expr(next())?;
            let mut part = next();
            let captures = if part.as_rule() == Rule::ident {
                let name = ident_of(part);
                part = next();
                Some(name)
            } else {
                None
            };
            let then = block(part)?;
            let else_ = match parts.next() {
                None => None,
                Some(p) if p.as_rule() == Rule::block => Some(Box::new(Else::Block(block(p)?))),
                Some(p) => Some(Box::new(Else::If(stmt(p)?))),
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

fn header_entries(pair: Pair<'_, Rule>) -> Result<Vec<HeaderEntry>, ParseError> {
    no_keywords(pair)
        .map(|entry| {
            let whole = span(&entry);
            let mut parts = inner(entry);
            let name = expr::plain_string(parts.next().expect("grammar: header name"))?;
            let value = expr::expr(parts.next().expect("grammar: header value"))?;
            Ok(HeaderEntry {
                name,
                value,
                span: whole,
            })
        })
        .collect()
}

/// `place = { dotted ~ ("[" ~ expr ~ "]")? }`
fn place(pair: Pair<'_, Rule>) -> Result<Place, ParseError> {
    let whole = span(&pair);
    let mut parts = inner(pair);
    let path = inner(parts.next().expect("grammar: dotted"))
        .map(ident_of)
        .collect();
    let key = parts.next().map(expr::expr).transpose()?;
    Ok(Place {
        path,
        key,
        span: whole,
    })
}
