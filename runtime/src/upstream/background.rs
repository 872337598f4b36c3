//! [`Background`]: the tasks that keep an upstream current (health probes, discovery), and
//! their stop.
//!
//! The tasks hold the upstream's shared state, never the server: they only read the backend
//! set, probe backends and publish new sets. [`serve`](crate::serve) starts them for every
//! upstream of [`Proxy::upstreams`](crate::Proxy::upstreams) before accepting connections and
//! stops them once in-flight requests have drained.

use std::fmt;
use std::sync::Arc;

use tokio::task::JoinSet;

use super::{discovery, health, Shared};

/// The running background tasks of one upstream. Dropping it aborts them.
pub struct Background {
    tasks: JoinSet<()>,
    shared: Option<Arc<Shared>>,
}

impl Background {
    /// A handle with no task.
    pub(crate) fn empty() -> Self {
        Background {
            tasks: JoinSet::new(),
            shared: None,
        }
    }

    /// Spawns the tasks `shared` needs.
    pub(crate) fn start(shared: Arc<Shared>) -> Self {
        let mut tasks = JoinSet::new();
        if let Some(check) = shared.options().health_check.clone() {
            tasks.spawn(health::probe::run(shared.clone(), check));
        }
        if shared.discovery().is_some() {
            tasks.spawn(discovery::run(shared.clone()));
        }
        Background {
            tasks,
            shared: Some(shared),
        }
    }

    /// How many tasks run.
    pub fn len(&self) -> usize {
        self.tasks.len()
    }

    /// Whether no task runs.
    pub fn is_empty(&self) -> bool {
        self.tasks.is_empty()
    }

    /// Stops the tasks and waits until they are gone.
    pub async fn stop(mut self) {
        self.tasks.abort_all();
        while self.tasks.join_next().await.is_some() {}
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        self.tasks.abort_all();
        if let Some(shared) = self.shared.take() {
            shared.background_stopped();
        }
    }
}

impl fmt::Debug for Background {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Background")
            .field(
                "upstream",
                &self.shared.as_ref().map(|s| s.name().to_owned()),
            )
            .field("tasks", &self.tasks.len())
            .finish()
    }
}
