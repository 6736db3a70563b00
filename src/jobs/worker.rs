//! Workers: claim a due job, run its handler while a heartbeat keeps the lease, record the
//! outcome. On shutdown they stop claiming, let a running job finish within the grace
//! period, and otherwise give it back to the queue.

use super::queue::{ClaimedJob, status};
use super::{JobContext, JobError, JobRegistry};
use crate::domain::ids::TenantId;
use crate::state::AppState;
use futures_util::FutureExt;
use std::panic::AssertUnwindSafe;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::Instrument;

/// Running workers of one instance.
pub struct WorkerPool {
    shutdown: watch::Sender<bool>,
    handles: Vec<JoinHandle<()>>,
}

impl WorkerPool {
    /// Starts `count` workers.
    pub fn spawn(state: AppState, registry: Arc<JobRegistry>, count: usize) -> Self {
        let (shutdown, rx) = watch::channel(false);
        let handles = (0..count)
            .map(|n| {
                let worker_id = format!("{}-w{n}", state.instance_id);
                tokio::spawn(worker_loop(
                    state.clone(),
                    registry.clone(),
                    worker_id,
                    rx.clone(),
                ))
            })
            .collect();
        Self { shutdown, handles }
    }

    /// Stops claiming, waits for running jobs (each worker releases what it cannot finish
    /// within the grace period), and returns when every worker has exited.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        for handle in self.handles {
            let _ = handle.await;
        }
    }
}

async fn worker_loop(
    state: AppState,
    registry: Arc<JobRegistry>,
    worker_id: String,
    mut shutdown: watch::Receiver<bool>,
) {
    let poll = Duration::from_millis(state.settings.jobs.poll_interval_ms.max(10));
    loop {
        if *shutdown.borrow() {
            break;
        }
        match state.jobs.claim(&state.db, &worker_id).await {
            Ok(Some(job)) => run_claimed(&state, &registry, &worker_id, job, &mut shutdown).await,
            Ok(None) => {
                tokio::select! {
                    _ = tokio::time::sleep(poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
            Err(e) => {
                tracing::warn!(worker = %worker_id, error = %e, "claiming a job failed");
                tokio::select! {
                    _ = tokio::time::sleep(poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
        }
    }
}

async fn run_claimed(
    state: &AppState,
    registry: &JobRegistry,
    worker_id: &str,
    job: ClaimedJob,
    shutdown: &mut watch::Receiver<bool>,
) {
    let span = tracing::info_span!(
        "job",
        job.id = %job.id,
        job.kind = %job.kind,
        job.attempt = job.attempts,
        tenant.id = tracing::field::Empty,
    );
    if let Some(tenant) = job.tenant_id {
        span.record("tenant.id", tracing::field::display(tenant));
    }
    async {
        if job.attempts > job.max_attempts {
            // The lease expired during the last allowed attempt: the worker that held it
            // vanished, so the job is dead rather than run beyond its limit.
            record_failure(
                state,
                worker_id,
                &job,
                "the worker running the last attempt vanished",
                true,
            )
            .await;
            return;
        }
        let Some(handler) = registry.get(&job.kind) else {
            let msg = format!("no handler for job kind `{}` on this instance", job.kind);
            record_failure(state, worker_id, &job, &msg, false).await;
            return;
        };
        let context = JobContext {
            id: job.id,
            kind: job.kind.clone(),
            payload: job.payload.clone(),
            attempt: job.attempts,
            tenant_id: job.tenant_id.map(TenantId),
        };
        let started = std::time::Instant::now();
        let outcome = {
            let run = AssertUnwindSafe(handler.run(state, &context)).catch_unwind();
            let heartbeat = heartbeat_loop(state, job.id, worker_id);
            let mut run = pin!(run);
            let mut heartbeat = pin!(heartbeat);
            tokio::select! {
                result = &mut run => Some(result),
                _ = &mut heartbeat => None,
                _ = wait_for_shutdown(shutdown) => {
                    let grace = Duration::from_secs(state.settings.jobs.shutdown_grace_secs);
                    tokio::select! {
                        result = &mut run => Some(result),
                        _ = tokio::time::sleep(grace) => {
                            tracing::warn!("shutdown grace period over: releasing the job");
                            if let Err(e) = state.jobs.release(&state.db, job.id, worker_id).await {
                                tracing::error!(error = %e, "releasing the job failed");
                            }
                            return;
                        }
                    }
                }
            }
        };
        let duration_ms = started.elapsed().as_millis() as u64;
        match outcome {
            None => tracing::warn!(
                duration_ms,
                "lease lost while running; another worker owns the job now"
            ),
            Some(Ok(Ok(()))) => match state.jobs.complete(&state.db, job.id, worker_id).await {
                Ok(true) => {
                    state
                        .metrics
                        .job_runs
                        .with_label_values(&[&job.kind, "done"])
                        .inc();
                    tracing::debug!(duration_ms, "job done");
                }
                Ok(false) => tracing::warn!(duration_ms, "job finished after its lease was lost"),
                Err(e) => tracing::error!(error = %e, "recording job completion failed"),
            },
            Some(Ok(Err(JobError::Retry(e)))) => {
                record_failure(state, worker_id, &job, &format!("{e:#}"), false).await
            }
            Some(Ok(Err(JobError::Permanent(e)))) => {
                record_failure(state, worker_id, &job, &format!("{e:#}"), true).await
            }
            Some(Ok(Err(JobError::Later { at, why }))) => {
                tracing::debug!(duration_ms, %at, why, "job waits; it runs again later");
                if let Err(e) = state
                    .jobs
                    .release_until(&state.db, job.id, worker_id, Some(at))
                    .await
                {
                    tracing::error!(error = %e, "rescheduling the job failed");
                }
            }
            Some(Err(_panic)) => {
                record_failure(state, worker_id, &job, "the job handler panicked", false).await
            }
        }
    }
    .instrument(span)
    .await
}

async fn record_failure(
    state: &AppState,
    worker_id: &str,
    job: &ClaimedJob,
    error: &str,
    permanent: bool,
) {
    match state
        .jobs
        .fail(&state.db, job, worker_id, error, permanent)
        .await
    {
        Ok(new_status) => {
            let outcome = if new_status == status::DEAD {
                "dead"
            } else {
                "retry"
            };
            state
                .metrics
                .job_runs
                .with_label_values(&[&job.kind, outcome])
                .inc();
            if new_status == status::DEAD {
                tracing::error!(job.error = %error, "job is dead");
            } else {
                tracing::warn!(job.error = %error, "job failed; will retry");
            }
        }
        Err(e) => tracing::error!(error = %e, "recording job failure failed"),
    }
}

/// Extends the lease every third of its length; returns only when the lease is lost.
async fn heartbeat_loop(state: &AppState, id: uuid::Uuid, worker_id: &str) {
    let period = (state.jobs.lease() / 3)
        .to_std()
        .unwrap_or(Duration::from_secs(10))
        .max(Duration::from_millis(50));
    loop {
        tokio::time::sleep(period).await;
        match state.jobs.heartbeat(&state.db, id, worker_id).await {
            Ok(true) => {}
            Ok(false) => return,
            Err(e) => tracing::warn!(error = %e, "job heartbeat failed"),
        }
    }
}

async fn wait_for_shutdown(rx: &mut watch::Receiver<bool>) {
    while !*rx.borrow() {
        if rx.changed().await.is_err() {
            return;
        }
    }
}
