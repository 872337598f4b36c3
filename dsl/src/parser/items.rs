//! Top-level declarations: listeners, upstreams, routes and `on` blocks.

use pest::iterators::Pair;

use super::{expr, inner, no_keywords, stmt, Cx, Rule};
use crate::ast::*;
use crate::error::ParseError;

/// `program = { SOI ~ item* ~ EOI }`
pub(super) fn program(cx: Cx, pair: Pair<'_, Rule>) -> Result<ParsedProgram, ParseError> {
    let mut items = Vec::new();
    for item in inner(pair) {
        match item.as_rule() {
            Rule::include_decl => {
                let span = cx.span(&item);
                let path =
                    expr::plain_string(cx, no_keywords(item).next().expect("grammar: path"))?;
                items.push(Item::Include(Include { path, span }));
            }
            Rule::server_block => items.push(Item::Server(server_block(cx, item)?)),
            Rule::listen_decl => items.push(Item::Listen(listen(cx, item)?)),
            Rule::upstream_decl => items.push(Item::Upstream(upstream(cx, item)?)),
            Rule::limit_decl => items.push(Item::Limit(limit(cx, item)?)),
            Rule::data_decl => items.push(Item::Data(data(cx, item)?)),
            Rule::cache_decl => items.push(Item::Cache(cache(cx, item)?)),
            Rule::jwt_decl => items.push(Item::Jwt(jwt(cx, item)?)),
            Rule::basic_auth_decl => items.push(Item::BasicAuth(basic_auth(cx, item)?)),
            Rule::forward_auth_decl => items.push(Item::ForwardAuth(forward_auth(cx, item)?)),
            Rule::route_decl => items.push(Item::Route(route(cx, item)?)),
            Rule::on_decl => items.push(Item::On(on_block(cx, item)?)),
            Rule::test_decl => items.push(Item::Test(super::test_decl::test(cx, item)?)),
            _ => {}
        }
    }
    Ok(ParsedProgram { items })
}

fn listen(cx: Cx, pair: Pair<'_, Rule>) -> Result<Listen, ParseError> {
    let whole = cx.span(&pair);
    let mut it = no_keywords(pair);
    let protocol = cx.ident(it.next().expect("grammar: protocol"));
    let addr = cx.text(&it.next().expect("grammar: address"));
    let tls = it.map(|p| listen_item(cx, p)).collect::<Result<_, _>>()?;
    Ok(Listen {
        protocol,
        addr,
        tls,
        span: whole,
    })
}

/// A line of a listener's block; the leading word (`cert`, `key`, ...) is skipped.
fn listen_item(cx: Cx, pair: Pair<'_, Rule>) -> Result<ListenItem, ParseError> {
    let item_span = cx.span(&pair);
    let rule = pair.as_rule();
    let mut parts = inner(pair).filter(|p| {
        !matches!(
            p.as_rule(),
            Rule::cert_word
                | Rule::key_word
                | Rule::alpn_word
                | Rule::client_ca_word
                | Rule::proxy_protocol_word
                | Rule::trust_proxies_word
        )
    });
    Ok(match rule {
        Rule::cert_decl => ListenItem::Cert {
            cert: expr::plain_string(cx, parts.next().expect("grammar: certificate"))?,
            key: expr::plain_string(cx, parts.next().expect("grammar: key"))?,
            span: item_span,
        },
        Rule::alpn_decl => ListenItem::Alpn {
            protocols: parts.map(|p| cx.text(&p)).collect(),
            span: item_span,
        },
        Rule::proxy_protocol_decl => ListenItem::ProxyProtocol { span: item_span },
        Rule::trust_proxies_decl => ListenItem::TrustProxies {
            addrs: parts
                .map(|p| expr::literal(cx, p))
                .collect::<Result<_, _>>()?,
            span: item_span,
        },
        _ => ListenItem::ClientCa {
            ca: expr::plain_string(cx, parts.next().expect("grammar: CA file"))?,
            mode: cx.ident(parts.next().expect("grammar: mode")),
            span: item_span,
        },
    })
}

fn upstream(cx: Cx, pair: Pair<'_, Rule>) -> Result<UpstreamDecl, ParseError> {
    let whole = cx.span(&pair);
    let mut it = no_keywords(pair);
    let name = cx.ident(it.next().expect("grammar: upstream name"));
    let mut items = Vec::new();
    for item in it {
        let item_span = cx.span(&item);
        match item.as_rule() {
            Rule::server_decl => {
                let mut parts = no_keywords(item.clone());
                let addr = cx.text(&parts.next().expect("grammar: server address"));
                let weight = parts.next().map(|w| cx.int_lit(&w)).transpose()?;
                let backup = inner(item).any(|p| p.as_rule() == Rule::backup_kw);
                items.push(UpstreamItem::Server(ServerDecl {
                    addr,
                    weight,
                    backup,
                    span: item_span,
                }));
            }
            Rule::balance_decl => {
                let mut parts = no_keywords(item);
                let policy = cx.ident(parts.next().expect("grammar: policy"));
                let key = parts.next().map(|p| expr::expr(cx, p)).transpose()?;
                items.push(UpstreamItem::Balance {
                    policy,
                    key,
                    span: item_span,
                });
            }
            Rule::discover_decl => {
                let mut parts = no_keywords(item);
                let kind = cx.ident(parts.next().expect("grammar: discovery kind"));
                let target = expr::plain_string(cx, parts.next().expect("grammar: target"))?;
                let options = parts.map(|p| setting(cx, p)).collect::<Result<_, _>>()?;
                items.push(UpstreamItem::Discover {
                    kind,
                    target,
                    options,
                    span: item_span,
                });
            }
            Rule::health_decl => {
                let mut parts = no_keywords(item).peekable();
                let kind = cx.ident(parts.next().expect("grammar: probe kind"));
                let request = match parts.peek().map(|p| p.as_rule()) {
                    Some(Rule::method_lit) => {
                        let method = cx.ident(parts.next().expect("peeked"));
                        let path =
                            expr::plain_string(cx, parts.next().expect("grammar: probe path"))?;
                        Some((method, path))
                    }
                    _ => None,
                };
                let options = parts.map(|p| setting(cx, p)).collect::<Result<_, _>>()?;
                items.push(UpstreamItem::Health {
                    kind,
                    request,
                    options,
                    span: item_span,
                });
            }
            Rule::passive_decl => {
                let options = no_keywords(item)
                    .map(|p| setting(cx, p))
                    .collect::<Result<_, _>>()?;
                items.push(UpstreamItem::Passive {
                    options,
                    span: item_span,
                });
            }
            Rule::upstream_setting => items.push(UpstreamItem::Setting(setting(cx, item)?)),
            _ => {}
        }
    }
    Ok(UpstreamDecl {
        name,
        items,
        span: whole,
    })
}

/// `NAME VALUE` or `NAME VALUE, VALUE, ...` (whose values become a list), where a value
/// that is a bare word becomes a one-segment path.
pub(super) fn setting(cx: Cx, pair: Pair<'_, Rule>) -> Result<Setting, ParseError> {
    let whole = cx.span(&pair);
    let mut parts = inner(pair);
    let name = cx.ident(parts.next().expect("grammar: setting name"));
    let mut values = parts
        .map(|p| setting_value(cx, p))
        .collect::<Result<Vec<_>, _>>()?;
    let value = match values.as_slice() {
        [first, .., last] => Expr {
            span: crate::Span::new(first.span.start, last.span.end),
            kind: ExprKind::List(values),
        },
        _ => values.pop().expect("grammar: setting value"),
    };
    Ok(Setting {
        name,
        value,
        span: whole,
    })
}

fn setting_value(cx: Cx, pair: Pair<'_, Rule>) -> Result<Expr, ParseError> {
    if pair.as_rule() == Rule::expr {
        return expr::expr(cx, pair);
    }
    if matches!(pair.as_rule(), Rule::ident | Rule::on_kw) {
        let word = cx.ident(pair);
        return Ok(Expr {
            span: word.span,
            kind: ExprKind::Path(vec![word]),
        });
    }
    expr::literal(cx, pair)
}

/// `server { NAME VALUE ... }`
fn server_block(cx: Cx, pair: Pair<'_, Rule>) -> Result<ServerBlock, ParseError> {
    let whole = cx.span(&pair);
    let mut settings = Vec::new();
    for line in no_keywords(pair) {
        let span = cx.span(&line);
        let mut parts = inner(line);
        let name = cx.ident(parts.next().expect("grammar: setting name"));
        let value = parts.next().expect("grammar: setting value");
        let value = match value.as_rule() {
            Rule::socket_addr => ServerValue::Address(cx.text(&value)),
            _ => ServerValue::Value(setting_value(cx, value)?),
        };
        settings.push(ServerSetting { name, value, span });
    }
    Ok(ServerBlock {
        settings,
        span: whole,
    })
}

/// `limit NAME = N per DURATION OPTION* by KEY`
fn limit(cx: Cx, pair: Pair<'_, Rule>) -> Result<LimitDecl, ParseError> {
    let whole = cx.span(&pair);
    let mut name = None;
    let mut requests = None;
    let mut period = None;
    let mut options = Vec::new();
    let mut key = None;
    for part in no_keywords(pair) {
        match part.as_rule() {
            Rule::ident => name = Some(cx.ident(part)),
            Rule::int_lit => requests = Some(cx.int_lit(&part)?),
            Rule::duration_lit => period = Some(expr::literal(cx, part)?),
            Rule::limit_option => options.push(setting(cx, part)?),
            Rule::expr => key = Some(expr::expr(cx, part)?),
            _ => {}
        }
    }
    Ok(LimitDecl {
        name: name.expect("grammar: limit name"),
        requests: requests.expect("grammar: limit requests"),
        period: period.expect("grammar: limit period"),
        options,
        key: key.expect("grammar: limit key"),
        span: whole,
    })
}

/// `list NAME: TYPE from file "PATH"`, `flag NAME from file "PATH"`
fn data(cx: Cx, pair: Pair<'_, Rule>) -> Result<DataDecl, ParseError> {
    let whole = cx.span(&pair);
    let decl = pair.into_inner().next().expect("grammar: list or flag");
    let is_list = decl.as_rule() == Rule::list_decl;
    let mut parts = decl
        .into_inner()
        .filter(|p| matches!(p.as_rule(), Rule::ident | Rule::string));
    let name = cx.ident(parts.next().expect("grammar: data name"));
    let kind = match is_list {
        true => DataKind::List {
            element: cx.ident(parts.next().expect("grammar: list type")),
        },
        false => DataKind::Flag,
    };
    let path = expr::plain_string(cx, parts.next().expect("grammar: data path"))?;
    Ok(DataDecl {
        kind,
        name,
        path,
        span: whole,
    })
}

/// `cache NAME { SETTING* }`
fn cache(cx: Cx, pair: Pair<'_, Rule>) -> Result<CacheDecl, ParseError> {
    let whole = cx.span(&pair);
    let mut parts = no_keywords(pair);
    let name = cx.ident(parts.next().expect("grammar: cache name"));
    let settings = parts.map(|p| setting(cx, p)).collect::<Result<_, _>>()?;
    Ok(CacheDecl {
        name,
        settings,
        span: whole,
    })
}

/// `jwt NAME { OPTION VALUE ... }`
fn jwt(cx: Cx, pair: Pair<'_, Rule>) -> Result<JwtDecl, ParseError> {
    let span = cx.span(&pair);
    let mut parts = no_keywords(pair);
    let name = cx.ident(parts.next().expect("grammar: jwt name"));
    let options = parts.map(|p| setting(cx, p)).collect::<Result<_, _>>()?;
    Ok(JwtDecl {
        name,
        options,
        span,
    })
}

/// `basic_auth NAME { OPTION VALUE ... }`
fn basic_auth(cx: Cx, pair: Pair<'_, Rule>) -> Result<BasicAuthDecl, ParseError> {
    let span = cx.span(&pair);
    let mut parts = no_keywords(pair);
    let name = cx.ident(parts.next().expect("grammar: basic_auth name"));
    let options = parts.map(|p| setting(cx, p)).collect::<Result<_, _>>()?;
    Ok(BasicAuthDecl {
        name,
        options,
        span,
    })
}

/// `forward_auth NAME { OPTION VALUE[, VALUE...] ... }`
fn forward_auth(cx: Cx, pair: Pair<'_, Rule>) -> Result<ForwardAuthDecl, ParseError> {
    let span = cx.span(&pair);
    let mut parts = no_keywords(pair);
    let name = cx.ident(parts.next().expect("grammar: forward_auth name"));
    let options = parts.map(|p| setting(cx, p)).collect::<Result<_, _>>()?;
    Ok(ForwardAuthDecl {
        name,
        options,
        span,
    })
}

fn route(cx: Cx, pair: Pair<'_, Rule>) -> Result<Route, ParseError> {
    let whole = cx.span(&pair);
    let mut matchers = Vec::new();
    let mut name = None;
    let mut body = None;
    let mut on = Vec::new();
    let mut head_end = whole.start;
    for part in inner(pair) {
        match part.as_rule() {
            Rule::route_kw => head_end = cx.span(&part).end,
            Rule::string => {
                let text = expr::plain_string(cx, part)?;
                head_end = text.span.end;
                name = Some(text);
            }
            Rule::route_body => {
                let span = cx.span(&part);
                let mut stmts = Vec::new();
                for inside in inner(part) {
                    match inside.as_rule() {
                        Rule::on_decl => on.push(on_block(cx, inside)?),
                        _ => stmts.push(stmt::stmt(cx, inside)?),
                    }
                }
                body = Some(Block { stmts, span });
            }
            _ => {
                let m = matcher(cx, part)?;
                head_end = m.span.end;
                matchers.push(m);
            }
        }
    }
    Ok(Route {
        name,
        matchers,
        body: body.expect("grammar: route body"),
        on,
        head_span: crate::Span::new(whole.start, head_end),
        span: whole,
    })
}

fn matcher(cx: Cx, pair: Pair<'_, Rule>) -> Result<Matcher, ParseError> {
    let whole = cx.span(&pair);
    let rule = pair.as_rule();
    let mut parts = no_keywords(pair);
    let kind = match rule {
        Rule::host_matcher => {
            MatcherKind::Host(expr::plain_string(cx, parts.next().expect("grammar"))?)
        }
        Rule::path_matcher => {
            MatcherKind::PathPrefix(expr::plain_string(cx, parts.next().expect("grammar"))?)
        }
        Rule::path_regex_matcher => MatcherKind::PathRegex {
            regex: expr::regex_text(cx, parts.next().expect("grammar: regex")),
            captures: parts.next().map(|p| cx.ident(p)),
        },
        Rule::method_matcher => MatcherKind::Method(parts.map(|p| cx.ident(p)).collect()),
        Rule::header_matcher => {
            let name = expr::plain_string(cx, parts.next().expect("grammar: header name"))?;
            let value = parts
                .next()
                .map(|p| expr::plain_string(cx, p))
                .transpose()?;
            MatcherKind::Header { name, value }
        }
        other => unreachable!("grammar: {other:?} is not a matcher"),
    };
    Ok(Matcher { kind, span: whole })
}

fn on_block(cx: Cx, pair: Pair<'_, Rule>) -> Result<OnBlock, ParseError> {
    let whole = cx.span(&pair);
    let mut it = no_keywords(pair);
    let phase = cx.ident(it.next().expect("grammar: phase"));
    let body = stmt::block(cx, it.next().expect("grammar: block"))?;
    Ok(OnBlock {
        phase,
        body,
        span: whole,
    })
}
