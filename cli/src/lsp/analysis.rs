//! What the checker found in one open document, arranged for the editor: which upstreams and
//! `let` bindings are declared where, and what every name, field and call refers to, with the
//! type the checker gave it. Hover, go to definition, references and completion read it.
//!
//! Nothing here types anything: the document is checked by the compiler's own driver
//! ([`pxy_compiler::driver::analyse`]), and this module walks the typed program it returns —
//! partial when the document has errors, so a `let` keeps its type while an unrelated line is
//! wrong — with the typed program's visitor.

use std::path::PathBuf;

use lsp_types::Uri;
use pxy_compiler::catalog::{self, FieldInfo, FunctionInfo};
use pxy_compiler::driver::{self, Checked};
use pxy_compiler::files::{DiskLoader, MemoryLoader};
use pxy_compiler::typed::visit::{walk_expr, walk_program, walk_stmt, Visit};
use pxy_compiler::typed::{
    Binding, Field, TypedExpr, TypedExprKind, TypedProgram, TypedStmt, TypedStmtKind,
};
use pxy_compiler::types::Type;
use pxy_dsl::ast::Place;
use pxy_dsl::visit::Visit as _;
use pxy_dsl::Span;

/// Reads and checks a document as the command line would: with its includes from disk when
/// it is a file, on its own otherwise.
pub fn analyse(uri: Option<&Uri>, source: &str) -> driver::Analysis {
    match uri.and_then(file_path) {
        Some(path) => driver::analyse(&path, source.to_string(), &DiskLoader),
        None => driver::analyse(
            std::path::Path::new(""),
            source.to_string(),
            &MemoryLoader::default(),
        ),
    }
}

/// The local path of a `file:` URI, percent-decoded.
pub fn file_path(uri: &Uri) -> Option<PathBuf> {
    let encoded = uri.as_str().strip_prefix("file://")?;
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok().map(PathBuf::from)
}

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

/// What an occurrence in the source refers to.
#[derive(Debug, Clone)]
pub enum Target {
    /// An upstream (an index into [`Analysis::upstreams`]): its declaration or a `proxy NAME`.
    Upstream(usize),
    /// A `let` binding (an index into [`Analysis::lets`]): its declaration or a use.
    Let(usize),
    /// A field read, with the header (or parameter, cookie) name and the type the checker
    /// gave it there.
    Field(&'static FieldInfo, Option<String>, Type),
    /// A call of a built-in function.
    Function(&'static FunctionInfo),
}

impl Target {
    /// True when both refer to the same upstream or the same binding (the targets that have
    /// definitions and references).
    pub fn same_symbol(&self, other: &Target) -> bool {
        match (self, other) {
            (Target::Upstream(a), Target::Upstream(b)) => a == b,
            (Target::Let(a), Target::Let(b)) => a == b,
            (Target::Upstream(_) | Target::Let(_) | Target::Field(..) | Target::Function(_), _) => {
                false
            }
        }
    }
}

/// A place in the source that refers to something.
#[derive(Debug)]
pub struct Occurrence {
    /// Where.
    pub span: Span,
    /// To what.
    pub target: Target,
}

/// The declarations statements name, in source order.
#[derive(Debug, Default)]
pub struct Declared {
    /// `jwt NAME { }`.
    pub jwts: Vec<String>,
    /// `basic_auth NAME { }`.
    pub basic_auths: Vec<String>,
    /// `forward_auth NAME { }`.
    pub forward_auths: Vec<String>,
    /// `cache NAME { }`.
    pub caches: Vec<String>,
    /// `limit NAME = ...`.
    pub limits: Vec<String>,
}

/// Declarations and occurrences of one document.
#[derive(Debug, Default)]
pub struct Analysis {
    /// Upstream declarations in source order.
    pub upstreams: Vec<UpstreamDef>,
    /// `let` bindings in source order, with the types the checker gave them.
    pub lets: Vec<Binding>,
    /// Lists and flags read from files, in source order.
    pub data: Vec<pxy_compiler::typed::TypedData>,
    /// The names `verify_jwt`, `verify_basic`, `verify_forward`, `cache` or `purge`, and
    /// `rate_limit` take:
    /// the declared verifiers, caches and limits.
    pub declared: Declared,
    /// Every name, field and call with what it refers to, in source order.
    pub occurrences: Vec<Occurrence>,
}

impl Analysis {
    /// The analysis of a checked document (`source`, the text that was checked): of what
    /// could be typed, in the document itself (included files have their own offsets).
    /// Empty when nothing could be typed (a syntax error).
    pub fn new(checked: &Checked, source: &str) -> Analysis {
        let Some(program) = checked.partial() else {
            return Analysis::default();
        };
        let mut out = Analysis {
            upstreams: program
                .upstreams
                .iter()
                .map(|u| UpstreamDef {
                    name: u.name.clone(),
                    name_span: u.name_span,
                    span: u.span,
                    servers: u
                        .servers
                        .iter()
                        .map(|s| match s.weight {
                            1 => s.addr.to_string(),
                            w => format!("{} weight {w}", s.addr),
                        })
                        .collect(),
                })
                .collect(),
            lets: program.bindings.clone(),
            data: program.data.clone(),
            declared: Declared {
                jwts: program.jwts.iter().map(|j| j.name.clone()).collect(),
                basic_auths: program.basic_auths.iter().map(|b| b.name.clone()).collect(),
                forward_auths: (program.forward_auths.iter())
                    .map(|f| f.name.clone())
                    .collect(),
                caches: program.caches.iter().map(|c| c.name.clone()).collect(),
                limits: program.limits.iter().map(|l| l.name.clone()).collect(),
            },
            occurrences: Vec::new(),
        };
        for (id, up) in out.upstreams.iter().enumerate() {
            out.occurrences.push(Occurrence {
                span: up.name_span,
                target: Target::Upstream(id),
            });
        }
        for (id, binding) in out.lets.iter().enumerate() {
            out.occurrences.push(Occurrence {
                span: binding.name_span,
                target: Target::Let(id),
            });
        }
        let mut collector = Collector {
            program,
            lets: &out.lets,
            found: Vec::new(),
        };
        walk_program(&mut collector, program);
        out.occurrences.append(&mut collector.found);
        // The places `set`, `add` and `remove` write are not expressions of the typed program:
        // they are read from the document's syntax tree.
        if let Ok(parsed) = pxy_dsl::parse(source) {
            let mut places = Places(Vec::new());
            places.visit_program(&parsed);
            out.occurrences.append(&mut places.0);
        }
        out.occurrences.retain(|o| o.span.end <= source.len());
        out.occurrences.sort_by_key(|o| o.span.start);
        out
    }

    /// The analysis of a document's text (see [`analyse`]).
    pub fn of(uri: Option<&Uri>, source: &str) -> Analysis {
        Analysis::new(&analyse(uri, source).checked, source)
    }

    /// The innermost occurrence at a byte offset (a cursor just after a name is on it).
    pub fn at(&self, offset: usize) -> Option<&Occurrence> {
        self.occurrences
            .iter()
            .filter(|o| o.span.start <= offset && offset <= o.span.end)
            .min_by_key(|o| o.span.len())
    }

    /// Where the upstream or binding an occurrence refers to is declared.
    pub fn definition(&self, target: &Target) -> Option<Span> {
        match target {
            Target::Upstream(id) => self.upstreams.get(*id).map(|u| u.name_span),
            Target::Let(id) => self.lets.get(*id).map(|l| l.name_span),
            Target::Field(..) | Target::Function(_) => None,
        }
    }

    /// Every occurrence of the same upstream or binding, declarations included.
    pub fn references(&self, target: &Target) -> Vec<Span> {
        self.occurrences
            .iter()
            .filter(|o| o.target.same_symbol(target))
            .map(|o| o.span)
            .collect()
    }

    /// The bindings usable at a byte offset, innermost first, each name once.
    pub fn lets_in_scope(&self, offset: usize) -> Vec<&Binding> {
        let mut visible: Vec<&Binding> = self
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

/// Collects the occurrences of the typed program's nodes.
struct Collector<'a> {
    program: &'a TypedProgram,
    lets: &'a [Binding],
    found: Vec<Occurrence>,
}

impl<'a> Visit<'a> for Collector<'a> {
    fn visit_stmt(&mut self, stmt: &'a TypedStmt) {
        if let TypedStmtKind::Proxy {
            upstream,
            name_span,
        } = &stmt.kind
        {
            if *upstream < self.program.upstreams.len() {
                self.push(name_span.0, Target::Upstream(*upstream));
            }
        }
        walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a TypedExpr) {
        if let TypedExprKind::Present(inner) = &expr.kind {
            // A field narrowed by `if present(...)`: the checker's type is the narrowed one,
            // so the field inside is not visited.
            if let TypedExprKind::Field(field) = &inner.kind {
                self.push(expr.span, field_target(field, &expr.ty));
                return;
            }
        }
        if let TypedExprKind::Field(field) = &expr.kind {
            self.push(expr.span, field_target(field, &expr.ty));
        }
        if let TypedExprKind::Var(var) = expr.kind {
            if let Some(id) = self.lets.iter().position(|b| b.var == var) {
                self.push(expr.span, Target::Let(id));
            }
        }
        if let TypedExprKind::Call(func, _) = expr.kind {
            self.push(expr.span, Target::Function(catalog::functions::info(func)));
        }
        walk_expr(self, expr);
    }
}

impl Collector<'_> {
    fn push(&mut self, span: Span, target: Target) {
        self.found.push(Occurrence { span, target });
    }
}

/// The fields that statements write: `set req.headers["x-id"] = ...`.
struct Places(Vec<Occurrence>);

impl<'ast> pxy_dsl::visit::Visit<'ast> for Places {
    fn visit_place(&mut self, place: &'ast Place) {
        if let [object, name] = place.path.as_slice() {
            if let Some(info) = catalog::field(&object.name, &name.name) {
                let key = place.key.as_ref().and_then(|k| k.plain_str());
                self.0.push(Occurrence {
                    span: place.span,
                    target: Target::Field(info, key.map(|k| k.to_ascii_lowercase()), (info.ty)()),
                });
            }
        }
        pxy_dsl::visit::walk_place(self, place);
    }
}

fn field_target(field: &Field, ty: &Type) -> Target {
    Target::Field(
        catalog::fields::info(field),
        field.key().map(str::to_string),
        ty.clone(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lets(source: &str) -> Vec<(String, String)> {
        Analysis::of(None, source)
            .lets
            .iter()
            .map(|l| (l.name.clone(), l.ty.to_string()))
            .collect()
    }

    #[test]
    fn let_types_are_the_checkers_even_with_errors_elsewhere() {
        // No `listen` (an error) and an unknown upstream (another): the lets keep their types.
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
    proxy nowhere
}
"#;
        assert!(pxy_compiler::driver::check_source(source).has_errors());
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
            .map(|(n, t)| (n.to_string(), t.to_string()))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn names_resolve_to_the_innermost_latest_binding() {
        let source = "listen http 127.0.0.1:1\nroute {\n let x = 1\n let x = \"{x}\"\n if true { let x = \"s\" respond 200 \"{x}\" }\n respond 200 \"{x}\"\n}";
        let analysis = Analysis::of(None, source);
        let uses: Vec<usize> = analysis
            .occurrences
            .iter()
            .filter_map(|o| match o.target {
                Target::Let(id) => Some(id),
                _ => None,
            })
            .collect();
        // Declaration 0; declaration 1, whose value reads 0; declaration 2 and its use inside
        // the `if`; after the `if`, 1 again.
        assert_eq!(uses, vec![0, 1, 0, 2, 2, 1]);
        let inner = source.find("\"{x}\" }").unwrap() + 2;
        let names: Vec<&str> = analysis
            .lets_in_scope(inner)
            .iter()
            .map(|l| l.name.as_str())
            .collect();
        assert_eq!(names, vec!["x"]);
        assert_eq!(analysis.lets_in_scope(inner)[0].ty, Type::Str);
    }
}
