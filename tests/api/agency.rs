//! Issue 3: the agency side, end to end over HTTP.

use crate::support::{TestApp, db, spawn_app, status_json};
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

/// 2026-03-02 10:00 Asia/Shanghai.
pub fn set_clock(app: &TestApp) {
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 3, 2, 2, 0, 0).unwrap());
}

pub fn plan_terms(price: i64) -> Value {
    json!({
        "apps": ["pages", "media", "store"],
        "page_quota": 50,
        "storage_quota_bytes": 1_073_741_824i64,
        "client_rps": 50,
        "sms_segments_per_year": 300_000,
        "yearly_price_fen": price,
        "sms_overage_millifen": 3_800,
        "sms_overage_allowed": true
    })
}

pub async fn create_plan(app: &TestApp, admin: &str, name: &str, price: i64) -> String {
    let (status, plan) = status_json(
        app.post_json(
            "/api/v1/plans",
            admin,
            &json!({ "name": name, "terms": plan_terms(price) }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    plan["id"].as_str().unwrap().to_owned()
}

/// Creates an account and signs it in with a chosen password; returns (id, access token).
pub async fn staff_account(
    app: &TestApp,
    admin: &str,
    username: &str,
    role: &str,
) -> (String, String) {
    let (status, created) = status_json(
        app.post_json(
            "/api/v1/staff",
            admin,
            &json!({ "username": username, "display_name": username, "role": role }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let otp = created["one_time_password"].as_str().unwrap();
    let token = first_login(app, username, otp).await;
    (created["account"]["id"].as_str().unwrap().to_owned(), token)
}

/// Signs in with a one-time password and changes it; returns the new access token.
pub async fn first_login(app: &TestApp, username: &str, otp: &str) -> String {
    let s = app.login(username, otp).await;
    let (status, changed) = status_json(
        app.post_json(
            "/api/v1/auth/password",
            &s.access_token,
            &json!({ "current_password": otp, "new_password": format!("{username} secret words") }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    changed["access_token"].as_str().unwrap().to_owned()
}

pub fn provision_body(
    plan: &str,
    manager: Option<&str>,
    admin_username: &str,
    contract: Value,
) -> Value {
    let mut body = json!({
        "business_name": format!("{admin_username} 的小店"),
        "contact": { "name": "李娜", "phone": "+86 138 1234 1234", "email": "li.na@example.cn" },
        "plan_id": plan,
        "merchant_admin_username": admin_username,
        "contract": contract,
    });
    if let Some(m) = manager {
        body["account_manager_id"] = json!(m);
    }
    body
}

/// The standard first contract: 2026-03-02 → 2027-03-01, 50/40/10 milestones.
pub fn standard_contract(activation_rule: &str) -> Value {
    json!({
        "start_date": "2026-03-02",
        "payment_method": "bank_transfer",
        "milestones": [
            { "label": "首付 50%", "amount_fen": 149_000, "due_date": "2026-03-02" },
            { "label": "二期 40%", "amount_fen": 119_200, "due_date": "2026-06-01" },
            { "label": "尾款 10%", "amount_fen": 29_800, "due_date": "2026-09-01" }
        ],
        "late_fee_bp_per_day": 5,
        "overdue_tolerance_days": 3,
        "activation_rule": activation_rule
    })
}

pub async fn pay(
    app: &TestApp,
    token: &str,
    tenant: &str,
    contract: &str,
    amount: i64,
    key: &str,
) -> (u16, Value) {
    pay_on(app, token, tenant, contract, amount, key, "2026-03-02").await
}

/// Records a payment that arrived on `paid_on`.
pub async fn pay_on(
    app: &TestApp,
    token: &str,
    tenant: &str,
    contract: &str,
    amount: i64,
    key: &str,
    paid_on: &str,
) -> (u16, Value) {
    let res = app
        .client
        .post(app.url(&format!(
            "/api/v1/tenants/{tenant}/contracts/{contract}/payments"
        )))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({
            "amount_fen": amount,
            "method": "bank_transfer",
            "reference": format!("ICBC-{key}"),
            "paid_on": paid_on
        }))
        .send()
        .await
        .unwrap();
    status_json(res).await
}

async fn create_editor(app: &TestApp, token: &str, tenant: &str, username: &str) -> (u16, Value) {
    status_json(
        app.post_json(
            &format!("/api/v1/tenants/{tenant}/editors"),
            token,
            &json!({ "username": username, "display_name": "小王" }),
        )
        .await,
    )
    .await
}

async fn tenant(app: &TestApp, token: &str, id: &str) -> Value {
    let (status, body) = status_json(app.get(&format!("/api/v1/tenants/{id}"), token).await).await;
    assert_eq!(status, 200, "{body}");
    body
}

#[actix_web::test]
async fn one_tenant_from_provisioning_to_early_termination() {
    let app = spawn_app().await;
    set_clock(&app);
    let admin = app.admin_session().await.access_token;
    let plan = create_plan(&app, &admin, "标准版", 298_000).await;
    let (_am_id, am) = staff_account(&app, &admin, "am.zhang", "account_manager").await;

    // Provision (by the account manager, for themself).
    let (status, created) = status_json(
        app.post_json(
            "/api/v1/tenants",
            &am,
            &provision_body(
                &plan,
                None,
                "haowei.admin",
                standard_contract("full_payment"),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let t = created["tenant"]["id"].as_str().unwrap().to_owned();
    let c1 = created["contract"]["id"].as_str().unwrap().to_owned();
    assert_eq!(created["tenant"]["status"], "pending");
    assert_eq!(
        created["tenant"]["contact"]["phone"], "13812341234",
        "staff see the full number"
    );
    assert_eq!(created["contract"]["amount_fen"], 298_000);
    assert_eq!(created["contract"]["end_date"], "2027-03-01");
    assert_eq!(created["tenant"]["outstanding_fen"], 298_000);
    let otp = created["merchant_admin"]["one_time_password"]
        .as_str()
        .unwrap()
        .to_owned();
    for line in db::all_rows_as_text(&app.state.db).await {
        assert!(
            !line.contains(&otp),
            "the one-time password is stored in plaintext: {line}"
        );
    }

    // Pending: the merchant signs in and changes the password, but cannot write.
    let merchant = first_login(&app, "haowei.admin", &otp).await;
    let (status, body) = create_editor(&app, &merchant, &t, "haowei.editor1").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("tenant_pending"))
    );

    // First milestone paid: still pending under full_payment.
    let (status, paid) = pay(&app, &am, &t, &c1, 149_000, "p1").await;
    assert_eq!(status, 201, "{paid}");
    assert_eq!(paid["contract"]["outstanding_fen"], 149_000);
    assert_eq!(paid["contract"]["next_due"]["remaining_fen"], 119_200);
    assert_eq!(tenant(&app, &admin, &t).await["status"], "pending");

    // Fully paid: active; the editor is created.
    let (status, _) = pay(&app, &am, &t, &c1, 149_000, "p2").await;
    assert_eq!(status, 201);
    assert_eq!(tenant(&app, &admin, &t).await["status"], "active");
    app.state
        .principals
        .invalidate_tenant(weapp_builder::domain::ids::TenantId(t.parse().unwrap()));
    let (status, editor) = create_editor(&app, &merchant, &t, "haowei.editor1").await;
    assert_eq!(status, 201, "{editor}");

    // Takedown hold: merchant writes refused.
    let (status, _) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{t}/holds/takedown"),
            &admin,
            &json!({"reason": "违规内容"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = create_editor(&app, &merchant, &t, "haowei.editor2").await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("tenant_on_hold"))
    );
    assert_eq!(body["details"]["holds"], json!(["takedown"]));

    // A renewal whose payment is due 2026-03-10 with 3 days' tolerance; on 03-14 the daily
    // sweep sets the overdue hold.
    let (status, renewal) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{t}/contracts"),
            &am,
            &json!({
                "payment_method": "bank_transfer",
                "milestones": [{ "amount_fen": 298_000, "due_date": "2026-03-10" }],
                "overdue_tolerance_days": 3
            }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{renewal}");
    assert_eq!(renewal["quota_warnings"], json!([]));
    let renewal = &renewal["contract"];
    assert_eq!(
        renewal["start_date"], "2027-03-02",
        "a renewal starts the day after the end date"
    );
    assert_eq!(renewal["status"], "pending");
    let c2 = renewal["id"].as_str().unwrap().to_owned();
    let march_13 = Utc.with_ymd_and_hms(2026, 3, 13, 2, 0, 0).unwrap();
    app.clock.set(march_13);
    app.scheduler.tick(&app.state, march_13).await;
    let holds = entity::tenant_holds::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(holds.len(), 1, "3 days late: within tolerance");
    let march_14 = Utc.with_ymd_and_hms(2026, 3, 14, 2, 0, 0).unwrap();
    app.clock.set(march_14);
    let report = app.scheduler.tick(&app.state, march_14).await;
    // Twelve days passed: sign in again.
    let admin = app
        .login("admin", crate::support::TEST_PASSWORD)
        .await
        .access_token;
    let am = app
        .login("am.zhang", "am.zhang secret words")
        .await
        .access_token;
    let merchant = app
        .login("haowei.admin", "haowei.admin secret words")
        .await
        .access_token;
    assert!(report.failed.is_empty(), "{report:?}");
    let holds: Vec<String> = tenant(&app, &admin, &t).await["holds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(holds, vec!["overdue", "takedown"]);

    // Paying the renewal lifts the overdue hold and renews; the takedown stays.
    let (status, paid) = pay(&app, &am, &t, &c2, 298_000, "p3").await;
    assert_eq!(status, 201, "{paid}");
    assert_eq!(paid["contract"]["status"], "active");
    let view = tenant(&app, &admin, &t).await;
    assert_eq!(view["holds"].as_array().unwrap().len(), 1);
    assert_eq!(
        view["holds"][0]["kind"], "takedown",
        "paying never lifts a takedown"
    );
    assert_eq!(view["term_end_date"], "2028-03-01");
    let (status, body) = create_editor(&app, &merchant, &t, "haowei.editor2").await;
    assert_eq!(
        (status, body["details"]["holds"].clone()),
        (403, json!(["takedown"]))
    );

    // Only the admin lifts the takedown.
    let (status, _) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{t}/holds/takedown/lift"),
            &am,
            &json!({"reason": "x"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{t}/holds/takedown/lift"),
            &admin,
            &json!({"reason": "已整改"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let (status, _) = create_editor(&app, &merchant, &t, "haowei.editor2").await;
    assert_eq!(status, 201);

    // Early termination: no earlier than today (03-14) + 30 days; it ends the first term and
    // cancels the renewal.
    let (status, body) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{t}/termination"),
            &am,
            &json!({"effective_date": "2026-04-12", "reference": "商户来函 2026-03-14"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["details"]["earliest"].as_str()),
        (422, Some("2026-04-13"))
    );
    let (status, terminated) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{t}/termination"),
            &am,
            &json!({"effective_date": "2026-04-13", "reference": "商户来函 2026-03-14"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{terminated}");
    assert_eq!(terminated["end_date"], "2026-04-13");
    assert_eq!(terminated["original_end_date"], "2027-03-01");
    assert_eq!(
        tenant(&app, &admin, &t).await["term_end_date"],
        "2026-04-13"
    );
    let (_, contracts) = status_json(
        app.get(&format!("/api/v1/tenants/{t}/contracts"), &merchant)
            .await,
    )
    .await;
    assert_eq!(contracts["items"][1]["status"], "cancelled");
    assert_eq!(contracts["items"][0]["status"], "terminated");

    // The audit log holds every step with its actor and request.
    let (status, page) = status_json(
        app.get(
            &format!("/api/v1/audit-events?tenant_id={t}&limit=200"),
            &admin,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let events = page["items"].as_array().unwrap();
    let mut actions: Vec<&str> = events
        .iter()
        .rev()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    actions.dedup();
    for expected in [
        "tenant.provisioned",
        "account.password_changed",
        "payment.recorded",
        "contract.activated",
        "tenant.status_changed",
        "editor.created",
        "tenant.hold_set",
        "contract.created",
        "tenant.renewed",
        "tenant.hold_lifted",
        "contract.terminated",
    ] {
        assert!(
            actions.contains(&expected),
            "audit lacks {expected}: {actions:?}"
        );
    }
    for e in events {
        if e["actor_role"] == "system" {
            assert_eq!(
                e["action"], "tenant.hold_set",
                "only the sweep acts as system here"
            );
        } else {
            assert!(
                e["actor_name"].is_string() && e["request_id"].is_string(),
                "{e}"
            );
        }
    }
    let overdue_set = events
        .iter()
        .find(|e| {
            e["action"] == "tenant.hold_set"
                && e["summary"]["after"]["holds"] == json!(["overdue", "takedown"])
        })
        .expect("the overdue hold is audited");
    assert_eq!(overdue_set["summary"]["cause"], "milestone_overdue");
    let state_changes = events
        .iter()
        .filter(|e| {
            matches!(
                e["action"].as_str(),
                Some("tenant.status_changed" | "tenant.hold_set" | "tenant.hold_lifted")
            )
        })
        .count();
    assert_eq!(
        state_changes, 5,
        "activation, takedown set, overdue set, overdue lifted, takedown lifted"
    );
    // Each change emitted its outbox event, which the worker consumed.
    let ok = crate::support::wait_until(std::time::Duration::from_secs(10), || async {
        entity::jobs::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .iter()
            .filter(|j| j.kind == "tenant.state_changed")
            .all(|j| j.status == "done")
    })
    .await;
    assert!(ok, "outbox events are processed");
}

use sea_orm::EntityTrait;
