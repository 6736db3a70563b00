//! The scheduler: every instance runs `tick(now)` once a minute. A tick runs each
//! registered sweep in isolation — a failing or panicking sweep is logged and counted and
//! the others still run. Sweeps are idempotent set-based updates plus deduplicated jobs,
//! so any number of instances may tick at once.

use crate::jobs::BoxFuture;
use crate::state::AppState;
use chrono::{DateTime, DurationRound, TimeDelta, Utc};
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use tokio::sync::watch;
use tracing::Instrument;

/// A periodic, idempotent piece of work.
pub trait Sweep: Send + Sync {
    /// Stable name for logs and metrics.
    fn name(&self) -> &'static str;
    /// Does the work due at `now`. Must be deterministic given the database and `now`.
    fn run<'a>(
        &'a self,
        state: &'a AppState,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, anyhow::Result<()>>;
}

/// What one tick did.
#[derive(Debug, Default)]
pub struct TickReport {
    /// Sweeps that completed.
    pub succeeded: Vec<&'static str>,
    /// Sweeps that failed, with the error.
    pub failed: Vec<(&'static str, String)>,
}

/// The registered sweeps.
#[derive(Default)]
pub struct Scheduler {
    sweeps: Vec<Arc<dyn Sweep>>,
}

impl Scheduler {
    /// An empty scheduler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a sweep; sweeps run in registration order.
    pub fn register(&mut self, sweep: Arc<dyn Sweep>) {
        self.sweeps.push(sweep);
    }

    /// Runs every sweep once for `now`.
    pub async fn tick(&self, state: &AppState, now: DateTime<Utc>) -> TickReport {
        let mut report = TickReport::default();
        for sweep in &self.sweeps {
            let name = sweep.name();
            let span = tracing::info_span!("sweep", sweep = name, tick = %now);
            let started = std::time::Instant::now();
            let result = AssertUnwindSafe(sweep.run(state, now))
                .catch_unwind()
                .instrument(span.clone())
                .await;
            let duration_ms = started.elapsed().as_millis() as u64;
            let _entered = span.enter();
            match result {
                Ok(Ok(())) => {
                    state
                        .metrics
                        .sweep_runs
                        .with_label_values(&[name, "ok"])
                        .inc();
                    tracing::debug!(duration_ms, "sweep done");
                    report.succeeded.push(name);
                }
                Ok(Err(e)) => {
                    state
                        .metrics
                        .sweep_runs
                        .with_label_values(&[name, "failed"])
                        .inc();
                    tracing::error!(duration_ms, error = %format!("{e:#}"), "sweep failed");
                    report.failed.push((name, format!("{e:#}")));
                }
                Err(_) => {
                    state
                        .metrics
                        .sweep_runs
                        .with_label_values(&[name, "failed"])
                        .inc();
                    tracing::error!(duration_ms, "sweep panicked");
                    report.failed.push((name, "panicked".into()));
                }
            }
        }
        report
    }

    /// Ticks at the start of every minute (by the service clock) until `shutdown` flips.
    pub fn spawn_loop(
        self: Arc<Self>,
        state: AppState,
        mut shutdown: watch::Receiver<bool>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                let now = state.clock.now();
                let next = now.duration_trunc(TimeDelta::minutes(1)).unwrap_or(now)
                    + TimeDelta::minutes(1);
                let wait = (next - now).to_std().unwrap_or_default();
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = shutdown.changed() => return,
                }
                if *shutdown.borrow() {
                    return;
                }
                self.tick(&state, state.clock.now()).await;
            }
        })
    }
}
