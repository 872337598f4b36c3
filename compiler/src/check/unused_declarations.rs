//! W0905 and W1103: a `jwt`, `basic_auth`, `forward_auth` or `cache` that no statement names. A verifier
//! nobody enforces is worse than noise: the operator believes a route is protected while
//! every request passes, usually because a `verify_jwt` was forgotten, or the declaration
//! renamed and the statements not. The names are recorded where statements resolve them
//! (`Checker::named`), so a statement with another error still counts as a use.

use super::{CheckError, Checker, Declaration};

impl Checker<'_> {
    /// Warns about the declared verifiers and caches no statement names. Not when a name
    /// failed to resolve: the misspelt statement may have meant any of them.
    pub(super) fn unused_declarations(&mut self) {
        if self.problems.iter().any(|p| {
            matches!(
                p,
                CheckError::UnknownJwt { .. }
                    | CheckError::UnknownBasicAuth { .. }
                    | CheckError::UnknownForwardAuth { .. }
                    | CheckError::UnknownCache { .. }
            )
        }) {
            return;
        }
        let jwts = (self.jwts.iter()).map(|(jwt, span)| (Declaration::Jwt, &jwt.name, *span));
        let basic_auths = (self.basic_auths.iter())
            .map(|(basic, span)| (Declaration::BasicAuth, &basic.name, *span));
        let forward_auths = (self.forward_auths.iter())
            .map(|(forward, span)| (Declaration::ForwardAuth, &forward.name, *span));
        let caches = (self.caches.iter())
            .map(|cache| (Declaration::Cache, &cache.cache.name, cache.name_span));
        let unused: Vec<CheckError> = jwts
            .enumerate()
            .chain(basic_auths.enumerate())
            .chain(forward_auths.enumerate())
            .chain(caches.enumerate())
            .filter(|(id, (kind, _, _))| !self.named.contains(&(*kind, *id)))
            .map(|(_, (kind, name, span))| CheckError::UnusedDeclaration {
                span,
                name: name.clone(),
                kind,
            })
            .collect();
        self.problems.extend(unused);
    }
}
