//! Durable job queue: one `jobs` table, enqueued inside the caller's transaction (outbox),
//! claimed with a lease, retried with exponential backoff, `dead` after N attempts.

pub mod maintenance;
pub mod queue;
pub mod tenant_events;
pub mod worker;

use crate::domain::ids::TenantId;
use crate::state::AppState;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use uuid::Uuid;

pub use queue::{JobQueue, NewJob};

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// How a job run failed.
#[derive(Debug)]
pub enum JobError {
    /// Try again later (backoff); `dead` once attempts are used up.
    Retry(anyhow::Error),
    /// Retrying cannot help: `dead` now.
    Permanent(anyhow::Error),
    /// Not a failure: something else must happen first (another holder finishes, the
    /// tenant's running jobs end). The same job runs again at `at`, its attempt not counted.
    Later {
        /// When to look again.
        at: chrono::DateTime<chrono::Utc>,
        /// What it waits for (logged).
        why: String,
    },
}

impl<E: Into<anyhow::Error>> From<E> for JobError {
    fn from(e: E) -> Self {
        JobError::Retry(e.into())
    }
}

/// A claimed job as its handler sees it.
#[derive(Clone, Debug)]
pub struct JobContext {
    /// Job id.
    pub id: Uuid,
    /// Job kind.
    pub kind: String,
    /// Its payload.
    pub payload: serde_json::Value,
    /// This run's attempt number (1 for the first run).
    pub attempt: i32,
    /// The tenant the job belongs to, if any.
    pub tenant_id: Option<TenantId>,
}

impl JobContext {
    /// The UUID in payload field `field`; a payload without it can never succeed, so the
    /// error is permanent.
    pub fn payload_uuid(&self, field: &str) -> Result<Uuid, JobError> {
        self.payload
            .get(field)
            .and_then(serde_json::Value::as_str)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| JobError::Permanent(anyhow::anyhow!("payload without `{field}`")))
    }
}

/// Runs one kind of job. Every handler must be idempotent: a job may run again after a
/// crash or an expired lease.
pub trait JobHandler: Send + Sync {
    /// The kind this handler runs.
    fn kind(&self) -> &'static str;
    /// Runs one job.
    fn run<'a>(
        &'a self,
        state: &'a AppState,
        job: &'a JobContext,
    ) -> BoxFuture<'a, Result<(), JobError>>;
}

/// Handlers by kind.
#[derive(Clone, Default)]
pub struct JobRegistry {
    handlers: HashMap<&'static str, Arc<dyn JobHandler>>,
}

impl JobRegistry {
    /// Adds a handler; a second handler for the same kind replaces the first.
    pub fn register(&mut self, handler: Arc<dyn JobHandler>) {
        self.handlers.insert(handler.kind(), handler);
    }

    /// The handler of `kind`.
    pub fn get(&self, kind: &str) -> Option<Arc<dyn JobHandler>> {
        self.handlers.get(kind).cloned()
    }
}

/// The product's job handlers.
pub fn product_handlers() -> JobRegistry {
    let mut registry = JobRegistry::default();
    registry.register(Arc::new(tenant_events::TenantStateChangedHandler));
    registry.register(Arc::new(crate::lifecycle::purge::PurgeHandler));
    registry.register(Arc::new(crate::services::exports::ExportHandler));
    registry.register(Arc::new(
        crate::services::notifications::DeliverNoticeHandler,
    ));
    registry.register(Arc::new(
        crate::services::wechat::binding::AuthorizedHandler,
    ));
    registry.register(Arc::new(crate::services::wechat::deploy::DeployHandler));
    registry.register(Arc::new(crate::services::wechat::rollout::RolloutHandler));
    registry.register(Arc::new(crate::services::wechat::visit::VisitStatusHandler));
    registry.register(Arc::new(crate::services::sms::dispatch::SendSmsHandler));
    registry.register(Arc::new(crate::services::public_url::RerenderHandler));
    registry
}
