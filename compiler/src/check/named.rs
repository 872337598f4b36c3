//! What the declarations that statements name have in common (`jwt`, `basic_auth`,
//! `forward_auth`): each name declared once, and a statement that names an undeclared one
//! told the closest declared name.

use std::collections::HashMap;

use pxy_dsl::ast::Ident;
use pxy_dsl::Span;

use super::error::{DuplicateKind, Statement};
use super::{CheckError, Checker, Declaration};
use crate::catalog::words::{Phase, Section};

/// The declarations of one kind checked without error, in source order, each with where
/// its name is, and their ids by name.
#[derive(Debug)]
pub(super) struct Declared<T> {
    pub(super) ids: HashMap<String, usize>,
    all: Vec<(T, Span)>,
}

impl<T> Default for Declared<T> {
    fn default() -> Self {
        Declared {
            ids: HashMap::new(),
            all: Vec::new(),
        }
    }
}

impl<T> Declared<T> {
    /// The declaration of id `id`.
    pub(super) fn get(&self, id: usize) -> &T {
        &self.all[id].0
    }

    /// Every declaration with where its name is, in source order (ids are positions).
    pub(super) fn iter(&self) -> impl Iterator<Item = &(T, Span)> {
        self.all.iter()
    }

    /// The declarations, in source order, for the typed program.
    pub(super) fn values(&self) -> Vec<T>
    where
        T: Clone,
    {
        self.all.iter().map(|(value, _)| value.clone()).collect()
    }
}

/// Where a checker keeps one kind of declaration.
pub(super) type Table<T> = for<'c, 's> fn(&'c mut Checker<'s>) -> &'c mut Declared<T>;

/// Where a checker keeps the ids of one kind of declaration, by name.
type Ids = for<'c, 's> fn(&'c Checker<'s>) -> &'c HashMap<String, usize>;

impl Checker<'_> {
    /// Adds the declaration `name` that `check` makes to `table`, unless the name is taken
    /// (a duplicate is reported) or `check` found it wrong (`None`).
    pub(super) fn declare<T>(
        &mut self,
        name: &Ident,
        table: Table<T>,
        what: DuplicateKind,
        check: impl FnOnce(&mut Self) -> Option<T>,
    ) {
        let declared = table(self);
        let first = (declared.ids.get(&name.name)).map(|&i| declared.all[i].1);
        if self.declared_twice(name, first, what) {
            return;
        }
        if let Some(value) = check(self) {
            let declared = table(self);
            declared.ids.insert(name.name.clone(), declared.all.len());
            declared.all.push((value, name.span));
        }
    }

    /// The id of the verifier `name` a `verify_*` statement (`statement`) names in the
    /// request phase, recorded as used; otherwise the problem is reported as for
    /// [`Checker::named_id`].
    #[allow(clippy::too_many_arguments)]
    pub(super) fn verifier(
        &mut self,
        name: &Ident,
        span: Span,
        section: Section,
        statement: Statement,
        kind: Declaration,
        ids: Ids,
        invalid: fn(&CheckError) -> bool,
        unknown: fn(Span, String, Option<String>) -> CheckError,
    ) -> Option<usize> {
        if self.phase != Phase::Request {
            self.not_allowed(span, statement, section);
            return None;
        }
        let id = self.named_id(name, ids, invalid, unknown)?;
        self.named.insert((kind, id));
        Some(id)
    }

    /// Whether `name` is declared already (`first` is where), reported as a duplicate.
    fn declared_twice(&mut self, name: &Ident, first: Option<Span>, what: DuplicateKind) -> bool {
        let Some(first) = first else { return false };
        self.problems.push(CheckError::Duplicate {
            span: name.span,
            first,
            what,
            name: name.name.clone(),
        });
        true
    }

    /// The id of the declaration `name` among `ids`. Otherwise `unknown` is reported with
    /// the closest declared name, unless a declaration of this kind had an error
    /// (`invalid`): the statement may mean that one.
    fn named_id(
        &mut self,
        name: &Ident,
        ids: Ids,
        invalid: fn(&CheckError) -> bool,
        unknown: fn(Span, String, Option<String>) -> CheckError,
    ) -> Option<usize> {
        if let Some(&id) = ids(self).get(&name.name) {
            return Some(id);
        }
        if !self.problems.iter().any(invalid) {
            let suggestion =
                super::suggest::closest(&name.name, ids(self).keys().map(String::as_str));
            let problem = unknown(name.span, name.name.clone(), suggestion);
            self.problems.push(problem);
        }
        None
    }
}
