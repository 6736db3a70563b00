//! Suspension (PROTOCOL.md §3.5, §3.8 step 5): a frozen tenant's or a taken-down tenant's
//! mini-program is closed with `change_visitstatus`, and opened again only when it is
//! neither (an `overdue` hold changes only the client API's answer). The job reads the
//! tenant's state when it runs, so late or reordered events still converge on the right
//! answer; each result is confirmed with `getvisitstatus` and audited.

use super::tokens::with_authorizer_token;
use super::{WxFailure, platform};
use crate::domain::ids::TenantId;
use crate::domain::notice::{Audience, NoticeKind};
use crate::error::AppError;
use crate::jobs::{BoxFuture, JobContext, JobError, JobHandler, NewJob};
use crate::services::audit::{self, Actor, AuditRecord};
use crate::services::notifications::{self, NewNotice};
use crate::services::tenant_state::StateSnapshot;
use crate::state::AppState;
use crate::wechat::client::TokenParam;
use entity::wechat_bindings;
use sea_orm::{ConnectionTrait, EntityTrait};
use serde_json::{Value, json};

/// Job kind that brings a tenant's visit status in line with its state.
pub const VISIT_STATUS_JOB: &str = "wechat.visit_status";
/// Attempts before the job is dead and agency admins are alerted.
pub const VISIT_ATTEMPTS: i32 = 5;

/// `close` when frozen or under a takedown hold, `open` otherwise.
pub fn wanted_action(snapshot: &StateSnapshot) -> &'static str {
    if snapshot.status == "frozen" || snapshot.holds.iter().any(|h| h == "takedown") {
        "close"
    } else {
        "open"
    }
}

/// Enqueues the visit-status job when a state change moves the tenant across the line.
pub async fn on_state_changed(
    conn: &impl ConnectionTrait,
    state: &AppState,
    tenant: TenantId,
    old: &StateSnapshot,
    new: &StateSnapshot,
) -> Result<(), sea_orm::DbErr> {
    if state.wechat.is_none() || wanted_action(old) == wanted_action(new) {
        return Ok(());
    }
    state
        .jobs
        .enqueue(
            conn,
            NewJob::new(VISIT_STATUS_JOB, json!({ "tenant_id": tenant }))
                .tenant(tenant)
                .max_attempts(VISIT_ATTEMPTS),
        )
        .await?;
    Ok(())
}

/// Runs `wechat.visit_status`.
pub struct VisitStatusHandler;

async fn audit_visit(
    state: &AppState,
    tenant: TenantId,
    action: &'static str,
    summary: Value,
) -> Result<(), sea_orm::DbErr> {
    audit::record(
        &state.db,
        state.clock.now(),
        AuditRecord {
            actor: Actor::system(),
            tenant_id: Some(tenant),
            action,
            subject_type: "tenant",
            subject_id: Some(tenant.to_string()),
            summary,
            request_id: None,
        },
    )
    .await?;
    Ok(())
}

async fn apply(state: &AppState, tenant: TenantId) -> Result<(), WxFailure> {
    let wx = platform(state)?;
    let row = entity::tenants::Entity::find_by_id(tenant.0)
        .one(&state.db)
        .await?;
    let Some(row) = row.filter(|t| t.deleted_at.is_none()) else {
        return Ok(());
    };
    let (_, snapshot) = crate::services::tenant_state::lock_snapshot(&state.db, tenant).await?;
    let action = wanted_action(&snapshot);
    let binding = wechat_bindings::Entity::find_by_id(tenant.0)
        .one(&state.db)
        .await?;
    let Some(binding) = binding.filter(|b| b.status == "bound") else {
        let why = if row.appid.is_some() {
            "binding revoked or absent"
        } else {
            "no mini-program bound"
        };
        audit_visit(
            state,
            tenant,
            "wechat.visit_status_skipped",
            json!({ "action": action, "reason": why }),
        )
        .await?;
        return Ok(());
    };
    let call = |path: &'static str, body: Value| {
        let wx = &wx;
        with_authorizer_token(state, wx, tenant, move |token| {
            let body = body.clone();
            async move {
                wx.client
                    .post(path, TokenParam::Access(&token), &body)
                    .await
            }
        })
    };
    let info = call("/wxa/getversioninfo", json!({})).await?;
    if info["release_info"].is_null() {
        audit_visit(
            state,
            tenant,
            "wechat.visit_status_skipped",
            json!({ "action": action, "appid": binding.appid, "reason": "never released" }),
        )
        .await?;
        return Ok(());
    }
    call("/wxa/change_visitstatus", json!({ "action": action })).await?;
    let now = call("/wxa/getvisitstatus", json!({})).await?;
    let expected = if action == "close" { 0 } else { 1 };
    if now["status"].as_i64() != Some(expected) {
        return Err(AppError::internal(anyhow::anyhow!(
            "visit status is {} after {action}",
            now["status"]
        ))
        .into());
    }
    audit_visit(state, tenant, "wechat.visit_status_changed", json!({ "action": action, "appid": binding.appid, "confirmed_status": expected, "tenant_status": snapshot.status, "holds": snapshot.holds })).await?;
    tracing::info!(tenant.id = %tenant, action, "mini-program visit status changed");
    Ok(())
}

impl JobHandler for VisitStatusHandler {
    fn kind(&self) -> &'static str {
        VISIT_STATUS_JOB
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        job: &'a JobContext,
    ) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let tenant = TenantId(job.payload_uuid("tenant_id")?);
            let Err(failure) = apply(state, tenant).await else {
                return Ok(());
            };
            let error: JobError = failure.into();
            let last = job.attempt >= VISIT_ATTEMPTS || matches!(error, JobError::Permanent(_));
            if last {
                let text = match &error {
                    JobError::Permanent(e) | JobError::Retry(e) => e.to_string(),
                    JobError::Later { why, .. } => why.clone(),
                };
                audit_visit(
                    state,
                    tenant,
                    "wechat.visit_status_failed",
                    json!({ "error": text, "attempts": job.attempt }),
                )
                .await?;
                alert_admins(state, tenant, &text).await?;
                return Err(JobError::Permanent(anyhow::anyhow!(text)));
            }
            Err(error)
        })
    }
}

async fn alert_admins(
    state: &AppState,
    tenant: TenantId,
    error: &str,
) -> Result<(), anyhow::Error> {
    let name = entity::tenants::Entity::find_by_id(tenant.0)
        .one(&state.db)
        .await?
        .map(|t| t.business_name)
        .unwrap_or_default();
    // The notice and its delivery job are stored together or not at all.
    let txn = crate::db::begin_write(&state.db).await?;
    notifications::create(
        &txn,
        state,
        NewNotice {
            kind: NoticeKind::WechatActionFailed,
            tenant: None,
            audience: Audience::AgencyAdmins,
            plan_id: None,
            data: json!({ "tenant_id": tenant, "business_name": name, "action": "change_visitstatus", "error": error }),
            dedup_key: None,
            created_by: None,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    txn.commit().await?;
    Ok(())
}
