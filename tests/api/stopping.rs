//! Issue 27: the purge wins every race with a tenant's running work, and a graceful stop
//! is graceful — found by killing and stopping the service at chosen points. Each race is
//! staged with a pause point, so the order of events is the test's, not the scheduler's.

use crate::agency::staff_account;
use crate::deploy::{bound_tenant, run, start};
use crate::lifecycle::{advance_to, local, shop, standard_plan};
use crate::support::{TestApp, builder, status_json, wait_until};
use crate::wechat::{app_and_sim_with, jobs_of_kind, push_ticket};
use entity::{jobs, notification_deliveries, users};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use weapp_builder::domain::ids::TenantId;
use weapp_builder::jobs::{BoxFuture, JobContext, JobError, JobHandler, NewJob};
use weapp_builder::lifecycle::purge::{self, PurgeOutcome};
use weapp_builder::services::exports::{EXPORT_BEFORE_STORE, EXPORT_COMPRESSING};
use weapp_builder::services::notifications::DELIVER_BEFORE_WRITE;
use weapp_builder::state::AppState;
use weapp_builder::wechat_sim::{Fault, FaultMode};

/// Signals each time it runs: with one job worker, a probe that ran means every job
/// claimed before it has finished.
struct IdleProbe(Arc<Notify>);

impl JobHandler for IdleProbe {
    fn kind(&self) -> &'static str {
        "test.idle_probe"
    }
    fn run<'a>(
        &'a self,
        _: &'a AppState,
        _: &'a JobContext,
    ) -> BoxFuture<'a, Result<(), JobError>> {
        Box::pin(async move {
            self.0.notify_one();
            Ok(())
        })
    }
}

/// Waits until the single job worker has finished whatever it was running.
async fn worker_idle(app: &TestApp, ran: &Notify) {
    app.state
        .jobs
        .enqueue(&app.state.db, NewJob::new("test.idle_probe", json!({})))
        .await
        .unwrap();
    tokio::time::timeout(Duration::from_secs(60), ran.notified())
        .await
        .expect("the worker got to the probe");
}

/// A frozen shop one minute before its deletion, on an app with one job worker and the
/// idle probe; the shop and an agency admin's token.
async fn shop_due_for_deletion() -> (TestApp, Arc<Notify>, crate::lifecycle::Shop, String) {
    let probe = Arc::new(Notify::new());
    let app = builder()
        .job_handler(Arc::new(IdleProbe(probe.clone())))
        .settings(|s| {
            s.auth.access_token_ttl_secs = 3 * 365 * 24 * 3600;
            s.auth.session_ttl_days = 3 * 365;
            // The tests jump the clock by minutes: leases must outlast the jumps.
            s.jobs.lease_secs = 600;
        })
        .spawn()
        .await;
    app.clock.set(local(2026, 1, 5, 9, 0));
    let admin = app.admin_session().await.access_token;
    let plan = standard_plan(&app, &admin).await;
    let (am_id, _) = staff_account(&app, &admin, "am.race", "account_manager").await;
    let s = shop(
        &app,
        &admin,
        &am_id,
        &plan,
        "shop.race",
        "2025-02-14",
        "2026-02-13",
        None,
        None,
    )
    .await;
    advance_to(&app, local(2026, 3, 6, 23, 59)).await;
    assert_eq!(
        crate::lifecycle::tenant_row(&app, &s.id).await.status,
        "frozen"
    );
    (app, probe, s, admin)
}

fn tenant_of(s: &crate::lifecycle::Shop) -> TenantId {
    TenantId(uuid::Uuid::parse_str(&s.id).unwrap())
}

/// Every file under the tenant's folder of a local object store, `.partial` ones included.
fn files_on_disk(app: &TestApp, tenant: TenantId) -> Vec<String> {
    let folder = app
        .database
        .objects_dir()
        .join(weapp_builder::storage::tenant_prefix(tenant.0).trim_end_matches('/'));
    let mut found = Vec::new();
    let mut stack = vec![folder];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            if entry.path().is_dir() {
                stack.push(entry.path());
            } else {
                found.push(entry.path().display().to_string());
            }
        }
    }
    found
}

async fn objects_left(app: &TestApp, tenant: TenantId) -> Vec<String> {
    let mut left = app
        .state
        .store
        .list(&weapp_builder::storage::tenant_prefix(tenant.0), None, 100)
        .await
        .unwrap();
    left.extend(files_on_disk(app, tenant));
    left
}

#[actix_web::test]
async fn an_export_running_when_the_purge_comes_stops_and_leaves_nothing() {
    let (app, probe, s, _) = shop_due_for_deletion().await;
    let tenant = tenant_of(&s);
    let paused = app.state.faults.arm_pause(EXPORT_BEFORE_STORE);
    let (status, body) = status_json(
        app.post_empty(&format!("/api/v1/tenants/{}/exports", s.id), &s.owner)
            .await,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    tokio::time::timeout(Duration::from_secs(60), paused.reached.notified())
        .await
        .expect("the export got to storing its zip");

    // The deletion time comes while the zip is built: the purge waits for the running
    // export, which then stops without storing anything, and the purge goes through.
    app.clock.set(local(2026, 3, 7, 0, 1));
    // From then on no export starts.
    let (status, body) = status_json(
        app.post_empty(&format!("/api/v1/tenants/{}/exports", s.id), &s.owner)
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("tenant_deletion_due")),
        "{body}"
    );
    assert!(body["details"]["delete_after"].is_string(), "{body}");
    let outcome = purge::purge(&app.state, tenant).await.unwrap();
    assert!(
        matches!(outcome, PurgeOutcome::WaitingForJobs { running: 1, .. }),
        "{outcome:?}"
    );
    paused.release.notify_one();
    worker_idle(&app, &probe).await;
    let outcome = purge::purge(&app.state, tenant).await.unwrap();
    assert!(
        matches!(outcome, PurgeOutcome::Purged { .. }),
        "{outcome:?}"
    );
    assert_eq!(objects_left(&app, tenant).await, Vec::<String>::new());
    let exports = entity::exports::Entity::find()
        .filter(entity::exports::Column::TenantId.eq(tenant.0))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(exports, 0);
}

#[actix_web::test]
async fn a_purge_resumed_after_its_rows_went_sweeps_what_a_killed_write_left() {
    let (app, _probe, s, _) = shop_due_for_deletion().await;
    if app.state.store.backend() != "local" {
        return; // a killed S3 upload leaves nothing under the key
    }
    let tenant = tenant_of(&s);
    app.clock.set(local(2026, 3, 7, 0, 1));
    let outcome = purge::purge(&app.state, tenant).await.unwrap();
    assert!(
        matches!(outcome, PurgeOutcome::Purged { .. }),
        "{outcome:?}"
    );
    // What a put killed mid-write leaves: its temporary file, which no listing shows.
    let exports = app
        .database
        .objects_dir()
        .join(weapp_builder::storage::tenant_prefix(tenant.0))
        .join("exports");
    std::fs::create_dir_all(&exports).unwrap();
    std::fs::write(
        exports
            .join("0192aabb-ccdd-7eee-8fff-000000000001.0192aabbccdd7eee8fff000000000002.partial"),
        vec![7u8; 4096],
    )
    .unwrap();
    assert!(!files_on_disk(&app, tenant).is_empty());
    let outcome = purge::purge(&app.state, tenant).await.unwrap();
    assert_eq!(outcome, PurgeOutcome::AlreadyDeleted);
    assert_eq!(files_on_disk(&app, tenant), Vec::<String>::new());
}

#[actix_web::test]
async fn a_notice_delivery_running_when_the_purge_commits_writes_nothing_of_the_tenant() {
    let (app, probe, s, admin) = shop_due_for_deletion().await;
    let tenant = tenant_of(&s);
    let paused = app.state.faults.arm_pause(DELIVER_BEFORE_WRITE);
    let (status, body) = status_json(
        app.post_json(
            "/api/v1/notifications/broadcast",
            &admin,
            &json!({"title": "春节放假通知", "text": "客服 2 月 16 日至 22 日休息。"}),
        )
        .await,
    )
    .await;
    assert!(status < 300, "{status} {body}");
    tokio::time::timeout(Duration::from_secs(60), paused.reached.notified())
        .await
        .expect("the delivery found its recipients");

    app.clock.set(local(2026, 3, 7, 0, 1));
    let outcome = purge::purge(&app.state, tenant).await.unwrap();
    assert!(
        matches!(outcome, PurgeOutcome::Purged { .. }),
        "{outcome:?}"
    );
    paused.release.notify_one();
    worker_idle(&app, &probe).await;

    let of_tenant = notification_deliveries::Entity::find()
        .filter(notification_deliveries::Column::TenantId.eq(tenant.0))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(of_tenant, 0, "deliveries of the purged tenant");
    let user_ids: Vec<uuid::Uuid> = users::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.id)
        .collect();
    let orphans = notification_deliveries::Entity::find()
        .filter(notification_deliveries::Column::UserId.is_not_in(user_ids))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(orphans, 0, "deliveries to deleted accounts");
    // The staff still got the broadcast.
    assert!(
        notification_deliveries::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap()
            > 0
    );
}

#[actix_web::test]
async fn building_an_export_leaves_the_async_workers_free() {
    let (app, probe, s, _) = shop_due_for_deletion().await;
    let compressing = app.state.faults.arm_block(EXPORT_COMPRESSING);
    let (status, body) = status_json(
        app.post_empty(&format!("/api/v1/tenants/{}/exports", s.id), &s.owner)
            .await,
    )
    .await;
    assert_eq!(status, 202, "{body}");
    // This task runs on the runtime that runs the jobs: it gets to release the compression
    // only if the compression does not hold that runtime's thread.
    let reached = wait_until(Duration::from_secs(30), || {
        let c = compressing.clone();
        async move { c.reached() }
    })
    .await;
    assert!(reached, "the export started compressing");
    compressing.release();
    worker_idle(&app, &probe).await;
    assert!(
        compressing.released_in_time(),
        "the compression blocked the runtime the jobs and the scheduler run on"
    );
    let (_, list) = status_json(
        app.get(&format!("/api/v1/tenants/{}/exports", s.id), &s.owner)
            .await,
    )
    .await;
    let first = list["items"].get(0).cloned().unwrap_or_default();
    assert_eq!(first["status"], "ready", "{list}");
}

/// A deploy whose commit call WeChat answers slowly, with the commit in flight; the app,
/// the simulator, the tenant, its owner and the run.
async fn deploy_with_a_slow_commit(
    tweak: impl FnOnce(&mut weapp_builder::config::Settings) + 'static,
    delay_ms: u64,
) -> (
    TestApp,
    weapp_builder::wechat_sim::SimServer,
    String,
    String,
    String,
) {
    let (app, sim, agency) = app_and_sim_with(move |s| {
        s.wechat.privacy_poll_secs = 1;
        s.wechat.audit_poll_secs = 1;
        s.wechat.server_domains = vec!["https://api.weapp.example.cn".into()];
        tweak(s);
    })
    .await;
    sim.configure(None, Some(0));
    push_ticket(&app, &sim).await;
    let (status, body) = status_json(
        app.client
            .put(app.url("/api/v1/platform/template"))
            .bearer_auth(&agency.admin)
            .json(&json!({"template_id": 1}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Binding the mini-program makes WeChat calls from HTTP requests: their connections
    // are in the pool when the deploy job calls WeChat.
    let (tenant, owner) = bound_tenant(&app, &agency, "stop.slow").await;
    sim.inject(Fault {
        path: "/wxa/commit".into(),
        mode: FaultMode::Slow { delay_ms },
        count: 1,
    });
    let (status, started) = start(&app, &owner, &tenant, json!({})).await;
    assert_eq!(status, 202, "{started}");
    let id = started["id"].as_str().unwrap().to_owned();
    let in_flight = wait_until(Duration::from_secs(30), || async {
        run(&app, &owner, &tenant, &id).await["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "commit" && s["status"] == "in_flight")
    })
    .await;
    assert!(in_flight, "the commit is in flight");
    (app, sim, tenant, owner, id)
}

async fn observer(app: &TestApp) -> sea_orm::DatabaseConnection {
    sea_orm::Database::connect(app.database.url.clone())
        .await
        .unwrap()
}

#[actix_web::test]
async fn a_graceful_stop_lets_a_running_jobs_wechat_call_finish() {
    let (app, sim, _tenant, _owner, _id) = deploy_with_a_slow_commit(
        |s| {
            s.jobs.shutdown_grace_secs = 20;
            s.server.shutdown_timeout_secs = 1;
        },
        2_500,
    )
    .await;
    let observe = observer(&app).await;
    app.handle.stop(true).await;
    let settled = wait_until(Duration::from_secs(30), || async {
        jobs::Entity::find()
            .filter(jobs::Column::Kind.eq("wechat.deploy"))
            .filter(jobs::Column::Status.eq("running"))
            .count(&observe)
            .await
            .unwrap()
            == 0
    })
    .await;
    assert!(settled, "the deploy job ended within its grace");
    let failed: Vec<_> = jobs::Entity::find()
        .filter(jobs::Column::Kind.eq("wechat.deploy"))
        .all(&observe)
        .await
        .unwrap()
        .into_iter()
        .filter_map(|j| j.last_error)
        .collect();
    if !failed.is_empty() {
        for line in crate::support::logs::captured().lines() {
            if line.contains("\"ERROR\"") || line.contains("\"WARN\"") {
                eprintln!("LOG {}", &line[..line.len().min(600)]);
            }
        }
    }
    assert_eq!(failed, Vec::<String>::new(), "no attempt failed");
    assert_eq!(sim.count("/wxa/commit"), 1);
    let commit = entity::deploy_steps::Entity::find()
        .filter(entity::deploy_steps::Column::Name.eq("commit"))
        .one(&observe)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(commit.status, "done", "the commit's answer was recorded");
}

#[actix_web::test]
async fn workers_stop_claiming_at_the_stop_while_requests_drain() {
    let probe = Arc::new(Notify::new());
    let app = builder()
        .job_handler(Arc::new(IdleProbe(probe.clone())))
        .settings(|s| s.server.shutdown_timeout_secs = 4)
        .spawn()
        .await;
    // A slow upload: the headers and part of the body, the rest never comes.
    let mut upload = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    tokio::io::AsyncWriteExt::write_all(
        &mut upload,
        b"POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"username\":",
    )
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let observe = observer(&app).await;
    let handle = app.handle.clone();
    let stopping = actix_web::rt::spawn(async move { handle.stop(true).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !stopping.is_finished(),
        "the upload keeps the HTTP drain going"
    );
    let txn = weapp_builder::db::begin_write(&observe).await.unwrap();
    let job = app
        .state
        .jobs
        .enqueue(&txn, NewJob::new("test.idle_probe", json!({})))
        .await
        .unwrap();
    txn.commit().await.unwrap();
    let claimed = tokio::time::timeout(Duration::from_secs(2), probe.notified()).await;
    assert!(
        claimed.is_err(),
        "a job was claimed after the stop began ({job:?})"
    );
    drop(upload);
    stopping.await.unwrap();
}

#[actix_web::test]
async fn a_deploy_released_at_a_graceful_stop_resumes_at_once_on_the_next_start() {
    let (app, sim, tenant, owner, id) = deploy_with_a_slow_commit(
        |s| {
            s.jobs.shutdown_grace_secs = 1;
            s.jobs.lease_secs = 10;
        },
        3_000,
    )
    .await;
    let next = builder()
        .same_database_as(&app)
        .wechat(&sim.base_url)
        .settings(|s| {
            s.wechat.privacy_poll_secs = 1;
            s.wechat.audit_poll_secs = 1;
            s.wechat.server_domains = vec!["https://api.weapp.example.cn".into()];
            s.jobs.lease_secs = 10;
        });
    app.stop().await;
    let app = next.spawn().await;
    crate::wechat::connect(&sim, &app);
    crate::wechat::align(&sim, &app);
    // Not two minutes later: the released run is driven again as soon as its job is.
    let deadline = std::time::Instant::now() + Duration::from_secs(25);
    loop {
        let now = run(&app, &owner, &tenant, &id).await;
        if now["status"] == "waiting_audit" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the released run was not resumed: {now:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sim.count("/wxa/commit"), 1, "the commit was not repeated");
    let rows = jobs_of_kind(&app, "wechat.deploy").await.len();
    assert!(rows <= 12, "{rows} driver job rows for one run");
}
