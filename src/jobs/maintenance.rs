//! Housekeeping sweep of the foundation: finished jobs, expired sessions and stale login
//! throttle rows are deleted so these tables do not grow without bound.

use crate::jobs::queue::status;
use crate::scheduler::Sweep;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use entity::{jobs, login_throttles, refresh_tokens, sessions};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

/// Deletes done jobs older than `jobs.keep_done_days`, sessions expired or revoked more than
/// a day ago (with their refresh tokens), and throttle rows idle for a day.
pub struct HousekeepingSweep;

impl Sweep for HousekeepingSweep {
    fn name(&self) -> &'static str {
        "housekeeping"
    }

    fn run<'a>(
        &'a self,
        state: &'a AppState,
        now: DateTime<Utc>,
    ) -> super::BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            let db = &state.db;
            let keep = Duration::days(state.settings.jobs.keep_done_days.max(1));
            jobs::Entity::delete_many()
                .filter(jobs::Column::Status.eq(status::DONE))
                .filter(jobs::Column::FinishedAt.lt(now - keep))
                .exec(db)
                .await?;

            let cutoff = now - Duration::days(1);
            let stale: Vec<uuid::Uuid> = sessions::Entity::find()
                .select_only()
                .column(sessions::Column::Id)
                .filter(
                    sea_orm::Condition::any()
                        .add(sessions::Column::ExpiresAt.lt(cutoff))
                        .add(sessions::Column::RevokedAt.lt(cutoff)),
                )
                .limit(1000)
                .into_tuple()
                .all(db)
                .await?;
            if !stale.is_empty() {
                refresh_tokens::Entity::delete_many()
                    .filter(refresh_tokens::Column::SessionId.is_in(stale.clone()))
                    .exec(db)
                    .await?;
                sessions::Entity::delete_many()
                    .filter(sessions::Column::Id.is_in(stale))
                    .exec(db)
                    .await?;
            }

            login_throttles::Entity::delete_many()
                .filter(login_throttles::Column::LastFailureAt.lt(cutoff))
                .filter(
                    sea_orm::Condition::any()
                        .add(login_throttles::Column::LockedUntil.is_null())
                        .add(login_throttles::Column::LockedUntil.lt(now)),
                )
                .exec(db)
                .await?;
            Ok(())
        })
    }
}
