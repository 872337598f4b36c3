//! `basic_auth` declarations and `verify_basic NAME`. A verifier needs its users file (looked
//! for at build time as certificates are) and may name the realm of its challenge, which must
//! fit in a quoted header parameter; `verify_basic` runs in the request phase only.
//! `basic.user` is typed by the field catalog: optional, absent until a `verify_basic`
//! accepted the request's credentials.

use pxy_dsl::ast::{BasicAuthDecl, Item, ParsedProgram, Text};
use pxy_dsl::Span;

use super::error::{BasicAuthProblem, DuplicateKind, FileKind};
use super::named::Table;
use super::{CheckError, Checker};
use crate::catalog::settings::{self, BasicAuthOption};
use crate::catalog::words::WordKind;
use crate::typed::TypedBasicAuth;

impl Checker<'_> {
    /// Checks every `basic_auth` first, so a `verify_basic` may name one declared further down.
    pub(super) fn declare_basic_auths(&mut self, parsed: &ParsedProgram) {
        for item in &parsed.items {
            let Item::BasicAuth(decl) = item else {
                continue;
            };
            let table: Table<_> = |cx| &mut cx.basic_auths;
            self.declare(&decl.name, table, DuplicateKind::BasicAuth, |cx| {
                cx.basic_auth_decl(decl)
            });
        }
    }

    fn basic_auth_decl(&mut self, decl: &BasicAuthDecl) -> Option<TypedBasicAuth> {
        let options = self.settings(
            &decl.options,
            WordKind::BasicAuthOption,
            settings::BASIC_AUTH_OPTIONS,
        )?;
        let mut users: Option<String> = None;
        let mut realm = decl.name.name.clone();
        let mut ok = true;
        for ((option, value), line) in options.into_iter().zip(&decl.options) {
            let Some(text) = value.into_text() else {
                // The table gives each option a text value.
                continue;
            };
            match option {
                BasicAuthOption::Users if users.is_some() => {
                    ok = self.basic_problem(line.span, BasicAuthProblem::TwoUsers);
                }
                BasicAuthOption::Users => {
                    let path = Text {
                        value: text,
                        span: line.value.span,
                    };
                    users = Some(self.file(&path, FileKind::Users));
                }
                BasicAuthOption::Realm if !realm_fits(&text) => {
                    ok = self.basic_problem(line.value.span, BasicAuthProblem::BadRealm);
                }
                BasicAuthOption::Realm => realm = text,
            }
        }
        let Some(users) = users else {
            self.basic_problem(decl.name.span, BasicAuthProblem::NoUsers);
            return None;
        };
        ok.then(|| TypedBasicAuth {
            name: decl.name.name.clone(),
            users,
            realm,
        })
    }

    /// Reports `problem` at `span`; false, for `ok` flags.
    fn basic_problem(&mut self, span: Span, problem: BasicAuthProblem) -> bool {
        self.problems
            .push(CheckError::InvalidBasicAuth { span, problem });
        false
    }
}

/// Whether `realm` can be written as `realm="..."` as it is: not empty, no `"` or `\`, no
/// control characters (RFC 7235 quoted-string without escapes).
fn realm_fits(realm: &str) -> bool {
    !realm.is_empty()
        && !realm
            .chars()
            .any(|c| c == '"' || c == '\\' || c.is_control())
}
