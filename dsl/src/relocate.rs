//! Moving a parsed file's spans by a fixed offset.
//!
//! The compiler gives every file of a program (the main file and its includes) its own range of
//! one offset space, so that a [`Span`] alone says which file it points into. Each file is
//! parsed on its own (spans from 0) and then moved to its range with
//! [`ParsedProgram::relocate`].

use crate::ast::*;
use crate::{ParseError, Span};

impl ParsedProgram {
    /// Adds `base` to every span in the program.
    pub fn relocate(&mut self, base: usize) {
        let mut shift = |s: &mut Span| *s = Span::new(s.start + base, s.end + base);
        for item in &mut self.items {
            item_spans(item, &mut shift);
        }
    }
}

impl ParseError {
    /// Adds `base` to the error's span (see [`ParsedProgram::relocate`]).
    pub fn relocate(&mut self, base: usize) {
        self.span = Span::new(self.span.start + base, self.span.end + base);
    }
}

type Shift<'a> = dyn FnMut(&mut Span) + 'a;

fn item_spans(item: &mut Item, f: &mut Shift<'_>) {
    match item {
        Item::Include(i) => {
            f(&mut i.span);
            f(&mut i.path.span);
        }
        Item::Listen(l) => {
            f(&mut l.span);
            f(&mut l.protocol.span);
            f(&mut l.addr.span);
        }
        Item::Upstream(u) => {
            f(&mut u.span);
            f(&mut u.name.span);
            for item in &mut u.items {
                upstream_item_spans(item, f);
            }
        }
        Item::Route(r) => {
            f(&mut r.span);
            f(&mut r.head_span);
            for m in &mut r.matchers {
                f(&mut m.span);
                match &mut m.kind {
                    MatcherKind::Host(t) | MatcherKind::PathPrefix(t) => f(&mut t.span),
                    MatcherKind::PathRegex { regex, captures } => {
                        f(&mut regex.span);
                        if let Some(c) = captures {
                            f(&mut c.span);
                        }
                    }
                    MatcherKind::Method(methods) => methods.iter_mut().for_each(|m| f(&mut m.span)),
                    MatcherKind::Header { name, value } => {
                        f(&mut name.span);
                        if let Some(v) = value {
                            f(&mut v.span);
                        }
                    }
                }
            }
            block_spans(&mut r.body, f);
        }
        Item::On(on) => {
            f(&mut on.span);
            f(&mut on.phase.span);
            block_spans(&mut on.body, f);
        }
    }
}

fn upstream_item_spans(item: &mut UpstreamItem, f: &mut Shift<'_>) {
    match item {
        UpstreamItem::Server(s) => {
            f(&mut s.span);
            f(&mut s.addr.span);
            if let Some(w) = &mut s.weight {
                f(&mut w.span);
            }
        }
        UpstreamItem::Balance { policy, key, span } => {
            f(span);
            f(&mut policy.span);
            if let Some(k) = key {
                expr_spans(k, f);
            }
        }
        UpstreamItem::Discover {
            kind,
            target,
            options,
            span,
        } => {
            f(span);
            f(&mut kind.span);
            f(&mut target.span);
            options.iter_mut().for_each(|s| setting_spans(s, f));
        }
        UpstreamItem::Health {
            kind,
            request,
            options,
            span,
        } => {
            f(span);
            f(&mut kind.span);
            if let Some((method, path)) = request {
                f(&mut method.span);
                f(&mut path.span);
            }
            options.iter_mut().for_each(|s| setting_spans(s, f));
        }
        UpstreamItem::Passive { options, span } => {
            f(span);
            options.iter_mut().for_each(|s| setting_spans(s, f));
        }
        UpstreamItem::Setting(s) => setting_spans(s, f),
    }
}

fn setting_spans(s: &mut Setting, f: &mut Shift<'_>) {
    f(&mut s.span);
    f(&mut s.name.span);
    expr_spans(&mut s.value, f);
}

fn block_spans(block: &mut Block, f: &mut Shift<'_>) {
    f(&mut block.span);
    block.stmts.iter_mut().for_each(|s| stmt_spans(s, f));
}

fn stmt_spans(stmt: &mut Stmt, f: &mut Shift<'_>) {
    f(&mut stmt.span);
    match &mut stmt.kind {
        StmtKind::Set { place, value } | StmtKind::Add { place, value } => {
            place_spans(place, f);
            expr_spans(value, f);
        }
        StmtKind::Remove { place } => place_spans(place, f),
        StmtKind::Respond {
            status,
            body,
            headers,
        } => {
            match status {
                Status::Literal(lit) => f(&mut lit.span),
                Status::Field(e) => expr_spans(e, f),
            }
            if let Some(b) = body {
                expr_spans(b, f);
            }
            for h in headers {
                f(&mut h.span);
                f(&mut h.name.span);
                expr_spans(&mut h.value, f);
            }
        }
        StmtKind::Redirect { status, location } => {
            if let Some(s) = status {
                f(&mut s.span);
            }
            expr_spans(location, f);
        }
        StmtKind::StripPrefix(e) | StmtKind::RewritePath(e) => expr_spans(e, f),
        StmtKind::Proxy(name) => f(&mut name.span),
        StmtKind::If {
            cond,
            captures,
            then,
            else_,
        } => {
            expr_spans(cond, f);
            if let Some(c) = captures {
                f(&mut c.span);
            }
            block_spans(then, f);
            match else_.as_deref_mut() {
                Some(Else::Block(b)) => block_spans(b, f),
                Some(Else::If(s)) => stmt_spans(s, f),
                None => {}
            }
        }
        StmtKind::Let { name, value } => {
            f(&mut name.span);
            expr_spans(value, f);
        }
    }
}

fn place_spans(place: &mut Place, f: &mut Shift<'_>) {
    f(&mut place.span);
    place.path.iter_mut().for_each(|i| f(&mut i.span));
    if let Some(k) = &mut place.key {
        expr_spans(k, f);
    }
}

fn expr_spans(expr: &mut Expr, f: &mut Shift<'_>) {
    f(&mut expr.span);
    match &mut expr.kind {
        ExprKind::Str(parts) => {
            for part in parts {
                if let StrPart::Interp(e) = part {
                    expr_spans(e, f);
                }
            }
        }
        ExprKind::Path(path) => path.iter_mut().for_each(|i| f(&mut i.span)),
        ExprKind::Index { base, key } => {
            expr_spans(base, f);
            expr_spans(key, f);
        }
        ExprKind::List(items) => items.iter_mut().for_each(|e| expr_spans(e, f)),
        ExprKind::Call { func, args } => {
            f(&mut func.span);
            args.iter_mut().for_each(|e| expr_spans(e, f));
        }
        ExprKind::Not(e) => expr_spans(e, f),
        ExprKind::Binary {
            op_span, lhs, rhs, ..
        } => {
            f(op_span);
            expr_spans(lhs, f);
            expr_spans(rhs, f);
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

#[cfg(test)]
mod tests {
    use crate::parse;

    #[test]
    fn every_span_moves_by_the_base() {
        let source = "upstream a { server 127.0.0.1:1 balance hash(req.path) }\nroute host \"h\" path ~ /x(.)/ as m { if req.path matches /y/ as n { set req.headers[\"x\"] = \"{m[1]}\" } else { respond 200 \"b\" headers { \"k\" = lower(\"v\") } } proxy a }\non request { let v = !(1 == 2) }\n";
        let mut moved = parse(source).expect("parses");
        moved.relocate(1000);
        // Parsing the same text after 1000 bytes of white space gives the same tree.
        let padded = format!("{}{source}", " ".repeat(1000));
        assert_eq!(moved, parse(&padded).expect("parses"));
    }
}
