//! Lifecycle benchmark (run by `scripts/bench-lifecycle`): 100,000 tenants of which 10,000
//! end on the same day; one scheduler `tick` at that midnight, against hand-written
//! set-based SQL doing the same writes (status, `frozen_at`/`delete_after`, audit rows,
//! outbox rows) for the same 10,000 tenants, committed like the tick's — measured in the
//! same run on the same data.
//! SQLite always; PostgreSQL when `BENCH_DATABASE_URL` names a server (a database is
//! created and dropped there).

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use sea_orm::{ConnectionTrait, Database, DatabaseBackend, DatabaseConnection, Statement};
use std::time::Instant;
use weapp_builder::clock::Clock;
use weapp_builder::config::{SecretBytes, Secrets, Settings};
use weapp_builder::domain::calendar::WorkdayCalendar;
use weapp_builder::domain::lifecycle::{delete_after, freeze_instant};
use weapp_builder::startup::build_state;

const TENANTS: usize = 100_000;
const ENDING: usize = 10_000;

fn end_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 2, 13).unwrap()
}

fn secrets() -> Secrets {
    Secrets {
        jwt_secret: SecretBytes::new(vec![1u8; 32]),
        vault_keys: vec![("b1".into(), SecretBytes::new(vec![7u8; 32]))],
        s3_secret_access_key: None,
        metrics_token: None,
        wechat: None,
        sms: Default::default(),
    }
}

/// 100,000 active tenants; every tenth ends on the benchmark's end date, the others later.
async fn seed(db: &DatabaseConnection) {
    let backend = db.get_database_backend();
    let now = Utc.with_ymd_and_hms(2026, 1, 5, 2, 0, 0).unwrap();
    let mut values = Vec::new();
    for i in 0..TENANTS {
        let end = if i % (TENANTS / ENDING) == 0 {
            end_date()
        } else {
            end_date() + Duration::days(1 + (i % 300) as i64)
        };
        values.push((uuid::Uuid::now_v7(), format!("bench shop {i}"), end));
    }
    for chunk in values.chunks(1000) {
        let mut sql = String::from(
            "INSERT INTO tenants (id, business_name, status, term_end_date, status_changed_at, created_at, updated_at) VALUES ",
        );
        let mut params: Vec<sea_orm::Value> = Vec::new();
        for (n, (id, name, end)) in chunk.iter().enumerate() {
            let b = n * 4;
            if n > 0 {
                sql.push(',');
            }
            sql.push_str(&format!(
                "(${}, ${}, 'active', ${}, ${}, ${}, ${})",
                b + 1,
                b + 2,
                b + 3,
                b + 4,
                b + 4,
                b + 4
            ));
            params.extend([(*id).into(), name.clone().into(), (*end).into(), now.into()]);
        }
        db.execute_raw(Statement::from_sql_and_values(backend, sql, params))
            .await
            .unwrap();
    }
}

/// The same writes as the freeze, by hand: one UPDATE, one INSERT … SELECT for the audit
/// rows, one for the outbox rows, committed (timed), then undone (not timed) so the tick
/// finds the same data.
async fn hand_written(db: &DatabaseConnection) -> f64 {
    let backend = db.get_database_backend();
    let end = end_date();
    let today = end + Duration::days(1);
    let now = freeze_instant(end);
    let due = delete_after(&WorkdayCalendar::embedded(), end).unwrap();
    let (uuid, json) = match backend {
        DatabaseBackend::Postgres => ("gen_random_uuid()", "json_build_object"),
        _ => ("randomblob(16)", "json_object"),
    };
    let statements = [
        "UPDATE tenants SET status = 'frozen', frozen_at = $1, delete_after = $2, \
         status_changed_at = $1, status_cause = 'term_ended', status_actor = 'system', \
         updated_at = $1 WHERE status IN ('pending', 'active') AND term_end_date < $3"
            .to_owned(),
        format!(
            "INSERT INTO audit_events (id, occurred_at, actor_id, actor_role, actor_name, tenant_id, \
             action, subject_type, subject_id, summary, request_id) \
             SELECT {uuid}, $1, NULL, 'system', 'system', id, 'tenant.status_changed', 'tenant', \
             CAST(id AS TEXT), {json}('cause', 'term_ended', 'before', 'active', 'after', 'frozen', \
             'delete_after', CAST($2 AS TEXT)), NULL \
             FROM tenants WHERE status = 'frozen' AND status_changed_at = $1 AND $3 = $3"
        ),
        format!(
            "INSERT INTO jobs (id, kind, payload, dedup_key, tenant_id, status, attempts, max_attempts, \
             run_at, locked_until, locked_by, last_error, created_at, updated_at, finished_at) \
             SELECT {uuid}, 'tenant.state_changed', {json}('tenant_id', CAST(id AS TEXT), 'cause', \
             'term_ended'), NULL, id, 'queued', 0, 8, $1, NULL, NULL, NULL, $1, $1, NULL \
             FROM tenants WHERE status = 'frozen' AND status_changed_at = $1 AND $2 = $2 AND $3 = $3"
        ),
    ];
    let started = Instant::now();
    let txn = sea_orm::TransactionTrait::begin(db).await.unwrap();
    for sql in statements {
        txn.execute_raw(Statement::from_sql_and_values(
            backend,
            sql,
            [now.into(), due.into(), today.into()],
        ))
        .await
        .unwrap();
    }
    txn.commit().await.unwrap();
    let elapsed = started.elapsed().as_secs_f64();
    let frozen = db
        .query_one_raw(Statement::from_string(
            backend,
            "SELECT COUNT(*) AS n FROM tenants WHERE status = 'frozen'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(frozen as usize, ENDING);
    // Undo (not timed) so the tick finds the same data; PostgreSQL then vacuums the dead
    // row versions the undo left, so the tick starts from the same physical state.
    for undo in [
        "UPDATE tenants SET status = 'active', frozen_at = NULL, delete_after = NULL, \
         status_cause = NULL, status_actor = NULL WHERE status = 'frozen'",
        "DELETE FROM audit_events",
        "DELETE FROM jobs",
    ] {
        db.execute_unprepared(undo).await.unwrap();
    }
    if backend == DatabaseBackend::Postgres {
        db.execute_unprepared("VACUUM ANALYZE tenants, audit_events, jobs")
            .await
            .unwrap();
    }
    elapsed
}

async fn run(label: &str, url: &str) {
    let mut settings = Settings::default();
    settings.database.url = Some(url.to_owned());
    settings.database.max_connections = 4;
    if let Ok(n) = std::env::var("BENCH_BATCH") {
        settings.lifecycle.batch_size = n.parse().unwrap();
    }
    settings.storage.data_dir = std::env::temp_dir().join("weapp-bench-lifecycle");
    settings.storage.objects_dir = Some(settings.storage.data_dir.join("objects"));
    let clock = Clock::settable();
    let state = build_state(&settings, &secrets(), clock.clone(), true)
        .await
        .unwrap();
    let started = Instant::now();
    seed(&state.db).await;
    eprintln!(
        "{label}: seeded {TENANTS} tenants in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    // A dedicated single connection for the hand-written transaction.
    let direct = Database::connect(url).await.unwrap();
    let sql_secs = hand_written(&direct).await;
    let mut scheduler = weapp_builder::scheduler::Scheduler::new();
    for sweep in weapp_builder::startup::product_sweeps() {
        scheduler.register(sweep);
    }
    let midnight = freeze_instant(end_date());
    clock.set(midnight);
    let started = Instant::now();
    let report = scheduler.tick(&state, midnight).await;
    let tick_secs = started.elapsed().as_secs_f64();
    assert!(report.failed.is_empty(), "{:?}", report.failed);
    let frozen = state
        .db
        .query_one_raw(Statement::from_string(
            state.db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM tenants WHERE status = 'frozen'",
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap();
    assert_eq!(
        frozen as usize, ENDING,
        "the tick froze exactly the tenants due"
    );
    println!(
        "{label:<10} tick {tick_secs:>7.3} s ({:>8.0} tenants/s) | hand-written SQL {sql_secs:>7.3} s ({:>8.0} tenants/s) | ratio tick/SQL {:.2}x (goal <= 2x)",
        ENDING as f64 / tick_secs,
        ENDING as f64 / sql_secs,
        tick_secs / sql_secs
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let sqlite = format!(
            "sqlite://{}?mode=rwc",
            dir.path().join("bench.db").display()
        );
        run("sqlite", &sqlite).await;
        if let Ok(server) = std::env::var("BENCH_DATABASE_URL") {
            let admin = Database::connect(&server).await.unwrap();
            let name = format!("weapp_bench_{}", std::process::id());
            admin
                .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .unwrap();
            let url = match server.rsplit_once('/') {
                Some((base, _)) => format!("{base}/{name}"),
                None => panic!("BENCH_DATABASE_URL must end in /<database>"),
            };
            run("postgresql", &url).await;
            admin
                .execute_unprepared(&format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                .await
                .unwrap();
        }
    });
}
