//! Who drives a deploy run or a roll-out: one job at a time, and the driver's lease is
//! that job's own lease. The job's heartbeat keeps it; a graceful stop releases the job and
//! with it the run (the same job, claimed again, drives on at once); a killed process's
//! job loses it when its lease runs out (`jobs.lease_secs`). A job that finds the run
//! driven by another waits for that job's lease on its own row instead of adding rows.

use crate::db;
use crate::error::AppResult;
use crate::jobs::JobError;
use crate::jobs::queue::status;
use crate::state::AppState;
use chrono::{DateTime, Duration, Utc};
use entity::jobs;
use sea_orm::{ConnectionTrait, DatabaseBackend, EntityTrait, Statement};
use uuid::Uuid;

/// A table with a driver: `deploy_runs` or `rollouts`.
#[derive(Clone, Copy, Debug)]
pub enum Driven {
    /// A merchant's deploy run.
    DeployRun,
    /// A fleet roll-out.
    Rollout,
}

impl Driven {
    fn table(self) -> &'static str {
        match self {
            Driven::DeployRun => "deploy_runs",
            Driven::Rollout => "rollouts",
        }
    }
}

/// What taking the driver found.
#[derive(Debug, PartialEq, Eq)]
pub enum Taken {
    /// This job drives now.
    Yes,
    /// Another job drives until at most this time (its lease).
    HeldUntil(DateTime<Utc>),
    /// No such run.
    Gone,
}

impl Taken {
    /// The job error that makes a job that found the run held wait on its own row.
    pub fn wait(until: DateTime<Utc>, now: DateTime<Utc>) -> JobError {
        JobError::Later {
            at: until.max(now + Duration::seconds(1)),
            why: "another job drives the run".into(),
        }
    }
}

/// Makes `job` the driver of `id` unless another job holds it under a live lease.
pub async fn take(state: &AppState, driven: Driven, id: Uuid, job: Uuid) -> AppResult<Taken> {
    let now = state.clock.now();
    let txn = db::begin_write(&state.db).await?;
    let backend = txn.get_database_backend();
    let lock = if backend == DatabaseBackend::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let table = driven.table();
    let Some(row) = txn
        .query_one_raw(Statement::from_sql_and_values(
            backend,
            format!("SELECT driver_job_id FROM \"{table}\" WHERE id = $1{lock}"),
            [id.into()],
        ))
        .await?
    else {
        txn.commit().await?;
        return Ok(Taken::Gone);
    };
    let holder: Option<Uuid> = row.try_get("", "driver_job_id")?;
    if let Some(holder) = holder.filter(|h| *h != job)
        && let Some(held) = jobs::Entity::find_by_id(holder).one(&txn).await?
        && held.status == status::RUNNING
        && let Some(until) = held.locked_until.filter(|u| *u > now)
    {
        txn.commit().await?;
        return Ok(Taken::HeldUntil(until));
    }
    txn.execute_raw(Statement::from_sql_and_values(
        backend,
        format!("UPDATE \"{table}\" SET driver_job_id = $1, driver_until = $2 WHERE id = $3"),
        [job.into(), (now + state.jobs.lease()).into(), id.into()],
    ))
    .await?;
    txn.commit().await?;
    Ok(Taken::Yes)
}

/// Gives the run back (the job ends); a failure only delays the next driver until the
/// job's lease is over.
pub async fn give_back(state: &AppState, driven: Driven, id: Uuid, job: Uuid) {
    let backend = state.db.get_database_backend();
    let table = driven.table();
    let result = state
        .db
        .execute_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "UPDATE \"{table}\" SET driver_job_id = NULL, driver_until = NULL \
                 WHERE id = $1 AND driver_job_id = $2"
            ),
            [id.into(), job.into()],
        ))
        .await;
    if let Err(e) = result {
        tracing::warn!(error = %e, run.id = %id, "giving back a driver failed; it ends with the job's lease");
    }
}
