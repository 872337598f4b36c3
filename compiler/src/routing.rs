//! The routing decision tree, built once from the typed program. Code generation turns it into
//! `select_route` and `proxyc routes` draws it, so what a reviewer sees is what runs.
//!
//! The tree has two levels. First the host: each host that some route names gets a branch
//! holding its own routes and the host-less ones, in source order; every other host gets the
//! host-less routes alone. Then, inside a branch, the routes are tried in source order (path
//! prefix, regex, method, headers) and the first that matches wins. A route that an earlier
//! route of the same branch takes every request of is never tried there: it is kept in the tree,
//! marked, so it can be shown, and generated code leaves it out.

mod dot;
mod outcome;
mod text;

pub use dot::render_dot;
pub use outcome::{outcomes, Outcome};
pub use text::render_text;

use crate::typed::{TypedProgram, TypedRoute};

/// Where requests go: one branch per host named by a route, then one for every other host.
#[derive(Debug)]
pub struct RoutingTree<'p> {
    /// The program the tree was built from.
    pub program: &'p TypedProgram,
    /// A branch per host, in the order hosts first appear in the source.
    pub hosts: Vec<Branch<'p>>,
    /// Any other host, and requests without one: the host-less routes.
    pub other_hosts: Branch<'p>,
}

/// The routes one host's requests are tried against, in order.
#[derive(Debug)]
pub struct Branch<'p> {
    /// The host (lower case); `None` for the branch of every other host.
    pub host: Option<&'p str>,
    /// The candidate routes, in source order.
    pub tries: Vec<Try<'p>>,
}

/// One candidate route of a branch.
#[derive(Debug)]
pub struct Try<'p> {
    /// Its index in the program's routes (what `select_route` returns).
    pub index: usize,
    /// The route.
    pub route: &'p TypedRoute,
    /// The earlier route of this branch that takes every request this one would match: this
    /// one is never tried here.
    pub shadowed_by: Option<usize>,
}

impl<'p> RoutingTree<'p> {
    /// Builds the tree of `program`.
    pub fn new(program: &'p TypedProgram) -> Self {
        let mut hosts: Vec<&str> = Vec::new();
        for route in &program.routes {
            if let Some(h) = route.host.as_deref() {
                if !hosts.contains(&h) {
                    hosts.push(h);
                }
            }
        }
        let branch = |host: Option<&'p str>| {
            let candidates = program
                .routes
                .iter()
                .enumerate()
                .filter(|(_, r)| r.host.is_none() || r.host.as_deref() == host);
            Branch::new(host, candidates)
        };
        RoutingTree {
            program,
            hosts: hosts.into_iter().map(|h| branch(Some(h))).collect(),
            other_hosts: branch(None),
        }
    }

    /// Every branch: the hosts', then every other host's.
    pub fn branches(&self) -> impl Iterator<Item = &Branch<'p>> {
        self.hosts.iter().chain(std::iter::once(&self.other_hosts))
    }
}

impl<'p> Branch<'p> {
    fn new(
        host: Option<&'p str>,
        candidates: impl Iterator<Item = (usize, &'p TypedRoute)>,
    ) -> Self {
        let mut tries: Vec<Try<'p>> = Vec::new();
        for (index, route) in candidates {
            let shadowed_by = tries
                .iter()
                .filter(|t| t.shadowed_by.is_none())
                .find(|t| conditions_cover(t.route, route))
                .map(|t| t.index);
            tries.push(Try {
                index,
                route,
                shadowed_by,
            });
        }
        Branch { host, tries }
    }

    /// The routes this branch really tries, in order.
    pub fn live(&self) -> impl Iterator<Item = &Try<'p>> {
        self.tries.iter().filter(|t| t.shadowed_by.is_none())
    }

    /// Whether some request of this branch matches none of its routes (and gets the built-in
    /// 404).
    pub fn falls_through(&self) -> bool {
        !self.live().any(|t| matches_everything(t.route))
    }
}

/// A request as routing sees it, known at build time: a probe of `proxyc diff`, the request
/// of a `test` block.
#[derive(Debug, Clone, Copy)]
pub struct RequestShape<'a> {
    /// The host without its port; `None` when the request has none.
    pub host: Option<&'a str>,
    /// The path, without the query.
    pub path: &'a str,
    /// The method.
    pub method: &'a str,
    /// Headers, names in lower case, in order.
    pub headers: &'a [(String, String)],
}

/// Whether `route`'s matchers accept `request`, as generated `select_route` decides: the
/// host case-insensitively, the path prefix or regex, the method, and each header present
/// (with its first value equal when the route names one).
pub fn takes(route: &TypedRoute, program: &TypedProgram, request: &RequestShape<'_>) -> bool {
    let header = |name: &str| {
        request
            .headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let host = route
        .host
        .as_ref()
        .is_none_or(|h| request.host.is_some_and(|r| r.eq_ignore_ascii_case(h)));
    let prefix = route
        .path_prefix
        .as_ref()
        .is_none_or(|p| request.path.starts_with(p.as_str()));
    let regex = route.path_regex.is_none_or(|id| {
        program
            .regexes
            .get(id)
            .and_then(|source| regex::Regex::new(source).ok())
            .is_some_and(|re| re.is_match(request.path))
    });
    let method = route.methods.is_empty() || route.methods.iter().any(|m| m == request.method);
    let headers = route.headers.iter().all(|(name, value)| match value {
        Some(v) => header(name) == Some(v.as_str()),
        None => header(name).is_some(),
    });
    host && prefix && regex && method && headers
}

/// Whether a route has no condition besides its host.
pub fn matches_everything(route: &TypedRoute) -> bool {
    route.path_prefix.is_none()
        && route.path_regex.is_none()
        && route.methods.is_empty()
        && route.headers.is_empty()
}

/// Whether route `a` matches every request route `b` matches: each of `a`'s conditions is
/// implied by `b`'s.
pub fn covers(a: &TypedRoute, b: &TypedRoute) -> bool {
    (a.host.is_none() || a.host == b.host) && conditions_cover(a, b)
}

/// [`covers`] for two routes of one branch, where the host is already decided.
fn conditions_cover(a: &TypedRoute, b: &TypedRoute) -> bool {
    let path = match (&a.path_prefix, &b.path_prefix) {
        (None, _) => true,
        (Some(pa), Some(pb)) => pb.starts_with(pa.as_str()),
        (Some(_), None) => false,
    };
    let regex = a.path_regex.is_none() || a.path_regex == b.path_regex;
    let methods = a.methods.is_empty()
        || (!b.methods.is_empty() && b.methods.iter().all(|m| a.methods.contains(m)));
    let headers = a.headers.iter().all(|h| {
        b.headers.contains(h) || (h.1.is_none() && b.headers.iter().any(|(n, _)| *n == h.0))
    });
    path && regex && methods && headers
}

/// One route's conditions besides its host, as the source writes them (`path "/api/"`,
/// `method GET, POST`, ...); empty when it matches every request of its branch.
pub fn conditions(program: &TypedProgram, route: &TypedRoute) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(prefix) = &route.path_prefix {
        out.push(format!("path {prefix:?}"));
    }
    if let Some(id) = route.path_regex {
        out.push(format!("path ~ /{}/", program.regexes[id]));
    }
    if !route.methods.is_empty() {
        out.push(format!("method {}", route.methods.join(", ")));
    }
    for (name, value) in &route.headers {
        out.push(match value {
            Some(v) => format!("header {name:?} == {v:?}"),
            None => format!("header {name:?}"),
        });
    }
    out
}

#[cfg(test)]
mod tests;
