//! Health: the settings that decide whether a backend may receive traffic, and the atomic
//! state each backend keeps for it.
//!
//! Two independent signals make a backend unavailable: active probes ([`HealthCheck`], run
//! by the task in `health/probe.rs`) mark it *unhealthy* after `fall` consecutive failed
//! probes and healthy again after `rise` passed ones; passive checks ([`PassiveHealth`])
//! *eject* it for a cool-down after `max_fails` consecutive failed requests. Selection reads
//! two atomics per candidate ([`HealthState::is_available`]); the clock is read only while a
//! backend is ejected. Every change is logged on target `pxy::health` and counted for
//! metrics.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use http::{Method, StatusCode};

#[cfg(test)]
mod tests;

pub(crate) mod probe;

/// Active health checks: a probe sent to every backend at an interval.
///
/// Backends start healthy. A healthy backend becomes unhealthy after `fall` consecutive
/// failed probes; an unhealthy one healthy again after `rise` consecutive passed probes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthCheck {
    /// What a probe is. Default [`Probe::Tcp`].
    pub probe: Probe,
    /// Time between two probes of a backend. Default 5 s.
    pub interval: Duration,
    /// How long one probe may take before it counts as failed. Default 2 s.
    pub timeout: Duration,
    /// Consecutive passed probes that bring an unhealthy backend back. Default 2.
    pub rise: u32,
    /// Consecutive failed probes that take a healthy backend out. Default 3.
    pub fall: u32,
}

impl HealthCheck {
    /// TCP connect probes with the default interval, timeout, rise and fall.
    pub fn tcp() -> Self {
        HealthCheck::default()
    }

    /// `GET path` probes expecting `200`, with the default interval, timeout, rise and fall.
    pub fn http(path: impl Into<String>) -> Self {
        HealthCheck {
            probe: Probe::Http {
                method: Method::GET,
                path: path.into(),
                host: None,
                expect_status: StatusCode::OK,
            },
            ..HealthCheck::default()
        }
    }
}

impl Default for HealthCheck {
    fn default() -> Self {
        HealthCheck {
            probe: Probe::Tcp,
            interval: Duration::from_secs(5),
            timeout: Duration::from_secs(2),
            rise: 2,
            fall: 3,
        }
    }
}

/// What one active probe does.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Probe {
    /// Passes when a TCP connection is accepted.
    #[default]
    Tcp,
    /// Passes when an HTTP/1.1 request on a new connection is answered with `expect_status`.
    Http {
        /// The request method.
        method: Method,
        /// The request target, e.g. `/healthz` (origin form, may carry a query).
        path: String,
        /// The `Host` header; `None` sends the backend's address.
        host: Option<String>,
        /// The status that counts as healthy.
        expect_status: StatusCode,
    },
}

/// Passive health: eject a backend after `max_fails` consecutive failures of real requests
/// (connect errors, connections reset or timed out before a response, `5xx` responses), for
/// `cool_down`; after it the backend gets traffic again.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PassiveHealth {
    /// Consecutive failures that eject a backend (at least 1). Default 3.
    pub max_fails: u32,
    /// How long an ejected backend receives no traffic. Default 10 s.
    pub cool_down: Duration,
}

impl Default for PassiveHealth {
    fn default() -> Self {
        PassiveHealth {
            max_fails: 3,
            cool_down: Duration::from_secs(10),
        }
    }
}

/// What an upstream does when no backend (backups included) is healthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AllDown {
    /// Choose among all primary backends as if they were healthy (health checks can be
    /// wrong; an attempt may still succeed). The default.
    #[default]
    TryAnyway,
    /// Answer `503 Service Unavailable` without trying ([`ErrorKind::NoHealthyBackend`](crate::ErrorKind::NoHealthyBackend)).
    Unavailable,
}

/// Where a backend's health is logged from: its upstream and address.
#[derive(Clone, Copy)]
pub(crate) struct Who<'a> {
    pub(crate) upstream: &'a str,
    pub(crate) addr: SocketAddr,
}

/// The health of one backend. All fields are atomics: selection reads them lock-free, the
/// probe task and the request path write them.
#[derive(Debug, Default)]
pub(crate) struct HealthState {
    /// Set by active probes after `fall` failures, cleared after `rise` passes.
    probe_down: AtomicBool,
    /// Consecutive probe results against the current state (failures while healthy,
    /// passes while unhealthy). Written by the probe task only.
    probe_streak: AtomicU32,
    /// While ejected: the end of the cool-down in [`now_ms`] units; `0` when not ejected.
    ejected_until: AtomicU64,
    /// Consecutive failed requests (passive health).
    passive_fails: AtomicU32,
    /// How many state changes happened (for metrics).
    transitions: AtomicU64,
}

impl HealthState {
    /// Whether the backend may receive traffic now. Ends an ejection whose cool-down is over
    /// (logging it once).
    #[inline]
    pub(crate) fn is_available(&self, who: Who<'_>) -> bool {
        if self.probe_down.load(Ordering::Relaxed) {
            return false;
        }
        let until = self.ejected_until.load(Ordering::Relaxed);
        until == 0 || self.end_ejection(until, who)
    }

    /// Whether the backend would be chosen, without changing anything (for metrics).
    pub(crate) fn is_healthy_now(&self) -> bool {
        let until = self.ejected_until.load(Ordering::Relaxed);
        !self.probe_down.load(Ordering::Relaxed) && (until == 0 || now_ms() >= until)
    }

    /// How many health state changes happened so far.
    pub(crate) fn transitions(&self) -> u64 {
        self.transitions.load(Ordering::Relaxed)
    }

    #[cold]
    fn end_ejection(&self, until: u64, who: Who<'_>) -> bool {
        if now_ms() < until {
            return false;
        }
        if self
            .ejected_until
            .compare_exchange(until, 0, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        {
            self.transitions.fetch_add(1, Ordering::Relaxed);
            tracing::info!(
                target: "pxy::health",
                upstream = who.upstream,
                backend = %who.addr,
                from = "ejected",
                to = "healthy",
                "cool-down over; backend back in rotation"
            );
        }
        true
    }

    /// A request to the backend succeeded: the passive failure streak ends.
    #[inline]
    pub(crate) fn record_success(&self) {
        if self.passive_fails.load(Ordering::Relaxed) != 0 {
            self.passive_fails.store(0, Ordering::Relaxed);
        }
    }

    /// A request to the backend failed; ejects it when `passive` says so.
    pub(crate) fn record_failure(&self, passive: Option<&PassiveHealth>, who: Who<'_>) {
        let Some(passive) = passive else {
            return;
        };
        let fails = self.passive_fails.fetch_add(1, Ordering::Relaxed) + 1;
        if fails < passive.max_fails.max(1) {
            return;
        }
        self.passive_fails.store(0, Ordering::Relaxed);
        let cool_down = u64::try_from(passive.cool_down.as_millis()).unwrap_or(u64::MAX / 2);
        let until = now_ms().saturating_add(cool_down.max(1));
        if self.ejected_until.swap(until, Ordering::Relaxed) == 0 {
            self.transitions.fetch_add(1, Ordering::Relaxed);
            tracing::warn!(
                target: "pxy::health",
                upstream = who.upstream,
                backend = %who.addr,
                from = "healthy",
                to = "ejected",
                failures = fails,
                cool_down = ?passive.cool_down,
                "consecutive failures; backend ejected"
            );
        }
    }

    /// Applies one active probe result with the `rise`/`fall` thresholds of `check`.
    pub(crate) fn record_probe(&self, passed: bool, check: &HealthCheck, who: Who<'_>) {
        let down = self.probe_down.load(Ordering::Relaxed);
        if passed != down {
            // The result agrees with the current state: any streak against it is broken.
            self.probe_streak.store(0, Ordering::Relaxed);
            return;
        }
        let streak = self.probe_streak.fetch_add(1, Ordering::Relaxed) + 1;
        let threshold = if down { check.rise } else { check.fall };
        if streak < threshold.max(1) {
            return;
        }
        self.probe_streak.store(0, Ordering::Relaxed);
        self.probe_down.store(!down, Ordering::Relaxed);
        self.transitions.fetch_add(1, Ordering::Relaxed);
        if down {
            tracing::info!(
                target: "pxy::health",
                upstream = who.upstream,
                backend = %who.addr,
                from = "unhealthy",
                to = "healthy",
                passed = streak,
                "health checks pass; backend back in rotation"
            );
        } else {
            tracing::warn!(
                target: "pxy::health",
                upstream = who.upstream,
                backend = %who.addr,
                from = "healthy",
                to = "unhealthy",
                failed = streak,
                "health checks fail; backend out of rotation"
            );
        }
    }
}

/// Milliseconds since the first call in this process, plus one (so that `0` can mean
/// "not ejected").
fn now_ms() -> u64 {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    let epoch = *EPOCH.get_or_init(Instant::now);
    u64::try_from(epoch.elapsed().as_millis())
        .unwrap_or(u64::MAX / 2)
        .saturating_add(1)
}
