//! Issue 2 acceptance point 5: the job queue, on whichever database the run targets.

use crate::support::{TestApp, builder, status_json, wait_until};
use chrono::Duration;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Statement};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration as StdDuration;
use weapp_builder::jobs::{BoxFuture, JobContext, JobError, JobHandler, NewJob};
use weapp_builder::state::AppState;

/// Writes one row per run into `test_job_runs`, so a test can count executions.
struct ProbeJob {
    sleep: StdDuration,
}

impl JobHandler for ProbeJob {
    fn kind(&self) -> &'static str {
        "test.probe"
    }
    fn run<'a>(
        &'a self,
        state: &'a AppState,
        job: &'a JobContext,
    ) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            if !self.sleep.is_zero() {
                tokio::time::sleep(self.sleep).await;
            }
            let backend = state.db.get_database_backend();
            state
                .db
                .execute_raw(Statement::from_sql_and_values(
                    backend,
                    "INSERT INTO test_job_runs (job_id) VALUES ($1)",
                    [job.id.to_string().into()],
                ))
                .await?;
            Ok(())
        })
    }
}

struct FailingJob;

impl JobHandler for FailingJob {
    fn kind(&self) -> &'static str {
        "test.fail"
    }
    fn run<'a>(
        &'a self,
        _: &'a AppState,
        _: &'a JobContext,
    ) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async {
            Err(JobError::Retry(anyhow::anyhow!(
                "boom: the upstream said no"
            )))
        })
    }
}

fn probe() -> Arc<ProbeJob> {
    Arc::new(ProbeJob {
        sleep: StdDuration::ZERO,
    })
}

async fn create_probe_table(app: &TestApp) {
    app.state
        .db
        .execute_unprepared(
            "CREATE TABLE IF NOT EXISTS test_job_runs (job_id VARCHAR(64) NOT NULL)",
        )
        .await
        .unwrap();
}

async fn probe_runs(app: &TestApp) -> Vec<String> {
    let backend = app.state.db.get_database_backend();
    app.state
        .db
        .query_all_raw(Statement::from_string(
            backend,
            "SELECT job_id FROM test_job_runs",
        ))
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.try_get::<String>("", "job_id").unwrap())
        .collect()
}

async fn job(app: &TestApp, id: uuid::Uuid) -> entity::jobs::Model {
    entity::jobs::Entity::find_by_id(id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

async fn enqueue_committed(app: &TestApp, job: NewJob) -> uuid::Uuid {
    let txn = weapp_builder::db::begin_write(&app.state.db).await.unwrap();
    let id = app.state.jobs.enqueue(&txn, job).await.unwrap().unwrap();
    txn.commit().await.unwrap();
    id
}

#[actix_web::test]
async fn a_job_enqueued_in_a_rolled_back_transaction_never_runs() {
    let app = builder().job_handler(probe()).spawn().await;
    create_probe_table(&app).await;
    let txn = weapp_builder::db::begin_write(&app.state.db).await.unwrap();
    let rolled_back = app
        .state
        .jobs
        .enqueue(&txn, NewJob::new("test.probe", json!({"n": 1})))
        .await
        .unwrap()
        .unwrap();
    txn.rollback().await.unwrap();
    let committed = enqueue_committed(&app, NewJob::new("test.probe", json!({"n": 2}))).await;
    assert!(
        wait_until(StdDuration::from_secs(10), || async {
            job(&app, committed).await.status == "done"
        })
        .await
    );
    assert_eq!(probe_runs(&app).await, vec![committed.to_string()]);
    assert!(
        entity::jobs::Entity::find_by_id(rolled_back)
            .one(&app.state.db)
            .await
            .unwrap()
            .is_none()
    );
}

#[actix_web::test]
async fn dedup_keys_enqueue_once() {
    let app = builder().job_workers(0).spawn().await;
    let first = enqueue_committed(
        &app,
        NewJob::new("test.probe", json!({})).dedup_key("once:1"),
    )
    .await;
    let txn = weapp_builder::db::begin_write(&app.state.db).await.unwrap();
    let again = app
        .state
        .jobs
        .enqueue(
            &txn,
            NewJob::new("test.probe", json!({})).dedup_key("once:1"),
        )
        .await
        .unwrap();
    txn.commit().await.unwrap();
    assert_eq!(again, None);
    assert_eq!(
        entity::jobs::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        1
    );
    assert_eq!(job(&app, first).await.status, "queued");
}

#[actix_web::test]
async fn a_failing_job_backs_off_and_ends_dead_and_an_admin_can_retry_it() {
    let app = builder().job_handler(Arc::new(FailingJob)).spawn().await;
    let id = enqueue_committed(&app, NewJob::new("test.fail", json!({})).max_attempts(3)).await;
    assert!(
        wait_until(StdDuration::from_secs(10), || async {
            job(&app, id).await.status == "dead"
        })
        .await
    );
    let dead = job(&app, id).await;
    assert_eq!(dead.attempts, 3);
    assert!(
        dead.last_error
            .as_deref()
            .unwrap()
            .contains("boom: the upstream said no")
    );
    // Retries waited: 40 ms then 80 ms (base doubles), so the run took at least 120 ms.
    assert!(dead.finished_at.unwrap() - dead.created_at >= Duration::milliseconds(120));
    let metrics = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains(r#"job_runs_total{kind="test.fail",outcome="retry"} 2"#),
        "{metrics}"
    );
    assert!(metrics.contains(r#"job_runs_total{kind="test.fail",outcome="dead"} 1"#));
    assert!(metrics.contains("jobs_dead 1"));

    let admin = app.admin_session().await;
    let (status, page) = status_json(
        app.get("/api/v1/admin/jobs?status=dead", &admin.access_token)
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(page["items"][0]["id"], id.to_string());
    assert!(
        page["items"][0]["last_error"]
            .as_str()
            .unwrap()
            .contains("boom")
    );

    let (status, retried) = status_json(
        app.post_empty(
            &format!("/api/v1/admin/jobs/{id}/retry"),
            &admin.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(retried["status"], "queued");
    assert_eq!(retried["attempts"], 0);
    assert!(
        wait_until(StdDuration::from_secs(10), || async {
            job(&app, id).await.status == "dead"
        })
        .await
    );
    // Only dead jobs can be retried... and the retry is audited.
    let done_id = uuid::Uuid::now_v7();
    let (status, _) = status_json(
        app.post_empty(
            &format!("/api/v1/admin/jobs/{done_id}/retry"),
            &admin.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    let audited = entity::audit_events::Entity::find()
        .filter(entity::audit_events::Column::Action.eq("job.retried"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(audited, 1);
}

#[actix_web::test]
async fn a_job_whose_worker_vanished_runs_again_after_the_lease() {
    let app = builder().job_handler(probe()).spawn().await;
    create_probe_table(&app).await;
    let id = enqueue_committed(
        &app,
        NewJob::new("test.probe", json!({})).run_at(app.clock.now() + Duration::days(1)),
    )
    .await;
    // A worker on another instance claimed it and died: running, leased for 60 s.
    entity::jobs::Entity::update_many()
        .col_expr(
            entity::jobs::Column::Status,
            sea_orm::sea_query::Expr::value("running"),
        )
        .col_expr(
            entity::jobs::Column::Attempts,
            sea_orm::sea_query::Expr::value(1),
        )
        .col_expr(
            entity::jobs::Column::LockedBy,
            sea_orm::sea_query::Expr::value("ghost-w0"),
        )
        .col_expr(
            entity::jobs::Column::LockedUntil,
            sea_orm::sea_query::Expr::value(app.clock.now() + Duration::seconds(60)),
        )
        .filter(entity::jobs::Column::Id.eq(id))
        .exec(&app.state.db)
        .await
        .unwrap();
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    assert!(
        probe_runs(&app).await.is_empty(),
        "a live lease is respected"
    );
    app.clock.advance(Duration::seconds(61));
    assert!(
        wait_until(StdDuration::from_secs(10), || async {
            job(&app, id).await.status == "done"
        })
        .await
    );
    assert_eq!(job(&app, id).await.attempts, 2);
    assert_eq!(probe_runs(&app).await.len(), 1);
}

#[actix_web::test]
async fn a_heartbeat_keeps_a_long_job_from_being_taken_twice() {
    let slow = || {
        Arc::new(ProbeJob {
            sleep: StdDuration::from_millis(2500),
        })
    };
    let a = builder()
        .job_handler(slow())
        .settings(|s| s.jobs.lease_secs = 1)
        .spawn()
        .await;
    create_probe_table(&a).await;
    let _b = builder()
        .job_handler(slow())
        .settings(|s| s.jobs.lease_secs = 1)
        .same_database_as(&a)
        .spawn()
        .await;
    let id = enqueue_committed(&a, NewJob::new("test.probe", json!({}))).await;
    assert!(
        wait_until(StdDuration::from_secs(15), || async {
            job(&a, id).await.status == "done"
        })
        .await
    );
    assert_eq!(job(&a, id).await.attempts, 1);
    assert_eq!(probe_runs(&a).await.len(), 1);
}

#[actix_web::test]
async fn stopping_releases_a_job_that_cannot_finish_in_the_grace_period() {
    let app = builder()
        .job_handler(Arc::new(ProbeJob {
            sleep: StdDuration::from_secs(30),
        }))
        .spawn()
        .await;
    create_probe_table(&app).await;
    let id = enqueue_committed(&app, NewJob::new("test.probe", json!({}))).await;
    assert!(
        wait_until(StdDuration::from_secs(10), || async {
            job(&app, id).await.status == "running"
        })
        .await
    );
    // The app closes its pool when it stops; observe through a connection of our own.
    let observer = sea_orm::Database::connect(app.database.url.clone())
        .await
        .unwrap();
    app.handle.stop(true).await;
    assert!(
        wait_until(StdDuration::from_secs(10), || async {
            let j = entity::jobs::Entity::find_by_id(id)
                .one(&observer)
                .await
                .unwrap()
                .unwrap();
            j.status == "queued" && j.locked_by.is_none()
        })
        .await,
        "the job is given back to the queue"
    );
    let j = entity::jobs::Entity::find_by_id(id)
        .one(&observer)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(j.attempts, 0, "a released run does not count as an attempt");
}

#[actix_web::test]
async fn four_workers_on_two_instances_run_a_thousand_jobs_exactly_once() {
    let a = builder().job_workers(2).job_handler(probe()).spawn().await;
    create_probe_table(&a).await;
    let _b = builder()
        .job_workers(2)
        .job_handler(probe())
        .same_database_as(&a)
        .spawn()
        .await;
    let txn = weapp_builder::db::begin_write(&a.state.db).await.unwrap();
    for n in 0..1000 {
        a.state
            .jobs
            .enqueue(&txn, NewJob::new("test.probe", json!({ "n": n })))
            .await
            .unwrap();
    }
    txn.commit().await.unwrap();
    let started = std::time::Instant::now();
    let drained = wait_until(StdDuration::from_secs(180), || async {
        entity::jobs::Entity::find()
            .filter(entity::jobs::Column::Status.eq("done"))
            .count(&a.state.db)
            .await
            .unwrap()
            == 1000
    })
    .await;
    assert!(drained, "1,000 jobs drained");
    eprintln!("1,000 jobs drained by 4 workers in {:?}", started.elapsed());
    let runs = probe_runs(&a).await;
    assert_eq!(runs.len(), 1000, "each job ran once");
    let distinct: std::collections::HashSet<_> = runs.iter().collect();
    assert_eq!(distinct.len(), 1000);
    let retried = entity::jobs::Entity::find()
        .filter(entity::jobs::Column::Attempts.ne(1))
        .count(&a.state.db)
        .await
        .unwrap();
    assert_eq!(retried, 0, "no job was claimed twice");
}
