//! Enqueueing and the state changes of one job (claim, heartbeat, done, retry, dead).

use crate::clock::Clock;
use crate::domain::ids::TenantId;
use chrono::{DateTime, Duration, Utc};
use entity::jobs;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait,
    QueryFilter, Statement,
};
use uuid::Uuid;

/// Job status values.
pub mod status {
    /// Waiting for `run_at`.
    pub const QUEUED: &str = "queued";
    /// Claimed by a worker (leased until `locked_until`).
    pub const RUNNING: &str = "running";
    /// Finished successfully.
    pub const DONE: &str = "done";
    /// Attempts used up or a permanent error; kept for operators to inspect and retry.
    pub const DEAD: &str = "dead";
}

/// A job to enqueue.
#[derive(Clone, Debug)]
pub struct NewJob {
    kind: String,
    payload: serde_json::Value,
    dedup_key: Option<String>,
    tenant_id: Option<TenantId>,
    run_at: Option<DateTime<Utc>>,
    max_attempts: Option<i32>,
}

impl NewJob {
    /// A job of `kind` with `payload`, due now.
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> Self {
        Self {
            kind: kind.into(),
            payload,
            dedup_key: None,
            tenant_id: None,
            run_at: None,
            max_attempts: None,
        }
    }

    /// Enqueue at most once per key, ever (the row keeps the key after it finishes).
    pub fn dedup_key(mut self, key: impl Into<String>) -> Self {
        self.dedup_key = Some(key.into());
        self
    }

    /// The tenant that owns the job (purge and export find it by this column).
    pub fn tenant(mut self, tenant: TenantId) -> Self {
        self.tenant_id = Some(tenant);
        self
    }

    /// Not before `at`.
    pub fn run_at(mut self, at: DateTime<Utc>) -> Self {
        self.run_at = Some(at);
        self
    }

    /// Overrides the configured attempt limit.
    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = Some(n.max(1));
        self
    }
}

/// Retry policy and clock shared by every enqueue and state change.
#[derive(Clone, Debug)]
pub struct JobQueue {
    clock: Clock,
    default_max_attempts: i32,
    backoff_base: Duration,
    backoff_max: Duration,
    lease: Duration,
}

/// A job a worker has claimed.
pub type ClaimedJob = jobs::Model;

impl JobQueue {
    /// A queue with the given retry policy.
    pub fn new(
        clock: Clock,
        default_max_attempts: i32,
        backoff_base: Duration,
        backoff_max: Duration,
        lease: Duration,
    ) -> Self {
        Self {
            clock,
            default_max_attempts: default_max_attempts.max(1),
            backoff_base,
            backoff_max,
            lease,
        }
    }

    /// The lease a claim or heartbeat takes.
    pub fn lease(&self) -> Duration {
        self.lease
    }

    /// Inserts the job on `conn`, which should be the caller's transaction so the job
    /// exists exactly when the business change commits. Returns the id, or `None` when a
    /// job with the same dedup key already exists.
    pub async fn enqueue(
        &self,
        conn: &impl ConnectionTrait,
        job: NewJob,
    ) -> Result<Option<Uuid>, DbErr> {
        let id = Uuid::now_v7();
        let inserted = jobs::Entity::insert(self.row(id, job))
            .on_conflict(
                OnConflict::column(jobs::Column::DedupKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
        Ok((inserted > 0).then_some(id))
    }

    /// Inserts many jobs in multi-row inserts (set-based sweeps); jobs whose dedup key
    /// exists are skipped. Returns how many were inserted.
    pub async fn enqueue_many(
        &self,
        conn: &impl ConnectionTrait,
        jobs: Vec<NewJob>,
    ) -> Result<u64, DbErr> {
        let mut inserted = 0;
        let mut rows = jobs
            .into_iter()
            .map(|j| self.row(Uuid::now_v7(), j))
            .peekable();
        while rows.peek().is_some() {
            let chunk: Vec<_> = rows.by_ref().take(500).collect();
            inserted += jobs::Entity::insert_many(chunk)
                .on_conflict(
                    OnConflict::column(jobs::Column::DedupKey)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(conn)
                .await?;
        }
        Ok(inserted)
    }

    /// Inserts one job of `kind` per `(tenant, payload)` in one set-based statement per
    /// 5,000 (set-based sweeps). No dedup keys.
    pub async fn enqueue_bulk(
        &self,
        conn: &impl ConnectionTrait,
        kind: &str,
        jobs: Vec<(TenantId, serde_json::Value)>,
    ) -> Result<(), DbErr> {
        let backend = conn.get_database_backend();
        let now = self.clock.now();
        for chunk in jobs.chunks(5000) {
            let rows: Vec<(Uuid, Uuid, serde_json::Value)> = chunk
                .iter()
                .map(|(t, p)| (Uuid::now_v7(), t.0, p.clone()))
                .collect();
            let (source, mut values) = crate::db::bulk_rows_source(backend, 4, &rows);
            let mut params: Vec<sea_orm::Value> =
                vec![kind.into(), self.default_max_attempts.into(), now.into()];
            params.append(&mut values);
            conn.execute_raw(sea_orm::Statement::from_sql_and_values(
                backend,
                format!(
                    "INSERT INTO jobs (id, kind, payload, dedup_key, tenant_id, status, attempts, \
                     max_attempts, run_at, locked_until, locked_by, last_error, created_at, \
                     updated_at, finished_at) \
                     SELECT r.id, $1, r.doc, NULL, r.tenant, 'queued', 0, $2, $3, NULL, NULL, \
                     NULL, $3, $3, NULL FROM {source}"
                ),
                params,
            ))
            .await?;
        }
        Ok(())
    }

    fn row(&self, id: Uuid, job: NewJob) -> jobs::ActiveModel {
        let now = self.clock.now();
        jobs::ActiveModel {
            id: Set(id),
            kind: Set(job.kind),
            payload: Set(job.payload),
            dedup_key: Set(job.dedup_key),
            tenant_id: Set(job.tenant_id.map(|t| t.0)),
            status: Set(status::QUEUED.into()),
            attempts: Set(0),
            max_attempts: Set(job.max_attempts.unwrap_or(self.default_max_attempts)),
            run_at: Set(job.run_at.unwrap_or(now)),
            locked_until: Set(None),
            locked_by: Set(None),
            last_error: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            finished_at: Set(None),
        }
    }

    /// Claims the next due job for `worker`: a queued job whose time has come, or a running
    /// job whose lease expired (its worker vanished). PostgreSQL skips rows another worker
    /// is claiming (`FOR UPDATE SKIP LOCKED`); on SQLite the single `UPDATE … RETURNING`
    /// statement is atomic under the database's one-writer lock.
    pub async fn claim(
        &self,
        conn: &impl ConnectionTrait,
        worker: &str,
    ) -> Result<Option<ClaimedJob>, DbErr> {
        let backend = conn.get_database_backend();
        let now = self.clock.now();
        let lock_clause = match backend {
            DatabaseBackend::Postgres => "FOR UPDATE SKIP LOCKED",
            _ => "",
        };
        let sql = format!(
            "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_until = $1, \
             locked_by = $2, updated_at = $3 \
             WHERE id = (SELECT id FROM jobs \
                 WHERE (status = 'queued' AND run_at <= $3) \
                    OR (status = 'running' AND locked_until < $3) \
                 ORDER BY run_at, id LIMIT 1 {lock_clause}) \
             RETURNING *"
        );
        let stmt = Statement::from_sql_and_values(
            backend,
            sql,
            [(now + self.lease).into(), worker.into(), now.into()],
        );
        jobs::Entity::find().from_raw_sql(stmt).one(conn).await
    }

    /// Extends the lease of a job `worker` still holds. False when the lease was lost.
    pub async fn heartbeat(
        &self,
        conn: &impl ConnectionTrait,
        id: Uuid,
        worker: &str,
    ) -> Result<bool, DbErr> {
        let now = self.clock.now();
        let res = jobs::Entity::update_many()
            .col_expr(jobs::Column::LockedUntil, Expr::value(now + self.lease))
            .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
            .filter(held_by(id, worker))
            .exec(conn)
            .await?;
        Ok(res.rows_affected > 0)
    }

    /// Marks a held job done.
    pub async fn complete(
        &self,
        conn: &impl ConnectionTrait,
        id: Uuid,
        worker: &str,
    ) -> Result<bool, DbErr> {
        let now = self.clock.now();
        let res = jobs::Entity::update_many()
            .col_expr(jobs::Column::Status, Expr::value(status::DONE))
            .col_expr(
                jobs::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(jobs::Column::LockedBy, Expr::value(Option::<String>::None))
            .col_expr(jobs::Column::LastError, Expr::value(Option::<String>::None))
            .col_expr(jobs::Column::FinishedAt, Expr::value(now))
            .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
            .filter(held_by(id, worker))
            .exec(conn)
            .await?;
        Ok(res.rows_affected > 0)
    }

    /// Records a failed attempt: back to `queued` after the backoff delay, or `dead` when
    /// `permanent` or the attempts are used up. Returns the new status.
    pub async fn fail(
        &self,
        conn: &impl ConnectionTrait,
        job: &ClaimedJob,
        worker: &str,
        error: &str,
        permanent: bool,
    ) -> Result<&'static str, DbErr> {
        let now = self.clock.now();
        let error = truncate_error(error);
        let dead = permanent || job.attempts >= job.max_attempts;
        let mut update = jobs::Entity::update_many()
            .col_expr(
                jobs::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(jobs::Column::LockedBy, Expr::value(Option::<String>::None))
            .col_expr(jobs::Column::LastError, Expr::value(error))
            .col_expr(jobs::Column::UpdatedAt, Expr::value(now));
        let new_status = if dead {
            update = update
                .col_expr(jobs::Column::Status, Expr::value(status::DEAD))
                .col_expr(jobs::Column::FinishedAt, Expr::value(now));
            status::DEAD
        } else {
            update = update
                .col_expr(jobs::Column::Status, Expr::value(status::QUEUED))
                .col_expr(
                    jobs::Column::RunAt,
                    Expr::value(now + self.backoff_delay(job.attempts)),
                );
            status::QUEUED
        };
        update.filter(held_by(job.id, worker)).exec(conn).await?;
        Ok(new_status)
    }

    /// Gives a held job back without counting the attempt (graceful shutdown).
    pub async fn release(
        &self,
        conn: &impl ConnectionTrait,
        id: Uuid,
        worker: &str,
    ) -> Result<(), DbErr> {
        self.release_until(conn, id, worker, None).await
    }

    /// Gives a held job back without counting the attempt, to run again at `at` (or as soon
    /// as a worker is free).
    pub async fn release_until(
        &self,
        conn: &impl ConnectionTrait,
        id: Uuid,
        worker: &str,
        at: Option<DateTime<Utc>>,
    ) -> Result<(), DbErr> {
        let now = self.clock.now();
        let mut update = jobs::Entity::update_many();
        if let Some(at) = at {
            update = update.col_expr(jobs::Column::RunAt, Expr::value(at));
        }
        update
            .col_expr(jobs::Column::Status, Expr::value(status::QUEUED))
            .col_expr(
                jobs::Column::Attempts,
                sea_orm::sea_query::ExprTrait::sub(Expr::col(jobs::Column::Attempts), 1),
            )
            .col_expr(
                jobs::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(jobs::Column::LockedBy, Expr::value(Option::<String>::None))
            .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
            .filter(held_by(id, worker))
            .exec(conn)
            .await?;
        Ok(())
    }

    /// Puts a dead job back in the queue with fresh attempts (operator action). False when
    /// the job is not dead.
    pub async fn retry_dead(&self, conn: &impl ConnectionTrait, id: Uuid) -> Result<bool, DbErr> {
        let now = self.clock.now();
        let res = jobs::Entity::update_many()
            .col_expr(jobs::Column::Status, Expr::value(status::QUEUED))
            .col_expr(jobs::Column::Attempts, Expr::value(0))
            .col_expr(jobs::Column::RunAt, Expr::value(now))
            .col_expr(
                jobs::Column::FinishedAt,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(jobs::Column::UpdatedAt, Expr::value(now))
            .filter(jobs::Column::Id.eq(id))
            .filter(jobs::Column::Status.eq(status::DEAD))
            .exec(conn)
            .await?;
        Ok(res.rows_affected > 0)
    }

    /// Delay before attempt `attempts + 1`: base × 2^(attempts − 1), capped.
    pub fn backoff_delay(&self, attempts: i32) -> Duration {
        let exponent = (attempts.max(1) - 1).min(30) as u32;
        let millis = self
            .backoff_base
            .num_milliseconds()
            .saturating_mul(1i64 << exponent);
        Duration::milliseconds(millis.min(self.backoff_max.num_milliseconds()))
    }
}

fn held_by(id: Uuid, worker: &str) -> sea_orm::Condition {
    sea_orm::Condition::all()
        .add(jobs::Column::Id.eq(id))
        .add(jobs::Column::LockedBy.eq(worker))
        .add(jobs::Column::Status.eq(status::RUNNING))
}

/// Error texts are kept short; callers strip secrets (URLs with tokens) before this.
fn truncate_error(error: &str) -> String {
    const MAX: usize = 2000;
    if error.len() <= MAX {
        return error.to_owned();
    }
    let mut end = MAX;
    while !error.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &error[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let q = JobQueue::new(
            Clock::system(),
            5,
            Duration::seconds(5),
            Duration::seconds(60),
            Duration::seconds(30),
        );
        assert_eq!(q.backoff_delay(1), Duration::seconds(5));
        assert_eq!(q.backoff_delay(2), Duration::seconds(10));
        assert_eq!(q.backoff_delay(3), Duration::seconds(20));
        assert_eq!(q.backoff_delay(5), Duration::seconds(60));
        assert_eq!(q.backoff_delay(40), Duration::seconds(60));
    }

    #[test]
    fn long_errors_are_cut_on_a_char_boundary() {
        let long = "错".repeat(1000);
        let cut = truncate_error(&long);
        assert!(cut.len() <= 2004);
        assert!(cut.ends_with('…'));
    }
}
