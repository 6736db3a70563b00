//! Freeze at expiry (SPEC §2.7–§2.8): at 00:00 Asia/Shanghai after its end date every
//! tenant — pending, active or held — that was not renewed becomes `frozen`, with
//! `frozen_at` and `delete_after` stored. Set-based: a batch of tenants is locked
//! (`FOR UPDATE SKIP LOCKED` on PostgreSQL, so instances take disjoint batches), updated
//! with one conditional `UPDATE` per end date, and gets its audit rows and outbox events in
//! multi-row inserts — all in one transaction. A batch that fails is retried tenant by
//! tenant, so one tenant's problem never stops the others.

use crate::db;
use crate::domain::calendar::WorkdayCalendar;
use crate::domain::ids::TenantId;
use crate::domain::lifecycle::{delete_after, freeze_instant};
use crate::domain::notice::{Audience, NoticeKind};
use crate::domain::tenant::{TenantStatus, TransitionCause};
use crate::domain::time::shanghai_date;
use crate::error::AppResult;
use crate::services::audit::{self, Actor, AuditRecord};
use crate::services::notifications::{self, NewNotice};
use crate::services::tenant_state::{StateSnapshot, state_changed_job};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{tenant_settings, tenants};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, PaginatorTrait,
    QueryFilter, Statement,
};
use std::collections::BTreeMap;
use uuid::Uuid;

/// A tenant due to be frozen.
#[derive(Clone, Debug)]
pub struct FreezeCandidate {
    /// The tenant.
    pub id: TenantId,
    /// `pending` or `active`.
    pub status: TenantStatus,
    /// The end date of its current term.
    pub end_date: NaiveDate,
    /// Its holds, sorted.
    pub holds: Vec<String>,
}

/// What a freeze run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct FreezeReport {
    /// Tenants frozen.
    pub frozen: usize,
    /// Of them, frozen without a deletion time (calendar not far enough).
    pub without_delete_after: usize,
    /// Tenants that failed (retried on the next tick).
    pub failed: usize,
}

/// The SQL predicate of "due to be frozen on `today`": not renewed (the current term's
/// end date, which a renewal moves forward, is before today) and not frozen or deleted.
pub const DUE_PREDICATE: &str = "status IN ('pending', 'active') AND term_end_date < $1";

fn lock_suffix(backend: DatabaseBackend) -> &'static str {
    match backend {
        DatabaseBackend::Postgres => " FOR UPDATE SKIP LOCKED",
        _ => "",
    }
}

/// Up to `limit` tenants due on `today`, locked for this transaction on PostgreSQL (rows
/// another instance is freezing are skipped).
async fn lock_candidates(
    conn: &impl ConnectionTrait,
    today: NaiveDate,
    limit: usize,
    only: Option<TenantId>,
) -> AppResult<Vec<FreezeCandidate>> {
    let backend = conn.get_database_backend();
    let (sql, values): (String, Vec<sea_orm::Value>) = match only {
        Some(t) => (
            format!(
                "SELECT id, status, term_end_date FROM tenants WHERE {DUE_PREDICATE} AND id = $2{}",
                lock_suffix(backend)
            ),
            vec![today.into(), t.0.into()],
        ),
        None => (
            format!(
                "SELECT id, status, term_end_date FROM tenants WHERE {DUE_PREDICATE} \
                 ORDER BY id LIMIT {limit}{}",
                lock_suffix(backend)
            ),
            vec![today.into()],
        ),
    };
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let status: String = r.try_get("", "status")?;
        out.push(FreezeCandidate {
            id: TenantId(r.try_get::<Uuid>("", "id")?),
            status: status
                .parse()
                .map_err(|e| crate::error::AppError::internal(anyhow::anyhow!("{e}")))?,
            end_date: r.try_get("", "term_end_date")?,
            holds: Vec::new(),
        });
    }
    if !out.is_empty() {
        let ids: Vec<Uuid> = out.iter().map(|c| c.id.0).collect();
        let holds = entity::tenant_holds::Entity::find()
            .filter(entity::tenant_holds::Column::TenantId.is_in(ids))
            .all(conn)
            .await?;
        for c in &mut out {
            let mut h: Vec<String> = holds
                .iter()
                .filter(|h| h.tenant_id == c.id.0)
                .map(|h| h.kind.clone())
                .collect();
            h.sort();
            c.holds = h;
        }
    }
    Ok(out)
}

/// Freezes `batch` (already locked) in `conn`. Returns (frozen, without delete_after).
async fn freeze_locked(
    conn: &impl ConnectionTrait,
    state: &AppState,
    calendar: &WorkdayCalendar,
    batch: &[FreezeCandidate],
    now: DateTime<Utc>,
) -> AppResult<(usize, usize)> {
    state.faults.check(FREEZE_FAULT)?;
    let system = Actor::system();
    // One conditional UPDATE per (end date, from-status): the dates are shared by a batch.
    let mut groups: BTreeMap<(NaiveDate, &'static str), Vec<Uuid>> = BTreeMap::new();
    for c in batch {
        groups
            .entry((c.end_date, c.status.as_str()))
            .or_default()
            .push(c.id.0);
    }
    let mut deletion: BTreeMap<NaiveDate, Option<DateTime<Utc>>> = BTreeMap::new();
    let mut uncovered = Vec::new();
    let mut frozen = 0usize;
    for ((end, from), ids) in &groups {
        let due = *deletion.entry(*end).or_insert_with(|| {
            delete_after(calendar, *end)
                .map_err(|e| uncovered.push((*end, e)))
                .ok()
        });
        let updated = tenants::Entity::update_many()
            .col_expr(
                tenants::Column::Status,
                Expr::value(TenantStatus::Frozen.as_str()),
            )
            .col_expr(
                tenants::Column::FrozenAt,
                Expr::value(Some(freeze_instant(*end))),
            )
            .col_expr(tenants::Column::DeleteAfter, Expr::value(due))
            .col_expr(tenants::Column::StatusChangedAt, Expr::value(now))
            .col_expr(
                tenants::Column::StatusCause,
                Expr::value(TransitionCause::TermEnded.as_str()),
            )
            .col_expr(
                tenants::Column::StatusActor,
                Expr::value(system.name.clone()),
            )
            .col_expr(tenants::Column::UpdatedAt, Expr::value(now))
            .filter(tenants::Column::Id.is_in(ids.clone()))
            .filter(tenants::Column::Status.eq(*from))
            .filter(tenants::Column::TermEndDate.eq(*end))
            .exec(conn)
            .await?;
        if updated.rows_affected != ids.len() as u64 {
            // The rows are locked by this transaction; anything else is a bug or a change
            // this batch did not see — roll back and let the per-tenant path decide.
            return Err(crate::error::AppError::internal(anyhow::anyhow!(
                "freeze batch: {} of {} tenants changed underneath",
                ids.len() as u64 - updated.rows_affected,
                ids.len()
            )));
        }
        frozen += ids.len();
    }
    let mut records = Vec::with_capacity(batch.len());
    let mut jobs = Vec::with_capacity(batch.len());
    let mut without = 0usize;
    for c in batch {
        let due = deletion.get(&c.end_date).copied().flatten();
        if due.is_none() {
            without += 1;
        }
        let before = StateSnapshot {
            status: c.status.as_str().into(),
            holds: c.holds.clone(),
        };
        let after = StateSnapshot {
            status: TenantStatus::Frozen.as_str().into(),
            holds: c.holds.clone(),
        };
        let cause = TransitionCause::TermEnded.as_str();
        records.push(AuditRecord {
            actor: system.clone(),
            tenant_id: Some(c.id),
            action: "tenant.status_changed",
            subject_type: "tenant",
            subject_id: Some(c.id.to_string()),
            summary: serde_json::json!({
                "cause": cause,
                "reason": null,
                "before": before,
                "after": after,
                "end_date": c.end_date,
                "frozen_at": freeze_instant(c.end_date),
                "delete_after": due,
            }),
            request_id: None,
        });
        jobs.push(state_changed_job(c.id, cause, &before, &after, now));
    }
    audit::record_many(conn, now, records).await?;
    state.jobs.enqueue_many(conn, jobs).await?;
    bump_content_versions(conn, batch.iter().map(|c| c.id.0).collect(), now).await?;
    for (end, e) in uncovered {
        raise_coverage_alert(conn, state, calendar, Some(e.year), Some(end), now).await?;
    }
    Ok((frozen, without))
}

/// Phones see the suspended payload at once: every instance's client cache learns of the
/// change (content version bump, `NOTIFY` on PostgreSQL) — set-based, no re-render.
pub async fn bump_content_versions(
    conn: &impl ConnectionTrait,
    tenants: Vec<Uuid>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    for chunk in tenants.chunks(500) {
        tenant_settings::Entity::update_many()
            .col_expr(
                tenant_settings::Column::ContentVersion,
                sea_orm::sea_query::ExprTrait::add(
                    Expr::col(tenant_settings::Column::ContentVersion),
                    1,
                ),
            )
            .filter(tenant_settings::Column::TenantId.is_in(chunk.to_vec()))
            .exec(conn)
            .await?;
        tenant_settings::Entity::insert_many(chunk.iter().map(|t| tenant_settings::ActiveModel {
            tenant_id: Set(*t),
            tab_bar: Set(serde_json::json!({"items": []})),
            theme: Set(crate::services::settings::default_theme()),
            revision: Set(0),
            content_version: Set(1),
            app_config: Set(None),
            app_config_etag: Set(None),
            updated_at: Set(now),
            updated_by: Set(None),
        }))
        .on_conflict(
            OnConflict::column(tenant_settings::Column::TenantId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
        if conn.get_database_backend() == DatabaseBackend::Postgres {
            let ids: Vec<String> = chunk.iter().map(Uuid::to_string).collect();
            conn.execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_notify($1, id) FROM unnest($2::text[]) AS id",
                [
                    crate::services::client_content::NOTIFY_CHANNEL.into(),
                    ids.into(),
                ],
            ))
            .await?;
        }
    }
    Ok(())
}

/// Tells agency admins (once per missing year) that the calendar must be extended; audited.
pub async fn raise_coverage_alert(
    conn: &impl ConnectionTrait,
    state: &AppState,
    calendar: &WorkdayCalendar,
    year: Option<i32>,
    end_date: Option<NaiveDate>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let until = calendar.coverage_until();
    let needed = year.or_else(|| until.map(|u| chrono::Datelike::year(&u) + 1));
    let waiting = tenants::Entity::find()
        .filter(tenants::Column::Status.eq(TenantStatus::Frozen.as_str()))
        .filter(tenants::Column::DeleteAfter.is_null())
        .count(conn)
        .await?;
    let created = notifications::create(
        conn,
        state,
        NewNotice {
            kind: NoticeKind::CalendarCoverage,
            tenant: None,
            audience: Audience::AgencyAdmins,
            plan_id: None,
            data: serde_json::json!({
                "coverage_until": until.map(|d| d.to_string()).unwrap_or_else(|| "—".into()),
                "year": needed,
                "tenants": waiting,
                "end_date": end_date,
            }),
            dedup_key: Some(format!(
                "calendar_coverage:{}",
                needed.map(|y| y.to_string()).unwrap_or_default()
            )),
            created_by: None,
        },
    )
    .await?;
    if created.is_some() {
        audit::record(
            conn,
            now,
            AuditRecord {
                actor: Actor::system(),
                tenant_id: None,
                action: "lifecycle.calendar_coverage_alert",
                subject_type: "calendar",
                subject_id: needed.map(|y| y.to_string()),
                summary: serde_json::json!({
                    "coverage_until": until,
                    "year_needed": needed,
                    "frozen_without_delete_after": waiting,
                }),
                request_id: None,
            },
        )
        .await?;
    }
    Ok(())
}

/// Freezes every tenant due at `now`: batches of `batch_size`, each its own transaction;
/// a failed batch is redone tenant by tenant.
pub async fn freeze_due(state: &AppState, now: DateTime<Utc>) -> FreezeReport {
    let today = shanghai_date(now);
    let calendar = state.calendar.current();
    let batch_size = state.settings.lifecycle.batch_size.max(1);
    let mut report = FreezeReport::default();
    let mut poisoned: std::collections::HashSet<TenantId> = Default::default();
    loop {
        let result = async {
            let txn = db::begin_write(&state.db).await?;
            let mut batch = lock_candidates(&txn, today, batch_size + poisoned.len(), None).await?;
            batch.retain(|c| !poisoned.contains(&c.id));
            batch.truncate(batch_size);
            if batch.is_empty() {
                txn.commit().await?;
                return Ok::<_, crate::error::AppError>(None);
            }
            let done = freeze_locked(&txn, state, &calendar, &batch, now).await;
            match done {
                Ok(counts) => {
                    txn.commit().await?;
                    Ok(Some((batch, Ok(counts))))
                }
                Err(e) => {
                    txn.rollback().await?;
                    Ok(Some((batch, Err(e))))
                }
            }
        }
        .await;
        match result {
            Ok(None) => break,
            Ok(Some((batch, Ok((frozen, without))))) => {
                report.frozen += frozen;
                report.without_delete_after += without;
                for c in &batch {
                    state.invalidate_tenant(c.id);
                }
            }
            Ok(Some((batch, Err(e)))) => {
                tracing::warn!(error = %e, tenants = batch.len(), "freeze batch failed; freezing one by one");
                for c in batch {
                    match freeze_one(state, &calendar, c.id, now).await {
                        Ok(Some(without)) => {
                            report.frozen += 1;
                            report.without_delete_after += usize::from(without);
                        }
                        Ok(None) => {}
                        Err(e) => {
                            tracing::error!(tenant.id = %c.id, error = %e, "freezing a tenant failed");
                            report.failed += 1;
                            poisoned.insert(c.id);
                        }
                    }
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "freeze sweep could not read its candidates");
                report.failed += 1;
                break;
            }
        }
    }
    report
}

/// Freezes one tenant if it is still due. `Some(true)` when frozen without a deletion time.
pub async fn freeze_one(
    state: &AppState,
    calendar: &WorkdayCalendar,
    tenant: TenantId,
    now: DateTime<Utc>,
) -> AppResult<Option<bool>> {
    let txn = db::begin_write(&state.db).await?;
    let batch = lock_candidates(&txn, shanghai_date(now), 1, Some(tenant)).await?;
    if batch.is_empty() {
        txn.commit().await?;
        return Ok(None);
    }
    let (_, without) = freeze_locked(&txn, state, calendar, &batch, now).await?;
    txn.commit().await?;
    state.invalidate_tenant(tenant);
    Ok(Some(without > 0))
}

/// Fault point at the start of a freeze transaction (tests of the per-tenant fallback).
pub const FREEZE_FAULT: &str = "lifecycle.freeze.tenant";

/// Fills in `delete_after` of tenants frozen while the calendar did not reach far enough,
/// once it does. Returns how many were filled in; audited per tenant.
pub async fn fill_missing_deletion_times(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let calendar = state.calendar.current();
    let waiting = tenants::Entity::find()
        .filter(tenants::Column::Status.eq(TenantStatus::Frozen.as_str()))
        .filter(tenants::Column::DeleteAfter.is_null())
        .all(&state.db)
        .await?;
    let mut filled = 0;
    for t in waiting {
        let Some(end) = t.term_end_date else {
            continue;
        };
        let due = match delete_after(&calendar, end) {
            Ok(d) => d,
            Err(e) => {
                let txn = db::begin_write(&state.db).await?;
                raise_coverage_alert(&txn, state, &calendar, Some(e.year), Some(end), now).await?;
                txn.commit().await?;
                continue;
            }
        };
        let txn = db::begin_write(&state.db).await?;
        let updated = tenants::Entity::update_many()
            .col_expr(tenants::Column::DeleteAfter, Expr::value(Some(due)))
            .col_expr(tenants::Column::UpdatedAt, Expr::value(now))
            .filter(tenants::Column::Id.eq(t.id))
            .filter(tenants::Column::Status.eq(TenantStatus::Frozen.as_str()))
            .filter(tenants::Column::DeleteAfter.is_null())
            .exec(&txn)
            .await?;
        if updated.rows_affected == 1 {
            audit::record(
                &txn,
                now,
                AuditRecord {
                    actor: Actor::system(),
                    tenant_id: Some(TenantId(t.id)),
                    action: "tenant.deletion_scheduled",
                    subject_type: "tenant",
                    subject_id: Some(t.id.to_string()),
                    summary: serde_json::json!({
                        "end_date": end,
                        "delete_after": due,
                        "calendar_coverage_until": calendar.coverage_until(),
                    }),
                    request_id: None,
                },
            )
            .await?;
            filled += 1;
        }
        txn.commit().await?;
        state.invalidate_tenant(TenantId(t.id));
    }
    Ok(filled)
}
