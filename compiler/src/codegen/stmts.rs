//! Statements, and the `request_filter` that runs `on request` then the matching route.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::exprs::Cx;
use super::names::Names;
use super::request_id_prelude;
use crate::typed::visit::{walk_expr, walk_stmts, Visit};
use crate::typed::{
    CaptureBinding, Func, Side, TypedExpr, TypedExprKind, TypedProgram, TypedStmt, TypedStmtKind,
};

/// `request_filter`: `on request`, then routing, then the route's body.
pub(crate) fn request_filter(program: &TypedProgram, names: &mut Names) -> TokenStream {
    let on_request = block(&program.on_request, names);
    let arms = program.routes.iter().enumerate().map(|(i, route)| {
        let bind = route.captures.as_ref().map(|b| capture_binding(b, names));
        let body = block(&route.body, names);
        quote! { Some(#i) => { #bind #body } }
    });
    let all: Vec<TypedStmt> = program
        .on_request
        .iter()
        .chain(program.routes.iter().flat_map(|r| r.body.iter()))
        .cloned()
        .collect();
    let rid = request_id_prelude(&all);
    quote! {
        async fn request_filter(&self, session: &mut Session, ctx: &mut Ctx) -> Result<Option<Response>> {
            #rid
            #on_request
            let route = self.select_route(session);
            ctx.route = route;
            match route {
                #(#arms)*
                _ => Ok(Some(Response::new(StatusCode::NOT_FOUND).with_body("no route\n"))),
            }
        }
    }
}

/// Matches a regex once and copies the groups a block uses into variables (owned, so the block
/// may change the request afterwards): `let (matched, g1, g2) = ...;`. Without groups, only
/// whether it matched.
pub(crate) fn capture_binding(b: &CaptureBinding, names: &mut Names) -> TokenStream {
    let mut cx = Cx { names };
    let subject = cx.str_(&b.subject);
    let re = format_ident!("regex_{}", b.regex);
    let matched = format_ident!("var_{}", b.matched);
    if b.groups.is_empty() {
        return quote! { let #matched = self.#re.is_match(&#subject); };
    }
    let vars = b.groups.iter().map(|(_, v)| format_ident!("var_{}", v));
    let found = b
        .groups
        .iter()
        .map(|(g, _)| quote! { c.get(#g).map_or_else(String::new, |g| g.as_str().to_owned()) });
    let empty = b.groups.iter().map(|_| quote! { String::new() });
    quote! {
        let (#matched, #(#vars),*) = {
            let subject = #subject;
            match self.#re.captures(&subject) {
                Some(c) => (true, #(#found),*),
                None => (false, #(#empty),*),
            }
        };
    }
}

/// A list of statements.
pub(crate) fn block(stmts: &[TypedStmt], names: &mut Names) -> TokenStream {
    let stmts = stmts.iter().map(|s| stmt(s, names));
    quote! { #(#stmts)* }
}

fn status(code: u16) -> TokenStream {
    quote! { StatusCode::from_u16(#code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR) }
}

pub(super) fn stmt(s: &TypedStmt, names: &mut Names) -> TokenStream {
    let s = &s.kind;
    let mut cx = Cx { names };
    match s {
        TypedStmtKind::SetHeader { side, name, value }
        | TypedStmtKind::AddHeader { side, name, value } => {
            let h = cx.names.header(name);
            let v = header_value(&mut cx, value);
            let map = headers_mut(*side);
            let method = if matches!(s, TypedStmtKind::SetHeader { .. }) {
                quote!(insert)
            } else {
                quote!(append)
            };
            quote! { { let value = #v; #map.#method(#h, value); } }
        }
        TypedStmtKind::RemoveHeader { side, name } => {
            let h = cx.names.header(name);
            let map = headers_mut(*side);
            quote! { #map.remove(&#h); }
        }
        TypedStmtKind::Respond {
            status: code,
            body,
            headers,
        } => {
            let st = match code {
                crate::typed::StatusValue::Literal(code) => status(*code),
                crate::typed::StatusValue::Expr(e) => {
                    let n = cx.number(e);
                    quote! { StatusCode::from_u16(u16::try_from(#n).unwrap_or(500)).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR) }
                }
            };
            let mut resp = quote! { Response::new(#st) };
            if let Some(body) = body {
                let b = match &body.kind {
                    TypedExprKind::Str(s) => quote! { #s },
                    _ => {
                        let s = cx.str_(body);
                        quote! { (#s).into_owned() }
                    }
                };
                resp = quote! { #resp.with_body(#b) };
                if !headers.iter().any(|(n, _)| n == "content-type") {
                    let h = cx.names.header("content-type");
                    let v = cx.names.value("text/plain; charset=utf-8");
                    resp = quote! { #resp.with_header(#h, #v) };
                }
            }
            for (name, value) in headers {
                let h = cx.names.header(name);
                let v = header_value(&mut cx, value);
                resp = quote! { #resp.with_header(#h, #v) };
            }
            quote! { return Ok(Some(#resp)); }
        }
        TypedStmtKind::Redirect {
            status: code,
            location,
        } => {
            let st = status(*code);
            let loc = cx.str_(location);
            quote! { return Ok(Some(Response::redirect(#st, &#loc)?)); }
        }
        TypedStmtKind::StripPrefix(prefix) => {
            let p = match &prefix.kind {
                TypedExprKind::Str(s) => quote! { #s },
                _ => {
                    let s = cx.str_(prefix);
                    quote! { &*#s }
                }
            };
            quote! {
                {
                    let stripped = session.path().strip_prefix(#p).map(|rest| {
                        if rest.starts_with('/') { rest.to_owned() } else { format!("/{rest}") }
                    });
                    if let Some(path) = stripped {
                        session.set_path(&path)?;
                    }
                }
            }
        }
        TypedStmtKind::RewritePath(path) => {
            let p = cx.str_(path);
            quote! { { let path = (#p).into_owned(); session.set_path(&path)?; } }
        }
        TypedStmtKind::Proxy { upstream: id, .. } => {
            match cx.names.hash_keys.get(*id).cloned().flatten() {
                Some(key) => {
                    let k = cx.str_(&key);
                    quote! { ctx.key = hash(&#k); ctx.upstream = Some(#id); return Ok(None); }
                }
                None => quote! { ctx.upstream = Some(#id); return Ok(None); },
            }
        }
        TypedStmtKind::If {
            captures,
            cond,
            then,
            else_,
        } => {
            let bind = captures.as_ref().map(|b| capture_binding(b, cx.names));
            let mut cx = Cx { names };
            let c = cx.bool_(cond);
            let t = block(then, names);
            let branch = if else_.is_empty() {
                quote! { if #c { #t } }
            } else {
                let e = block(else_, names);
                quote! { if #c { #t } else { #e } }
            };
            quote! { #bind #branch }
        }
        TypedStmtKind::SetLogField { name, value } => {
            let v = cx.str_(value);
            quote! { fields.set(#name, #v); }
        }
        TypedStmtKind::RateLimit {
            limit,
            key,
            otherwise,
        } => super::limits::rate_limit(*limit, key, otherwise.as_deref(), cx.names),
        TypedStmtKind::Cache { cache, rule } => super::caches::use_cache(&mut cx, *cache, rule),
        TypedStmtKind::Purge { cache, scope } => {
            super::caches::purge(&mut cx, *cache, scope.as_ref())
        }
        TypedStmtKind::MaxInFlight {
            index,
            key,
            otherwise,
        } => super::limits::max_in_flight(*index, key.as_ref(), otherwise.as_deref(), cx.names),
        TypedStmtKind::VerifyJwt(jwt) => super::jwt::verify_jwt(*jwt),
        TypedStmtKind::VerifyBasic(basic) => super::basic::verify_basic(*basic),
        TypedStmtKind::Compress(compress) => super::compress::use_compression(compress),
        TypedStmtKind::VerifyForward { verifier, service } => {
            super::forward_auth::verify_forward(*verifier, *service)
        }
        TypedStmtKind::Let { var, value } => {
            let v = format_ident!("var_{}", var);
            let val = cx.owned(value);
            quote! { let #v = #val; }
        }
    }
}

fn headers_mut(side: Side) -> TokenStream {
    match side {
        Side::Request => quote! { session.headers_mut() },
        Side::Response => quote! { response.headers },
    }
}

/// A `str` as a `HeaderValue`: a literal is a constant, anything else is checked at run time.
fn header_value(cx: &mut Cx<'_>, e: &TypedExpr) -> TokenStream {
    match &e.kind {
        TypedExprKind::Str(s) => cx.names.value(s),
        _ => {
            let s = cx.str_(e);
            quote! { header_value(&#s)? }
        }
    }
}

/// `fail_to_proxy`: runs `on error`; a `respond` or `redirect` there is the error page, and
/// when none runs (or the block fails) the runtime's default page is sent.
pub(crate) fn fail_to_proxy(program: &TypedProgram, names: &mut Names) -> Option<TokenStream> {
    if program.on_error.is_empty() {
        return None;
    }
    let body = block(&program.on_error, names);
    let rid = request_id_prelude(&program.on_error);
    Some(quote! {
        async fn fail_to_proxy(&self, session: &mut Session, error: &Error, ctx: &mut Ctx) -> Response {
            let page = (|| -> Result<Option<Response>> {
                #rid
                #body
                Ok(None)
            })();
            match page {
                Ok(Some(page)) => page,
                _ => Response::error_page(error.status()),
            }
        }
    })
}

/// `logging`: runs `on log`, whose statements add fields to the access log line.
pub(crate) fn logging(program: &TypedProgram, names: &mut Names) -> Option<TokenStream> {
    if program.on_log.is_empty() {
        return None;
    }
    let body = block(&program.on_log, names);
    let rid = request_id_prelude(&program.on_log);
    Some(quote! {
        fn logging(&self, session: &mut Session, error: Option<&Error>, ctx: &mut Ctx, fields: &mut LogFields) {
            #rid
            #body
        }
    })
}

/// Whether any statement (or expression inside one) calls `request_id()`.
pub(crate) fn uses_request_id(stmts: &[TypedStmt]) -> bool {
    /// Finds a call of `request_id()`.
    struct Finder(bool);
    impl<'a> Visit<'a> for Finder {
        fn visit_expr(&mut self, expr: &'a TypedExpr) {
            if let TypedExprKind::Call(Func::RequestId, _) = expr.kind {
                self.0 = true;
            }
            walk_expr(self, expr);
        }
    }
    let mut finder = Finder(false);
    walk_stmts(&mut finder, stmts);
    finder.0
}
