//! `jwt` declarations and `verify_jwt NAME`. A verifier takes exactly one source of keys
//! (`jwks`, `key` with `alg`, or `secret`), whose file is looked for at build time as
//! certificates are; `verify_jwt` runs in the request phase only. `jwt.sub` and
//! `jwt.claims["x"]` are typed by the field catalog: optional, absent until a `verify_jwt`
//! accepted a token, so no dominance analysis is needed for them to be safe.

use pxy_dsl::ast::{Item, JwtDecl, ParsedProgram, Text};
use pxy_dsl::Span;

use super::error::{DuplicateKind, FileKind, JwtProblem};
use super::named::Table;
use super::{CheckError, Checker};
use crate::catalog::settings::{self, JwtOption, SettingValue};
use crate::catalog::words::WordKind;
use crate::typed::{JwtKeys, TypedJwt};

/// The leeway when none is declared: clocks of token issuers and proxies drift by seconds.
const DEFAULT_LEEWAY_S: u64 = 60;
/// The largest leeway: an expired token should not pass for longer.
const MAX_LEEWAY_MS: u64 = 10 * 60 * 1000;

impl Checker<'_> {
    /// Checks every `jwt` first, so a `verify_jwt` may name one declared further down.
    pub(super) fn declare_jwts(&mut self, parsed: &ParsedProgram) {
        for item in &parsed.items {
            let Item::Jwt(decl) = item else {
                continue;
            };
            let table: Table<_> = |cx| &mut cx.jwts;
            self.declare(&decl.name, table, DuplicateKind::Jwt, |cx| {
                cx.jwt_decl(decl)
            });
        }
    }

    fn jwt_decl(&mut self, decl: &JwtDecl) -> Option<TypedJwt> {
        let options = self.settings(&decl.options, WordKind::JwtOption, settings::JWT_OPTIONS)?;
        let mut sources: Vec<(JwtOption, Span, Text)> = Vec::new();
        let mut alg = None;
        let mut jwt = TypedJwt {
            name: decl.name.name.clone(),
            keys: JwtKeys::Secret(String::new()),
            issuer: None,
            audience: None,
            leeway_s: DEFAULT_LEEWAY_S,
            cookie: None,
        };
        let mut ok = true;
        for ((option, value), line) in options.into_iter().zip(&decl.options) {
            match (option, value) {
                (
                    JwtOption::Jwks | JwtOption::Key | JwtOption::Secret,
                    SettingValue::Text(path),
                ) => {
                    let path = Text {
                        value: path,
                        span: line.value.span,
                    };
                    sources.push((option, line.span, path));
                }
                (JwtOption::Alg, SettingValue::Algorithm(a)) => alg = Some((a, line.span)),
                (JwtOption::Issuer, value) => jwt.issuer = value.into_text(),
                (JwtOption::Audience, value) => jwt.audience = value.into_text(),
                (JwtOption::Cookie, value) => jwt.cookie = value.into_text(),
                (JwtOption::Leeway, value) => match value.number() {
                    Some(0) => ok = self.jwt_problem(line.value.span, JwtProblem::ZeroLeeway),
                    Some(ms) if ms % 1000 == 0 && ms <= MAX_LEEWAY_MS => jwt.leeway_s = ms / 1000,
                    _ => ok = self.jwt_problem(line.value.span, JwtProblem::AbsurdLeeway),
                },
                // The table gives each option its kind of value.
                (JwtOption::Jwks | JwtOption::Key | JwtOption::Secret | JwtOption::Alg, _) => {}
            }
        }
        let (source, span, path) = match sources.as_slice() {
            [] => {
                self.jwt_problem(decl.name.span, JwtProblem::NoKeySource);
                return None;
            }
            [one] => one.clone(),
            [_, second, ..] => {
                self.jwt_problem(second.1, JwtProblem::TwoKeySources);
                return None;
            }
        };
        let path = self.file(&path, FileKind::JwtKey);
        jwt.keys = match (source, alg) {
            (JwtOption::Key, Some((alg, _))) => JwtKeys::Pem(path, alg),
            (JwtOption::Key, None) => {
                self.jwt_problem(span, JwtProblem::KeyWithoutAlg);
                return None;
            }
            (_, Some((_, alg_span))) => {
                self.jwt_problem(alg_span, JwtProblem::AlgWithoutKey);
                return None;
            }
            (JwtOption::Jwks, None) => JwtKeys::Jwks(path),
            (_, None) => JwtKeys::Secret(path),
        };
        ok.then_some(jwt)
    }

    /// Reports `problem` at `span`; false, for `ok` flags.
    fn jwt_problem(&mut self, span: Span, problem: JwtProblem) -> bool {
        self.problems.push(CheckError::InvalidJwt { span, problem });
        false
    }
}
