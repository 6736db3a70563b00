//! Deletion at `delete_after` (SPEC §2.8). The sweep enqueues one `tenant.purge` job per
//! due tenant (dedup key: tenant and deletion time); the job
//! 1. re-checks under the tenant's row lock that it is still frozen and due — a renewal
//!    paid before `delete_after` reopened it, and from `delete_after` on renewals are
//!    refused, so after this check nothing can bring the tenant back;
//! 2. waits (the job runs again later, no attempt counted) while a job of the tenant is
//!    running under a live lease: from the deletion time on no tenant job writes (an
//!    export checks [`deletion_due`] before it starts, while it reads and before it
//!    stores), so the wait is short, and a job of a killed process stops counting once
//!    its lease runs out;
//! 3. deletes every object under `tenants/<id>/`, listed and deleted in batches;
//! 4. in one transaction, under the lock again, deletes the tenant's rows from every table
//!    with a `tenant_id` column except the survivors, turns the tenant row into the
//!    tombstone, sets `deleted` and audits — jobs without a tenant that write tenant rows
//!    (notice delivery) take the same lock in their write transaction and skip a deleted
//!    tenant;
//! 5. deletes objects once more and removes what no listing shows (a folder store's
//!    temporary files of writes killed mid-way, its empty folders).
//!
//! Every step is idempotent, so a crash anywhere is healed by the next run; a run that
//! finds the tenant deleted sweeps its objects again and fails (to be retried) while any
//! is left.

use super::tenant_data::purge_order;
use crate::db;
use crate::domain::ids::TenantId;
use crate::domain::notice::{Audience, NoticeKind};
use crate::domain::tenant::{TenantStatus, TransitionCause};
use crate::domain::time::shanghai_display;
use crate::error::{AppError, AppResult};
use crate::jobs::{BoxFuture, JobContext, JobError, JobHandler, NewJob};
use crate::services::audit::{self, Actor, AuditRecord};
use crate::services::notifications::{self, NewNotice};
use crate::services::tenant_state::{StateSnapshot, lock_snapshot};
use crate::state::AppState;
use crate::storage::tenant_prefix;
use chrono::{DateTime, Utc};
use entity::tenants;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Statement};
use std::collections::BTreeMap;

/// Job kind of one tenant's purge.
pub const PURGE_JOB: &str = "tenant.purge";

/// Fault point between deleting the objects and deleting the rows (crash tests).
pub const PURGE_FAULT: &str = "lifecycle.purge.between_objects_and_rows";

/// Objects listed and deleted per round.
const OBJECT_BATCH: usize = 500;

/// What a purge run found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PurgeOutcome {
    /// Purged now: rows deleted per table, objects deleted.
    Purged {
        /// Rows deleted per table.
        rows: BTreeMap<String, u64>,
        /// Objects deleted.
        objects: usize,
    },
    /// Already deleted by an earlier run (its objects swept again).
    AlreadyDeleted,
    /// Jobs of the tenant are still running: try again at the time given.
    WaitingForJobs {
        /// How many.
        running: u64,
        /// When to look again (the latest of their leases, at most a minute away).
        until: DateTime<Utc>,
    },
    /// Not due (renewed, or not frozen, or before `delete_after`): nothing done.
    NotDue(&'static str),
}

/// Why a tenant may not be purged at `now`, or `None` when it may.
fn not_due(row: &tenants::Model, now: DateTime<Utc>) -> Option<&'static str> {
    if row.status != TenantStatus::Frozen.as_str() {
        return Some("not frozen (renewed or never frozen)");
    }
    match row.delete_after {
        None => Some("no deletion time yet (calendar coverage)"),
        Some(at) if now < at => Some("before delete_after"),
        Some(_) => None,
    }
}

/// Whether the tenant's data is due for deletion at `now` (or already deleted): from then
/// on nothing of the tenant may be written — no export starts or stores, no job adds rows.
pub fn deletion_due(row: &tenants::Model, now: DateTime<Utc>) -> bool {
    row.status == TenantStatus::Deleted.as_str() || not_due(row, now).is_none()
}

/// Enqueues a purge for every frozen tenant whose `delete_after` has come. Returns how
/// many jobs were new.
pub async fn enqueue_due(state: &AppState, now: DateTime<Utc>) -> AppResult<u64> {
    let due = tenants::Entity::find()
        .filter(tenants::Column::Status.eq(TenantStatus::Frozen.as_str()))
        .filter(tenants::Column::DeleteAfter.lte(now))
        .all(&state.db)
        .await?;
    let jobs: Vec<NewJob> = due
        .iter()
        .map(|t| {
            // Not owned by the tenant (no tenant_id): the purge deletes the tenant's jobs
            // and must not delete itself.
            NewJob::new(PURGE_JOB, serde_json::json!({ "tenant_id": t.id })).dedup_key(format!(
                "{PURGE_JOB}:{}:{}",
                t.id,
                t.delete_after.map(|d| d.timestamp()).unwrap_or_default()
            ))
        })
        .collect();
    if jobs.is_empty() {
        return Ok(0);
    }
    Ok(state.jobs.enqueue_many(&state.db, jobs).await?)
}

/// Jobs of the tenant running under a live lease, and when the last lease ends. Inside
/// the purge's transaction it locks the tenant's job rows, so no worker claims one of them
/// between this look and their deletion (claims skip locked rows).
async fn running_jobs(
    conn: &impl ConnectionTrait,
    tenant: TenantId,
    now: DateTime<Utc>,
) -> AppResult<Option<PurgeOutcome>> {
    let jobs = entity::jobs::Entity::find()
        .filter(entity::jobs::Column::TenantId.eq(tenant.0))
        .lock_exclusive()
        .all(conn)
        .await?;
    let running: Vec<DateTime<Utc>> = jobs
        .iter()
        .filter(|j| j.status == crate::jobs::queue::status::RUNNING)
        .filter_map(|j| j.locked_until)
        .filter(|until| *until > now)
        .collect();
    let Some(last) = running.iter().max().copied() else {
        return Ok(None);
    };
    let until = last.clamp(
        now + chrono::Duration::seconds(1),
        now + chrono::Duration::minutes(1),
    );
    tracing::info!(tenant.id = %tenant, running = running.len(), %until, "purge waits for the tenant's running jobs");
    Ok(Some(PurgeOutcome::WaitingForJobs {
        running: running.len() as u64,
        until,
    }))
}

/// Deletes every object of the tenant and whatever else is left under its prefix; fails
/// while something is left (the job retries).
async fn sweep_objects(state: &AppState, tenant: TenantId) -> AppResult<usize> {
    let prefix = tenant_prefix(tenant.0);
    let deleted = delete_objects(state, tenant).await?;
    state
        .store
        .remove_leftovers(&prefix)
        .await
        .map_err(AppError::internal)?;
    let left = state
        .store
        .list(&prefix, None, 1)
        .await
        .map_err(AppError::internal)?;
    if !left.is_empty() {
        return Err(AppError::internal(anyhow::anyhow!(
            "objects of the purged tenant appeared while sweeping ({})",
            left[0]
        )));
    }
    Ok(deleted)
}

async fn delete_objects(state: &AppState, tenant: TenantId) -> AppResult<usize> {
    let prefix = tenant_prefix(tenant.0);
    let mut deleted = 0;
    loop {
        let keys = state
            .store
            .list(&prefix, None, OBJECT_BATCH)
            .await
            .map_err(AppError::internal)?;
        if keys.is_empty() {
            return Ok(deleted);
        }
        for key in &keys {
            state.store.delete(key).await.map_err(AppError::internal)?;
            deleted += 1;
        }
    }
}

/// Purges `tenant` if it is due at `now` (see the module documentation).
pub async fn purge(state: &AppState, tenant: TenantId) -> AppResult<PurgeOutcome> {
    let now = state.clock.now();
    {
        let txn = db::begin_write(&state.db).await?;
        let (row, _) = lock_snapshot(&txn, tenant).await?;
        txn.commit().await?;
        if row.status == TenantStatus::Deleted.as_str() {
            // A purge that stopped after its commit left objects or a killed write's file.
            sweep_objects(state, tenant).await?;
            return Ok(PurgeOutcome::AlreadyDeleted);
        }
        if let Some(why) = not_due(&row, now) {
            return Ok(PurgeOutcome::NotDue(why));
        }
    }
    if let Some(waiting) = running_jobs(&state.db, tenant, now).await? {
        return Ok(waiting);
    }
    let mut objects = delete_objects(state, tenant).await?;
    state.faults.check(PURGE_FAULT)?;

    let txn = db::begin_write(&state.db).await?;
    let (row, before) = lock_snapshot(&txn, tenant).await?;
    if row.status == TenantStatus::Deleted.as_str() {
        txn.commit().await?;
        sweep_objects(state, tenant).await?;
        return Ok(PurgeOutcome::AlreadyDeleted);
    }
    if let Some(why) = not_due(&row, now) {
        txn.commit().await?;
        return Ok(PurgeOutcome::NotDue(why));
    }
    // A job claimed while the objects went may have stored something: look again, with
    // the job rows locked; the next run deletes what it stored.
    if let Some(waiting) = running_jobs(&txn, tenant, now).await? {
        txn.commit().await?;
        return Ok(waiting);
    }
    let backend = txn.get_database_backend();
    let mut rows = BTreeMap::new();
    for table in purge_order(&txn).await? {
        let deleted = txn
            .execute_raw(Statement::from_sql_and_values(
                backend,
                format!("DELETE FROM \"{table}\" WHERE tenant_id = $1"),
                [tenant.0.into()],
            ))
            .await?
            .rows_affected();
        rows.insert(table, deleted);
    }
    // The contracts stay (their money is history) but end with the tenant.
    entity::contracts::Entity::update_many()
        .col_expr(entity::contracts::Column::EndedAt, Expr::value(Some(now)))
        .filter(entity::contracts::Column::TenantId.eq(tenant.0))
        .filter(entity::contracts::Column::EndedAt.is_null())
        .exec(&txn)
        .await?;
    tenants::Entity::update_many()
        .col_expr(
            tenants::Column::Status,
            Expr::value(TenantStatus::Deleted.as_str()),
        )
        .col_expr(
            tenants::Column::ContactName,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            tenants::Column::ContactPhone,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            tenants::Column::ContactEmail,
            Expr::value(Option::<String>::None),
        )
        .col_expr(tenants::Column::Appid, Expr::value(Option::<String>::None))
        .col_expr(tenants::Column::DeletedAt, Expr::value(Some(now)))
        .col_expr(tenants::Column::StatusChangedAt, Expr::value(now))
        .col_expr(
            tenants::Column::StatusCause,
            Expr::value(TransitionCause::GracePeriodOver.as_str()),
        )
        .col_expr(tenants::Column::StatusActor, Expr::value("system"))
        .col_expr(tenants::Column::UpdatedAt, Expr::value(now))
        .filter(tenants::Column::Id.eq(tenant.0))
        .filter(tenants::Column::Status.eq(TenantStatus::Frozen.as_str()))
        .exec(&txn)
        .await?;
    let after = StateSnapshot {
        status: TenantStatus::Deleted.as_str().into(),
        holds: Vec::new(),
    };
    audit::record_many(
        &txn,
        now,
        vec![
            AuditRecord {
                actor: Actor::system(),
                tenant_id: Some(tenant),
                action: "tenant.status_changed",
                subject_type: "tenant",
                subject_id: Some(tenant.to_string()),
                summary: serde_json::json!({
                    "cause": TransitionCause::GracePeriodOver.as_str(),
                    "reason": null,
                    "before": before,
                    "after": after,
                }),
                request_id: None,
            },
            AuditRecord {
                actor: Actor::system(),
                tenant_id: Some(tenant),
                action: "tenant.purged",
                subject_type: "tenant",
                subject_id: Some(tenant.to_string()),
                summary: serde_json::json!({
                    "delete_after": row.delete_after,
                    "rows": rows,
                    "objects": objects,
                    "appid_released": row.appid.is_some(),
                }),
                request_id: None,
            },
        ],
    )
    .await?;
    notifications::create(
        &txn,
        state,
        NewNotice {
            kind: NoticeKind::Deleted,
            tenant: None,
            audience: Audience::ManagerAndAdmins,
            plan_id: None,
            data: serde_json::json!({
                "tenant_id": tenant,
                "business_name": row.business_name,
                "end_date": row.term_end_date.map(|d| d.to_string()),
                "frozen_at": row.frozen_at.map(shanghai_display),
                "delete_after": row.delete_after.map(shanghai_display),
                "deleted_at": shanghai_display(now),
            }),
            dedup_key: Some(format!("deleted:{tenant}")),
            created_by: None,
        },
    )
    .await?;
    crate::services::client_content::notify(&txn, tenant).await?;
    txn.commit().await?;
    state.invalidate_tenant(tenant);
    if let Some(appid) = &row.appid {
        state.client_cache.invalidate_appid(appid);
    }
    objects += sweep_objects(state, tenant).await?;
    tracing::info!(tenant.id = %tenant, objects, rows = ?rows, "tenant purged");
    Ok(PurgeOutcome::Purged { rows, objects })
}

/// Runs [`PURGE_JOB`].
pub struct PurgeHandler;

impl JobHandler for PurgeHandler {
    fn kind(&self) -> &'static str {
        PURGE_JOB
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        job: &'a JobContext,
    ) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            let tenant = job.payload_uuid("tenant_id")?;
            let outcome = purge(state, TenantId(tenant))
                .await
                .map_err(|e| JobError::Retry(anyhow::anyhow!("{e}")))?;
            if let PurgeOutcome::WaitingForJobs { running, until } = outcome {
                return Err(JobError::Later {
                    at: until,
                    why: format!("{running} job(s) of the tenant still running"),
                });
            }
            tracing::info!(tenant.id = %tenant, outcome = ?outcome, "purge job done");
            Ok(())
        })
    }
}
