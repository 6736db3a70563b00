//! Subscription sweeps registered with the scheduler: overdue holds (and, with the
//! lifecycle capability, reminders, freeze and purge).

pub mod overdue;

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
