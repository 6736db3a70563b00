//! The only way a tenant's status or holds change. Each change is checked against the
//! domain's transition table, made with a conditional update (so a retried or concurrent
//! change applies once), and writes its audit event and its `tenant.state_changed` outbox
//! job in the caller's transaction.

use crate::domain::ids::TenantId;
use crate::domain::tenant::{
    HoldCause, HoldKind, TenantStatus, TransitionCause, check_hold_change, check_transition,
};
use crate::error::{AppError, AppResult, ErrorCode, Localized};
use crate::jobs::NewJob;
use crate::services::audit::{self, Actor, AuditRecord};
use crate::state::AppState;
use entity::{tenant_holds, tenants};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::Serialize;

/// Job kind of the outbox event every status or hold change emits.
pub const STATE_CHANGED_JOB: &str = "tenant.state_changed";

/// Status and holds at one moment, as the outbox event carries them.
#[derive(Clone, Debug, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct StateSnapshot {
    /// Status.
    pub status: String,
    /// Holds, sorted.
    pub holds: Vec<String>,
}

/// Who changed it and in which request.
#[derive(Clone, Debug)]
pub struct ChangeContext {
    /// The actor (a user, or `system` for sweeps).
    pub actor: Actor,
    /// The request that caused it.
    pub request_id: Option<String>,
}

/// Reads the tenant's status and holds, locking the row on PostgreSQL so concurrent
/// changes of one tenant queue up (SQLite's write transaction already serializes them).
pub async fn lock_snapshot(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
) -> AppResult<(tenants::Model, StateSnapshot)> {
    let row = tenants::Entity::find_by_id(tenant.0)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::new(ErrorCode::NotFound))?;
    let holds = tenant_holds::Entity::find()
        .filter(tenant_holds::Column::TenantId.eq(tenant.0))
        .all(conn)
        .await?;
    let mut holds: Vec<String> = holds.into_iter().map(|h| h.kind).collect();
    holds.sort();
    let snapshot = StateSnapshot {
        status: row.status.clone(),
        holds,
    };
    Ok((row, snapshot))
}

/// Takes the row lock the purge takes on each of `tenants` (in id order, so two callers
/// never wait on each other) and answers those not deleted. A write that adds rows of a
/// tenant from outside its request path (a job) calls this in its write transaction and
/// leaves out the others: the purge then either ran before — the tenant shows as deleted —
/// or waits for this transaction and deletes what it wrote.
pub async fn lock_live(
    conn: &impl ConnectionTrait,
    tenants: impl IntoIterator<Item = uuid::Uuid>,
) -> AppResult<std::collections::HashSet<uuid::Uuid>> {
    let ids: std::collections::BTreeSet<uuid::Uuid> = tenants.into_iter().collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows = tenants::Entity::find()
        .filter(tenants::Column::Id.is_in(ids))
        .order_by_asc(tenants::Column::Id)
        .lock_exclusive()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter(|t| t.status != TenantStatus::Deleted.as_str())
        .map(|t| t.id)
        .collect())
}

fn invalid(e: impl std::fmt::Display) -> AppError {
    let text = e.to_string();
    AppError::new(ErrorCode::InvalidTransition).with_message(Localized::new(
        format!("当前状态不允许此操作：{text}"),
        format!("The current state does not allow this change: {text}"),
    ))
}

/// Moves the tenant to `to` for `cause`. Returns false (and changes nothing) when the
/// tenant is already in `to`, so a retried change is a no-op.
pub async fn change_status(
    conn: &impl ConnectionTrait,
    state: &AppState,
    tenant: TenantId,
    to: TenantStatus,
    cause: TransitionCause,
    ctx: &ChangeContext,
) -> AppResult<bool> {
    let (_, before) = lock_snapshot(conn, tenant).await?;
    let from: TenantStatus = before
        .status
        .parse()
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    if from == to {
        return Ok(false);
    }
    check_transition(from, to, cause).map_err(invalid)?;
    let now = state.clock.now();
    let mut update = tenants::Entity::update_many()
        .col_expr(tenants::Column::Status, Expr::value(to.as_str()))
        .col_expr(tenants::Column::StatusChangedAt, Expr::value(now))
        .col_expr(tenants::Column::StatusCause, Expr::value(cause.as_str()))
        .col_expr(
            tenants::Column::StatusActor,
            Expr::value(ctx.actor.name.clone()),
        )
        .col_expr(tenants::Column::UpdatedAt, Expr::value(now));
    if to == TenantStatus::Active {
        // Reopened (or activated): no freeze and no deletion pending any more.
        update = update
            .col_expr(
                tenants::Column::FrozenAt,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            )
            .col_expr(
                tenants::Column::DeleteAfter,
                Expr::value(Option::<chrono::DateTime<chrono::Utc>>::None),
            );
    }
    let updated = update
        .filter(tenants::Column::Id.eq(tenant.0))
        .filter(tenants::Column::Status.eq(from.as_str()))
        .exec(conn)
        .await?;
    if updated.rows_affected == 0 {
        return Err(invalid("the status changed concurrently; retry"));
    }
    let after = StateSnapshot {
        status: to.as_str().into(),
        holds: before.holds.clone(),
    };
    record(
        conn,
        state,
        tenant,
        "tenant.status_changed",
        cause.as_str(),
        None,
        &before,
        &after,
        ctx,
    )
    .await?;
    Ok(true)
}

/// Sets (`set = true`) or lifts a hold for `cause`. Returns false when nothing changed
/// (already set / not set), so a retried change is a no-op.
#[allow(clippy::too_many_arguments)]
pub async fn change_hold(
    conn: &impl ConnectionTrait,
    state: &AppState,
    tenant: TenantId,
    hold: HoldKind,
    set: bool,
    cause: HoldCause,
    reason: &str,
    ctx: &ChangeContext,
) -> AppResult<bool> {
    let (_, before) = lock_snapshot(conn, tenant).await?;
    let status: TenantStatus = before
        .status
        .parse()
        .map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    check_hold_change(status, hold, set, cause).map_err(invalid)?;
    let now = state.clock.now();
    let changed = if set {
        tenant_holds::Entity::insert(tenant_holds::ActiveModel {
            tenant_id: Set(tenant.0),
            kind: Set(hold.as_str().into()),
            reason: Set(reason.to_owned()),
            set_by: Set(ctx.actor.id.map(|u| u.0)),
            set_at: Set(now),
        })
        .on_conflict(
            OnConflict::columns([tenant_holds::Column::TenantId, tenant_holds::Column::Kind])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?
            > 0
    } else {
        tenant_holds::Entity::delete_many()
            .filter(tenant_holds::Column::TenantId.eq(tenant.0))
            .filter(tenant_holds::Column::Kind.eq(hold.as_str()))
            .exec(conn)
            .await?
            .rows_affected
            > 0
    };
    if !changed {
        return Ok(false);
    }
    let mut holds = before.holds.clone();
    if set {
        holds.push(hold.as_str().into());
        holds.sort();
    } else {
        holds.retain(|h| h != hold.as_str());
    }
    let after = StateSnapshot {
        status: before.status.clone(),
        holds,
    };
    let action = if set {
        "tenant.hold_set"
    } else {
        "tenant.hold_lifted"
    };
    record(
        conn,
        state,
        tenant,
        action,
        cause.as_str(),
        Some(reason),
        &before,
        &after,
        ctx,
    )
    .await?;
    Ok(true)
}

#[allow(clippy::too_many_arguments)]
async fn record(
    conn: &impl ConnectionTrait,
    state: &AppState,
    tenant: TenantId,
    action: &'static str,
    cause: &str,
    reason: Option<&str>,
    before: &StateSnapshot,
    after: &StateSnapshot,
    ctx: &ChangeContext,
) -> AppResult<()> {
    let now = state.clock.now();
    audit::record(
        conn,
        now,
        AuditRecord {
            actor: ctx.actor.clone(),
            tenant_id: Some(tenant),
            action,
            subject_type: "tenant",
            subject_id: Some(tenant.to_string()),
            summary: serde_json::json!({
                "cause": cause,
                "reason": reason,
                "before": before,
                "after": after,
            }),
            request_id: ctx.request_id.clone(),
        },
    )
    .await?;
    // Phones see the new state at once: the client API serves the suspended payload or
    // content again from the next request.
    crate::services::client_content::refresh(conn, state, tenant).await?;
    state
        .jobs
        .enqueue(conn, state_changed_job(tenant, cause, before, after, now))
        .await?;
    Ok(())
}

/// The `tenant.state_changed` outbox event of one change.
pub fn state_changed_job(
    tenant: TenantId,
    cause: &str,
    before: &StateSnapshot,
    after: &StateSnapshot,
    at: chrono::DateTime<chrono::Utc>,
) -> NewJob {
    NewJob::new(
        STATE_CHANGED_JOB,
        state_changed_payload(tenant, cause, before, after, at),
    )
    .tenant(tenant)
}

/// The payload of a `tenant.state_changed` event.
pub fn state_changed_payload(
    tenant: TenantId,
    cause: &str,
    before: &StateSnapshot,
    after: &StateSnapshot,
    at: chrono::DateTime<chrono::Utc>,
) -> serde_json::Value {
    serde_json::json!({
        "tenant_id": tenant,
        "cause": cause,
        "old": before,
        "new": after,
        "at": at,
    })
}
