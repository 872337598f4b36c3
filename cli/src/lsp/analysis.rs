//! A map of one parsed document: which upstreams and `let` bindings are declared where, and what
//! every name, field and function call refers to. Hover, go to definition, references and
//! completion read it; none of them walks the AST themselves.
//!
//! `let` types are inferred here from the AST with the checker's rules (fields and functions
//! have fixed types, `??` removes the `?`, comparisons and word operators give `bool`, and a
//! field tested by an enclosing `if present(...)` is no longer optional). The inference only
//! describes; the checker alone decides what is an error, so an ill-typed value simply has no
//! type here.

use pxy_compiler::types::Type;
use pxy_dsl::ast::{
    BinOp, Block, Else, Expr, ExprKind, Item, ParsedProgram, Place, Stmt, StmtKind, StrPart,
    UpstreamItem,
};
use pxy_dsl::Span;

use pxy_compiler::catalog::{self, FieldInfo, FunctionInfo};

/// An upstream declaration.
#[derive(Debug)]
pub struct UpstreamDef {
    /// Its name.
    pub name: String,
    /// Where its name is written.
    pub name_span: Span,
    /// The whole declaration.
    pub span: Span,
    /// Its servers as written: `127.0.0.1:9001 weight 3`.
    pub servers: Vec<String>,
}

/// A `let` binding.
#[derive(Debug)]
pub struct LetDef {
    /// The bound name.
    pub name: String,
    /// Where the name is written in the `let`.
    pub name_span: Span,
    /// The value's type, when it can be told.
    pub ty: Option<Type>,
    /// Where the name can be used: from the end of the `let` to the end of its block.
    pub visible: Span,
}

/// What an occurrence in the source refers to.
#[derive(Clone, Copy)]
pub enum Target<'a> {
    /// An upstream, by name: its declaration or a `proxy NAME`.
    Upstream(&'a str),
    /// A `let` binding (an index into [`Analysis::lets`]): its declaration or a use.
    Let(usize),
    /// A field, with the header name for `req.headers["name"]`.
    Field(&'static FieldInfo, Option<&'a str>),
    /// A call of a built-in function.
    Function(&'static FunctionInfo),
}

impl Target<'_> {
    /// True when both refer to the same upstream or the same binding (the targets that have
    /// definitions and references).
    pub fn same_symbol(&self, other: &Target<'_>) -> bool {
        match (self, other) {
            (Target::Upstream(a), Target::Upstream(b)) => a == b,
            (Target::Let(a), Target::Let(b)) => a == b,
            _ => false,
        }
    }
}

/// A place in the source that refers to something.
pub struct Occurrence<'a> {
    /// Where.
    pub span: Span,
    /// To what.
    pub target: Target<'a>,
}

/// Declarations and occurrences of one program.
pub struct Analysis<'a> {
    /// Upstream declarations in source order.
    pub upstreams: Vec<UpstreamDef>,
    /// `let` bindings in source order.
    pub lets: Vec<LetDef>,
    /// Every name, field and call with what it refers to, in source order.
    pub occurrences: Vec<Occurrence<'a>>,
}

impl<'a> Analysis<'a> {
    /// Analyses a parsed program.
    pub fn new(program: &'a ParsedProgram) -> Analysis<'a> {
        let mut walker = Walker {
            out: Analysis {
                upstreams: Vec::new(),
                lets: Vec::new(),
                occurrences: Vec::new(),
            },
            scopes: Vec::new(),
            present: Vec::new(),
        };
        for item in &program.items {
            walker.item(item);
        }
        let mut analysis = walker.out;
        analysis.occurrences.sort_by_key(|o| o.span.start);
        analysis
    }

    /// The innermost occurrence at a byte offset (a cursor just after a name is on it).
    pub fn at(&self, offset: usize) -> Option<&Occurrence<'a>> {
        self.occurrences
            .iter()
            .filter(|o| o.span.start <= offset && offset <= o.span.end)
            .min_by_key(|o| o.span.len())
    }

    /// Where the upstream or binding an occurrence refers to is declared.
    pub fn definition(&self, target: &Target<'_>) -> Option<Span> {
        match target {
            Target::Upstream(name) => self
                .upstreams
                .iter()
                .find(|u| u.name == *name)
                .map(|u| u.name_span),
            Target::Let(id) => self.lets.get(*id).map(|l| l.name_span),
            Target::Field(..) | Target::Function(_) => None,
        }
    }

    /// Every occurrence of the same upstream or binding, declarations included.
    pub fn references(&self, target: &Target<'_>) -> Vec<Span> {
        self.occurrences
            .iter()
            .filter(|o| o.target.same_symbol(target))
            .map(|o| o.span)
            .collect()
    }

    /// The bindings usable at a byte offset, innermost first, each name once.
    pub fn lets_in_scope(&self, offset: usize) -> Vec<&LetDef> {
        let mut visible: Vec<&LetDef> = self
            .lets
            .iter()
            .filter(|l| l.visible.start <= offset && offset < l.visible.end)
            .collect();
        // A later `let` of a name (in the same or a nested block) shadows an earlier one.
        visible.sort_by_key(|l| std::cmp::Reverse(l.visible.start));
        let mut seen = Vec::new();
        visible.retain(|l| {
            let first = !seen.contains(&l.name.as_str());
            seen.push(l.name.as_str());
            first
        });
        visible
    }

    /// The upstream declaration that contains a byte offset.
    pub fn upstream_around(&self, offset: usize) -> Option<&UpstreamDef> {
        self.upstreams
            .iter()
            .find(|u| u.span.start < offset && offset < u.span.end)
    }
}

/// Walks a program in the checker's order, keeping its `let` scopes and proven-present fields.
struct Walker<'a> {
    out: Analysis<'a>,
    /// Bindings per enclosing block, innermost last: (name, index into `lets`).
    scopes: Vec<Vec<(&'a str, usize)>>,
    /// Fields an enclosing `if present(...)` proved present, as [`field_key`]s.
    present: Vec<String>,
}

impl<'a> Walker<'a> {
    fn occurrence(&mut self, span: Span, target: Target<'a>) {
        self.out.occurrences.push(Occurrence { span, target });
    }

    fn item(&mut self, item: &'a Item) {
        match item {
            Item::Listen(_) | Item::Include(_) => {}
            Item::Upstream(decl) => {
                let servers = decl
                    .items
                    .iter()
                    .filter_map(|i| match i {
                        UpstreamItem::Server(s) => Some(match s.weight {
                            Some(w) => format!("{} weight {}", s.addr.value, w.value),
                            None => s.addr.value.clone(),
                        }),
                        _ => None,
                    })
                    .collect();
                self.out.upstreams.push(UpstreamDef {
                    name: decl.name.name.clone(),
                    name_span: decl.name.span,
                    span: decl.span,
                    servers,
                });
                self.occurrence(decl.name.span, Target::Upstream(&decl.name.name));
            }
            Item::Route(route) => self.block(&route.body),
            Item::On(on) => self.block(&on.body),
        }
    }

    fn block(&mut self, block: &'a Block) {
        self.scopes.push(Vec::new());
        for stmt in &block.stmts {
            self.stmt(stmt, block.span.end);
        }
        self.scopes.pop();
    }

    fn stmt(&mut self, stmt: &'a Stmt, block_end: usize) {
        match &stmt.kind {
            StmtKind::Set { place, value } | StmtKind::Add { place, value } => {
                self.place(place);
                self.expr(value);
            }
            StmtKind::Remove { place } => self.place(place),
            StmtKind::Respond { body, headers, .. } => {
                if let Some(body) = body {
                    self.expr(body);
                }
                for header in headers {
                    self.expr(&header.value);
                }
            }
            StmtKind::Redirect { location, .. } => self.expr(location),
            StmtKind::StripPrefix(e) | StmtKind::RewritePath(e) => self.expr(e),
            StmtKind::Proxy(name) => self.occurrence(name.span, Target::Upstream(&name.name)),
            StmtKind::If {
                cond, then, else_, ..
            } => {
                self.expr(cond);
                let before = self.present.len();
                self.present.extend(proven_present(cond));
                self.block(then);
                self.present.truncate(before);
                match else_.as_deref() {
                    None => {}
                    Some(Else::Block(block)) => self.block(block),
                    Some(Else::If(stmt)) => self.stmt(stmt, block_end),
                }
            }
            StmtKind::Let { name, value } => {
                // The value is read before the name exists: `let x = x` refers to an outer `x`.
                self.expr(value);
                let id = self.out.lets.len();
                self.out.lets.push(LetDef {
                    name: name.name.clone(),
                    name_span: name.span,
                    ty: self.infer(value),
                    visible: Span::new(stmt.span.end, block_end),
                });
                self.occurrence(name.span, Target::Let(id));
                if let Some(scope) = self.scopes.last_mut() {
                    scope.push((&name.name, id));
                }
            }
        }
    }

    fn place(&mut self, place: &'a Place) {
        if let [object, name] = place.path.as_slice() {
            if let Some(field) = catalog::field(&object.name, &name.name) {
                let key = place.key.as_ref().and_then(literal);
                self.occurrence(place.span, Target::Field(field, key));
            }
        }
        if let Some(key) = &place.key {
            self.expr(key);
        }
    }

    fn expr(&mut self, expr: &'a Expr) {
        match &expr.kind {
            ExprKind::List(items) => {
                for item in items {
                    self.expr(item);
                }
            }
            ExprKind::Str(parts) => {
                for part in parts {
                    if let StrPart::Interp(e) = part {
                        self.expr(e);
                    }
                }
            }
            ExprKind::Path(path) => match path.as_slice() {
                [single] => {
                    if let Some(id) = self.resolve(&single.name) {
                        self.occurrence(single.span, Target::Let(id));
                    }
                }
                [object, name] => {
                    if let Some(field) = catalog::field(&object.name, &name.name) {
                        self.occurrence(expr.span, Target::Field(field, None));
                    }
                }
                _ => {}
            },
            ExprKind::Index { base, key } => {
                match headers_field(base) {
                    Some(field) => self.occurrence(expr.span, Target::Field(field, literal(key))),
                    None => self.expr(base),
                }
                self.expr(key);
            }
            ExprKind::Call { func, args } => {
                if let Some(f) = catalog::function(&func.name) {
                    self.occurrence(func.span, Target::Function(f));
                }
                for arg in args {
                    self.expr(arg);
                }
            }
            ExprKind::Not(inner) => self.expr(inner),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.expr(lhs);
                self.expr(rhs);
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

    /// The binding a name refers to here: the innermost, latest one.
    fn resolve(&self, name: &str) -> Option<usize> {
        self.scopes
            .iter()
            .rev()
            .flat_map(|scope| scope.iter().rev())
            .find(|(n, _)| *n == name)
            .map(|(_, id)| *id)
    }

    /// The type of an expression, when it can be told (see the module docs).
    fn infer(&self, expr: &Expr) -> Option<Type> {
        match &expr.kind {
            ExprKind::Str(_) => Some(Type::Str),
            ExprKind::Int(_) => Some(Type::Int),
            ExprKind::Duration(_) => Some(Type::Duration),
            ExprKind::Size(_) => Some(Type::Size),
            ExprKind::Bool(_) => Some(Type::Bool),
            ExprKind::Regex(_) => Some(Type::Regex),
            ExprKind::Method(_) => Some(Type::Method),
            ExprKind::Ip(_) => Some(Type::Ip),
            ExprKind::Cidr(_) => Some(Type::Cidr),
            ExprKind::List(items) => items
                .first()
                .and_then(|i| self.infer(i))
                .map(|t| Type::List(Box::new(t))),
            ExprKind::Path(path) => match path.as_slice() {
                [single] => self
                    .resolve(&single.name)
                    .and_then(|id| self.out.lets.get(id))
                    .and_then(|l| l.ty.clone()),
                [object, name] => {
                    let field = catalog::field(&object.name, &name.name)?;
                    if field.is_headers() {
                        return None;
                    }
                    Some(self.narrowed((field.ty)(), field_key(expr)))
                }
                _ => None,
            },
            ExprKind::Index { base, .. } => {
                let field = headers_field(base)?;
                Some(self.narrowed((field.ty)(), field_key(expr)))
            }
            ExprKind::Call { func, .. } => catalog::function(&func.name).map(|f| (f.returns)()),
            ExprKind::Not(_) => Some(Type::Bool),
            ExprKind::Binary { op, lhs, .. } => match op {
                BinOp::Coalesce => self.infer(lhs).map(|t| t.unwrapped().clone()),
                BinOp::Mod => Some(Type::Int),
                _ => Some(Type::Bool),
            },
        }
    }

    /// `ty` without its `?` when the field is proven present here.
    fn narrowed(&self, ty: Type, key: Option<String>) -> Type {
        match key {
            Some(key) if self.present.contains(&key) => ty.unwrapped().clone(),
            _ => ty,
        }
    }
}

/// The text of a string literal without interpolation.
fn literal(expr: &Expr) -> Option<&str> {
    match &expr.kind {
        ExprKind::Str(parts) => match parts.as_slice() {
            [] => Some(""),
            [StrPart::Text(text)] => Some(text),
            _ => None,
        },
        _ => None,
    }
}

/// `req.headers` or `resp.headers` as the base of an index.
fn headers_field(base: &Expr) -> Option<&'static FieldInfo> {
    match &base.kind {
        ExprKind::Path(path) => match path.as_slice() {
            [object, name] if name.name == "headers" => catalog::field(&object.name, "headers"),
            _ => None,
        },
        _ => None,
    }
}

/// A field access as text that identifies the field: `req.host`, `req.headers["x-user"]` (header
/// names are case-insensitive, so in lower case).
fn field_key(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Path(path) => match path.as_slice() {
            [object, name] => Some(format!("{}.{}", object.name, name.name)),
            _ => None,
        },
        ExprKind::Index { base, key } => {
            let field = headers_field(base)?;
            let name = literal(key)?.to_ascii_lowercase();
            Some(format!("{}.headers[{name:?}]", field.object))
        }
        _ => None,
    }
}

/// The fields a condition proves present: `present(x)` and conjunctions of them.
fn proven_present(cond: &Expr) -> Vec<String> {
    match &cond.kind {
        ExprKind::Call { func, args } if func.name == "present" => match args.as_slice() {
            [arg] => field_key(arg).into_iter().collect(),
            _ => Vec::new(),
        },
        ExprKind::Binary {
            op: BinOp::And,
            lhs,
            rhs,
            ..
        } => {
            let mut keys = proven_present(lhs);
            keys.extend(proven_present(rhs));
            keys
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lets(source: &str) -> Vec<(String, Option<String>)> {
        let program = pxy_dsl::parse(source).expect("parses");
        let analysis = Analysis::new(&program);
        analysis
            .lets
            .iter()
            .map(|l| (l.name.clone(), l.ty.as_ref().map(Type::to_string)))
            .collect()
    }

    #[test]
    fn let_types_follow_the_checker_rules() {
        let source = r#"
route {
    let a = req.headers["x-user"]
    let b = a ?? "anonymous"
    let c = lower(b) starts_with "x"
    let d = client.ip
    let e = 5s
    if present(req.headers["X-User"]) && present(req.host) {
        let f = req.headers["x-user"]
        let g = req.host
    }
    let h = req.host
    respond 200
}
"#;
        let got = lets(source);
        let want = [
            ("a", "str?"),
            ("b", "str"),
            ("c", "bool"),
            ("d", "ip"),
            ("e", "duration"),
            ("f", "str"),
            ("g", "str"),
            ("h", "str?"),
        ];
        let want: Vec<_> = want
            .iter()
            .map(|(n, t)| (n.to_string(), Some(t.to_string())))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn names_resolve_to_the_innermost_latest_binding() {
        let source = "route {\n let x = 1\n let x = x\n if true { let x = \"s\" respond 200 \"{x}\" }\n respond 200 \"{x}\"\n}";
        let program = pxy_dsl::parse(source).expect("parses");
        let analysis = Analysis::new(&program);
        let uses: Vec<(usize, usize)> = analysis
            .occurrences
            .iter()
            .filter_map(|o| match o.target {
                Target::Let(id) => Some((o.span.start, id)),
                _ => None,
            })
            .collect();
        // Declaration 0; declaration 1, whose value reads 0; declaration 2 and its use inside the
        // `if`; after the `if`, 1 again.
        let ids: Vec<usize> = uses.iter().map(|(_, id)| *id).collect();
        assert_eq!(ids, vec![0, 1, 0, 2, 2, 1]);
        let inner = source.find("\"{x}\"").unwrap() + 2;
        let names: Vec<&str> = analysis
            .lets_in_scope(inner)
            .iter()
            .map(|l| l.name.as_str())
            .collect();
        assert_eq!(names, vec!["x"]);
        assert_eq!(analysis.lets_in_scope(inner)[0].ty, Some(Type::Str));
    }
}
