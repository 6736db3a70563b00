//! Deletion at `delete_after` (SPEC §2.8). The sweep enqueues one `tenant.purge` job per
//! due tenant (dedup key: tenant and deletion time); the job
//! 1. re-checks under the tenant's row lock that it is still frozen and due — a renewal
//!    paid before `delete_after` reopened it, and from `delete_after` on renewals are
//!    refused, so after this check nothing can bring the tenant back;
//! 2. deletes every object under `tenants/<id>/`, listed and deleted in batches;
//! 3. in one transaction, under the lock again, deletes the tenant's rows from every table
//!    with a `tenant_id` column except the survivors, turns the tenant row into the
//!    tombstone, sets `deleted` and audits;
//! 4. deletes objects once more (an export finishing during the purge).
//!
//! Every step is idempotent, so a crash anywhere is healed by the next run.

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
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Statement};
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
    /// Already deleted by an earlier run.
    AlreadyDeleted,
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
            // A purge that stopped after its commit left objects or empty folders.
            delete_objects(state, tenant).await?;
            state
                .store
                .remove_empty(&tenant_prefix(tenant.0))
                .await
                .map_err(AppError::internal)?;
            return Ok(PurgeOutcome::AlreadyDeleted);
        }
        if let Some(why) = not_due(&row, now) {
            return Ok(PurgeOutcome::NotDue(why));
        }
    }
    let mut objects = delete_objects(state, tenant).await?;
    state.faults.check(PURGE_FAULT)?;

    let txn = db::begin_write(&state.db).await?;
    let (row, before) = lock_snapshot(&txn, tenant).await?;
    if row.status == TenantStatus::Deleted.as_str() {
        txn.commit().await?;
        return Ok(PurgeOutcome::AlreadyDeleted);
    }
    if let Some(why) = not_due(&row, now) {
        txn.commit().await?;
        return Ok(PurgeOutcome::NotDue(why));
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
    objects += delete_objects(state, tenant).await?;
    state
        .store
        .remove_empty(&tenant_prefix(tenant.0))
        .await
        .map_err(AppError::internal)?;
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
            tracing::info!(tenant.id = %tenant, outcome = ?outcome, "purge job done");
            Ok(())
        })
    }
}
