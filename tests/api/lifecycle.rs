//! Issue 6: the subscription lifecycle over simulated time — reminders, freeze, deletion,
//! renewal, early termination, overdue holds, calendar coverage; purge completeness; many
//! schedulers at once.

use crate::agency::{first_login, plan_terms, provision_body, staff_account};
use crate::pages::{create_page, page};
use crate::support::{TestApp, builder, db, status_json, wait_until};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use entity::{jobs, notifications, reminder_ledger, tenants};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Statement};
use serde_json::{Value, json};
use weapp_builder::domain::calendar::WorkdayCalendar;
use weapp_builder::domain::lifecycle;

/// An instant given in Asia/Shanghai local time.
pub fn local(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Shanghai
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// A test app whose tokens outlive a simulated year.
pub async fn lifecycle_app(calendar_file: Option<std::path::PathBuf>) -> TestApp {
    builder()
        .settings(move |s| {
            s.auth.access_token_ttl_secs = 3 * 365 * 24 * 3600;
            s.auth.session_ttl_days = 3 * 365;
            s.lifecycle.calendar_file = calendar_file;
        })
        .spawn()
        .await
}

/// Waits until no job that is due is queued or running (the workers caught up).
pub async fn settle(app: &TestApp) {
    let done = wait_until(std::time::Duration::from_secs(180), || async {
        jobs::Entity::find()
            .filter(jobs::Column::Status.is_in(["queued", "running"]))
            .filter(jobs::Column::RunAt.lte(app.clock.now()))
            .count(&app.state.db)
            .await
            .unwrap()
            == 0
    })
    .await;
    assert!(done, "jobs did not settle");
}

/// Ticks at `at` and lets the jobs it queued run.
pub async fn tick_at(app: &TestApp, at: DateTime<Utc>) {
    app.clock.set(at);
    let report = app.scheduler.tick(&app.state, at).await;
    assert!(
        report.failed.is_empty(),
        "tick at {at}: {:?}",
        report.failed
    );
    settle(app).await;
}

/// Ticks at 00:00 and 10:00 Asia/Shanghai of every day after the clock up to `target`
/// (exclusive), then sets the clock to `target` without ticking.
pub async fn advance_to(app: &TestApp, target: DateTime<Utc>) {
    let mut day = weapp_builder::domain::time::shanghai_date(app.clock.now());
    loop {
        for hour in [0, 10] {
            let at = weapp_builder::domain::time::shanghai_midnight(day) + Duration::hours(hour);
            if at > app.clock.now() && at < target {
                tick_at(app, at).await;
            }
        }
        if weapp_builder::domain::time::shanghai_midnight(day) >= target {
            break;
        }
        day = day.succ_opt().unwrap();
    }
    app.clock.set(target);
}

pub async fn tenant_row(app: &TestApp, id: &str) -> tenants::Model {
    tenants::Entity::find_by_id(uuid::Uuid::parse_str(id).unwrap())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap()
}

/// Ticks every minute from `at` − 2 to `at` + 2 and checks that `changed` flips exactly at
/// `at`.
async fn flips_exactly_at<F, Fut>(app: &TestApp, at: DateTime<Utc>, mut changed: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for minutes in -2..=2 {
        let t = at + Duration::minutes(minutes);
        tick_at(app, t).await;
        assert_eq!(
            changed().await,
            minutes >= 0,
            "at {t} (expected flip at {at})"
        );
    }
}

/// The standard plan (298,000 fen a year) created by `admin`; its id.
pub async fn standard_plan(app: &TestApp, admin: &str) -> String {
    let (status, plan) = status_json(
        app.post_json(
            "/api/v1/plans",
            admin,
            &json!({"name": "标准版", "terms": plan_terms(298_000)}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    plan["id"].as_str().unwrap().to_owned()
}

pub struct Shop {
    pub id: String,
    pub owner: String,
    pub contract: String,
}

/// Provisions a tenant for `start..=end`, pays it in full (or the first milestone with
/// `milestones`) and signs its merchant admin in.
#[allow(clippy::too_many_arguments)]
pub async fn shop(
    app: &TestApp,
    admin: &str,
    manager: &str,
    plan: &str,
    name: &str,
    start: &str,
    end: &str,
    appid: Option<&str>,
    milestones: Option<Value>,
) -> Shop {
    let mut contract = json!({
        "start_date": start,
        "end_date": end,
        "payment_method": "bank_transfer",
        "overdue_tolerance_days": 3,
        "activation_rule": if milestones.is_some() { "first_milestone" } else { "full_payment" },
    });
    if let Some(m) = &milestones {
        contract["milestones"] = m.clone();
    }
    let mut body = provision_body(plan, Some(manager), name, contract);
    if let Some(a) = appid {
        body["appid"] = json!(a);
    }
    let (status, created) = status_json(app.post_json("/api/v1/tenants", admin, &body).await).await;
    assert_eq!(status, 201, "{created}");
    let id = created["tenant"]["id"].as_str().unwrap().to_owned();
    let contract = created["contract"]["id"].as_str().unwrap().to_owned();
    let amount = match &milestones {
        Some(m) => m[0]["amount_fen"].as_i64().unwrap(),
        None => created["contract"]["amount_fen"].as_i64().unwrap(),
    };
    let (status, paid) = pay(app, admin, &id, &contract, amount, &format!("{name}-1")).await;
    assert_eq!(status, 201, "{paid}");
    let owner = first_login(
        app,
        name,
        created["merchant_admin"]["one_time_password"]
            .as_str()
            .unwrap(),
    )
    .await;
    Shop {
        id,
        owner,
        contract,
    }
}

/// Records a payment dated today (by the service clock).
pub async fn pay(
    app: &TestApp,
    token: &str,
    tenant: &str,
    contract: &str,
    amount: i64,
    key: &str,
) -> (u16, Value) {
    let today = weapp_builder::domain::time::shanghai_date(app.clock.now()).to_string();
    crate::agency::pay_on(app, token, tenant, contract, amount, key, &today).await
}

/// Creates the renewal contract; returns (id, amount).
pub async fn renew(app: &TestApp, admin: &str, tenant: &str) -> (String, i64) {
    let (status, body) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{tenant}/contracts"),
            admin,
            &json!({"payment_method": "bank_transfer"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
    (
        body["contract"]["id"].as_str().unwrap().to_owned(),
        body["contract"]["amount_fen"].as_i64().unwrap(),
    )
}

pub async fn notices(app: &TestApp, tenant: Option<&str>, kind: &str) -> Vec<notifications::Model> {
    let mut q = notifications::Entity::find().filter(notifications::Column::Kind.eq(kind));
    if let Some(t) = tenant {
        q = q.filter(notifications::Column::TenantId.eq(uuid::Uuid::parse_str(t).unwrap()));
    }
    q.all(&app.state.db).await.unwrap()
}

async fn ledger(app: &TestApp, contract: &str) -> Vec<i32> {
    let mut offsets: Vec<i32> = reminder_ledger::Entity::find()
        .filter(reminder_ledger::Column::ContractId.eq(uuid::Uuid::parse_str(contract).unwrap()))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.offset_days)
        .collect();
    offsets.sort();
    offsets
}

async fn client_reason(app: &TestApp, appid: &str) -> Option<String> {
    let res = app
        .client
        .get(app.url(&format!("/client/v1/{appid}/app")))
        .send()
        .await
        .unwrap();
    let (_, body) = status_json(res).await;
    body["reason"].as_str().map(str::to_owned)
}

#[actix_web::test]
async fn timeline_of_every_scenario_over_a_simulated_year() {
    let calendar_dir = tempfile::tempdir().unwrap();
    let calendar_file = calendar_dir.path().join("extra-workdays.json");
    std::fs::write(&calendar_file, r#"{"years": {}}"#).unwrap();
    let app = lifecycle_app(Some(calendar_file.clone())).await;
    app.clock.set(local(2026, 1, 5, 9, 0));
    let admin = app.admin_session().await.access_token;
    let plan = standard_plan(&app, &admin).await;
    let (am_id, am) = staff_account(&app, &admin, "am.life", "account_manager").await;
    let appid_a = "wx00000000000000a1";
    let a = shop(
        &app,
        &admin,
        &am_id,
        &plan,
        "shop.a",
        "2025-02-14",
        "2026-02-13",
        Some(appid_a),
        None,
    )
    .await;
    let b = shop(
        &app,
        &admin,
        &am_id,
        &plan,
        "shop.b",
        "2025-05-01",
        "2026-04-30",
        None,
        None,
    )
    .await;
    let c = shop(
        &app,
        &admin,
        &am_id,
        &plan,
        "shop.c",
        "2025-05-16",
        "2026-05-15",
        None,
        None,
    )
    .await;
    let d = shop(
        &app,
        &admin,
        &am_id,
        &plan,
        "shop.d",
        "2025-06-11",
        "2026-06-10",
        Some("wx00000000000000d4"),
        None,
    )
    .await;
    let e = shop(
        &app,
        &admin,
        &am_id,
        &plan,
        "shop.e",
        "2026-01-01",
        "2026-12-31",
        None,
        None,
    )
    .await;
    let f = shop(
        &app,
        &admin,
        &am_id,
        &plan,
        "shop.f",
        "2026-01-05",
        "2027-01-04",
        None,
        Some(json!([
            {"amount_fen": 149_000, "due_date": "2026-01-05"},
            {"amount_fen": 149_000, "due_date": "2026-03-20"}
        ])),
    )
    .await;
    let g = shop(
        &app,
        &admin,
        &am_id,
        &plan,
        "shop.g",
        "2025-12-21",
        "2026-12-20",
        None,
        None,
    )
    .await;
    // A has content on phones; C has a page that must survive the freeze.
    let (status, home) = create_page(
        &app,
        &a.owner,
        &page(
            "home",
            json!([{"id": "t", "type": "text", "props": {"text": "营业中"}}]),
        ),
    )
    .await;
    assert_eq!(status, 201, "{home}");
    let published = app
        .post_empty(
            &format!("/api/v1/pages/{}/publish", home["id"].as_str().unwrap()),
            &a.owner,
        )
        .await;
    assert_eq!(published.status(), 201);
    let (status, c_page) = create_page(&app, &c.owner, &page("about", json!([]))).await;
    assert_eq!(status, 201, "{c_page}");
    for s in [&a, &b, &c, &d, &e, &f, &g] {
        assert_eq!(tenant_row(&app, &s.id).await.status, "active");
    }

    // A: end 2026-02-13, never renewed → frozen at 2026-02-14T00:00+08:00, the client API
    // suspended the same minute.
    let a_freeze = local(2026, 2, 14, 0, 0);
    assert_eq!(a_freeze.to_rfc3339(), "2026-02-13T16:00:00+00:00");
    advance_to(&app, a_freeze - Duration::minutes(2)).await;
    assert_eq!(client_reason(&app, appid_a).await, None);
    flips_exactly_at(&app, a_freeze, || async {
        tenant_row(&app, &a.id).await.status == "frozen"
    })
    .await;
    assert_eq!(
        client_reason(&app, appid_a).await.as_deref(),
        Some("frozen")
    );
    let row = tenant_row(&app, &a.id).await;
    assert_eq!(row.frozen_at, Some(a_freeze));
    assert_eq!(row.delete_after, Some(local(2026, 3, 7, 0, 0)));
    let frozen_notice = notices(&app, Some(&a.id), "frozen").await;
    assert_eq!(frozen_notice.len(), 1);
    assert!(
        frozen_notice[0].body.contains("2026-03-07 00:00"),
        "{}",
        frozen_notice[0].body
    );
    // The merchant reads it in the inbox; writes are refused with the deletion time.
    let (status, inbox) = status_json(app.get("/api/v1/inbox", &a.owner).await).await;
    assert_eq!(status, 200, "{inbox}");
    let kinds: Vec<&str> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["frozen", "renewal_reminder", "renewal_reminder"]);
    assert_eq!(inbox["unread"], 3);
    let (status, refused) = create_page(&app, &a.owner, &page("new", json!([]))).await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (403, Some("tenant_frozen"))
    );
    assert_eq!(refused["details"]["delete_after"], "2026-03-06T16:00:00Z");

    // F: the second milestone (due 2026-03-20, 3 days' tolerance) unpaid → held on
    // 2026-03-24, paid on 2026-03-25 → lifted; a notice each time.
    advance_to(&app, local(2026, 3, 6, 23, 0)).await;
    // A: purged at 2026-03-07T00:00+08:00 and not a minute earlier.
    let a_purge = local(2026, 3, 7, 0, 0);
    flips_exactly_at(&app, a_purge, || async {
        tenant_row(&app, &a.id).await.status == "deleted"
    })
    .await;
    let tomb = tenant_row(&app, &a.id).await;
    assert_eq!(
        (tomb.appid, tomb.contact_phone, tomb.contact_name),
        (None, None, None)
    );
    assert_eq!(tomb.status_cause.as_deref(), Some("grace_period_over"));
    assert_eq!(notices(&app, None, "deleted").await.len(), 1);
    let gone = app.login_response("shop.a", "shop.a secret words").await;
    assert_eq!(gone.status(), 401);

    advance_to(&app, local(2026, 3, 23, 12, 0)).await;
    assert!(tenant_row_holds(&app, &f.id).await.is_empty());
    advance_to(&app, local(2026, 3, 24, 12, 0)).await;
    assert_eq!(tenant_row_holds(&app, &f.id).await, ["overdue"]);
    assert_eq!(
        notices(&app, Some(&f.id), "overdue_hold_set").await.len(),
        1
    );
    let (status, _) = pay(&app, &admin, &f.id, &f.contract, 149_000, "shop.f-2").await;
    assert_eq!(status, 201);
    settle(&app).await;
    assert!(tenant_row_holds(&app, &f.id).await.is_empty());
    assert_eq!(
        notices(&app, Some(&f.id), "overdue_hold_lifted")
            .await
            .len(),
        1
    );

    // B: renewed (paid) 10 days before its end date 2026-04-30: the 30-day reminder was
    // sent, the 7-day one is not, and B is never frozen.
    advance_to(&app, local(2026, 4, 20, 12, 0)).await;
    assert_eq!(ledger(&app, &b.contract).await, [30]);
    let (renewal, amount) = renew(&app, &admin, &b.id).await;
    let (status, _) = pay(&app, &admin, &b.id, &renewal, amount, "shop.b-renew").await;
    assert_eq!(status, 201);

    // C: frozen 2026-05-16, renewed while frozen on 2026-05-20 → reopened with its page.
    advance_to(&app, local(2026, 5, 16, 0, 0)).await;
    tick_at(&app, local(2026, 5, 16, 0, 0)).await;
    assert_eq!(tenant_row(&app, &c.id).await.status, "frozen");
    assert_eq!(tenant_row(&app, &b.id).await.status, "active");
    advance_to(&app, local(2026, 5, 20, 12, 0)).await;
    let (renewal, amount) = renew(&app, &admin, &c.id).await;
    let (status, body) = pay(&app, &admin, &c.id, &renewal, amount, "shop.c-renew").await;
    assert_eq!(status, 201, "{body}");
    settle(&app).await;
    let row = tenant_row(&app, &c.id).await;
    assert_eq!(
        (row.status.as_str(), row.delete_after, row.frozen_at),
        ("active", None, None)
    );
    assert_eq!(row.term_end_date, Some(date("2027-05-15")));
    assert_eq!(notices(&app, Some(&c.id), "reopened").await.len(), 1);
    let (status, pages) = status_json(app.get("/api/v1/pages", &c.owner).await).await;
    assert_eq!(status, 200);
    assert_eq!(pages["items"][0]["slug"], "about", "{pages}");

    // D: frozen 2026-06-11; a renewal paid one minute after delete_after → 409
    // tenant_deletion_due, and it is purged.
    let d_delete =
        lifecycle::delete_after(&WorkdayCalendar::embedded(), date("2026-06-10")).unwrap();
    assert_eq!(d_delete, local(2026, 6, 27, 0, 0));
    advance_to(&app, local(2026, 6, 20, 12, 0)).await;
    assert_eq!(tenant_row(&app, &d.id).await.status, "frozen");
    let (d_renewal, d_amount) = renew(&app, &admin, &d.id).await;
    advance_to(&app, d_delete - Duration::minutes(2)).await;
    tick_at(&app, d_delete - Duration::minutes(2)).await;
    tick_at(&app, d_delete - Duration::minutes(1)).await;
    assert_eq!(tenant_row(&app, &d.id).await.status, "frozen");
    // The payment arrives one minute after delete_after, before any tick ran the purge.
    app.clock.set(d_delete + Duration::minutes(1));
    let (status, body) = pay(&app, &admin, &d.id, &d_renewal, d_amount, "shop.d-late").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("tenant_deletion_due")),
        "{body}"
    );
    assert_eq!(body["details"]["delete_after"], "2026-06-26T16:00:00Z");
    tick_at(&app, d_delete + Duration::minutes(1)).await;
    assert_eq!(tenant_row(&app, &d.id).await.status, "deleted");
    let (status, _) = pay(&app, &admin, &d.id, &d_renewal, d_amount, "shop.d-later").await;
    assert_eq!(status, 404);

    // E: early termination on 2026-07-01 effective 2026-08-15 → frozen 2026-08-16 00:00.
    advance_to(&app, local(2026, 7, 1, 12, 0)).await;
    let (status, body) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{}/termination", e.id),
            &admin,
            &json!({"effective_date": "2026-08-15", "reference": "商户书面申请"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let e_freeze = local(2026, 8, 16, 0, 0);
    advance_to(&app, e_freeze - Duration::minutes(2)).await;
    // The batch fails once: the sweep falls back to freezing tenant by tenant, on time.
    app.state
        .faults
        .arm(weapp_builder::lifecycle::freeze::FREEZE_FAULT);
    flips_exactly_at(&app, e_freeze, || async {
        tenant_row(&app, &e.id).await.status == "frozen"
    })
    .await;

    // G: end 2026-12-20; the grace period runs into 2027, which the calendar does not
    // cover: frozen with no deletion time and an alert; once the operator adds 2027, the
    // next tick fills it in.
    let g_freeze = local(2026, 12, 21, 0, 0);
    advance_to(&app, g_freeze - Duration::minutes(1)).await;
    tick_at(&app, g_freeze).await;
    let row = tenant_row(&app, &g.id).await;
    assert_eq!((row.status.as_str(), row.delete_after), ("frozen", None));
    // Agency admins were told every day since coverage fell under 60 days (2026-11-02),
    // once a day, naming the tenants concerned.
    let mut alerts = notices(&app, None, "calendar_coverage").await;
    alerts.sort_by_key(|n| n.created_at);
    let days: Vec<NaiveDate> = alerts
        .iter()
        .map(|n| weapp_builder::domain::time::shanghai_date(n.created_at))
        .collect();
    assert_eq!(days.first(), Some(&date("2026-11-02")), "{days:?}");
    assert_eq!(days.last(), Some(&date("2026-12-21")), "{days:?}");
    assert_eq!(alerts.len(), 50, "one a day: {days:?}");
    let g_name = tenant_row(&app, &g.id).await.business_name;
    let eve = &alerts[alerts.len() - 2].body;
    assert!(
        eve.contains("2027") && eve.contains("宽限期将超出日历范围的商户") && eve.contains(&g_name),
        "{eve}"
    );
    let today = &alerts[alerts.len() - 1].body;
    assert!(
        today.contains("已冻结但无法计算删除时间的商户 1 个") && today.contains(&g_name),
        "{today}"
    );
    let (_, admin_inbox) = status_json(app.get("/api/v1/inbox", &admin).await).await;
    assert!(
        admin_inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "calendar_coverage"),
        "{admin_inbox}"
    );
    tick_at(&app, g_freeze + Duration::minutes(1)).await;
    assert_eq!(tenant_row(&app, &g.id).await.delete_after, None);
    std::fs::write(
        &calendar_file,
        r#"{"years": {"2027": {"holidays": ["2027-01-01"], "workdays": []}}}"#,
    )
    .unwrap();
    tick_at(&app, g_freeze + Duration::minutes(2)).await;
    assert_eq!(
        tenant_row(&app, &g.id).await.delete_after,
        Some(local(2027, 1, 6, 0, 0))
    );
    // The date the frozen notice promised is sent, once.
    tick_at(&app, g_freeze + Duration::minutes(3)).await;
    let scheduled = notices(&app, Some(&g.id), "deletion_scheduled").await;
    assert_eq!(scheduled.len(), 1, "one deletion-scheduled notice");
    assert!(
        scheduled[0].body.contains("2027-01-06 00:00"),
        "{}",
        scheduled[0].body
    );
    let (status, ready) = status_json(
        app.client
            .get(app.url("/health/ready"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(ready["checks"]["calendar_coverage_until"], "2027-12-31");

    // The account manager was told too.
    let (_, am_inbox) = status_json(app.get("/api/v1/inbox?limit=100", &am).await).await;
    let am_kinds: Vec<&str> = am_inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert!(
        am_kinds.contains(&"renewal_reminder")
            && am_kinds.contains(&"frozen")
            && am_kinds.contains(&"deleted"),
        "{am_kinds:?}"
    );
    // Reminders: exactly one per contract and offset, none for the renewed term's 7 days.
    for (shop, expected) in [
        (&a, vec![7, 30]),
        (&b, vec![30]),
        (&c, vec![7, 30]),
        (&d, vec![7, 30]),
        (&e, vec![7, 30]),
        (&f, vec![30]),
        (&g, vec![7, 30]),
    ] {
        assert_eq!(ledger(&app, &shop.contract).await, expected, "{}", shop.id);
    }
    // E was purged at the end of its grace period: its notices went with it, the ledger
    // (kept with the contracts) did not.
    assert_eq!(tenant_row(&app, &e.id).await.status, "deleted");
    for (shop, expected) in [(&b, 1), (&c, 2), (&e, 0), (&g, 2)] {
        assert_eq!(
            notices(&app, Some(&shop.id), "renewal_reminder")
                .await
                .len(),
            expected,
            "{}",
            shop.id
        );
    }
    // Every transition is audited with its cause and the system as actor.
    let rows = app
        .state
        .db
        .query_all_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            "SELECT tenant_id, actor_name, summary FROM audit_events WHERE action = 'tenant.status_changed' AND actor_name = 'system'",
        ))
        .await
        .unwrap();
    // frozen: A C D E G; deleted: A D E
    assert_eq!(rows.len(), 8);
}

async fn tenant_row_holds(app: &TestApp, id: &str) -> Vec<String> {
    entity::tenant_holds::Entity::find()
        .filter(entity::tenant_holds::Column::TenantId.eq(uuid::Uuid::parse_str(id).unwrap()))
        .all(&app.state.db)
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.kind)
        .collect()
}

/// Rows of `tenant` per table, for every table with a `tenant_id` column (from the catalog).
async fn rows_per_tenant_table(app: &TestApp, tenant: &str) -> Vec<(String, i64)> {
    let backend = app.state.db.get_database_backend();
    let mut out = Vec::new();
    for (table, columns) in db::tables_and_columns(&app.state.db).await {
        if !columns.iter().any(|c| c == "tenant_id") {
            continue;
        }
        let row = app
            .state
            .db
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                format!("SELECT COUNT(*) AS n FROM \"{table}\" WHERE tenant_id = $1"),
                [uuid::Uuid::parse_str(tenant).unwrap().into()],
            ))
            .await
            .unwrap()
            .unwrap();
        out.push((table, row.try_get::<i64>("", "n").unwrap()));
    }
    out
}

#[actix_web::test]
async fn purge_leaves_only_the_survivors_and_heals_after_a_crash() {
    // The crashed purge is retried two minutes later (clock time), so the test sees it
    // queued before the next tick makes it due.
    let app = builder()
        .settings(|s| {
            s.auth.access_token_ttl_secs = 3 * 365 * 24 * 3600;
            s.auth.session_ttl_days = 3 * 365;
            s.jobs.backoff_base_ms = 120_000;
            s.jobs.backoff_max_ms = 120_000;
        })
        .spawn()
        .await;
    app.clock.set(local(2026, 1, 5, 9, 0));
    let admin = app.admin_session().await.access_token;
    let plan = standard_plan(&app, &admin).await;
    let (am_id, _) = staff_account(&app, &admin, "am.purge", "account_manager").await;
    let appid = "wx00000000000000f1";
    let s = shop(
        &app,
        &admin,
        &am_id,
        &plan,
        "shop.p",
        "2025-02-14",
        "2026-02-13",
        Some(appid),
        None,
    )
    .await;
    // Everything a merchant accumulates: an asset, a published page using it, an editor,
    // a theme, client traffic, notices.
    let (status, asset) = crate::assets::upload(
        &app,
        &s.owner,
        "banner.png",
        crate::assets::BANNER_PNG.to_vec(),
    )
    .await;
    assert_eq!(status, 201, "{asset}");
    let asset_id = asset["id"].as_str().unwrap();
    let (status, home) = create_page(
        &app,
        &s.owner,
        &page(
            "home",
            json!([{"id": "i", "type": "image", "props": {"asset_id": asset_id}}]),
        ),
    )
    .await;
    assert_eq!(status, 201, "{home}");
    let res = app
        .post_empty(
            &format!("/api/v1/pages/{}/publish", home["id"].as_str().unwrap()),
            &s.owner,
        )
        .await;
    assert_eq!(res.status(), 201);
    let (status, _) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{}/editors", s.id),
            &s.owner,
            &json!({"username": "shop.p.editor", "display_name": "小王"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    let res = app
        .client
        .get(app.url(&format!("/client/v1/{appid}/pages/home")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    app.state
        .meter
        .flush(
            &app.state.db,
            weapp_builder::domain::time::shanghai_date(app.clock.now()),
        )
        .await
        .unwrap();
    // Frozen, the merchant exports everything: rows as JSON, objects as they are.
    advance_to(&app, local(2026, 3, 5, 12, 0)).await;
    assert_eq!(tenant_row(&app, &s.id).await.status, "frozen");
    let res = app
        .post_empty(&format!("/api/v1/tenants/{}/exports", s.id), &s.owner)
        .await;
    assert_eq!(res.status(), 202);
    settle(&app).await;
    let res = app
        .get(&format!("/api/v1/tenants/{}/exports", s.id), &s.owner)
        .await;
    assert_eq!(
        res.headers()["cache-control"],
        "no-store",
        "the list carries signed links"
    );
    let (status, list) = status_json(res).await;
    let list = &list["items"];
    assert_eq!(
        (status, list[0]["status"].as_str()),
        (200, Some("ready")),
        "{list}"
    );
    assert!(
        list[0]["expires_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-03-06T04:00:0"),
        "24 hours after it was built: {list}"
    );
    let path = list[0]["download_path"].as_str().unwrap().to_owned();
    // A signed link downloads it without a bearer header, as a browser link does.
    let link = list[0]["download_url"]["url"].as_str().unwrap().to_owned();
    assert!(link.starts_with("/api/v1/links/"), "{list}");
    let fetch = |res: reqwest::Response| async move {
        match res.status().as_u16() {
            200 => res.bytes().await.unwrap().to_vec(),
            302 => {
                let to = res.headers()["location"].to_str().unwrap().to_owned();
                reqwest::get(to)
                    .await
                    .unwrap()
                    .bytes()
                    .await
                    .unwrap()
                    .to_vec()
            }
            other => panic!("download answered {other}"),
        }
    };
    let bytes = fetch(app.client.get(app.url(&link)).send().await.unwrap()).await;
    let with_bearer = fetch(
        app.client
            .get(app.url(&path))
            .bearer_auth(&s.owner)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(bytes, with_bearer, "one zip, two ways to fetch it");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let names: Vec<String> = zip.file_names().map(|n| n.unwrap().into_owned()).collect();
    let banner = format!("assets/banner-{}.png", &asset_id.replace('-', "")[..8]);
    for expected in [
        "README.md",
        "index.json",
        "pages/home.json",
        "settings.json",
        banner.as_str(),
        "data/tenants.json",
        "data/pages.json",
        "data/page_versions.json",
        "data/users.json",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "{expected} missing from {names:?}"
        );
    }
    assert!(
        !names.iter().any(|n| n.starts_with("objects/assets/")),
        "assets are under their names, not their keys: {names:?}"
    );
    let read = |zip: &mut zip::ZipArchive<std::io::Cursor<Vec<u8>>>, name: &str| {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut zip.by_name(name).unwrap(), &mut bytes).unwrap();
        bytes
    };
    assert_eq!(read(&mut zip, &banner), crate::assets::BANNER_PNG);
    let json_of = |bytes: Vec<u8>| serde_json::from_slice::<Value>(&bytes).unwrap();
    // Pages are JSON all the way down: the layouts and the rendering phones get.
    let home_page = json_of(read(&mut zip, "pages/home.json"));
    assert_eq!(home_page["status"], "published", "{home_page}");
    assert_eq!(
        home_page["draft"]["layout"]["components"][0]["type"],
        "image"
    );
    assert_eq!(
        home_page["published"]["layout"]["components"][0]["type"],
        "image"
    );
    assert!(
        home_page["published"]["rendered"].is_object(),
        "the rendering is JSON, not a string: {home_page}"
    );
    let index = json_of(read(&mut zip, "index.json"));
    assert_eq!(index["pages"][0]["file"], "pages/home.json", "{index}");
    assert_eq!(index["assets"][0]["file"], banner.as_str(), "{index}");
    assert_eq!(index["assets"][0]["name"], "banner.png", "{index}");
    assert_eq!(index["tables"]["pages"], 1, "{index}");
    let readme = String::from_utf8(read(&mut zip, "README.md")).unwrap();
    assert!(readme.contains("index.json") && readme.contains("数据导出"));
    assert!(
        String::from_utf8(read(&mut zip, "data/pages.json"))
            .unwrap()
            .contains("\"home\"")
    );
    let users = String::from_utf8(read(&mut zip, "data/users.json")).unwrap();
    assert!(
        users.contains("shop.p.editor") && !users.contains("password_hash"),
        "{users}"
    );
    // A link that is not ours is refused; a signed link works for ten minutes.
    let forged = format!("{}x", link);
    let (status, body) = status_json(app.client.get(app.url(&forged)).send().await.unwrap()).await;
    assert_eq!((status, body["code"].as_str()), (403, Some("link_invalid")));
    app.clock
        .set(app.clock.now() + chrono::Duration::minutes(11));
    let (status, body) = status_json(app.client.get(app.url(&link)).send().await.unwrap()).await;
    assert_eq!((status, body["code"].as_str()), (410, Some("link_expired")));
    // The export itself is valid for 24 hours.
    app.clock.set(local(2026, 3, 6, 12, 1));
    let (status, body) = status_json(app.get(&path, &s.owner).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (410, Some("export_expired"))
    );

    advance_to(&app, local(2026, 3, 6, 23, 59)).await;
    let before = rows_per_tenant_table(&app, &s.id).await;
    for table in [
        "pages",
        "page_versions",
        "assets",
        "users",
        "sessions",
        "notification_deliveries",
        "notifications",
        "usage_daily",
        "tenant_settings",
        "page_asset_refs",
    ] {
        let n = before
            .iter()
            .find(|(t, _)| t == table)
            .map(|(_, n)| *n)
            .unwrap_or(0);
        assert!(
            n > 0,
            "the tenant has rows in {table} before the purge: {before:?}"
        );
    }
    let prefix = weapp_builder::storage::tenant_prefix(uuid::Uuid::parse_str(&s.id).unwrap());
    assert!(
        !app.state
            .store
            .list(&prefix, None, 100)
            .await
            .unwrap()
            .is_empty()
    );

    // A crash between deleting the objects and deleting the rows…
    app.state
        .faults
        .arm(weapp_builder::lifecycle::purge::PURGE_FAULT);
    tick_at(&app, local(2026, 3, 7, 0, 0)).await;
    assert!(
        app.state
            .store
            .list(&prefix, None, 100)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(tenant_row(&app, &s.id).await.status, "frozen");
    let job = jobs::Entity::find()
        .filter(jobs::Column::Kind.eq("tenant.purge"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (job.status.as_str(), job.attempts),
        ("queued", 1),
        "retried later"
    );
    // …heals on the next run.
    tick_at(&app, local(2026, 3, 7, 0, 5)).await;
    let tomb = tenant_row(&app, &s.id).await;
    assert_eq!(tomb.status, "deleted");
    assert_eq!(
        (
            tomb.contact_name,
            tomb.contact_phone,
            tomb.contact_email,
            tomb.appid
        ),
        (None, None, None, None)
    );
    assert_eq!(tomb.business_name, "shop.p 的小店");
    assert!(tomb.deleted_at.is_some() && tomb.frozen_at.is_some());

    let survivors = weapp_builder::lifecycle::tenant_data::PURGE_SURVIVORS;
    let after = rows_per_tenant_table(&app, &s.id).await;
    for (table, n) in &after {
        if survivors.contains(&table.as_str()) {
            continue;
        }
        assert_eq!(*n, 0, "{table} still holds the tenant's rows");
    }
    let kept = |t: &str| {
        after
            .iter()
            .find(|(x, _)| x == t)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    assert!(
        kept("audit_events") > 0 && kept("contracts") > 0 && kept("payments") > 0,
        "{after:?}"
    );
    assert!(
        app.state
            .store
            .list(&prefix, None, 100)
            .await
            .unwrap()
            .is_empty()
    );
    // No empty folder of the tenant is left in a folder store.
    if app.state.store.backend() == "local" {
        let objects = app
            .state
            .settings
            .storage
            .objects_dir
            .clone()
            .unwrap_or_else(|| app.state.settings.storage.data_dir.join("objects"));
        let folder = objects.join(prefix.trim_end_matches('/'));
        assert!(!folder.exists(), "{} survived the purge", folder.display());
        assert!(
            objects.join("tenants").exists(),
            "other tenants' folders stay"
        );
    }
    // The contracts stay as history, ended with the tenant.
    let (status, contracts) = status_json(
        app.get(&format!("/api/v1/tenants/{}/contracts", s.id), &admin)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{contracts}");
    let items = contracts["items"]
        .as_array()
        .unwrap_or_else(|| contracts.as_array().unwrap());
    assert!(!items.is_empty());
    for c in items {
        assert_eq!(c["status"], "ended", "{c}");
        assert!(c["ended_at"].is_string(), "{c}");
    }
    // Personal data does not survive in the audit log either: phones are masked there.
    let audit = app
        .state
        .db
        .query_all_raw(Statement::from_sql_and_values(
            app.state.db.get_database_backend(),
            "SELECT summary FROM audit_events WHERE tenant_id = $1",
            [uuid::Uuid::parse_str(&s.id).unwrap().into()],
        ))
        .await
        .unwrap();
    for r in audit {
        let text = format!("{:?}", r.try_get::<Value>("", "summary").unwrap());
        assert!(
            !text.contains("13812341234"),
            "unmasked phone in the audit log: {text}"
        );
    }
    // The appid can be provisioned again; the client API no longer knows the old tenant.
    let res = app
        .client
        .get(app.url(&format!("/client/v1/{appid}/app")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    app.clock.set(local(2026, 3, 9, 10, 0));
    let again = shop(
        &app,
        &admin,
        &am_id,
        &plan,
        "shop.p2",
        "2026-03-09",
        "2027-03-08",
        Some(appid),
        None,
    )
    .await;
    assert_ne!(again.id, s.id);
    // Deleted: a renewal is a new provisioning — the old tenant answers 404.
    let (status, _) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{}/contracts", s.id),
            &admin,
            &json!({"payment_method": "bank_transfer"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
}

#[actix_web::test]
async fn four_schedulers_over_a_thousand_expiring_tenants_act_once_each() {
    if !crate::support::on_postgres() {
        // The claim is about concurrent instances; SQLite serves one instance.
        return;
    }
    let first = lifecycle_app(None).await;
    first.clock.set(local(2026, 1, 5, 9, 0));
    let mut apps = vec![];
    for _ in 0..3 {
        apps.push(builder().same_database_as(&first).spawn().await);
    }
    const N: usize = 1000;
    let end = date("2026-02-13");
    seed_expiring_tenants(&first, N, end).await;
    let all: Vec<&TestApp> = std::iter::once(&first).chain(apps.iter()).collect();
    let cal = WorkdayCalendar::embedded();
    let instants = [
        lifecycle::reminder_instant(end, 30),
        lifecycle::reminder_instant(end, 7),
        lifecycle::freeze_instant(end),
        lifecycle::delete_after(&cal, end).unwrap(),
    ];
    for at in instants {
        first.clock.set(at);
        // Every scheduler ticks the same minute at the same time, twice.
        for _ in 0..2 {
            let reports = futures_util::future::join_all(
                all.iter().map(|app| app.scheduler.tick(&app.state, at)),
            )
            .await;
            for r in reports {
                assert!(r.failed.is_empty(), "{:?}", r.failed);
            }
        }
        settle(&first).await;
    }
    assert_eq!(
        count(&first, "SELECT COUNT(*) AS n FROM reminder_ledger").await,
        2 * N as i64
    );
    assert_eq!(
        count(
            &first,
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'tenant.renewal_reminded'"
        )
        .await,
        2 * N as i64
    );
    assert_eq!(
        count(&first, "SELECT COUNT(*) AS n FROM (SELECT tenant_id FROM audit_events WHERE action = 'tenant.status_changed' AND summary::text LIKE '%term_ended%' GROUP BY tenant_id HAVING COUNT(*) = 1) x").await,
        N as i64,
        "each tenant frozen exactly once"
    );
    assert_eq!(
        count(&first, "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'tenant.status_changed' AND summary::text LIKE '%term_ended%'").await,
        N as i64
    );
    assert_eq!(
        count(
            &first,
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'tenant.purged'"
        )
        .await,
        N as i64,
        "each tenant purged exactly once"
    );
    assert_eq!(
        count(
            &first,
            "SELECT COUNT(*) AS n FROM tenants WHERE status = 'deleted'"
        )
        .await,
        N as i64
    );
    for app in apps {
        app.stop().await;
    }
}

/// `n` active tenants whose only contract ends on `end`, written through sea-orm (no HTTP).
async fn seed_expiring_tenants(app: &TestApp, n: usize, end: NaiveDate) {
    use sea_orm::ActiveValue::Set;
    let now = app.clock.now();
    let plan_id = uuid::Uuid::now_v7();
    let version_id = uuid::Uuid::now_v7();
    entity::plans::Entity::insert(entity::plans::ActiveModel {
        id: Set(plan_id),
        name: Set("seed".into()),
        retired_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_without_returning(&app.state.db)
    .await
    .unwrap();
    entity::plan_versions::Entity::insert(entity::plan_versions::ActiveModel {
        id: Set(version_id),
        plan_id: Set(plan_id),
        version: Set(1),
        apps: Set(json!(["pages"])),
        page_quota: Set(10),
        storage_quota_bytes: Set(1 << 20),
        client_rps: Set(10),
        sms_segments_per_year: Set(0),
        yearly_price_fen: Set(100_000),
        sms_overage_millifen: Set(0),
        sms_overage_allowed: Set(false),
        created_at: Set(now),
        created_by: Set(None),
    })
    .exec_without_returning(&app.state.db)
    .await
    .unwrap();
    for chunk in (0..n).collect::<Vec<_>>().chunks(200) {
        let ids: Vec<uuid::Uuid> = chunk.iter().map(|_| uuid::Uuid::now_v7()).collect();
        entity::tenants::Entity::insert_many(ids.iter().enumerate().map(|(i, id)| {
            entity::tenants::ActiveModel {
                id: Set(*id),
                business_name: Set(format!("seed shop {}", chunk[i])),
                status: Set("active".into()),
                plan_version_id: Set(Some(version_id)),
                term_end_date: Set(Some(end)),
                status_changed_at: Set(now),
                created_at: Set(now),
                updated_at: Set(now),
                ..Default::default()
            }
        }))
        .exec_without_returning(&app.state.db)
        .await
        .unwrap();
        let contract_ids: Vec<uuid::Uuid> = ids.iter().map(|_| uuid::Uuid::now_v7()).collect();
        entity::contracts::Entity::insert_many(ids.iter().zip(&contract_ids).map(
            |(id, contract)| entity::contracts::ActiveModel {
                id: Set(*contract),
                tenant_id: Set(*id),
                sequence: Set(1),
                plan_version_id: Set(version_id),
                start_date: Set(end - Duration::days(364)),
                end_date: Set(end),
                original_end_date: Set(None),
                list_amount_fen: Set(100_000),
                discount_fen: Set(0),
                amount_fen: Set(100_000),
                payment_method: Set("bank_transfer".into()),
                late_fee_bp_per_day: Set(0),
                overdue_tolerance_days: Set(3),
                notice_period_days: Set(30),
                activation_rule: Set("full_payment".into()),
                activated_at: Set(Some(now)),
                terminated_at: Set(None),
                termination_reference: Set(None),
                cancelled_at: Set(None),
                ended_at: Set(None),
                created_at: Set(now),
                created_by: Set(None),
            },
        ))
        .exec_without_returning(&app.state.db)
        .await
        .unwrap();
        entity::payments::Entity::insert_many(ids.iter().zip(&contract_ids).map(
            |(id, contract)| entity::payments::ActiveModel {
                id: Set(uuid::Uuid::now_v7()),
                contract_id: Set(*contract),
                tenant_id: Set(*id),
                amount_fen: Set(100_000),
                method: Set("bank_transfer".into()),
                reference: Set("seed".into()),
                paid_on: Set(end - Duration::days(364)),
                idempotency_key: Set(None),
                request_fingerprint: Set("seed".into()),
                recorded_at: Set(now),
                recorded_by: Set(None),
            },
        ))
        .exec_without_returning(&app.state.db)
        .await
        .unwrap();
    }
}

pub async fn count(app: &TestApp, sql: &str) -> i64 {
    let row = app
        .state
        .db
        .query_one_raw(Statement::from_string(
            app.state.db.get_database_backend(),
            sql.to_owned(),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get::<i64>("", "n").unwrap()
}

#[actix_web::test]
async fn notices_inbox_broadcast_and_the_planner() {
    let app = lifecycle_app(None).await;
    app.clock.set(local(2026, 1, 5, 9, 0));
    let admin = app.admin_session().await.access_token;
    let mut plans = Vec::new();
    for name in ["基础版", "高级版"] {
        let (_, plan) = status_json(
            app.post_json(
                "/api/v1/plans",
                &admin,
                &json!({"name": name, "terms": plan_terms(298_000)}),
            )
            .await,
        )
        .await;
        plans.push(plan["id"].as_str().unwrap().to_owned());
    }
    let (am_id, am) = staff_account(&app, &admin, "am.notice", "account_manager").await;
    let a = shop(
        &app,
        &admin,
        &am_id,
        &plans[0],
        "shop.n1",
        "2025-01-21",
        "2026-01-20",
        None,
        None,
    )
    .await;
    let b = shop(
        &app,
        &admin,
        &am_id,
        &plans[1],
        "shop.n2",
        "2026-01-05",
        "2027-01-04",
        None,
        None,
    )
    .await;

    // The planner: what the sweeps will do, and nothing done yet.
    let (status, plan) = status_json(app.get("/api/v1/lifecycle/plan?days=40", &am).await).await;
    assert_eq!(status, 200, "{plan}");
    let actions: Vec<(String, String, String)> = plan["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["actions"].as_array().unwrap().clone())
        .map(|x| {
            (
                x["action"].as_str().unwrap().to_owned(),
                x["at"].as_str().unwrap().to_owned(),
                x["tenant_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let for_a: Vec<(&str, &str)> = actions
        .iter()
        .filter(|(_, _, t)| *t == a.id)
        .map(|(k, at, _)| (k.as_str(), &at[..16]))
        .collect();
    assert_eq!(
        for_a,
        [
            // The 30-day offset had passed when the contract was made: skipped.
            ("reminder", "2026-01-13T02:00"),
            ("freeze", "2026-01-20T16:00"),
            ("purge", "2026-02-04T16:00"),
        ],
        "{plan}"
    );
    assert!(actions.iter().all(|(_, _, t)| *t != b.id), "{plan}");
    assert_eq!(
        count(&app, "SELECT COUNT(*) AS n FROM reminder_ledger").await,
        0
    );
    let (status, body) = status_json(app.get("/api/v1/lifecycle/plan?days=0", &am).await).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("days"))
    );
    let (status, _) = status_json(app.get("/api/v1/lifecycle/plan", &a.owner).await).await;
    assert_eq!(status, 403);
    // …and the sweeps then do exactly that.
    tick_at(&app, app.clock.now()).await;
    assert!(ledger(&app, &a.contract).await.is_empty());
    advance_to(&app, local(2026, 1, 21, 0, 1)).await;
    tick_at(&app, local(2026, 1, 21, 0, 1)).await;
    assert_eq!(ledger(&app, &a.contract).await, [7]);
    assert_eq!(
        audit_times(&app, &a.id, "tenant.renewal_reminded").await,
        ["2026-01-13T02:00"]
    );
    assert_eq!(
        tenant_row(&app, &a.id).await.frozen_at,
        Some(local(2026, 1, 21, 0, 0))
    );
    assert_eq!(
        tenant_row(&app, &a.id).await.delete_after,
        Some(local(2026, 2, 5, 0, 0))
    );

    // Inbox: the merchant's notices, unread count, marking read (own entries only).
    let (_, inbox) = status_json(app.get("/api/v1/inbox", &a.owner).await).await;
    let kinds: Vec<&str> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["frozen", "renewal_reminder"]);
    let (_, unread) = status_json(app.get("/api/v1/inbox/unread-count", &a.owner).await).await;
    assert_eq!(unread["unread"], 2);
    let first = inbox["items"][0]["id"].as_str().unwrap().to_owned();
    let (status, _) = status_json(
        app.post_empty(&format!("/api/v1/inbox/{first}/read"), &b.owner)
            .await,
    )
    .await;
    assert_eq!(status, 404, "another account's entry");
    let (status, marked) = status_json(
        app.post_empty(&format!("/api/v1/inbox/{first}/read"), &a.owner)
            .await,
    )
    .await;
    assert_eq!((status, marked["marked"].as_u64()), (200, Some(1)));
    let (_, marked) = status_json(
        app.post_empty(&format!("/api/v1/inbox/{first}/read"), &a.owner)
            .await,
    )
    .await;
    assert_eq!(marked["marked"], 0, "idempotent");
    let (_, page) = status_json(app.get("/api/v1/inbox?unread=true&limit=1", &a.owner).await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(page["unread"], 1);
    let (_, marked) = status_json(app.post_empty("/api/v1/inbox/read-all", &a.owner).await).await;
    assert_eq!(marked["marked"], 1);

    // Broadcast: agency admins only, validated, to one plan's tenants or all.
    let broadcast = |token: &str, body: Value| {
        let (app, token) = (&app, token.to_owned());
        async move {
            status_json(
                app.post_json("/api/v1/notifications/broadcast", &token, &body)
                    .await,
            )
            .await
        }
    };
    let (status, _) = broadcast(&am, json!({"title": "x", "text": "y"})).await;
    assert_eq!(status, 403);
    let (status, body) = broadcast(&admin, json!({"title": "", "text": "y"})).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("title"))
    );
    let (status, _) = broadcast(
        &admin,
        json!({"title": "高级版新功能", "text": "视频组件已上线。", "plan_id": plans[1]}),
    )
    .await;
    assert_eq!(status, 202);
    let (status, _) = broadcast(
        &admin,
        json!({"title": "春节客服安排", "text": "2 月 15 日至 23 日值班电话 400-000-0000。"}),
    )
    .await;
    assert_eq!(status, 202);
    settle(&app).await;
    let titles = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "broadcast")
            .map(|i| i["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, a_inbox) = status_json(app.get("/api/v1/inbox", &a.owner).await).await;
    let (_, b_inbox) = status_json(app.get("/api/v1/inbox", &b.owner).await).await;
    assert_eq!(titles(&a_inbox), ["春节客服安排"]);
    assert_eq!(titles(&b_inbox), ["春节客服安排", "高级版新功能"]);
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'notification.broadcast'"
        )
        .await,
        2
    );
}

async fn audit_times(app: &TestApp, tenant: &str, action: &str) -> Vec<String> {
    let rows = app
        .state
        .db
        .query_all_raw(Statement::from_sql_and_values(
            app.state.db.get_database_backend(),
            "SELECT occurred_at FROM audit_events WHERE tenant_id = $1 AND action = $2 ORDER BY occurred_at",
            [uuid::Uuid::parse_str(tenant).unwrap().into(), action.into()],
        ))
        .await
        .unwrap();
    rows.into_iter()
        .map(|r| {
            r.try_get::<DateTime<Utc>>("", "occurred_at")
                .unwrap()
                .to_rfc3339()[..16]
                .to_owned()
        })
        .collect()
}

#[test]
fn the_calendar_commands_answer_operators() {
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_weapp-builder"))
            .args(args)
            .env_remove("WEAPP__LIFECYCLE__CALENDAR_FILE")
            .output()
            .unwrap()
    };
    let out = run(&[
        "calendar",
        "days",
        "--from",
        "2026-02-13",
        "--to",
        "2026-02-16",
    ]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "2026-02-13 workday\n2026-02-14 makeup\n2026-02-15 holiday\n2026-02-16 holiday\n"
    );
    let out = run(&["calendar", "add-workdays", "2026-02-13", "10"]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "2026-03-05\n");
    let out = run(&["calendar", "add-workdays", "2026-12-25", "10"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("2027") && err.contains("outside the working-day calendar"),
        "{err}"
    );
}

#[actix_web::test]
async fn a_late_contract_skips_the_reminder_it_missed_and_states_the_real_days_left() {
    let app = lifecycle_app(None).await;
    app.clock.set(local(2026, 12, 7, 9, 0));
    let admin = app.admin_session().await.access_token;
    let plan = standard_plan(&app, &admin).await;
    let (am_id, _) = staff_account(&app, &admin, "am.late", "account_manager").await;
    // Provisioned 19 days before its end: the 30-day reminder's time had passed.
    let late = shop(
        &app,
        &admin,
        &am_id,
        &plan,
        "shop.late",
        "2026-12-07",
        "2026-12-26",
        None,
        None,
    )
    .await;
    tick_at(&app, local(2026, 12, 7, 10, 0)).await;
    tick_at(&app, local(2026, 12, 8, 10, 0)).await;
    assert!(
        notices(&app, Some(&late.id), "renewal_reminder")
            .await
            .is_empty(),
        "no late \"30 days\" reminder"
    );
    advance_to(&app, local(2026, 12, 19, 10, 1)).await;
    tick_at(&app, local(2026, 12, 19, 10, 1)).await;
    let sent = notices(&app, Some(&late.id), "renewal_reminder").await;
    assert_eq!(sent.len(), 1);
    assert!(sent[0].title.contains("还有 7 天"), "{}", sent[0].title);
    assert_eq!(ledger(&app, &late.contract).await, vec![7]);
}

#[actix_web::test]
async fn a_contract_that_already_ended_is_refused_unless_it_is_a_historical_import() {
    let app = lifecycle_app(None).await;
    app.clock.set(local(2026, 12, 7, 9, 0));
    let admin = app.admin_session().await.access_token;
    let plan = standard_plan(&app, &admin).await;
    let (am_id, _) = staff_account(&app, &admin, "am.past", "account_manager").await;
    // A typo: 2025 for 2026. It would freeze the merchant a minute after payment.
    let typo =
        json!({"start_date": "2025-12-06", "end_date": "2025-12-06", "payment_method": "cash"});
    let body = provision_body(&plan, Some(&am_id), "shop.typo", typo.clone());
    let (status, refused) =
        status_json(app.post_json("/api/v1/tenants", &admin, &body).await).await;
    assert_eq!(
        (status, refused["details"]["field"].as_str()),
        (422, Some("contract.end_date")),
        "{refused}"
    );
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .contains("historical_import"),
        "{refused}"
    );
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM tenants").await, 0);

    // Today is still fine; an import says what it is and is audited as one.
    let mut today = typo.clone();
    today["end_date"] = json!("2026-12-07");
    let body = provision_body(&plan, Some(&am_id), "shop.today", today);
    let (status, created) =
        status_json(app.post_json("/api/v1/tenants", &admin, &body).await).await;
    assert_eq!(status, 201, "{created}");
    let mut import = typo;
    import["historical_import"] = json!(true);
    let body = provision_body(&plan, Some(&am_id), "shop.import", import);
    let (status, created) =
        status_json(app.post_json("/api/v1/tenants", &admin, &body).await).await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        count(
            &app,
            "SELECT COUNT(*) AS n FROM audit_events WHERE action = 'tenant.provisioned'"
        )
        .await,
        2
    );
    let imported = app
        .state
        .db
        .query_one_raw(Statement::from_sql_and_values(
            app.state.db.get_database_backend(),
            "SELECT summary FROM audit_events WHERE action = 'tenant.provisioned' AND tenant_id = $1",
            [uuid::Uuid::parse_str(created["tenant"]["id"].as_str().unwrap())
                .unwrap()
                .into()],
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<Value>("", "summary")
        .unwrap();
    assert_eq!(imported["contract"]["historical_import"], true);

    // A renewal ending in the past is refused the same way.
    let active = shop(
        &app,
        &admin,
        &am_id,
        &plan,
        "shop.renew",
        "2026-12-07",
        "2027-12-06",
        None,
        None,
    )
    .await;
    let (status, refused) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{}/contracts", active.id),
            &admin,
            &json!({"end_date": "2026-01-01", "payment_method": "cash"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422, "{refused}");
    assert!(
        matches!(refused["details"]["field"].as_str(), Some("end_date")),
        "{refused}"
    );
}

#[actix_web::test]
async fn an_account_manager_is_asked_once_to_hand_over_sign_in_details_not_collected_in_a_working_day()
 {
    let app = lifecycle_app(None).await;
    // Friday afternoon; the next working day is Monday.
    app.clock.set(local(2026, 12, 4, 15, 0));
    let admin = app.admin_session().await.access_token;
    let plan = standard_plan(&app, &admin).await;
    let (am_id, am) = staff_account(&app, &admin, "am.handover", "account_manager").await;
    let contract = json!({"start_date": "2026-12-04", "payment_method": "cash"});
    let body = provision_body(&plan, Some(&am_id), "shop.silent", contract);
    let (status, silent) = status_json(app.post_json("/api/v1/tenants", &admin, &body).await).await;
    assert_eq!(status, 201, "{silent}");
    let silent_id = silent["tenant"]["id"].as_str().unwrap().to_owned();
    let password = silent["merchant_admin"]["one_time_password"]
        .as_str()
        .unwrap()
        .to_owned();
    // This one signs in.
    let busy = shop(
        &app,
        &admin,
        &am_id,
        &plan,
        "shop.busy",
        "2026-12-04",
        "2027-12-03",
        None,
        None,
    )
    .await;

    tick_at(&app, local(2026, 12, 5, 15, 0)).await;
    tick_at(&app, local(2026, 12, 7, 14, 59)).await;
    assert!(
        notices(&app, Some(&silent_id), "credentials_not_collected")
            .await
            .is_empty()
    );
    tick_at(&app, local(2026, 12, 7, 15, 0)).await;
    tick_at(&app, local(2026, 12, 8, 15, 0)).await;
    let sent = notices(&app, Some(&silent_id), "credentials_not_collected").await;
    assert_eq!(sent.len(), 1, "once");
    assert!(
        sent[0].body.contains("shop.silent") && !sent[0].body.contains(&password),
        "{}",
        sent[0].body
    );
    assert!(
        notices(&app, Some(&busy.id), "credentials_not_collected")
            .await
            .is_empty()
    );
    // To the account manager only.
    let (_, am_inbox) = status_json(app.get("/api/v1/inbox", &am).await).await;
    assert!(
        am_inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "credentials_not_collected"),
        "{am_inbox}"
    );
    let (_, admin_inbox) = status_json(app.get("/api/v1/inbox", &admin).await).await;
    assert!(
        !admin_inbox["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["kind"] == "credentials_not_collected"),
        "{admin_inbox}"
    );
    assert_eq!(sent[0].audience, "manager");
}
