//! Consumer of the `tenant.state_changed` outbox events. Each reaction is idempotent. Today
//! it refreshes this instance's view of the tenant; the client-API cache and the WeChat
//! visit status subscribe here as they arrive.

use super::{BoxFuture, JobContext, JobError, JobHandler};
use crate::domain::ids::TenantId;
use crate::services::tenant_state::{STATE_CHANGED_JOB, StateSnapshot};
use crate::state::AppState;
use anyhow::Context;
use serde::Deserialize;

/// The event's payload.
#[derive(Debug, Deserialize)]
pub struct StateChangedEvent {
    /// The tenant.
    pub tenant_id: TenantId,
    /// Why it changed.
    pub cause: String,
    /// Before.
    pub old: StateSnapshot,
    /// After.
    pub new: StateSnapshot,
}

/// Handles `tenant.state_changed`.
pub struct TenantStateChangedHandler;

impl JobHandler for TenantStateChangedHandler {
    fn kind(&self) -> &'static str {
        STATE_CHANGED_JOB
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        job: &'a JobContext,
    ) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let event: StateChangedEvent = serde_json::from_value(job.payload.clone())
                .context("malformed tenant.state_changed payload")
                .map_err(JobError::Permanent)?;
            state.invalidate_tenant(event.tenant_id);
            tracing::info!(
                tenant.id = %event.tenant_id,
                cause = %event.cause,
                old.status = %event.old.status,
                new.status = %event.new.status,
                new.holds = ?event.new.holds,
                "tenant state changed"
            );
            Ok(())
        })
    }
}
