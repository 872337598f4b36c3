//! A backend set: the backends an upstream has at one moment, split into primaries and
//! backups, each group with its balancer built for it.
//!
//! A set is immutable once built; the upstream publishes it through an `ArcSwap`, and
//! discovery replaces it whole. Backends still present in the new configuration are carried
//! over (same `Arc`, so the same pool, health and counters); removed ones live on only as
//! long as requests still use them.

use std::sync::Arc;

use super::backend::{Backend, BackendConfig};
use super::balance::{Balance, Balancer};
use super::health::AllDown;
use super::options::UpstreamOptions;
use super::retry_budget::RetryLoad;
use crate::error::{Error, ErrorKind, Result};

/// The backends of an upstream at one moment.
#[derive(Debug)]
pub(crate) struct BackendSet {
    /// Every backend, in configuration order.
    all: Box<[Arc<Backend>]>,
    primary: Group,
    backup: Option<Group>,
}

#[derive(Debug)]
struct Group {
    members: Box<[Arc<Backend>]>,
    balancer: Balancer,
}

impl Group {
    fn new(members: Vec<Arc<Backend>>, balance: Balance) -> Result<Group> {
        let balancer = Balancer::new(balance, &members)?;
        Ok(Group {
            members: members.into_boxed_slice(),
            balancer,
        })
    }

    /// A usable member, or `Err` with the member chosen ignoring health.
    #[inline]
    fn pick(
        &self,
        key: Option<u64>,
        usable: impl Fn(&Backend) -> bool,
    ) -> std::result::Result<&Arc<Backend>, &Arc<Backend>> {
        match self.balancer.pick(&self.members, key, usable) {
            Ok(i) => Ok(&self.members[i]),
            Err(i) => Err(&self.members[i]),
        }
    }
}

impl BackendSet {
    /// The set for `configs`, reusing the backends of `previous` that did not change.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidConfig`] when there is no primary backend with a positive weight,
    /// every backup has weight 0, or the round-robin weights are too fine-grained.
    pub(crate) fn new(
        upstream: &Arc<str>,
        configs: &[BackendConfig],
        balance: Balance,
        options: &Arc<UpstreamOptions>,
        load: &Arc<RetryLoad>,
        previous: Option<&BackendSet>,
    ) -> Result<BackendSet> {
        if configs.is_empty() {
            return Err(Error::explain(ErrorKind::InvalidConfig, "no backend"));
        }
        let all: Box<[Arc<Backend>]> = configs
            .iter()
            .map(|config| {
                let kept = previous.and_then(|set| {
                    set.all.iter().find(|b| {
                        b.addr() == config.addr
                            && b.weight() == config.weight
                            && b.is_backup() == config.backup
                    })
                });
                match kept {
                    Some(backend) => backend.clone(),
                    None => Arc::new(Backend::new(
                        *config,
                        upstream.clone(),
                        options.clone(),
                        load.clone(),
                    )),
                }
            })
            .collect();
        let (backups, primaries): (Vec<_>, Vec<_>) =
            all.iter().cloned().partition(|b| b.is_backup());
        let primary = Group::new(primaries, balance).map_err(|e| e.wrap("primary backends"))?;
        let backup = if backups.is_empty() {
            None
        } else {
            Some(Group::new(backups, balance).map_err(|e| e.wrap("backup backends"))?)
        };
        Ok(BackendSet {
            all,
            primary,
            backup,
        })
    }

    /// Every backend, in configuration order.
    pub(crate) fn all(&self) -> &[Arc<Backend>] {
        &self.all
    }

    /// A healthy primary; else a healthy backup; else, per `all_down`, the primary the
    /// policy would choose ignoring health, or none.
    #[inline]
    pub(crate) fn pick(&self, key: Option<u64>, all_down: AllDown) -> Option<&Arc<Backend>> {
        let anyway = match self.primary.pick(key, Backend::is_available) {
            Ok(backend) => return Some(backend),
            Err(anyway) => anyway,
        };
        if let Some(Ok(backend)) = self
            .backup
            .as_ref()
            .map(|group| group.pick(key, Backend::is_available))
        {
            return Some(backend);
        }
        match all_down {
            AllDown::TryAnyway => Some(anyway),
            AllDown::Unavailable => None,
        }
    }
}
