//! `test "NAME" { ... }` blocks: the request, the stubs and the expectations.

use pest::iterators::Pair;

use super::{expr, inner, Cx, Rule};
use crate::ast::*;
use crate::error::ParseError;

/// The pairs of a test rule without its words (`send`, `expect`, `upstream`, ...), which
/// carry nothing once the rule is known.
fn parts(pair: Pair<'_, Rule>) -> impl Iterator<Item = Pair<'_, Rule>> {
    inner(pair).filter(|p| {
        !matches!(
            p.as_rule(),
            Rule::test_word
                | Rule::send_word
                | Rule::client_word
                | Rule::body_word
                | Rule::picks_word
                | Rule::fail_word
                | Rule::with_word
                | Rule::expect_word
                | Rule::reply_word
                | Rule::no_word
                | Rule::log_word
                | Rule::field_word
                | Rule::sni_word
                | Rule::cert_word
                | Rule::key_word
                | Rule::upstream_kw
                | Rule::server_kw
                | Rule::header_kw
                | Rule::path_kw
                | Rule::method_kw
                | Rule::contains_kw
                | Rule::times_word
                | Rule::user_word
                | Rule::password_word
                | Rule::jwt_word
                | Rule::cookie_word
                | Rule::kid_word
                | Rule::claim_word
                | Rule::expires_word
                | Rule::expired_word
                | Rule::replies_word
                | Rule::discovers_word
        )
    })
}

/// `test_decl = { test_word ~ string ~ "{" ~ test_item* ~ "}" }`
pub(super) fn test(cx: Cx, pair: Pair<'_, Rule>) -> Result<TestDecl, ParseError> {
    let span = cx.span(&pair);
    let mut it = parts(pair);
    let name = expr::plain_string(cx, it.next().expect("grammar: test name"))?;
    let items = it.map(|p| item(cx, p)).collect::<Result<_, _>>()?;
    Ok(TestDecl { name, items, span })
}

fn item(cx: Cx, pair: Pair<'_, Rule>) -> Result<TestItem, ParseError> {
    let span = cx.span(&pair);
    let rule = pair.as_rule();
    let mut it = parts(pair).peekable();
    Ok(match rule {
        Rule::test_send => TestItem::Send(TestSend {
            method: cx.ident(it.next().expect("grammar: method")),
            url: expr::plain_string(cx, it.next().expect("grammar: URL"))?,
            times: match it.peek().map(Pair::as_rule) {
                Some(Rule::test_times) => {
                    let times = parts(it.next().expect("peeked")).next();
                    Some(cx.int_lit(&times.expect("grammar: count"))?)
                }
                _ => None,
            },
            parts: it.map(|p| send_part(cx, p)).collect::<Result<_, _>>()?,
            span,
        }),
        Rule::test_replies => TestItem::Replies {
            upstream: cx.ident(it.next().expect("grammar: upstream")),
            reply: reply(cx, it, span)?,
        },
        Rule::test_pick => TestItem::Pick {
            upstream: cx.ident(it.next().expect("grammar: upstream")),
            server: cx.int_lit(&it.next().expect("grammar: server"))?,
            span,
        },
        Rule::test_discovers => TestItem::Discovers {
            upstream: cx.ident(it.next().expect("grammar: upstream")),
            servers: cx.int_lit(&it.next().expect("grammar: count"))?,
            span,
        },
        Rule::test_origin_cert => TestItem::OriginCert {
            upstream: cx.ident(it.next().expect("grammar: upstream")),
            cert: expr::plain_string(cx, it.next().expect("grammar: certificate"))?,
            key: expr::plain_string(cx, it.next().expect("grammar: key"))?,
            span,
        },
        Rule::test_fail => TestItem::Fail {
            upstream: cx.ident(it.next().expect("grammar: upstream")),
            kind: cx.ident(it.next().expect("grammar: failure")),
            span,
        },
        Rule::test_expect_upstream => TestItem::ExpectUpstream {
            upstream: cx.ident(it.next().expect("grammar: upstream")),
            server: match it.peek().map(Pair::as_rule) {
                Some(Rule::int_lit) => Some(cx.int_lit(&it.next().expect("peeked"))?),
                _ => None,
            },
            checks: it.map(|p| check(cx, p)).collect::<Result<_, _>>()?,
            span,
        },
        Rule::test_expect_log => TestItem::ExpectLog {
            checks: it.map(|p| check(cx, p)).collect::<Result<_, _>>()?,
            span,
        },
        Rule::test_reply => TestItem::Reply(reply(cx, it, span)?),
        _ => TestItem::Expect {
            status: cx.int_lit(&it.next().expect("grammar: status"))?,
            checks: it.map(|p| check(cx, p)).collect::<Result<_, _>>()?,
            span,
        },
    })
}

/// `STATUS ["BODY"] { header ... }` of `reply` and `upstream NAME replies`.
fn reply<'i>(
    cx: Cx,
    mut it: std::iter::Peekable<impl Iterator<Item = Pair<'i, Rule>>>,
    span: crate::Span,
) -> Result<TestReply, ParseError> {
    Ok(TestReply {
        status: cx.int_lit(&it.next().expect("grammar: status"))?,
        body: match it.peek().map(Pair::as_rule) {
            Some(Rule::string) => Some(expr::plain_string(cx, it.next().expect("peeked"))?),
            _ => None,
        },
        headers: it.map(|p| header(cx, p)).collect::<Result<_, _>>()?,
        span,
    })
}

fn send_part(cx: Cx, pair: Pair<'_, Rule>) -> Result<SendPart, ParseError> {
    Ok(match pair.as_rule() {
        Rule::test_header => SendPart::Header(header(cx, pair)?),
        Rule::test_client => SendPart::Client(cx.text(&parts(pair).next().expect("grammar: IP"))),
        Rule::test_sni => SendPart::Sni(expr::plain_string(
            cx,
            parts(pair).next().expect("grammar: name"),
        )?),
        Rule::test_cert => {
            let span = cx.span(&pair);
            let mut it = parts(pair);
            SendPart::Certificate {
                cert: expr::plain_string(cx, it.next().expect("grammar: certificate"))?,
                key: expr::plain_string(cx, it.next().expect("grammar: key"))?,
                span,
            }
        }
        Rule::test_user => {
            let span = cx.span(&pair);
            let mut it = parts(pair);
            SendPart::User {
                user: expr::plain_string(cx, it.next().expect("grammar: user"))?,
                password: expr::plain_string(cx, it.next().expect("grammar: password"))?,
                span,
            }
        }
        Rule::test_token => SendPart::Token(token(cx, pair)?),
        _ => SendPart::Body(expr::plain_string(
            cx,
            parts(pair).next().expect("grammar: body"),
        )?),
    })
}

/// `jwt ALG "KEY" [cookie "NAME"] { kid ... claim ... expires ... }`
fn token(cx: Cx, pair: Pair<'_, Rule>) -> Result<TestToken, ParseError> {
    let span = cx.span(&pair);
    let mut it = parts(pair).peekable();
    let alg = cx.ident(it.next().expect("grammar: algorithm"));
    let key = expr::plain_string(cx, it.next().expect("grammar: key file"))?;
    let cookie = match it.peek().map(Pair::as_rule) {
        Some(Rule::string) => Some(expr::plain_string(cx, it.next().expect("peeked"))?),
        _ => None,
    };
    let parts = it.map(|p| token_part(cx, p)).collect::<Result<_, _>>()?;
    Ok(TestToken {
        alg,
        key,
        cookie,
        parts,
        span,
    })
}

fn token_part(cx: Cx, pair: Pair<'_, Rule>) -> Result<TokenPart, ParseError> {
    let span = cx.span(&pair);
    let rule = pair.as_rule();
    let mut it = parts(pair);
    let mut next = || it.next().expect("grammar: an operand");
    Ok(match rule {
        Rule::test_kid => TokenPart::Kid(expr::plain_string(cx, next())?),
        Rule::test_claim => TokenPart::Claim {
            name: expr::plain_string(cx, next())?,
            value: expr::plain_string(cx, next())?,
            span,
        },
        Rule::test_expires => TokenPart::Expires(duration(cx, next(), span)?),
        _ => TokenPart::Expired(duration(cx, next(), span)?),
    })
}

/// A `duration_lit`, in milliseconds, spanning the line it is on.
fn duration(cx: Cx, pair: Pair<'_, Rule>, span: crate::Span) -> Result<TestDuration, ParseError> {
    match expr::literal(cx, pair)?.kind {
        ExprKind::Duration(millis) => Ok(TestDuration { millis, span }),
        _ => unreachable!("grammar: a duration literal"),
    }
}

fn header(cx: Cx, pair: Pair<'_, Rule>) -> Result<TestHeader, ParseError> {
    let span = cx.span(&pair);
    let mut it = parts(pair);
    Ok(TestHeader {
        name: expr::plain_string(cx, it.next().expect("grammar: name"))?,
        value: expr::plain_string(cx, it.next().expect("grammar: value"))?,
        span,
    })
}

fn check(cx: Cx, pair: Pair<'_, Rule>) -> Result<TestCheck, ParseError> {
    let span = cx.span(&pair);
    let rule = pair.as_rule();
    let contains = inner(pair.clone()).any(|p| {
        p.as_rule() == Rule::contains_kw || (p.as_rule() == Rule::test_compare && p.as_str() != "=")
    });
    let compare = match contains {
        true => Compare::Contains,
        false => Compare::Equals,
    };
    let mut it = parts(pair).filter(|p| p.as_rule() != Rule::test_compare);
    let mut next = || it.next().expect("grammar: a check's operand");
    let kind = match rule {
        Rule::test_path => TestCheckKind::Path(expr::plain_string(cx, next())?),
        Rule::test_method => TestCheckKind::Method(cx.ident(next())),
        Rule::test_has_header => TestCheckKind::Header {
            name: expr::plain_string(cx, next())?,
            compare,
            value: expr::plain_string(cx, next())?,
        },
        Rule::test_no_header => TestCheckKind::NoHeader(expr::plain_string(cx, next())?),
        Rule::test_has_field => TestCheckKind::Field {
            name: expr::plain_string(cx, next())?,
            compare,
            value: expr::plain_string(cx, next())?,
        },
        Rule::test_no_field => TestCheckKind::NoField(expr::plain_string(cx, next())?),
        _ => TestCheckKind::Body {
            compare,
            value: expr::plain_string(cx, next())?,
        },
    };
    Ok(TestCheck { kind, span })
}
