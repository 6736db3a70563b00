//! Subscription sweeps registered with the scheduler: overdue holds, renewal reminders,
//! freeze at expiry, deletion after the grace period; and the planner that shows what they
//! will do.

pub mod calendar;
pub mod freeze;
pub mod handover;
pub mod overdue;
pub mod planner;
pub mod purge;
pub mod reminders;
pub mod tenant_data;

use crate::domain::time::shanghai_date;
use crate::jobs::BoxFuture;
use crate::scheduler::Sweep;
use crate::state::AppState;
use chrono::{DateTime, Utc};
use entity::sweep_marks;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};

/// Whether `sweep` already finished `period` (e.g. a date) on some instance.
pub async fn period_done(
    conn: &impl ConnectionTrait,
    sweep: &str,
    period: &str,
) -> Result<bool, DbErr> {
    Ok(
        sweep_marks::Entity::find_by_id((sweep.to_owned(), period.to_owned()))
            .one(conn)
            .await?
            .is_some(),
    )
}

/// Records that `sweep` finished `period`. Written only after the work succeeded for every
/// tenant, so a partial run is retried on the next tick (the work itself is idempotent).
pub async fn mark_period_done(
    conn: &impl ConnectionTrait,
    sweep: &str,
    period: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    sweep_marks::Entity::insert(sweep_marks::ActiveModel {
        sweep: Set(sweep.to_owned()),
        period: Set(period.to_owned()),
        done_at: Set(at),
    })
    .on_conflict(
        OnConflict::columns([sweep_marks::Column::Sweep, sweep_marks::Column::Period])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Freeze at expiry, plus the calendar's upkeep: re-read the years added through the API
/// and the operator's calendar file,
/// fill in deletion times the calendar now reaches, alert when coverage runs short.
pub struct FreezeSweep;

impl Sweep for FreezeSweep {
    fn name(&self) -> &'static str {
        "freeze"
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let mut changed = match state.calendar.refresh_database(&state.db).await {
                Ok(changed) => changed,
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "calendar years in the database not loaded");
                    false
                }
            };
            match state.calendar.refresh() {
                Ok(file_changed) => changed |= file_changed,
                // The calendar in effect stays; the operator sees this in the log and in
                // readiness (coverage does not grow).
                Err(e) => tracing::error!(error = %format!("{e:#}"), "calendar file not loaded"),
            }
            if changed {
                let moved = freeze::reschedule_deletions(state, now).await?;
                if moved > 0 {
                    tracing::info!(moved, "deletion times moved by a calendar change");
                }
            }
            let filled = freeze::fill_missing_deletion_times(state, now).await?;
            let report = freeze::freeze_due(state, now).await;
            // After the freezes: today's alert names the tenants frozen just now.
            let today = shanghai_date(now);
            if let Some((until, days_left)) = state.calendar.coverage(today) {
                state.metrics.calendar_coverage_days.set(days_left);
                if days_left < state.settings.lifecycle.coverage_alert_days {
                    let txn = crate::db::begin_write(&state.db).await?;
                    freeze::raise_coverage_alert(
                        &txn,
                        state,
                        &state.calendar.current(),
                        Some(chrono::Datelike::year(&until) + 1),
                        now,
                    )
                    .await?;
                    txn.commit().await?;
                }
            }
            if report.frozen > 0 || filled > 0 {
                tracing::info!(
                    frozen = report.frozen,
                    without_delete_after = report.without_delete_after,
                    deletion_times_filled = filled,
                    "freeze sweep"
                );
            }
            if report.failed > 0 {
                anyhow::bail!(
                    "{} tenant(s) could not be frozen; retried next tick",
                    report.failed
                );
            }
            Ok(())
        })
    }
}

/// Renewal reminders at 10:00 Asia/Shanghai, 30 and 7 days before the end date.
pub struct ReminderSweep;

impl Sweep for ReminderSweep {
    fn name(&self) -> &'static str {
        "renewal_reminders"
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let (sent, failed) = reminders::send_due(state, now).await?;
            if sent > 0 {
                tracing::info!(sent, "renewal reminders sent");
            }
            if failed > 0 {
                anyhow::bail!("{failed} reminder(s) failed; retried next tick");
            }
            Ok(())
        })
    }
}

/// Enqueues the purge of every tenant whose `delete_after` has come.
pub struct PurgeSweep;

impl Sweep for PurgeSweep {
    fn name(&self) -> &'static str {
        "purge"
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let queued = purge::enqueue_due(state, now).await?;
            if queued > 0 {
                tracing::info!(queued, "tenant purges queued");
            }
            Ok(())
        })
    }
}
