//! A read-only walk over the parsed tree, for analyses that care about a few kinds of node.
//!
//! Before this module every analysis wrote its own walk over [`ExprKind`] and [`StmtKind`], and
//! some ended in `_ => false`, so a new kind of node compiled while the analysis silently
//! skipped it. Here the walk is written once: [`Visit`] has one method per kind of node, each
//! defaulting to the matching `walk_*` function, which visits every child in source order. An
//! analysis overrides only the methods it needs, and calls the `walk_*` function from its
//! override to keep going below that node (or does not, to prune). This is the shape of syn's
//! `visit` and of the Gleam compiler's `ast/visit.rs`.
//!
//! The `walk_*` functions destructure every struct field by field and match every enum without
//! a catch-all, so a new field, variant or span in [`crate::ast`] is a build error here until
//! the walk reaches it; analyses built on [`Visit`] then get the new node for free.
//!
//! Passes that rebuild the whole tree (the formatter) keep their own walks: they need every
//! node anyway and produce something for each.

use crate::ast::*;
use crate::Span;

/// A visitor over a [`ParsedProgram`], borrowing the tree for `'ast`.
///
/// Every method defaults to the `walk_*` function of the same name, which visits the node's
/// children; an override that still wants the children must call it. Spans are reported to
/// [`Visit::visit_span`] as the walk passes them, a node's own span before its children's.
pub trait Visit<'ast> {
    /// A whole program.
    fn visit_program(&mut self, program: &'ast ParsedProgram) {
        walk_program(self, program);
    }

    /// A top-level declaration.
    fn visit_item(&mut self, item: &'ast Item) {
        walk_item(self, item);
    }

    /// `include "PATH"`.
    fn visit_include(&mut self, include: &'ast Include) {
        walk_include(self, include);
    }

    /// `test "NAME" { ... }`.
    fn visit_test(&mut self, test: &'ast TestDecl) {
        walk_test(self, test);
    }

    /// A line of a test.
    fn visit_test_item(&mut self, item: &'ast TestItem) {
        walk_test_item(self, item);
    }

    /// An expectation about a message, in a test.
    fn visit_test_check(&mut self, check: &'ast TestCheck) {
        walk_test_check(self, check);
    }

    /// `server { ... }`.
    fn visit_server_block(&mut self, block: &'ast ServerBlock) {
        walk_server_block(self, block);
    }

    /// `NAME VALUE` in `server { }`.
    fn visit_server_setting(&mut self, setting: &'ast ServerSetting) {
        walk_server_setting(self, setting);
    }

    /// `listen PROTOCOL ADDRESS [{ ... }]`.
    fn visit_listen(&mut self, listen: &'ast Listen) {
        walk_listen(self, listen);
    }

    /// A line of a TLS listener's block.
    fn visit_listen_item(&mut self, item: &'ast ListenItem) {
        walk_listen_item(self, item);
    }

    /// `upstream NAME { ... }`.
    fn visit_upstream(&mut self, upstream: &'ast UpstreamDecl) {
        walk_upstream(self, upstream);
    }

    /// `limit NAME = N per D ... by KEY`.
    fn visit_limit(&mut self, limit: &'ast LimitDecl) {
        walk_limit(self, limit);
    }

    /// `list NAME: TYPE from file "PATH"`, `flag NAME from file "PATH"`.
    fn visit_data(&mut self, data: &'ast DataDecl) {
        walk_data(self, data);
    }

    /// `cache NAME { SETTING* }`.
    fn visit_cache(&mut self, cache: &'ast CacheDecl) {
        walk_cache(self, cache);
    }

    /// `basic_auth NAME { ... }`.
    fn visit_basic_auth(&mut self, basic: &'ast BasicAuthDecl) {
        walk_basic_auth(self, basic);
    }

    /// `forward_auth NAME { ... }`.
    fn visit_forward_auth(&mut self, forward: &'ast ForwardAuthDecl) {
        walk_forward_auth(self, forward);
    }

    /// `jwt NAME { ... }`.
    fn visit_jwt(&mut self, jwt: &'ast JwtDecl) {
        walk_jwt(self, jwt);
    }

    /// A line of an upstream block.
    fn visit_upstream_item(&mut self, item: &'ast UpstreamItem) {
        walk_upstream_item(self, item);
    }

    /// `server ADDRESS [weight N] [backup]`.
    fn visit_server(&mut self, server: &'ast ServerDecl) {
        walk_server(self, server);
    }

    /// `NAME VALUE` in an upstream, or an option of `discover`, `health` or `passive`.
    fn visit_setting(&mut self, setting: &'ast Setting) {
        walk_setting(self, setting);
    }

    /// `route MATCHERS { BODY }`.
    fn visit_route(&mut self, route: &'ast Route) {
        walk_route(self, route);
    }

    /// One condition of a route's head.
    fn visit_matcher(&mut self, matcher: &'ast Matcher) {
        walk_matcher(self, matcher);
    }

    /// `on PHASE { BODY }`.
    fn visit_on_block(&mut self, on: &'ast OnBlock) {
        walk_on_block(self, on);
    }

    /// `{ statements }`: a route's or `on` block's body, a branch of an `if`.
    fn visit_block(&mut self, block: &'ast Block) {
        walk_block(self, block);
    }

    /// A statement (an `else if` is one too, reached through [`Visit::visit_else`]).
    fn visit_stmt(&mut self, stmt: &'ast Stmt) {
        walk_stmt(self, stmt);
    }

    /// The `else` part of an `if`.
    fn visit_else(&mut self, else_: &'ast Else) {
        walk_else(self, else_);
    }

    /// The status of a `respond`.
    fn visit_status(&mut self, status: &'ast Status) {
        walk_status(self, status);
    }

    /// `"name" = EXPR` in `respond ... headers { }`.
    fn visit_header_entry(&mut self, entry: &'ast HeaderEntry) {
        walk_header_entry(self, entry);
    }

    /// What `set`, `add` and `remove` write.
    fn visit_place(&mut self, place: &'ast Place) {
        walk_place(self, place);
    }

    /// An expression; its operands are expressions too, visited by [`walk_expr`].
    fn visit_expr(&mut self, expr: &'ast Expr) {
        walk_expr(self, expr);
    }

    /// A piece of a string literal: text, or an interpolated expression.
    fn visit_str_part(&mut self, part: &'ast StrPart) {
        walk_str_part(self, part);
    }

    /// A name: a path segment, a function, an upstream, a `let` or `as` name, a setting.
    fn visit_ident(&mut self, ident: &'ast Ident) {
        walk_ident(self, ident);
    }

    /// Literal text with a span: an address, a path, a header name, a regex.
    fn visit_text(&mut self, text: &'ast Text) {
        walk_text(self, text);
    }

    /// An integer literal with a span: a weight, a status.
    fn visit_int_lit(&mut self, int: &'ast IntLit) {
        walk_int_lit(self, int);
    }

    /// Every span of the tree, each once, as the walk passes it. The default does nothing.
    fn visit_span(&mut self, _span: Span) {}
}

// ===== Items =====

/// Visits every item of `program`, in source order.
pub fn walk_program<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, program: &'ast ParsedProgram) {
    let ParsedProgram { items } = program;
    items.iter().for_each(|item| v.visit_item(item));
}

/// Visits the declaration inside `item`.
pub fn walk_item<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, item: &'ast Item) {
    match item {
        Item::Include(include) => v.visit_include(include),
        Item::Server(block) => v.visit_server_block(block),
        Item::Listen(listen) => v.visit_listen(listen),
        Item::Upstream(upstream) => v.visit_upstream(upstream),
        Item::Limit(limit) => v.visit_limit(limit),
        Item::Data(data) => v.visit_data(data),
        Item::Cache(cache) => v.visit_cache(cache),
        Item::Jwt(jwt) => v.visit_jwt(jwt),
        Item::BasicAuth(basic) => v.visit_basic_auth(basic),
        Item::ForwardAuth(forward) => v.visit_forward_auth(forward),
        Item::Route(route) => v.visit_route(route),
        Item::On(on) => v.visit_on_block(on),
        Item::Test(test) => v.visit_test(test),
    }
}

/// Visits a test's span, name and lines.
pub fn walk_test<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, test: &'ast TestDecl) {
    let TestDecl { name, items, span } = test;
    v.visit_span(*span);
    v.visit_text(name);
    items.iter().for_each(|item| v.visit_test_item(item));
}

/// Visits a test line's span, then its names, numbers, texts and checks in source order.
pub fn walk_test_item<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, item: &'ast TestItem) {
    let header = |v: &mut V, h: &'ast TestHeader| {
        let TestHeader { name, value, span } = h;
        v.visit_span(*span);
        v.visit_text(name);
        v.visit_text(value);
    };
    let reply_parts = |v: &mut V, reply: &'ast TestReply| {
        let TestReply {
            status,
            body,
            headers,
            span: _,
        } = reply;
        v.visit_int_lit(status);
        if let Some(body) = body {
            v.visit_text(body);
        }
        headers.iter().for_each(|h| header(v, h));
    };
    match item {
        TestItem::Send(TestSend {
            method,
            url,
            times,
            parts,
            span,
        }) => {
            v.visit_span(*span);
            v.visit_ident(method);
            v.visit_text(url);
            if let Some(times) = times {
                v.visit_int_lit(times);
            }
            for part in parts {
                match part {
                    SendPart::Header(h) => header(v, h),
                    SendPart::Client(text) | SendPart::Body(text) | SendPart::Sni(text) => {
                        v.visit_text(text)
                    }
                    SendPart::Certificate { cert, key, span } => {
                        v.visit_span(*span);
                        v.visit_text(cert);
                        v.visit_text(key);
                    }
                    SendPart::User {
                        user,
                        password,
                        span,
                    } => {
                        v.visit_span(*span);
                        v.visit_text(user);
                        v.visit_text(password);
                    }
                    SendPart::Token(token) => walk_test_token(v, token),
                }
            }
        }
        TestItem::Pick {
            upstream,
            server,
            span,
        } => {
            v.visit_span(*span);
            v.visit_ident(upstream);
            v.visit_int_lit(server);
        }
        TestItem::Discovers {
            upstream,
            servers,
            span,
        } => {
            v.visit_span(*span);
            v.visit_ident(upstream);
            v.visit_int_lit(servers);
        }
        TestItem::OriginCert {
            upstream,
            cert,
            key,
            span,
        } => {
            v.visit_span(*span);
            v.visit_ident(upstream);
            v.visit_text(cert);
            v.visit_text(key);
        }
        TestItem::Fail {
            upstream,
            kind,
            span,
        } => {
            v.visit_span(*span);
            v.visit_ident(upstream);
            v.visit_ident(kind);
        }
        TestItem::ExpectUpstream {
            upstream,
            server,
            checks,
            span,
        } => {
            v.visit_span(*span);
            v.visit_ident(upstream);
            if let Some(server) = server {
                v.visit_int_lit(server);
            }
            checks.iter().for_each(|c| v.visit_test_check(c));
        }
        TestItem::Replies { upstream, reply } => {
            v.visit_span(reply.span);
            v.visit_ident(upstream);
            reply_parts(v, reply);
        }
        TestItem::Reply(reply) => {
            v.visit_span(reply.span);
            reply_parts(v, reply);
        }
        TestItem::Expect {
            status,
            checks,
            span,
        } => {
            v.visit_span(*span);
            v.visit_int_lit(status);
            checks.iter().for_each(|c| v.visit_test_check(c));
        }
        TestItem::ExpectLog { checks, span } => {
            v.visit_span(*span);
            checks.iter().for_each(|c| v.visit_test_check(c));
        }
    }
}

/// Visits a test token's span, algorithm, key file, cookie and lines in source order.
pub fn walk_test_token<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, token: &'ast TestToken) {
    let TestToken {
        alg,
        key,
        cookie,
        parts,
        span,
    } = token;
    v.visit_span(*span);
    v.visit_ident(alg);
    v.visit_text(key);
    if let Some(cookie) = cookie {
        v.visit_text(cookie);
    }
    for part in parts {
        match part {
            TokenPart::Kid(kid) => v.visit_text(kid),
            TokenPart::Claim { name, value, span } => {
                v.visit_span(*span);
                v.visit_text(name);
                v.visit_text(value);
            }
            TokenPart::Expires(d) | TokenPart::Expired(d) => v.visit_span(d.span),
        }
    }
}

/// Visits an expectation's span and its names and texts.
pub fn walk_test_check<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, check: &'ast TestCheck) {
    let TestCheck { kind, span } = check;
    v.visit_span(*span);
    match kind {
        TestCheckKind::Path(text)
        | TestCheckKind::NoHeader(text)
        | TestCheckKind::NoField(text) => v.visit_text(text),
        TestCheckKind::Method(method) => v.visit_ident(method),
        TestCheckKind::Header {
            name,
            compare: _,
            value,
        }
        | TestCheckKind::Field {
            name,
            compare: _,
            value,
        } => {
            v.visit_text(name);
            v.visit_text(value);
        }
        TestCheckKind::Body { compare: _, value } => v.visit_text(value),
    }
}

/// Visits the span and path of an `include`.
pub fn walk_include<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, include: &'ast Include) {
    let Include { path, span } = include;
    v.visit_span(*span);
    v.visit_text(path);
}

/// Visits the span and settings of `server { }`.
pub fn walk_server_block<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, block: &'ast ServerBlock) {
    let ServerBlock { settings, span } = block;
    v.visit_span(*span);
    settings.iter().for_each(|s| v.visit_server_setting(s));
}

/// Visits a server setting's span, name and value (an address's text, or an expression).
pub fn walk_server_setting<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, setting: &'ast ServerSetting) {
    let ServerSetting { name, value, span } = setting;
    v.visit_span(*span);
    v.visit_ident(name);
    match value {
        ServerValue::Address(addr) => v.visit_text(addr),
        ServerValue::Value(expr) => v.visit_expr(expr),
    }
}

/// Visits a listener's span, protocol, address and TLS lines.
pub fn walk_listen<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, listen: &'ast Listen) {
    let Listen {
        protocol,
        addr,
        tls,
        span,
    } = listen;
    v.visit_span(*span);
    v.visit_ident(protocol);
    v.visit_text(addr);
    tls.iter().for_each(|item| v.visit_listen_item(item));
}

/// Visits a listener line's span and its files, protocols, mode or addresses.
pub fn walk_listen_item<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, item: &'ast ListenItem) {
    match item {
        ListenItem::Cert { cert, key, span } => {
            v.visit_span(*span);
            v.visit_text(cert);
            v.visit_text(key);
        }
        ListenItem::Alpn { protocols, span } => {
            v.visit_span(*span);
            protocols.iter().for_each(|p| v.visit_text(p));
        }
        ListenItem::ClientCa { ca, mode, span } => {
            v.visit_span(*span);
            v.visit_text(ca);
            v.visit_ident(mode);
        }
        ListenItem::ProxyProtocol { span } => v.visit_span(*span),
        ListenItem::TrustProxies { addrs, span } => {
            v.visit_span(*span);
            addrs.iter().for_each(|a| v.visit_expr(a));
        }
    }
}

/// Visits an upstream's span, name and lines.
pub fn walk_upstream<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, upstream: &'ast UpstreamDecl) {
    let UpstreamDecl { name, items, span } = upstream;
    v.visit_span(*span);
    v.visit_ident(name);
    items.iter().for_each(|item| v.visit_upstream_item(item));
}

/// Visits a limit's span, name, numbers, options and key in source order.
pub fn walk_limit<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, limit: &'ast LimitDecl) {
    let LimitDecl {
        name,
        requests,
        period,
        options,
        key,
        span,
    } = limit;
    v.visit_span(*span);
    v.visit_ident(name);
    v.visit_int_lit(requests);
    v.visit_expr(period);
    options.iter().for_each(|o| v.visit_setting(o));
    v.visit_expr(key);
}

/// Visits a list's or flag's span, name, element type and path in source order.
pub fn walk_data<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, data: &'ast DataDecl) {
    let DataDecl {
        kind,
        name,
        path,
        span,
    } = data;
    v.visit_span(*span);
    v.visit_ident(name);
    match kind {
        DataKind::List { element } => v.visit_ident(element),
        DataKind::Flag => {}
    }
    v.visit_text(path);
}

/// Visits a cache declaration: its span, name and settings.
pub fn walk_cache<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, cache: &'ast CacheDecl) {
    let CacheDecl {
        name,
        settings,
        span,
    } = cache;
    v.visit_span(*span);
    v.visit_ident(name);
    settings.iter().for_each(|s| v.visit_setting(s));
}

/// Visits a Basic authentication verifier's span, name and options in source order.
pub fn walk_basic_auth<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, basic: &'ast BasicAuthDecl) {
    let BasicAuthDecl {
        name,
        options,
        span,
    } = basic;
    v.visit_span(*span);
    v.visit_ident(name);
    options.iter().for_each(|o| v.visit_setting(o));
}

/// Visits a forward authentication verifier's span, name and options in source order.
pub fn walk_forward_auth<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, forward: &'ast ForwardAuthDecl) {
    let ForwardAuthDecl {
        name,
        options,
        span,
    } = forward;
    v.visit_span(*span);
    v.visit_ident(name);
    options.iter().for_each(|o| v.visit_setting(o));
}

/// Visits a JWT verifier's span, name and options in source order.
pub fn walk_jwt<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, jwt: &'ast JwtDecl) {
    let JwtDecl {
        name,
        options,
        span,
    } = jwt;
    v.visit_span(*span);
    v.visit_ident(name);
    options.iter().for_each(|o| v.visit_setting(o));
}

/// Visits an upstream line: its span, then its words, values and options in source order.
pub fn walk_upstream_item<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, item: &'ast UpstreamItem) {
    match item {
        UpstreamItem::Server(server) => v.visit_server(server),
        UpstreamItem::Balance { policy, key, span } => {
            v.visit_span(*span);
            v.visit_ident(policy);
            if let Some(key) = key {
                v.visit_expr(key);
            }
        }
        UpstreamItem::Discover {
            kind,
            target,
            options,
            span,
        } => {
            v.visit_span(*span);
            v.visit_ident(kind);
            v.visit_text(target);
            options.iter().for_each(|s| v.visit_setting(s));
        }
        UpstreamItem::Health {
            kind,
            request,
            options,
            span,
        } => {
            v.visit_span(*span);
            v.visit_ident(kind);
            if let Some((method, path)) = request {
                v.visit_ident(method);
                v.visit_text(path);
            }
            options.iter().for_each(|s| v.visit_setting(s));
        }
        UpstreamItem::Passive { options, span } => {
            v.visit_span(*span);
            options.iter().for_each(|s| v.visit_setting(s));
        }
        UpstreamItem::Setting(setting) => v.visit_setting(setting),
    }
}

/// Visits a server line's span, address and weight.
pub fn walk_server<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, server: &'ast ServerDecl) {
    let ServerDecl {
        addr,
        weight,
        backup: _,
        span,
    } = server;
    v.visit_span(*span);
    v.visit_text(addr);
    if let Some(weight) = weight {
        v.visit_int_lit(weight);
    }
}

/// Visits a setting's span, name and value.
pub fn walk_setting<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, setting: &'ast Setting) {
    let Setting { name, value, span } = setting;
    v.visit_span(*span);
    v.visit_ident(name);
    v.visit_expr(value);
}

/// Visits a route's span, the span of its head, its matchers and its body.
pub fn walk_route<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, route: &'ast Route) {
    let Route {
        name,
        matchers,
        body,
        on,
        head_span,
        span,
    } = route;
    v.visit_span(*span);
    v.visit_span(*head_span);
    if let Some(name) = name {
        v.visit_text(name);
    }
    matchers.iter().for_each(|m| v.visit_matcher(m));
    v.visit_block(body);
    on.iter().for_each(|o| v.visit_on_block(o));
}

/// Visits a matcher's span and what it matches against.
pub fn walk_matcher<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, matcher: &'ast Matcher) {
    let Matcher { kind, span } = matcher;
    v.visit_span(*span);
    match kind {
        MatcherKind::Host(text) | MatcherKind::PathPrefix(text) => v.visit_text(text),
        MatcherKind::PathRegex { regex, captures } => {
            v.visit_text(regex);
            if let Some(captures) = captures {
                v.visit_ident(captures);
            }
        }
        MatcherKind::Method(methods) => methods.iter().for_each(|m| v.visit_ident(m)),
        MatcherKind::Header { name, value } => {
            v.visit_text(name);
            if let Some(value) = value {
                v.visit_text(value);
            }
        }
    }
}

/// Visits an `on` block's span, phase and body.
pub fn walk_on_block<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, on: &'ast OnBlock) {
    let OnBlock { phase, body, span } = on;
    v.visit_span(*span);
    v.visit_ident(phase);
    v.visit_block(body);
}

// ===== Statements =====

/// Visits a block's span and its statements, in order.
pub fn walk_block<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, block: &'ast Block) {
    let Block { stmts, span } = block;
    v.visit_span(*span);
    stmts.iter().for_each(|stmt| v.visit_stmt(stmt));
}

/// Visits a statement's span, then its parts in source order.
pub fn walk_stmt<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, stmt: &'ast Stmt) {
    let Stmt { kind, span } = stmt;
    v.visit_span(*span);
    match kind {
        StmtKind::Set { place, value } | StmtKind::Add { place, value } => {
            v.visit_place(place);
            v.visit_expr(value);
        }
        StmtKind::Remove { place } => v.visit_place(place),
        StmtKind::Respond {
            status,
            body,
            headers,
        } => {
            v.visit_status(status);
            if let Some(body) = body {
                v.visit_expr(body);
            }
            headers.iter().for_each(|h| v.visit_header_entry(h));
        }
        StmtKind::Redirect { status, location } => {
            if let Some(status) = status {
                v.visit_int_lit(status);
            }
            v.visit_expr(location);
        }
        StmtKind::StripPrefix(expr) | StmtKind::RewritePath(expr) => v.visit_expr(expr),
        StmtKind::Proxy(name)
        | StmtKind::VerifyJwt(name)
        | StmtKind::VerifyBasic(name)
        | StmtKind::VerifyForward(name) => v.visit_ident(name),
        StmtKind::If {
            cond,
            captures,
            then,
            else_,
        } => {
            v.visit_expr(cond);
            if let Some(captures) = captures {
                v.visit_ident(captures);
            }
            v.visit_block(then);
            if let Some(else_) = else_ {
                v.visit_else(else_);
            }
        }
        StmtKind::Let { name, value } => {
            v.visit_ident(name);
            v.visit_expr(value);
        }
        StmtKind::Cache { cache, settings } => {
            v.visit_ident(cache);
            settings.iter().for_each(|s| v.visit_setting(s));
        }
        StmtKind::Compress(settings) => settings.iter().for_each(|s| v.visit_setting(s)),
        StmtKind::Purge { cache, scope } => {
            v.visit_ident(cache);
            if let Some(scope) = scope {
                v.visit_expr(&scope.value);
            }
        }
        StmtKind::RateLimit { limit, otherwise } => {
            v.visit_ident(limit);
            if let Some(otherwise) = otherwise {
                v.visit_stmt(otherwise);
            }
        }
        StmtKind::MaxInFlight {
            max,
            key,
            queue,
            otherwise,
        } => {
            v.visit_int_lit(max);
            if let Some(key) = key {
                v.visit_expr(key);
            }
            if let Some(queue) = queue {
                v.visit_expr(queue);
            }
            if let Some(otherwise) = otherwise {
                v.visit_stmt(otherwise);
            }
        }
    }
}

/// Visits the block or the `if` statement of an `else`.
pub fn walk_else<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, else_: &'ast Else) {
    match else_ {
        Else::Block(block) => v.visit_block(block),
        Else::If(stmt) => v.visit_stmt(stmt),
    }
}

/// Visits the literal or the expression of a `respond`'s status.
pub fn walk_status<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, status: &'ast Status) {
    match status {
        Status::Literal(int) => v.visit_int_lit(int),
        Status::Field(expr) => v.visit_expr(expr),
    }
}

/// Visits a header entry's span, name and value.
pub fn walk_header_entry<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, entry: &'ast HeaderEntry) {
    let HeaderEntry { name, value, span } = entry;
    v.visit_span(*span);
    v.visit_text(name);
    v.visit_expr(value);
}

/// Visits a place's span, the names of its path and its key.
pub fn walk_place<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, place: &'ast Place) {
    let Place { path, key, span } = place;
    v.visit_span(*span);
    path.iter().for_each(|ident| v.visit_ident(ident));
    if let Some(key) = key {
        v.visit_expr(key);
    }
}

// ===== Expressions =====

/// Visits an expression's span, then its parts in source order (a binary operator's span
/// between its operands).
pub fn walk_expr<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, expr: &'ast Expr) {
    let Expr { kind, span } = expr;
    v.visit_span(*span);
    match kind {
        ExprKind::Str(parts) => parts.iter().for_each(|part| v.visit_str_part(part)),
        ExprKind::Path(path) => path.iter().for_each(|ident| v.visit_ident(ident)),
        ExprKind::Index { base, key } => {
            v.visit_expr(base);
            v.visit_expr(key);
        }
        ExprKind::List(items) => items.iter().for_each(|item| v.visit_expr(item)),
        ExprKind::Call { func, args } => {
            v.visit_ident(func);
            args.iter().for_each(|arg| v.visit_expr(arg));
        }
        ExprKind::Not(operand) => v.visit_expr(operand),
        ExprKind::Binary {
            op: _,
            op_span,
            lhs,
            rhs,
        } => {
            v.visit_expr(lhs);
            v.visit_span(*op_span);
            v.visit_expr(rhs);
        }
        ExprKind::Int(_)
        | ExprKind::Duration(_)
        | ExprKind::Size(_)
        | ExprKind::Bool(_)
        | ExprKind::Regex(_)
        | ExprKind::Method(_)
        | ExprKind::Ip(_)
        | ExprKind::Cidr(_) => {}
    }
}

/// Visits the expression of an interpolation; literal text has nothing below it.
pub fn walk_str_part<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, part: &'ast StrPart) {
    match part {
        StrPart::Text(_) => {}
        StrPart::Interp(expr) => v.visit_expr(expr),
    }
}

// ===== Leaves =====

/// Visits a name's span.
pub fn walk_ident<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, ident: &'ast Ident) {
    let Ident { name: _, span } = ident;
    v.visit_span(*span);
}

/// Visits a text's span.
pub fn walk_text<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, text: &'ast Text) {
    let Text { value: _, span } = text;
    v.visit_span(*span);
}

/// Visits an integer literal's span.
pub fn walk_int_lit<'ast, V: Visit<'ast> + ?Sized>(v: &mut V, int: &'ast IntLit) {
    let IntLit { value: _, span } = int;
    v.visit_span(*span);
}

#[cfg(test)]
pub(crate) mod tests;
