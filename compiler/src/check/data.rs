//! Lists and flags read from files: `list NAME: TYPE from file "PATH"` and
//! `flag NAME from file "PATH"`. They are declared before any block is checked (so a route may
//! name one declared further down) and are read by name in expressions: a flag is a `bool`,
//! a list the right side of `in` (`client.ip in blocked`, `req.headers["x-key"] in keys`).
//! Also `healthy(NAME)`, the other run-time fact a program reads by a declared name.

use pxy_dsl::ast::{DataDecl, DataKind, Expr, ExprKind, Ident, Item, ParsedProgram};
use pxy_dsl::Span;

use super::error::{DuplicateKind, Expected, FileKind};
use super::suggest::closest;
use super::{CheckError, Checker};
use crate::catalog::words::LIST_ELEMENTS;
use crate::typed::{ListElement, TypedData, TypedDataKind, TypedExpr, TypedExprKind};
use crate::types::Type;

/// A declared list or flag: its checked form (`None` after an error, already reported) and
/// where its name is written.
#[derive(Debug)]
pub(crate) struct DeclaredData {
    pub(crate) data: Option<TypedData>,
    name_span: Span,
}

impl Checker<'_> {
    /// Checks every `list` and `flag` declaration.
    pub(super) fn declare_data(&mut self, parsed: &ParsedProgram) {
        for item in &parsed.items {
            let Item::Data(decl) = item else { continue };
            if let Some(&first) = self.data_ids.get(&decl.name.name) {
                self.problems.push(CheckError::Duplicate {
                    span: decl.name.span,
                    first: self.data[first].name_span,
                    what: DuplicateKind::Data,
                    name: decl.name.name.clone(),
                });
                continue;
            }
            let data = self.data_decl(decl);
            self.data_ids
                .insert(decl.name.name.clone(), self.data.len());
            self.data.push(DeclaredData {
                data,
                name_span: decl.name.span,
            });
        }
    }

    fn data_decl(&mut self, decl: &DataDecl) -> Option<TypedData> {
        let kind = match &decl.kind {
            DataKind::List { element } => TypedDataKind::List(self.list_element(element)?),
            DataKind::Flag => TypedDataKind::Flag,
        };
        // A missing flag file is the flag being off: nothing to warn about.
        let path = match kind {
            TypedDataKind::List(_) => self.file(&decl.path, FileKind::List),
            TypedDataKind::Flag => self.runtime_path(&decl.path),
        };
        Some(TypedData {
            name: decl.name.name.clone(),
            path,
            kind,
        })
    }

    fn list_element(&mut self, element: &Ident) -> Option<ListElement> {
        let found = LIST_ELEMENTS
            .iter()
            .find(|w| w.word == element.name)
            .map(|w| w.value);
        if found.is_none() {
            self.problems.push(CheckError::UnsupportedListType {
                span: element.span,
                name: element.name.clone(),
                suggestion: closest(&element.name, LIST_ELEMENTS.iter().map(|w| w.word)),
            });
        }
        found
    }

    /// The names of declared lists and flags (for "did you mean").
    pub(super) fn data_names(&self) -> impl Iterator<Item = &str> {
        self.data_ids.keys().map(String::as_str)
    }

    /// A bare `NAME` that names a list or flag: a flag is a `bool`, a list a `list<T>` (used
    /// by `in`). `None` when it names neither; `Some(None)` when it names one whose
    /// declaration had an error (already reported).
    pub(super) fn data_ref(&self, name: &str) -> Option<Option<TypedExpr>> {
        let &id = self.data_ids.get(name)?;
        let Some(data) = &self.data[id].data else {
            return Some(None);
        };
        let (kind, ty) = match data.kind {
            TypedDataKind::Flag => (TypedExprKind::Flag(id), Type::Bool),
            TypedDataKind::List(element) => (
                TypedExprKind::DataList(id),
                Type::List(Box::new(element.ty())),
            ),
        };
        Some(Some(TypedExpr {
            kind,
            ty,
            span: Span::default(),
        }))
    }

    /// Whether `expr` is a bare name of a declared list (not hidden by a `let`).
    pub(super) fn names_data_list(&self, expr: &Expr) -> bool {
        let ExprKind::Path(path) = &expr.kind else {
            return false;
        };
        let [single] = path.as_slice() else {
            return false;
        };
        let is_let = self
            .scopes
            .iter()
            .flatten()
            .any(|(n, _, _)| *n == single.name);
        !is_let
            && self.data_ids.get(&single.name).is_some_and(|&id| {
                // A list whose declaration failed is typed (and says nothing) as a list too.
                self.data[id]
                    .data
                    .as_ref()
                    .is_none_or(|d| matches!(d.kind, TypedDataKind::List(_)))
            })
    }

    /// `value in NAME`, `NAME` a list read from a file (already typed as `list`); a `str?`
    /// value may be absent (then it is in no list), as with `in [..]`.
    pub(super) fn in_data(
        &mut self,
        value: TypedExpr,
        value_span: Span,
        list: &TypedExpr,
        list_span: Span,
    ) -> Option<TypedExpr> {
        let (TypedExprKind::DataList(id), Type::List(element)) = (&list.kind, &list.ty) else {
            return None;
        };
        let lt = value.ty.unwrapped().clone();
        let fits = **element == lt || (lt == Type::Ip && **element == Type::Cidr);
        if !fits {
            self.problems.push(CheckError::TypeMismatch {
                span: list_span,
                expected: Expected::ListOf(lt),
                found: list.ty.clone(),
            });
            return None;
        }
        if value.ty.is_optional() && lt != Type::Str {
            self.problems.push(CheckError::OptionalUsed {
                span: value_span,
                ty: value.ty,
            });
            return None;
        }
        Some(TypedExpr {
            kind: TypedExprKind::InData(Box::new(value), *id),
            ty: Type::Bool,
            span: Span::default(),
        })
    }

    /// The argument of `healthy(NAME)`: a declared upstream.
    pub(super) fn healthy(&mut self, arg: &Expr) -> Option<TypedExpr> {
        let name = match &arg.kind {
            ExprKind::Path(path) => match path.as_slice() {
                [single] => Some(single),
                _ => None,
            },
            _ => None,
        };
        let Some(name) = name else {
            let found = self.expr(arg)?.ty;
            self.problems.push(CheckError::TypeMismatch {
                span: arg.span,
                expected: Expected::UpstreamName,
                found,
            });
            return None;
        };
        let Some(&(id, _)) = self.upstream_ids.get(&name.name) else {
            self.unknown_upstream(&name.name, name.span);
            return None;
        };
        // Its health decides something: it is not unused (W0603), even if no route proxies to it.
        self.used_upstreams[id] = true;
        Some(TypedExpr {
            kind: TypedExprKind::Healthy(id),
            ty: Type::Bool,
            span: Span::default(),
        })
    }

    /// Every list and flag, checked or not (a failed one is left out: the program has an error).
    pub(super) fn checked_data(&self) -> Vec<TypedData> {
        self.data.iter().filter_map(|d| d.data.clone()).collect()
    }
}
