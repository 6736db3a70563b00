//! Consumer of the `tenant.state_changed` outbox events. Each reaction is idempotent: it
//! refreshes this instance's view of the tenant and sends the merchant's notice (frozen,
//! reopened, overdue hold set or lifted); the WeChat visit status subscribes here too.

use super::{BoxFuture, JobContext, JobError, JobHandler};
use crate::domain::ids::TenantId;
use crate::domain::notice::{Audience, NoticeKind};
use crate::domain::time::shanghai_display;
use crate::services::notifications::{self, NewNotice};
use crate::services::tenant_state::{STATE_CHANGED_JOB, StateSnapshot};
use crate::state::AppState;
use anyhow::Context;
use sea_orm::EntityTrait;
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
            crate::services::wechat::visit::on_state_changed(
                &state.db,
                state,
                event.tenant_id,
                &event.old,
                &event.new,
            )
            .await?;
            let at = job
                .payload
                .get("at")
                .map(|v| v.to_string())
                .unwrap_or_default();
            notify_merchant(state, &event, &at)
                .await
                .map_err(|e| JobError::Retry(anyhow::anyhow!("{e}")))?;
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

/// The notice a change deserves, if any: frozen, reopened, overdue hold set or lifted.
fn notice_for(event: &StateChangedEvent) -> Option<NoticeKind> {
    let (old, new) = (&event.old, &event.new);
    if new.status == "frozen" && old.status != "frozen" {
        return Some(NoticeKind::Frozen);
    }
    if old.status == "frozen" && new.status == "active" {
        return Some(NoticeKind::Reopened);
    }
    let had = old.holds.iter().any(|h| h == "overdue");
    let has = new.holds.iter().any(|h| h == "overdue");
    match (had, has) {
        (false, true) => Some(NoticeKind::OverdueHoldSet),
        (true, false) => Some(NoticeKind::OverdueHoldLifted),
        _ => None,
    }
}

/// Creates the notice for the tenant's merchant accounts and account manager. The dedup key
/// is the event itself, so a re-run creates nothing twice.
async fn notify_merchant(
    state: &AppState,
    event: &StateChangedEvent,
    at: &str,
) -> crate::error::AppResult<()> {
    let Some(kind) = notice_for(event) else {
        return Ok(());
    };
    let Some(tenant) = entity::tenants::Entity::find_by_id(event.tenant_id.0)
        .one(&state.db)
        .await?
    else {
        return Ok(());
    };
    if tenant.status == "deleted" {
        return Ok(());
    }
    let data = serde_json::json!({
        "tenant_id": tenant.id,
        "business_name": tenant.business_name,
        "end_date": tenant.term_end_date.map(|d| d.to_string()),
        "frozen_at": tenant.frozen_at.map(shanghai_display),
        "delete_after": tenant.delete_after.map(shanghai_display),
        "delete_date": tenant.delete_after.map(|d| crate::domain::time::shanghai_date(d).to_string()),
        "delete_after_utc": tenant.delete_after,
    });
    // The notice and its delivery job are stored together or not at all.
    let txn = crate::db::begin_write(&state.db).await?;
    notifications::create(
        &txn,
        state,
        NewNotice {
            kind,
            tenant: Some(event.tenant_id),
            audience: Audience::TenantAndManager,
            plan_id: None,
            data,
            dedup_key: Some(format!("{}:{}:{}", kind.as_str(), event.tenant_id, at)),
            created_by: None,
        },
    )
    .await?;
    txn.commit().await?;
    Ok(())
}
