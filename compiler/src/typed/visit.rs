//! A visitor over the typed program: one method per kind of node, each defaulting to a walk of
//! its children, so an analysis (what generated code needs, what an editor shows at a cursor)
//! overrides only the nodes it cares about. The `walk_*` functions match every variant, so a
//! new kind of statement or expression is a build error here until its children are walked,
//! never a node an analysis silently skips.

use super::{
    CaptureBinding, InterpPart, StatusValue, TypedCacheRule, TypedExpr, TypedExprKind,
    TypedProgram, TypedRoute, TypedStmt, TypedStmtKind,
};

/// Visits a typed program; every method's default walks the node's children.
pub trait Visit<'a> {
    /// A statement.
    fn visit_stmt(&mut self, stmt: &'a TypedStmt) {
        walk_stmt(self, stmt);
    }

    /// An expression.
    fn visit_expr(&mut self, expr: &'a TypedExpr) {
        walk_expr(self, expr);
    }

    /// The capture groups of a match (`as m`), evaluated before the block that uses them.
    fn visit_captures(&mut self, captures: &'a CaptureBinding) {
        self.visit_expr(&captures.subject);
    }

    /// A route: its captures, then its body.
    fn visit_route(&mut self, route: &'a TypedRoute) {
        walk_route(self, route);
    }
}

/// Walks every part of a program that holds expressions or statements, in phase order.
pub fn walk_program<'a, V: Visit<'a> + ?Sized>(v: &mut V, program: &'a TypedProgram) {
    for upstream in &program.upstreams {
        if let Some(key) = &upstream.hash_key {
            v.visit_expr(key);
        }
    }
    walk_stmts(v, &program.on_request);
    for route in &program.routes {
        v.visit_route(route);
    }
    walk_stmts(v, &program.on_response);
    walk_stmts(v, &program.on_error);
    walk_stmts(v, &program.on_log);
}

/// Visits each statement.
pub fn walk_stmts<'a, V: Visit<'a> + ?Sized>(v: &mut V, stmts: &'a [TypedStmt]) {
    for stmt in stmts {
        v.visit_stmt(stmt);
    }
}

/// Visits a route's captures and body.
pub fn walk_route<'a, V: Visit<'a> + ?Sized>(v: &mut V, route: &'a TypedRoute) {
    if let Some(captures) = &route.captures {
        v.visit_captures(captures);
    }
    walk_stmts(v, &route.body);
    walk_stmts(v, &route.on_response);
}

/// Visits the children of a statement.
pub fn walk_stmt<'a, V: Visit<'a> + ?Sized>(v: &mut V, stmt: &'a TypedStmt) {
    match &stmt.kind {
        TypedStmtKind::SetHeader { value, .. }
        | TypedStmtKind::AddHeader { value, .. }
        | TypedStmtKind::SetLogField { value, .. }
        | TypedStmtKind::Let { value, .. } => v.visit_expr(value),
        TypedStmtKind::RemoveHeader { .. }
        | TypedStmtKind::Proxy { .. }
        | TypedStmtKind::Cache {
            rule: TypedCacheRule { key: None, .. },
            ..
        }
        | TypedStmtKind::Purge { scope: None, .. } => {}
        TypedStmtKind::Cache {
            rule: TypedCacheRule { key: Some(key), .. },
            ..
        } => v.visit_expr(key),
        TypedStmtKind::Purge {
            scope: Some((_, value)),
            ..
        } => v.visit_expr(value),
        TypedStmtKind::Respond {
            status,
            body,
            headers,
        } => {
            match status {
                StatusValue::Literal(_) => {}
                StatusValue::Expr(e) => v.visit_expr(e),
            }
            if let Some(body) = body {
                v.visit_expr(body);
            }
            for (_, value) in headers {
                v.visit_expr(value);
            }
        }
        TypedStmtKind::Redirect { location: e, .. }
        | TypedStmtKind::StripPrefix(e)
        | TypedStmtKind::RewritePath(e) => v.visit_expr(e),
        TypedStmtKind::If {
            captures,
            cond,
            then,
            else_,
        } => {
            if let Some(captures) = captures {
                v.visit_captures(captures);
            }
            v.visit_expr(cond);
            walk_stmts(v, then);
            walk_stmts(v, else_);
        }
        TypedStmtKind::RateLimit { key, otherwise, .. } => {
            v.visit_expr(key);
            if let Some(otherwise) = otherwise {
                v.visit_stmt(otherwise);
            }
        }
        TypedStmtKind::MaxInFlight { key, otherwise, .. } => {
            if let Some(key) = key {
                v.visit_expr(key);
            }
            if let Some(otherwise) = otherwise {
                v.visit_stmt(otherwise);
            }
        }
        TypedStmtKind::VerifyJwt(_)
        | TypedStmtKind::VerifyBasic(_)
        | TypedStmtKind::VerifyForward { .. }
        | TypedStmtKind::Compress(_) => {}
    }
}

/// Visits the children of an expression.
pub fn walk_expr<'a, V: Visit<'a> + ?Sized>(v: &mut V, expr: &'a TypedExpr) {
    match &expr.kind {
        TypedExprKind::Str(_)
        | TypedExprKind::Int(_)
        | TypedExprKind::Duration(_)
        | TypedExprKind::Size(_)
        | TypedExprKind::Bool(_)
        | TypedExprKind::Method(_)
        | TypedExprKind::Ip(_)
        | TypedExprKind::Cidr(..)
        | TypedExprKind::Field(_)
        | TypedExprKind::Var(_)
        | TypedExprKind::DataList(_)
        | TypedExprKind::Flag(_)
        | TypedExprKind::Healthy(_) => {}
        TypedExprKind::Interp(parts) => {
            for part in parts {
                match part {
                    InterpPart::Text(_) => {}
                    InterpPart::Value(e) => v.visit_expr(e),
                }
            }
        }
        TypedExprKind::Call(_, args) | TypedExprKind::List(args) => {
            for arg in args {
                v.visit_expr(arg);
            }
        }
        TypedExprKind::Not(a)
        | TypedExprKind::Matches(a, _)
        | TypedExprKind::ListIndex(a, _)
        | TypedExprKind::InData(a, _)
        | TypedExprKind::Present(a) => v.visit_expr(a),
        TypedExprKind::Binary(_, a, b) => {
            v.visit_expr(a);
            v.visit_expr(b);
        }
        TypedExprKind::InList(a, items) => {
            v.visit_expr(a);
            for item in items {
                v.visit_expr(item);
            }
        }
    }
}
