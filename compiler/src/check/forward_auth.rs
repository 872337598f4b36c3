//! `forward_auth` declarations and `verify_forward NAME`. A verifier names the upstream that
//! answers (`service`), which must be declared; the path it asks must be one a request line
//! can carry; the headers it copies onto requests may not be ones the proxy manages itself;
//! `verify_forward` runs in the request phase only.

use pxy_dsl::ast::{Expr, ForwardAuthDecl, Ident, Item, ParsedProgram};
use pxy_dsl::Span;

use super::error::{DuplicateKind, ForwardAuthProblem};
use super::named::{Table, Verifier};
use super::{CheckError, Checker};
use crate::catalog::headers::MANAGED_HEADERS;
use crate::catalog::settings::{self, ForwardAuthOption, SettingValue};
use crate::catalog::words::{Section, WordKind};
use crate::typed::{TypedForwardAuth, TypedStmtKind};

impl Checker<'_> {
    /// Checks every `forward_auth` first, so a `verify_forward` may name one declared further
    /// down.
    pub(super) fn declare_forward_auths(&mut self, parsed: &ParsedProgram) {
        for item in &parsed.items {
            let Item::ForwardAuth(decl) = item else {
                continue;
            };
            let table: Table<_> = |cx| &mut cx.forward_auths;
            self.declare(&decl.name, table, DuplicateKind::ForwardAuth, |cx| {
                cx.forward_auth_decl(decl)
            });
        }
    }

    fn forward_auth_decl(&mut self, decl: &ForwardAuthDecl) -> Option<TypedForwardAuth> {
        let options = self.settings(
            &decl.options,
            WordKind::ForwardAuthOption,
            settings::FORWARD_AUTH_OPTIONS,
        )?;
        let mut forward = TypedForwardAuth {
            name: decl.name.name.clone(),
            service: 0,
            uri: "/".into(),
            send: Vec::new(),
            copy: Vec::new(),
            timeout_ms: None,
        };
        let mut service = None;
        let mut seen = Vec::new();
        let mut ok = true;
        for ((option, value), line) in options.into_iter().zip(&decl.options) {
            if seen.contains(&option) {
                ok = self.forward_problem(line.span, ForwardAuthProblem::TwoOfOption);
                continue;
            }
            seen.push(option);
            let at = line.value.span;
            match (option, value) {
                (ForwardAuthOption::Service, SettingValue::Text(name)) => {
                    match self.upstream_ids.get(&name) {
                        Some(&(id, _)) => {
                            self.used_upstreams[id] = true;
                            service = Some(id);
                        }
                        None => {
                            ok = false;
                            self.unknown_upstream(&name, at);
                        }
                    }
                }
                (ForwardAuthOption::Uri, SettingValue::Text(uri)) if origin_form(&uri) => {
                    forward.uri = uri;
                }
                (ForwardAuthOption::Uri, _) => {
                    ok = self.forward_problem(at, ForwardAuthProblem::BadUri);
                }
                (ForwardAuthOption::Send, SettingValue::HeaderNames(names)) => {
                    forward.send = names;
                }
                (ForwardAuthOption::Copy, SettingValue::HeaderNames(names)) => {
                    for (name, item) in names.iter().zip(line.value.list_items()) {
                        if managed(name) {
                            ok = self.forward_problem(item.span, ForwardAuthProblem::ManagedHeader);
                        }
                    }
                    forward.copy = names;
                }
                (ForwardAuthOption::Timeout, SettingValue::Number(0)) => {
                    ok = self.forward_problem(at, ForwardAuthProblem::ZeroTimeout);
                }
                (ForwardAuthOption::Timeout, SettingValue::Number(ms)) => {
                    forward.timeout_ms = Some(ms);
                }
                // The table gives each option its kind of value; `setting` checked it.
                (
                    ForwardAuthOption::Service
                    | ForwardAuthOption::Send
                    | ForwardAuthOption::Copy
                    | ForwardAuthOption::Timeout,
                    _,
                ) => {}
            }
        }
        let Some(service) = service else {
            if !seen.contains(&ForwardAuthOption::Service) {
                self.forward_problem(decl.name.span, ForwardAuthProblem::NoService);
            }
            return None;
        };
        forward.service = service;
        ok.then_some(forward)
    }

    /// Reports `problem` at `span`; false, for `ok` flags.
    fn forward_problem(&mut self, span: Span, problem: ForwardAuthProblem) -> bool {
        self.problems
            .push(CheckError::InvalidForwardAuth { span, problem });
        false
    }

    /// `"x-user", "x-groups"`: each a valid header name, returned in lower case.
    pub(super) fn header_names(&mut self, value: &Expr) -> Option<Vec<String>> {
        self.strings(value, settings::ValueKind::HeaderNames, |cx, text, span| {
            cx.header_name(&text, span)
        })
    }

    /// `verify_forward NAME`.
    pub(super) fn verify_forward(
        &mut self,
        name: &Ident,
        span: Span,
        section: Section,
    ) -> Option<TypedStmtKind> {
        let verifier = self.verifier(name, span, section, Verifier::Forward)?;
        let service = self.forward_auths.get(verifier).service;
        Some(TypedStmtKind::VerifyForward { verifier, service })
    }
}

/// Whether `uri` can be sent as a request target: `/`, then visible ASCII (RFC 9112 §3.2.1).
fn origin_form(uri: &str) -> bool {
    uri.starts_with('/') && uri.bytes().all(|b| b.is_ascii_graphic()) && !uri.contains('#')
}

/// A header the proxy removes or recomputes on every hop; copying it would do nothing or
/// break framing. `Host` names where the request goes, which the auth service does not decide.
fn managed(name: &str) -> bool {
    name == "host" || MANAGED_HEADERS.contains(&name)
}
