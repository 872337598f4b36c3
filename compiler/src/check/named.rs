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

/// The declarations a `verify_*` statement names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verifier {
    /// `jwt`, named by `verify_jwt`.
    Jwt,
    /// `basic_auth`, named by `verify_basic`.
    Basic,
    /// `forward_auth`, named by `verify_forward`.
    Forward,
}

impl Verifier {
    fn statement(self) -> Statement {
        match self {
            Verifier::Jwt => Statement::VerifyJwt,
            Verifier::Basic => Statement::VerifyBasic,
            Verifier::Forward => Statement::VerifyForward,
        }
    }

    fn declaration(self) -> Declaration {
        match self {
            Verifier::Jwt => Declaration::Jwt,
            Verifier::Basic => Declaration::BasicAuth,
            Verifier::Forward => Declaration::ForwardAuth,
        }
    }

    /// The declared ones, by name.
    fn ids<'c>(self, cx: &'c Checker<'_>) -> &'c HashMap<String, usize> {
        match self {
            Verifier::Jwt => &cx.jwts.ids,
            Verifier::Basic => &cx.basic_auths.ids,
            Verifier::Forward => &cx.forward_auths.ids,
        }
    }

    /// Whether `problem` is an error in a declaration of this kind.
    fn is_invalid(self, problem: &CheckError) -> bool {
        match self {
            Verifier::Jwt => matches!(problem, CheckError::InvalidJwt { .. }),
            Verifier::Basic => matches!(problem, CheckError::InvalidBasicAuth { .. }),
            Verifier::Forward => matches!(problem, CheckError::InvalidForwardAuth { .. }),
        }
    }

    /// The report of `name`, which no declaration of this kind has.
    fn unknown(self, name: &Ident, suggestion: Option<String>) -> CheckError {
        let (span, name) = (name.span, name.name.clone());
        match self {
            Verifier::Jwt => CheckError::UnknownJwt {
                span,
                name,
                suggestion,
            },
            Verifier::Basic => CheckError::UnknownBasicAuth {
                span,
                name,
                suggestion,
            },
            Verifier::Forward => CheckError::UnknownForwardAuth {
                span,
                name,
                suggestion,
            },
        }
    }
}

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

    /// The id of the verifier of kind `kind` that a `verify_*` statement names, in the
    /// request phase, recorded as used. Otherwise the unknown name is reported with the
    /// closest declared one, unless a declaration of this kind had an error: the statement
    /// may mean that one.
    pub(super) fn verifier(
        &mut self,
        name: &Ident,
        span: Span,
        section: Section,
        kind: Verifier,
    ) -> Option<usize> {
        if self.phase != Phase::Request {
            self.not_allowed(span, kind.statement(), section);
            return None;
        }
        let Some(&id) = kind.ids(self).get(&name.name) else {
            if !self.problems.iter().any(|p| kind.is_invalid(p)) {
                let suggestion =
                    super::suggest::closest(&name.name, kind.ids(self).keys().map(String::as_str));
                let problem = kind.unknown(name, suggestion);
                self.problems.push(problem);
            }
            return None;
        };
        self.named.insert((kind.declaration(), id));
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
}
