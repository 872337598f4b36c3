//! `cache` declarations and the route statements that use them: `cache NAME { ... }` (answer
//! from the cache, or fill it) and `purge NAME`. Also the two warnings a cache calls for: a
//! caching route whose answer depends on a cookie or `Authorization` it reads without making
//! it part of the key (one client's answer would go to another; `vary_on` or a `key` that
//! reads it makes it part), and a `purge` that any request can reach.

use pxy_dsl::ast::{CacheDecl, Ident, Item, ParsedProgram, PurgeScope, Setting};
use pxy_dsl::Span;

use super::error::{CacheProblem, DuplicateKind, Statement};
use super::{CheckError, Checker, Declaration};
use crate::catalog::settings::{
    self, CacheRuleSetting, CacheSetting, KeyHeader, SettingValue, DEFAULT_CACHE_SIZE,
    DEFAULT_MAX_OBJECT,
};
use crate::catalog::words::{Phase, Section, WordKind};
use crate::typed::visit::{self, Visit};
use crate::typed::{
    CacheId, Field, TypedCache, TypedCacheRule, TypedExpr, TypedExprKind, TypedRoute, TypedStmt,
    TypedStmtKind,
};

/// A declared cache.
#[derive(Debug)]
pub(crate) struct DeclaredCache {
    pub(crate) cache: TypedCache,
    pub(crate) name_span: Span,
}

impl Checker<'_> {
    /// Checks every `cache` first, so a route may name one declared further down.
    pub(super) fn declare_caches(&mut self, parsed: &ParsedProgram) {
        for item in &parsed.items {
            let Item::Cache(decl) = item else { continue };
            if let Some(&first) = self.cache_ids.get(&decl.name.name) {
                self.problems.push(CheckError::Duplicate {
                    span: decl.name.span,
                    first: self.caches[first].name_span,
                    what: DuplicateKind::Cache,
                    name: decl.name.name.clone(),
                });
                continue;
            }
            let cache = self.cache_decl(decl);
            self.cache_ids
                .insert(decl.name.name.clone(), self.caches.len());
            self.caches.push(DeclaredCache {
                cache,
                name_span: decl.name.span,
            });
        }
    }

    fn cache_decl(&mut self, decl: &CacheDecl) -> TypedCache {
        let mut size = (DEFAULT_CACHE_SIZE, None);
        let mut max_object = (None, None);
        for (setting, (which, value)) in self.checked_settings(
            &decl.settings,
            WordKind::CacheSetting,
            settings::CACHE_SETTINGS,
        ) {
            let Some(n) = value.number() else { continue };
            let span = Some(setting.value.span);
            match which {
                CacheSetting::Size => size = (n, span),
                CacheSetting::MaxObject => max_object = (Some(n), span),
            }
        }
        if let (0, Some(span)) = size {
            self.problems.push(CheckError::InvalidCache {
                span,
                problem: CacheProblem::ZeroSize,
            });
        }
        let max_object = match max_object {
            (Some(max), Some(span)) if max > size.0 => {
                self.problems.push(CheckError::InvalidCache {
                    span,
                    problem: CacheProblem::ObjectLargerThanCache,
                });
                max
            }
            (Some(max), _) => max,
            // A small cache stores objects up to its own size.
            (None, _) => DEFAULT_MAX_OBJECT.min(size.0),
        };
        TypedCache {
            name: decl.name.name.clone(),
            size: size.0,
            max_object,
        }
    }

    /// The settings of a list that checked, each with the line it came from (a line that
    /// did not check is left out: its problem is reported).
    pub(super) fn checked_settings<'a, S: Copy>(
        &mut self,
        lines: &'a [Setting],
        what: WordKind,
        table: &'static [settings::SettingWord<S>],
    ) -> Vec<(&'a Setting, (S, SettingValue))> {
        lines
            .iter()
            .filter_map(|line| Some((line, self.setting(line, what, table)?)))
            .collect()
    }

    /// The cache `name` refers to, or an error with a suggestion.
    fn cache_id(&mut self, name: &Ident) -> Option<usize> {
        if let Some(&id) = self.cache_ids.get(&name.name) {
            self.named.insert((Declaration::Cache, id));
            return Some(id);
        }
        let suggestion =
            super::suggest::closest(&name.name, self.cache_ids.keys().map(String::as_str));
        self.problems.push(CheckError::UnknownCache {
            span: name.span,
            name: name.name.clone(),
            suggestion,
        });
        None
    }

    /// `cache NAME { SETTING* }` in a route.
    pub(super) fn cache_stmt(
        &mut self,
        name: &Ident,
        lines: &[Setting],
        span: Span,
        section: Section,
    ) -> Option<TypedStmtKind> {
        if section != Section::Route {
            return self.not_allowed(span, Statement::Cache, section);
        }
        let cache = self.cache_id(name);
        let mut rule = TypedCacheRule::default();
        let checked = self.checked_settings(
            lines,
            WordKind::CacheRuleSetting,
            settings::CACHE_RULE_SETTINGS,
        );
        let mut ok = checked.len() == lines.len();
        for (setting, (which, value)) in checked {
            let duration = value.number();
            if matches!(which, CacheRuleSetting::Ttl | CacheRuleSetting::DefaultTtl)
                && duration == Some(0)
            {
                self.problems.push(CheckError::InvalidCache {
                    span: setting.value.span,
                    problem: CacheProblem::ZeroTtl,
                });
                ok = false;
            }
            match (which, value) {
                (CacheRuleSetting::Key, _) => match self.expect_str(&setting.value, "str") {
                    Some(key) => rule.key = Some(key),
                    None => ok = false,
                },
                (CacheRuleSetting::Ttl, _) => rule.ttl_ms = duration,
                (CacheRuleSetting::DefaultTtl, _) => rule.default_ttl_ms = duration,
                (CacheRuleSetting::StaleWhileRevalidate, _) => {
                    rule.stale_while_revalidate_ms = duration
                }
                (CacheRuleSetting::StaleIfError, _) => rule.stale_if_error_ms = duration,
                (CacheRuleSetting::Statuses, SettingValue::Statuses(statuses)) => {
                    rule.statuses = statuses
                }
                (CacheRuleSetting::StoreSetCookie, SettingValue::Switch(on)) => {
                    rule.store_set_cookie = on
                }
                (CacheRuleSetting::VaryOn, SettingValue::KeyHeaders(headers)) => {
                    rule.key_cookie = headers.contains(&KeyHeader::Cookie);
                    rule.key_authorization = headers.contains(&KeyHeader::Authorization);
                }
                // The table gives each setting its one kind of value.
                (CacheRuleSetting::Statuses, _)
                | (CacheRuleSetting::StoreSetCookie, _)
                | (CacheRuleSetting::VaryOn, _) => {}
            }
        }
        let cache = cache?;
        ok.then_some(TypedStmtKind::Cache { cache, rule })
    }

    /// `purge NAME [prefix|tag EXPR]`, in the request phase; the value is a `str`.
    pub(super) fn purge_stmt(
        &mut self,
        name: &Ident,
        scope: Option<&PurgeScope>,
        span: Span,
        section: Section,
    ) -> Option<TypedStmtKind> {
        if self.phase != Phase::Request {
            return self.not_allowed(span, Statement::Purge, section);
        }
        let cache = self.cache_id(name);
        let scope = match scope {
            Some(scope) => Some((scope.by, self.expect_str(&scope.value, "str")?)),
            None => None,
        };
        Some(TypedStmtKind::Purge {
            cache: cache?,
            scope,
        })
    }

    /// `vary_on cookie, authorization`: each word once.
    pub(super) fn key_headers(&mut self, value: &pxy_dsl::ast::Expr) -> Option<Vec<KeyHeader>> {
        let items = value.list_items();
        let mut headers = Vec::new();
        let mut ok = true;
        for item in items {
            let word = if let pxy_dsl::ast::ExprKind::Path(p) = &item.kind {
                (p.len() == 1).then(|| p[0].name.as_str())
            } else {
                None
            };
            let found =
                word.and_then(|w| self.word(w, item.span, WordKind::Value, settings::KEY_HEADERS));
            match (found, word) {
                (Some(header), _) => headers.push(header),
                (None, Some(_)) => ok = false,
                (None, None) => {
                    ok = false;
                    self.problems.push(CheckError::TypeMismatch {
                        span: item.span,
                        expected: super::Expected::Setting(settings::ValueKind::KeyHeaders),
                        found: super::exprs::literal_type(&item.kind),
                    });
                }
            }
        }
        ok.then_some(headers)
    }

    /// The warnings of a checked route that caches or purges.
    pub(super) fn cache_warnings(&mut self, route: &TypedRoute, head: Span) {
        let mut found = CacheUse::default();
        for stmt in &route.body {
            if let TypedStmtKind::Purge { .. } = stmt.kind {
                if route.methods.is_empty() && route.headers.is_empty() {
                    self.problems
                        .push(CheckError::UncheckedPurge { span: stmt.span });
                }
            }
        }
        found.visit_route(route);
        let Some((cache, id, rule)) = found.cache else {
            return;
        };
        let mut keyed = KeyHeaders::default();
        if let Some(key) = &rule.key {
            keyed.visit_expr(key);
        }
        self.caching_routes.push(CachingRoute {
            cache: id,
            head,
            statement: cache,
            headers: (route.headers.iter())
                .map(|(name, _)| name.clone())
                .filter(|name| credential(name).is_none() && !keyed.0.contains(name))
                .collect(),
        });
        let matched = route
            .headers
            .iter()
            .filter_map(|(name, _)| credential(name))
            .map(|what| (what, head));
        for (what, span) in found.reads.into_iter().chain(matched) {
            let declared = match what {
                KeyHeader::Cookie => rule.key_cookie,
                KeyHeader::Authorization => rule.key_authorization,
            } || keyed.0.iter().any(|name| credential(name) == Some(what));
            if !declared {
                self.problems
                    .push(CheckError::CacheReadsCredentials { span, cache, what });
            }
        }
    }

    /// W1105 for each caching route that matches on a header the key leaves out while
    /// another route uses the same cache: their requests for one URL share its entries.
    pub(super) fn shared_cache_keys(&mut self) {
        let routes = std::mem::take(&mut self.caching_routes);
        for route in &routes {
            let shared = routes
                .iter()
                .filter(|other| other.cache == route.cache)
                .count()
                > 1;
            if !shared {
                continue;
            }
            for header in &route.headers {
                self.problems.push(CheckError::CacheKeyMissesHeader {
                    span: route.head,
                    cache: route.statement,
                    header: header.clone(),
                });
            }
        }
    }

    /// The warning for `purge` at the top of `on request`: every request reaches it.
    pub(super) fn unchecked_purges(&mut self, stmts: &[TypedStmt]) {
        for stmt in stmts {
            if let TypedStmtKind::Purge { .. } = stmt.kind {
                self.problems
                    .push(CheckError::UncheckedPurge { span: stmt.span });
            }
        }
    }
}

/// A route that caches, as W1105 compares them once every route is checked.
#[derive(Debug)]
pub(super) struct CachingRoute {
    cache: CacheId,
    /// The route's head (its matchers).
    head: Span,
    /// Its `cache` statement.
    statement: Span,
    /// The headers it matches on that the key cannot include (all but the credentials
    /// `vary_on` may add, which W1101 covers).
    headers: Vec<String>,
}

/// Which credential a request header is, if it is one.
fn credential(header: &str) -> Option<KeyHeader> {
    match header {
        "cookie" => Some(KeyHeader::Cookie),
        "authorization" => Some(KeyHeader::Authorization),
        _ => None,
    }
}

/// Which credential a field reads, if it reads one.
fn field_credential(field: &Field) -> Option<KeyHeader> {
    field.request_header().and_then(credential)
}

/// The request headers a route's `key` expression reads (a cookie counts as `cookie`):
/// their values are part of the key, so the warnings about headers left out of it do not
/// apply to them.
#[derive(Default)]
struct KeyHeaders(Vec<String>);

impl<'a> Visit<'a> for KeyHeaders {
    fn visit_expr(&mut self, expr: &'a TypedExpr) {
        if let TypedExprKind::Field(field) = &expr.kind {
            if let Some(name) = field.request_header() {
                self.0.push(name.to_owned());
            }
        }
        visit::walk_expr(self, expr);
    }
}

/// A route's first `cache` statement, and its first read of each credential.
#[derive(Default)]
struct CacheUse<'a> {
    cache: Option<(Span, CacheId, &'a TypedCacheRule)>,
    reads: Vec<(KeyHeader, Span)>,
}

impl<'a> Visit<'a> for CacheUse<'a> {
    fn visit_stmt(&mut self, stmt: &'a TypedStmt) {
        if let TypedStmtKind::Cache { cache, rule } = &stmt.kind {
            self.cache.get_or_insert((stmt.span, *cache, rule));
        }
        visit::walk_stmt(self, stmt);
    }

    fn visit_expr(&mut self, expr: &'a TypedExpr) {
        let read = if let TypedExprKind::Field(field) = &expr.kind {
            field_credential(field)
        } else {
            None
        };
        if let Some(what) = read {
            if !self.reads.iter().any(|(seen, _)| *seen == what) {
                self.reads.push((what, expr.span));
            }
        }
        visit::walk_expr(self, expr);
    }
}
