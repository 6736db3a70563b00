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
use crate::services::tenant_state::{STATE_CHANGED_JOB, StateSnapshot, state_changed_payload};
use crate::state::AppState;
use chrono::{DateTime, NaiveDate, Utc};
use entity::{tenant_settings, tenants};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
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
                 LIMIT {limit}{}",
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
    let without = record_frozen(conn, state, calendar, batch, &deletion, now).await?;
    for (_, e) in uncovered {
        raise_coverage_alert(conn, state, calendar, Some(e.year), now).await?;
    }
    Ok((frozen, without))
}

/// The audit rows, outbox events and cache invalidation of tenants just frozen (rows
/// already updated in `conn`). Returns how many have no deletion time.
async fn record_frozen(
    conn: &impl ConnectionTrait,
    state: &AppState,
    _calendar: &WorkdayCalendar,
    batch: &[FreezeCandidate],
    deletion: &BTreeMap<NaiveDate, Option<DateTime<Utc>>>,
    now: DateTime<Utc>,
) -> AppResult<usize> {
    let system = Actor::system();
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
        records.push((
            c.id,
            serde_json::json!({
                "cause": cause,
                "reason": null,
                "before": before,
                "after": after,
                "end_date": c.end_date,
                "frozen_at": freeze_instant(c.end_date),
                "delete_after": due,
            }),
        ));
        jobs.push((
            c.id,
            state_changed_payload(c.id, cause, &before, &after, now),
        ));
    }
    audit::record_bulk(conn, now, &system, "tenant.status_changed", records).await?;
    state
        .jobs
        .enqueue_bulk(conn, STATE_CHANGED_JOB, jobs)
        .await?;
    bump_content_versions(conn, batch.iter().map(|c| c.id.0).collect()).await?;
    Ok(without)
}

/// Claims and freezes up to `limit` tenants of one (status, end date) group in one
/// statement — `WITH batch AS (SELECT … LIMIT n [FOR UPDATE SKIP LOCKED]) UPDATE …
/// RETURNING id` — so instances take disjoint batches and no id list travels twice.
#[allow(clippy::too_many_arguments)]
async fn claim_batch(
    conn: &impl ConnectionTrait,
    from: TenantStatus,
    end: NaiveDate,
    due: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    limit: usize,
    skip: &std::collections::HashSet<TenantId>,
) -> AppResult<Vec<Uuid>> {
    let backend = conn.get_database_backend();
    let mut values: Vec<sea_orm::Value> = vec![
        TenantStatus::Frozen.as_str().into(),
        freeze_instant(end).into(),
        due.into(),
        now.into(),
        TransitionCause::TermEnded.as_str().into(),
        from.as_str().into(),
        end.into(),
    ];
    let mut excluded = String::new();
    for t in skip {
        values.push(t.0.into());
        excluded.push_str(&format!(" AND id <> ${}", values.len()));
    }
    // The batch as a CTE joined by primary key: PostgreSQL materializes it (it locks), and
    // the UPDATE touches exactly its rows (locked here, or inside SQLite's write
    // transaction) instead of re-scanning the group.
    // SQLite plans `UPDATE … FROM` as a scan of the target; `IN (SELECT …)` drives the
    // update from the batch's primary keys instead.
    let join = match backend {
        DatabaseBackend::Postgres => "FROM batch WHERE tenants.id = batch.id",
        _ => "WHERE tenants.id IN (SELECT id FROM batch)",
    };
    let sql = format!(
        "WITH batch AS (\
           SELECT id FROM tenants WHERE status = $6 AND term_end_date = $7{excluded} \
           LIMIT {limit}{}) \
         UPDATE tenants SET status = $1, frozen_at = $2, delete_after = $3, \
         status_changed_at = $4, status_cause = $5, status_actor = 'system', updated_at = $4 \
         {join} \
         RETURNING tenants.id AS id",
        lock_suffix(backend)
    );
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(backend, sql, values))
        .await?;
    rows.into_iter()
        .map(|r| Ok(r.try_get::<Uuid>("", "id")?))
        .collect()
}

/// The (status, end date) groups due on `today`.
async fn due_groups(
    conn: &impl ConnectionTrait,
    today: NaiveDate,
) -> AppResult<Vec<(TenantStatus, NaiveDate)>> {
    let backend = conn.get_database_backend();
    let rows = conn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT DISTINCT status, term_end_date FROM tenants WHERE {DUE_PREDICATE} \
                 ORDER BY term_end_date, status"
            ),
            [today.into()],
        ))
        .await?;
    rows.into_iter()
        .map(|r| {
            let status: String = r.try_get("", "status")?;
            Ok((
                status
                    .parse()
                    .map_err(|e| crate::error::AppError::internal(anyhow::anyhow!("{e}")))?,
                r.try_get("", "term_end_date")?,
            ))
        })
        .collect()
}

/// Freezes one claimed batch: the rows are updated by [`claim_batch`]; this adds holds
/// to the snapshots and records everything else.
#[allow(clippy::too_many_arguments)]
async fn freeze_claimed(
    conn: &impl ConnectionTrait,
    state: &AppState,
    calendar: &WorkdayCalendar,
    from: TenantStatus,
    end: NaiveDate,
    due: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    limit: usize,
    skip: &std::collections::HashSet<TenantId>,
) -> AppResult<Vec<Uuid>> {
    state.faults.check(FREEZE_FAULT)?;
    let ids = claim_batch(conn, from, end, due, now, limit, skip).await?;
    if ids.is_empty() {
        return Ok(ids);
    }
    let holds = entity::tenant_holds::Entity::find()
        .filter(entity::tenant_holds::Column::TenantId.is_in(ids.clone()))
        .all(conn)
        .await?;
    let batch: Vec<FreezeCandidate> = ids
        .iter()
        .map(|id| {
            let mut h: Vec<String> = holds
                .iter()
                .filter(|x| x.tenant_id == *id)
                .map(|x| x.kind.clone())
                .collect();
            h.sort();
            FreezeCandidate {
                id: TenantId(*id),
                status: from,
                end_date: end,
                holds: h,
            }
        })
        .collect();
    let deletion = BTreeMap::from([(end, due)]);
    record_frozen(conn, state, calendar, &batch, &deletion, now).await?;
    Ok(ids)
}

/// Phones see the suspended payload at once: every instance's client cache learns of the
/// change — `NOTIFY` on PostgreSQL at commit, and the periodic check compares content
/// versions (bumped here) and the status time (set by the freeze) — set-based, no
/// re-render.
pub async fn bump_content_versions(
    conn: &impl ConnectionTrait,
    tenants: Vec<Uuid>,
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
        if conn.get_database_backend() == DatabaseBackend::Postgres {
            // Comma-separated ids, 200 a message: NOTIFY payloads stay under 8,000 bytes.
            let payloads: Vec<String> = chunk
                .chunks(200)
                .map(|ids| {
                    ids.iter()
                        .map(Uuid::to_string)
                        .collect::<Vec<_>>()
                        .join(",")
                })
                .collect();
            conn.execute_raw(Statement::from_sql_and_values(
                DatabaseBackend::Postgres,
                "SELECT pg_notify($1, ids) FROM unnest($2::text[]) AS ids",
                [
                    crate::services::client_content::NOTIFY_CHANNEL.into(),
                    payloads.into(),
                ],
            ))
            .await?;
        }
    }
    Ok(())
}

/// Tells agency admins, once a day while it lasts, that the calendar does not reach far
/// enough: which year is needed, the tenants frozen with no deletion date and those whose
/// grace period would run past the calendar's end, by name. Also a WARN line each time.
pub async fn raise_coverage_alert(
    conn: &impl ConnectionTrait,
    state: &AppState,
    calendar: &WorkdayCalendar,
    year: Option<i32>,
    now: DateTime<Utc>,
) -> AppResult<()> {
    /// Names listed in the notice; the counts are always complete.
    const LISTED: usize = 20;
    let until = calendar.coverage_until();
    let needed = year.or_else(|| until.map(|u| chrono::Datelike::year(&u) + 1));
    let today = shanghai_date(now);
    let dedup_key = format!(
        "calendar_coverage:{}:{today}",
        needed.map(|y| y.to_string()).unwrap_or_default()
    );
    if notifications::dedup_key_taken(conn, &dedup_key).await? {
        return Ok(());
    }
    let frozen: Vec<tenants::Model> = tenants::Entity::find()
        .filter(tenants::Column::Status.eq(TenantStatus::Frozen.as_str()))
        .filter(tenants::Column::DeleteAfter.is_null())
        .order_by_asc(tenants::Column::TermEndDate)
        .all(conn)
        .await?;
    // The grace period is 10 working days: an end date more than 45 days before the
    // calendar's end always fits.
    let horizon = until.map(|u| u - chrono::Duration::days(45));
    let mut ending = tenants::Entity::find()
        .filter(tenants::Column::Status.is_in([
            TenantStatus::Active.as_str(),
            TenantStatus::Pending.as_str(),
        ]))
        .filter(tenants::Column::TermEndDate.is_not_null())
        .order_by_asc(tenants::Column::TermEndDate);
    if let Some(h) = horizon {
        ending = ending.filter(tenants::Column::TermEndDate.gte(h));
    }
    let past: Vec<tenants::Model> = ending
        .all(conn)
        .await?
        .into_iter()
        .filter(|t| {
            t.term_end_date
                .is_some_and(|end| delete_after(calendar, end).is_err())
        })
        .collect();
    let names = |list: &[tenants::Model]| -> Vec<serde_json::Value> {
        list.iter()
            .take(LISTED)
            .map(|t| {
                serde_json::json!({
                    "id": t.id,
                    "business_name": t.business_name,
                    "end_date": t.term_end_date,
                })
            })
            .collect()
    };
    tracing::warn!(
        coverage_until = ?until,
        year_needed = ?needed,
        frozen_without_deletion_date = frozen.len(),
        grace_past_coverage = past.len(),
        tenants = %frozen.iter().chain(past.iter()).take(LISTED).map(|t| t.business_name.as_str()).collect::<Vec<_>>().join(", "),
        "the working-day calendar does not reach far enough: add the next year (PUT /api/v1/calendar/years/{{year}})"
    );
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
                "tenants": frozen.len(),
                "frozen": names(&frozen),
                "frozen_more": frozen.len().saturating_sub(LISTED),
                "past_coverage": names(&past),
                "past_coverage_count": past.len(),
                "past_coverage_more": past.len().saturating_sub(LISTED),
            }),
            dedup_key: Some(dedup_key),
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
                    "frozen_without_delete_after": frozen.len(),
                    "grace_past_coverage": past.len(),
                }),
                request_id: None,
            },
        )
        .await?;
    }
    Ok(())
}

/// Freezes every tenant due at `now`: per (status, end date) group, batches of
/// `batch_size` claimed and recorded in one transaction each; a batch that fails is redone
/// tenant by tenant.
pub async fn freeze_due(state: &AppState, now: DateTime<Utc>) -> FreezeReport {
    let today = shanghai_date(now);
    let calendar = state.calendar.current();
    let batch_size = state.settings.lifecycle.batch_size.max(1);
    let mut report = FreezeReport::default();
    let mut poisoned: std::collections::HashSet<TenantId> = Default::default();
    let groups = match due_groups(&state.db, today).await {
        Ok(g) => g,
        Err(e) => {
            tracing::error!(error = %e, "freeze sweep could not read its candidates");
            report.failed += 1;
            return report;
        }
    };
    let mut uncovered_years = std::collections::BTreeSet::new();
    for (from, end) in groups {
        let due = match delete_after(&calendar, end) {
            Ok(d) => Some(d),
            Err(e) => {
                uncovered_years.insert(e.year);
                None
            }
        };
        loop {
            let attempt = async {
                let txn = db::begin_write(&state.db).await?;
                let claimed = freeze_claimed(
                    &txn, state, &calendar, from, end, due, now, batch_size, &poisoned,
                )
                .await;
                match claimed {
                    Ok(ids) => {
                        txn.commit().await?;
                        Ok::<_, crate::error::AppError>(Ok(ids))
                    }
                    Err(e) => {
                        txn.rollback().await?;
                        Ok(Err(e))
                    }
                }
            }
            .await;
            match attempt {
                Ok(Ok(ids)) if ids.is_empty() => break,
                Ok(Ok(ids)) => {
                    report.frozen += ids.len();
                    if due.is_none() {
                        report.without_delete_after += ids.len();
                    }
                    for id in ids {
                        state.invalidate_tenant(TenantId(id));
                    }
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %e, "freeze batch failed; freezing one by one");
                    let ids = match candidate_ids(state, from, end, batch_size, &poisoned).await {
                        Ok(ids) => ids,
                        Err(e) => {
                            tracing::error!(error = %e, "freeze sweep could not read its candidates");
                            report.failed += 1;
                            break;
                        }
                    };
                    for id in ids {
                        match freeze_one(state, &calendar, id, now).await {
                            Ok(Some(without)) => {
                                report.frozen += 1;
                                report.without_delete_after += usize::from(without);
                            }
                            Ok(None) => {}
                            Err(e) => {
                                tracing::error!(tenant.id = %id, error = %e, "freezing a tenant failed");
                                report.failed += 1;
                                poisoned.insert(id);
                            }
                        }
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "freeze batch could not run");
                    report.failed += 1;
                    break;
                }
            }
        }
    }
    // After the freezes, so the alert names the tenants frozen without a date just now.
    for year in uncovered_years {
        if let Err(alert) = async {
            let txn = db::begin_write(&state.db).await?;
            raise_coverage_alert(&txn, state, &calendar, Some(year), now).await?;
            txn.commit().await?;
            Ok::<_, crate::error::AppError>(())
        }
        .await
        {
            tracing::error!(error = %alert, "calendar coverage alert failed");
        }
    }
    report
}

/// Ids of one group's due tenants (for the per-tenant fallback).
async fn candidate_ids(
    state: &AppState,
    from: TenantStatus,
    end: NaiveDate,
    limit: usize,
    skip: &std::collections::HashSet<TenantId>,
) -> AppResult<Vec<TenantId>> {
    let ids: Vec<Uuid> = tenants::Entity::find()
        .select_only()
        .column(tenants::Column::Id)
        .filter(tenants::Column::Status.eq(from.as_str()))
        .filter(tenants::Column::TermEndDate.eq(end))
        .filter(tenants::Column::Id.is_not_in(skip.iter().map(|t| t.0)))
        .limit(limit as u64)
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(ids.into_iter().map(TenantId).collect())
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
                raise_coverage_alert(&txn, state, &calendar, Some(e.year), now).await?;
                txn.commit().await?;
                continue;
            }
        };
        if schedule_deletion(state, &t, end, due, None, now).await? {
            filled += 1;
        }
    }
    Ok(filled)
}

/// Sets a frozen tenant's deletion time to `due` if it still is `announced` (`None`: not
/// set yet), with its audit row and the notice to the merchant and the account manager, in
/// one transaction. Whether it changed (another instance may have been first).
async fn schedule_deletion(
    state: &AppState,
    t: &tenants::Model,
    end: NaiveDate,
    due: DateTime<Utc>,
    announced: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> AppResult<bool> {
    let txn = db::begin_write(&state.db).await?;
    let unchanged = match announced {
        None => tenants::Column::DeleteAfter.is_null(),
        Some(at) => tenants::Column::DeleteAfter.eq(at),
    };
    let updated = tenants::Entity::update_many()
        .col_expr(tenants::Column::DeleteAfter, Expr::value(Some(due)))
        .col_expr(tenants::Column::UpdatedAt, Expr::value(now))
        .filter(tenants::Column::Id.eq(t.id))
        .filter(tenants::Column::Status.eq(TenantStatus::Frozen.as_str()))
        .filter(unchanged)
        .exec(&txn)
        .await?;
    let changed = updated.rows_affected == 1;
    if changed {
        let (action, summary) = match announced {
            None => (
                "tenant.deletion_scheduled",
                serde_json::json!({
                    "end_date": end,
                    "delete_after": due,
                    "calendar_coverage_until": state.calendar.current().coverage_until(),
                }),
            ),
            Some(previous) => (
                "tenant.deletion_rescheduled",
                serde_json::json!({
                    "end_date": end,
                    "delete_after": due,
                    "previous_delete_after": previous,
                }),
            ),
        };
        audit::record(
            &txn,
            now,
            AuditRecord {
                actor: Actor::system(),
                tenant_id: Some(TenantId(t.id)),
                action,
                subject_type: "tenant",
                subject_id: Some(t.id.to_string()),
                summary,
                request_id: None,
            },
        )
        .await?;
        // The frozen notice said the date would follow: it does.
        announce_deletion(&txn, state, t, end, due, announced).await?;
    }
    txn.commit().await?;
    state.invalidate_tenant(TenantId(t.id));
    Ok(changed)
}

/// Tells the merchant and the account manager the deletion time (`previous`: the time it
/// replaces), once per tenant and time.
async fn announce_deletion(
    txn: &impl ConnectionTrait,
    state: &AppState,
    t: &tenants::Model,
    end: NaiveDate,
    due: DateTime<Utc>,
    previous: Option<DateTime<Utc>>,
) -> AppResult<()> {
    notifications::create(
        txn,
        state,
        NewNotice {
            kind: NoticeKind::DeletionScheduled,
            tenant: Some(TenantId(t.id)),
            audience: Audience::TenantAndManager,
            plan_id: None,
            data: serde_json::json!({
                "tenant_id": t.id,
                "business_name": t.business_name,
                "end_date": end.to_string(),
                "frozen_at": t.frozen_at.map(crate::domain::time::shanghai_display),
                "delete_after": crate::domain::time::shanghai_display(due),
                "delete_date": shanghai_date(due).to_string(),
                "delete_after_utc": due,
                "previous_delete_after": previous.map(crate::domain::time::shanghai_display),
            }),
            dedup_key: Some(format!("deletion_scheduled:{}:{}", t.id, due.timestamp())),
            created_by: None,
        },
    )
    .await?;
    Ok(())
}

/// After the calendar changed (a year added or corrected): deletion times not yet due are
/// computed again; a later time replaces the announced one and is announced, an earlier
/// one is ignored — a merchant is never deleted before the date it was told. Returns how
/// many moved.
pub async fn reschedule_deletions(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let calendar = state.calendar.current();
    let scheduled = tenants::Entity::find()
        .filter(tenants::Column::Status.eq(TenantStatus::Frozen.as_str()))
        .filter(tenants::Column::DeleteAfter.gt(now))
        .all(&state.db)
        .await?;
    let mut moved = 0;
    for t in scheduled {
        let (Some(end), Some(announced)) = (t.term_end_date, t.delete_after) else {
            continue;
        };
        let Ok(due) = delete_after(&calendar, end) else {
            continue;
        };
        if due <= announced {
            continue;
        }
        if schedule_deletion(state, &t, end, due, Some(announced), now).await? {
            moved += 1;
        }
    }
    Ok(moved)
}
