//! Issue 3 acceptance points 3 and 4, and the rules around plans, contacts and lists.

use crate::agency::{
    create_plan, pay, plan_terms, provision_body, set_clock, staff_account, standard_contract,
};
use crate::support::{TestApp, spawn_app, status_json};
use chrono::{TimeZone, Utc};
use entity::{audit_events, contracts, tenants, users};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

async fn provision(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    status_json(app.post_json("/api/v1/tenants", token, body).await).await
}

async fn setup() -> (TestApp, String, String, String) {
    let app = spawn_app().await;
    set_clock(&app);
    let admin = app.admin_session().await.access_token;
    let plan = create_plan(&app, &admin, "标准版", 298_000).await;
    let (am_id, _) = staff_account(&app, &admin, "am.money", "account_manager").await;
    (app, admin, plan, am_id)
}

#[actix_web::test]
async fn money_is_integer_fen_and_bad_amounts_name_their_field() {
    let (app, admin, plan, am) = setup().await;
    // Milestones that do not sum to the amount.
    let mut contract = standard_contract("full_payment");
    contract["milestones"][2]["amount_fen"] = json!(29_799);
    let (status, body) = provision(
        &app,
        &admin,
        &provision_body(&plan, Some(&am), "bad.sum", contract),
    )
    .await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("contract.milestones"))
    );
    assert_eq!(body["details"]["sum_fen"], 297_999);
    // End before start.
    let contract =
        json!({"start_date": "2026-03-02", "end_date": "2026-03-01", "payment_method": "cash"});
    let (status, body) = provision(
        &app,
        &admin,
        &provision_body(&plan, Some(&am), "bad.end", contract),
    )
    .await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("contract.end_date"))
    );
    // Unknown payment method.
    let contract = json!({"start_date": "2026-03-02", "payment_method": "alipay"});
    let (status, body) = provision(
        &app,
        &admin,
        &provision_body(&plan, Some(&am), "bad.method", contract),
    )
    .await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("contract.payment_method"))
    );
    // A fractional amount is not fen.
    let mut contract = standard_contract("full_payment");
    contract["milestones"][0]["amount_fen"] = json!(149_000.5);
    let (status, body) = provision(
        &app,
        &admin,
        &provision_body(&plan, Some(&am), "bad.float", contract),
    )
    .await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("contract.milestones[0].amount_fen"))
    );
    // Nothing of the refused requests was stored.
    assert_eq!(
        tenants::Entity::find().count(&app.state.db).await.unwrap(),
        0
    );

    // A good one: one year at the list price, and 1 year + 30 days prorated half up.
    let contract = json!({"start_date": "2026-03-02", "end_date": "2027-03-31", "payment_method": "cash", "discount_fen": 2_493});
    let (status, created) = provision(
        &app,
        &admin,
        &provision_body(&plan, Some(&am), "good.shop", contract),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(
        created["contract"]["list_amount_fen"], 322_493,
        "298,000 + 298,000 × 30 / 365"
    );
    assert_eq!(created["contract"]["amount_fen"], 320_000);
    let t = created["tenant"]["id"].as_str().unwrap().to_owned();
    let c = created["contract"]["id"].as_str().unwrap().to_owned();

    let payment = |amount: Value, method: &str| json!({"amount_fen": amount, "method": method, "reference": "R", "paid_on": "2026-03-02"});
    let path = format!("/api/v1/tenants/{t}/contracts/{c}/payments");
    for (body, field) in [
        (payment(json!(320_001), "cash"), "amount_fen"),
        (payment(json!(-5), "cash"), "amount_fen"),
        (payment(json!(0), "cash"), "amount_fen"),
        (payment(json!(10), "wechat_pay"), "method"),
        (
            json!({"amount_fen": 10, "method": "cash", "reference": "R", "paid_on": "2026-03-03"}),
            "paid_on",
        ),
    ] {
        let (status, err) = status_json(app.post_json(&path, &admin, &body).await).await;
        assert_eq!(
            (status, err["details"]["field"].as_str()),
            (422, Some(field)),
            "{body}"
        );
    }
    let (status, err) = status_json(
        app.post_json(&path, &admin, &payment(json!(320_001), "cash"))
            .await,
    )
    .await;
    assert_eq!(
        (status, err["details"]["outstanding_fen"].as_i64()),
        (422, Some(320_000))
    );

    // The same idempotency key records once; another body under it is refused.
    let (status, first) = pay(&app, &admin, &t, &c, 100_000, "retry-me").await;
    assert_eq!(status, 201);
    let res = app
        .client
        .post(app.url(&path))
        .bearer_auth(&admin)
        .header("Idempotency-Key", "retry-me")
        .json(&json!({"amount_fen": 100_000, "method": "bank_transfer", "reference": "ICBC-retry-me", "paid_on": "2026-03-02"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["idempotent-replayed"], "true");
    let (status, again) = status_json(res).await;
    assert_eq!(status, 200);
    assert_eq!(again["payment"]["id"], first["payment"]["id"]);
    let (status, err) = pay(&app, &admin, &t, &c, 5_000, "retry-me").await;
    assert_eq!(
        (status, err["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );
    assert_eq!(
        entity::payments::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        audit_events::Entity::find()
            .filter(audit_events::Column::Action.eq("payment.recorded"))
            .count(&app.state.db)
            .await
            .unwrap(),
        1
    );
}

#[actix_web::test]
async fn late_fee_of_a_worked_example_matches_to_the_fen() {
    let (app, admin, plan, am) = setup().await;
    // 298,000 fen in two milestones; 5 bp/day. Milestone 1 (149,000, due 03-02) gets
    // 49,000 on 03-06: unpaid 149,000 for 03-03..03-05 (3 days) and 100,000 for
    // 03-06..03-12 (7 days) by 03-12.
    // (3 × 149,000 + 7 × 100,000) × 5 = 5,735,000 fen·bp → 573.5 → 573 fen.
    let contract = json!({
        "start_date": "2026-03-02", "payment_method": "bank_transfer", "late_fee_bp_per_day": 5,
        "milestones": [
            {"amount_fen": 149_000, "due_date": "2026-03-02"},
            {"amount_fen": 149_000, "due_date": "2026-09-02"}
        ]
    });
    let (_, created) = provision(
        &app,
        &admin,
        &provision_body(&plan, Some(&am), "late.payer", contract),
    )
    .await;
    let t = created["tenant"]["id"].as_str().unwrap().to_owned();
    let c = created["contract"]["id"].as_str().unwrap().to_owned();
    app.clock
        .set(Utc.with_ymd_and_hms(2026, 3, 12, 4, 0, 0).unwrap());
    let admin = app
        .login("admin", crate::support::TEST_PASSWORD)
        .await
        .access_token;
    let (status, paid) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{t}/contracts/{c}/payments"),
            &admin,
            &json!({"amount_fen": 49_000, "method": "cash", "reference": "late", "paid_on": "2026-03-06"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{paid}");
    assert_eq!(paid["contract"]["late_fee_fen"], 573);
    assert_eq!(
        paid["contract"]["overdue"], false,
        "10 days late is within the default 15 days' tolerance"
    );
}

#[actix_web::test]
async fn provisioning_is_atomic() {
    let (app, admin, plan, am) = setup().await;
    app.state
        .faults
        .arm(weapp_builder::services::tenants::PROVISION_FAULT);
    let body = provision_body(
        &plan,
        Some(&am),
        "atomic.shop",
        standard_contract("full_payment"),
    );
    let (status, err) = provision(&app, &admin, &body).await;
    assert_eq!(
        (status, err["code"].as_str()),
        (500, Some("internal_error"))
    );
    assert_eq!(
        tenants::Entity::find().count(&app.state.db).await.unwrap(),
        0
    );
    assert_eq!(
        contracts::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        entity::contract_milestones::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    assert!(
        users::Entity::find()
            .filter(users::Column::Username.eq("atomic.shop"))
            .one(&app.state.db)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        audit_events::Entity::find()
            .filter(audit_events::Column::Action.eq("tenant.provisioned"))
            .count(&app.state.db)
            .await
            .unwrap(),
        0
    );
    // Nothing was left behind: the same request now succeeds.
    let (status, _) = provision(&app, &admin, &body).await;
    assert_eq!(status, 201);
}

#[actix_web::test]
async fn plan_versions_retirement_and_deletion() {
    let (app, admin, plan, am) = setup().await;
    let (_, created) = provision(
        &app,
        &admin,
        &provision_body(
            &plan,
            Some(&am),
            "keeps.price",
            standard_contract("first_milestone"),
        ),
    )
    .await;
    let t = created["tenant"]["id"].as_str().unwrap().to_owned();
    let (status, v2) = status_json(
        app.post_json(
            &format!("/api/v1/plans/{plan}/versions"),
            &admin,
            &plan_terms(328_000),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(v2["current"]["version"], 2);
    assert_eq!(v2["versions"].as_array().unwrap().len(), 2);
    // The tenant keeps version 1 until it renews; the renewal is at the current price.
    let (_, view) = status_json(app.get(&format!("/api/v1/tenants/{t}"), &admin).await).await;
    assert_eq!(view["plan_version"], 1);
    let (status, renewal) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{t}/contracts"),
            &admin,
            &json!({"payment_method": "cash"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{renewal}");
    let renewal = &renewal["contract"];
    assert_eq!(
        (
            renewal["plan_version"].as_i64(),
            renewal["amount_fen"].as_i64()
        ),
        (Some(2), Some(328_000))
    );

    // Deleting a plan in use is refused; an unused one goes.
    let (status, err) = status_json(
        app.client
            .delete(app.url(&format!("/api/v1/plans/{plan}")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, err["code"].as_str()), (409, Some("in_use")));
    let unused = create_plan(&app, &admin, "试用版", 0).await;
    assert_eq!(
        app.client
            .delete(app.url(&format!("/api/v1/plans/{unused}")))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap()
            .status(),
        204
    );

    // A retired plan is not sold.
    let (status, _) = status_json(
        app.post_empty(&format!("/api/v1/plans/{plan}/retire"), &admin)
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let (status, err) = provision(
        &app,
        &admin,
        &provision_body(
            &plan,
            Some(&am),
            "too.late",
            standard_contract("full_payment"),
        ),
    )
    .await;
    assert_eq!(
        (status, err["details"]["field"].as_str()),
        (422, Some("plan_id"))
    );
    let (_, list) = status_json(app.get("/api/v1/plans", &admin).await).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);
    let (_, list) = status_json(app.get("/api/v1/plans?include_retired=true", &admin).await).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    // Terms are validated.
    let mut bad = plan_terms(1);
    bad["apps"] = json!(["pages", "blockchain"]);
    let (status, err) = status_json(
        app.post_json("/api/v1/plans", &admin, &json!({"name": "x", "terms": bad}))
            .await,
    )
    .await;
    assert_eq!(
        (status, err["details"]["field"].as_str()),
        (422, Some("terms.apps[1]"))
    );
    // A new version's body is the terms themselves.
    bad["apps"] = json!(["pages"]);
    bad["page_quota"] = json!(0);
    let (status, err) = status_json(
        app.post_json(&format!("/api/v1/plans/{plan}/versions"), &admin, &bad)
            .await,
    )
    .await;
    assert_eq!(
        (status, err["details"]["field"].as_str()),
        (422, Some("page_quota"))
    );
}

#[actix_web::test]
async fn contact_history_masks_phones_and_lists_filter() {
    let (app, admin, plan, am) = setup().await;
    let (am2, am2_token) = staff_account(&app, &admin, "am.other", "account_manager").await;
    let (_, a) = provision(
        &app,
        &admin,
        &provision_body(
            &plan,
            Some(&am),
            "shop.one",
            standard_contract("first_milestone"),
        ),
    )
    .await;
    let (_, b) = provision(
        &app,
        &admin,
        &provision_body(
            &plan,
            Some(&am2),
            "shop.two",
            standard_contract("first_milestone"),
        ),
    )
    .await;
    let ta = a["tenant"]["id"].as_str().unwrap().to_owned();
    let tb = b["tenant"]["id"].as_str().unwrap().to_owned();
    let (status, view) = status_json(
        app.client
            .patch(app.url(&format!("/api/v1/tenants/{ta}/contact")))
            .bearer_auth(&admin)
            .json(&json!({"phone": "13998765432", "name": "王强"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(view["contact"]["phone"], "13998765432");
    let (_, history) = status_json(
        app.get(&format!("/api/v1/tenants/{ta}/contact-history"), &admin)
            .await,
    )
    .await;
    let entry = &history["items"][0];
    assert_eq!(entry["before"]["phone"], "138****1234");
    assert_eq!(entry["after"]["phone"], "139****5432");
    assert_eq!(entry["changed_by_name"], "admin");
    let audit = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq("tenant.contact_changed"))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let text = audit.summary.to_string();
    assert!(
        !text.contains("13998765432") && !text.contains("13812341234"),
        "{text}"
    );
    let (status, err) = status_json(
        app.client
            .patch(app.url(&format!("/api/v1/tenants/{ta}/contact")))
            .bearer_auth(&admin)
            .json(&json!({"phone": "12345"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, err["details"]["field"].as_str()),
        (422, Some("phone"))
    );

    // Activate A and put B on takedown; filter the list.
    let ca = a["contract"]["id"].as_str().unwrap();
    pay(&app, &admin, &ta, ca, 149_000, "a1").await;
    app.post_json(
        &format!("/api/v1/tenants/{tb}/holds/takedown"),
        &admin,
        &json!({"reason": "x"}),
    )
    .await;
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (_, page) = status_json(app.get("/api/v1/tenants?status=active", &admin).await).await;
    assert_eq!(ids(&page), vec![ta.clone()]);
    assert_eq!(page["items"][0]["outstanding_fen"], 149_000);
    let (_, page) = status_json(app.get("/api/v1/tenants?hold=takedown", &admin).await).await;
    assert_eq!(ids(&page), vec![tb.clone()]);
    let (_, page) = status_json(
        app.get(&format!("/api/v1/tenants?account_manager_id={am2}"), &admin)
            .await,
    )
    .await;
    assert_eq!(ids(&page), vec![tb.clone()]);
    let (_, page) = status_json(
        app.get("/api/v1/tenants?ends_within_days=363", &admin)
            .await,
    )
    .await;
    assert!(
        ids(&page).is_empty(),
        "terms end 2027-03-01, 364 days after 2026-03-02"
    );
    let (_, page) = status_json(
        app.get("/api/v1/tenants?ends_within_days=364", &admin)
            .await,
    )
    .await;
    assert_eq!(ids(&page).len(), 2);
    let (_, page) = status_json(app.get("/api/v1/tenants?limit=1", &admin).await).await;
    assert_eq!(ids(&page), vec![ta.clone()]);
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, page) = status_json(
        app.get(&format!("/api/v1/tenants?limit=1&cursor={cursor}"), &admin)
            .await,
    )
    .await;
    assert_eq!(ids(&page), vec![tb.clone()]);
    assert!(page["next_cursor"].is_null());
    // An account manager sees only assigned tenants, in the list and in the audit log.
    let (_, page) = status_json(app.get("/api/v1/tenants", &am2_token).await).await;
    assert_eq!(ids(&page), vec![tb.clone()]);
    let (_, page) = status_json(app.get("/api/v1/audit-events?limit=200", &am2_token).await).await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["tenant_id"] == json!(tb))
    );
    assert!(!page["items"].as_array().unwrap().is_empty());
    // Another manager's tenant is not found, as on every tenant route (not an empty 200).
    let (status, body) = status_json(
        app.get(&format!("/api/v1/audit-events?tenant_id={ta}"), &am2_token)
            .await,
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    let (_, page) = status_json(app.get("/api/v1/audit-events?action=tenant.", &admin).await).await;
    assert!(
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["action"].as_str().unwrap().starts_with("tenant."))
    );
    // An account manager cannot provision for someone else.
    let (status, _) = provision(
        &app,
        &am2_token,
        &provision_body(
            &plan,
            Some(&am),
            "not.mine",
            standard_contract("full_payment"),
        ),
    )
    .await;
    assert_eq!(status, 403);
}

#[actix_web::test]
async fn the_overdue_sweep_runs_once_a_day_and_lifts_when_paid() {
    let (app, admin, plan, am) = setup().await;
    let (_, a) = provision(
        &app,
        &admin,
        &provision_body(
            &plan,
            Some(&am),
            "sweep.shop",
            standard_contract("first_milestone"),
        ),
    )
    .await;
    let t = a["tenant"]["id"].as_str().unwrap().to_owned();
    let c = a["contract"]["id"].as_str().unwrap().to_owned();
    pay(&app, &admin, &t, &c, 149_000, "first").await;
    // Milestone 2 is due 2026-06-01 with 3 days' tolerance: held from 06-05.
    let june_4 = Utc.with_ymd_and_hms(2026, 6, 4, 1, 0, 0).unwrap();
    app.clock.set(june_4);
    app.scheduler.tick(&app.state, june_4).await;
    let holds = || async {
        entity::tenant_holds::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap()
    };
    assert_eq!(holds().await, 0);
    let june_5 = Utc.with_ymd_and_hms(2026, 6, 4, 16, 0, 0).unwrap(); // 00:00 Shanghai
    for _ in 0..3 {
        let report = app.scheduler.tick(&app.state, june_5).await;
        assert!(report.failed.is_empty());
    }
    assert_eq!(holds().await, 1);
    let set_events = audit_events::Entity::find()
        .filter(audit_events::Column::Action.eq("tenant.hold_set"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(set_events, 1, "the same day's sweep applies once");
    assert!(
        entity::sweep_marks::Entity::find()
            .count(&app.state.db)
            .await
            .unwrap()
            >= 2
    );
    // Paying the milestone lifts it at once.
    app.clock.set(june_5 + chrono::Duration::hours(2));
    let admin = app
        .login("admin", crate::support::TEST_PASSWORD)
        .await
        .access_token;
    let (status, _) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{t}/contracts/{c}/payments"),
            &admin,
            &json!({"amount_fen": 119_200, "method": "cash", "reference": "R2", "paid_on": "2026-06-05"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(holds().await, 0);
}

#[actix_web::test]
async fn amounts_and_quotas_beyond_their_documented_bounds_are_refused() {
    let (app, admin, plan, am) = setup().await;
    // A price near i64::MAX once made the late fee wrap to a negative amount; now every
    // amount and quota has an upper bound, and a value beyond it names its field.
    for (field, value) in [
        ("yearly_price_fen", json!(9_000_000_000_000_000_000i64)),
        ("yearly_price_fen", json!(10_000_000_001i64)),
        ("page_quota", json!(10_001)),
        ("storage_quota_bytes", json!(1_099_511_627_777i64)),
        ("client_rps", json!(100_001)),
        ("sms_segments_per_year", json!(100_000_001)),
        ("sms_overage_millifen", json!(1_000_001)),
    ] {
        let mut terms = plan_terms(298_000);
        terms[field] = value;
        let (status, body) = status_json(
            app.post_json(
                "/api/v1/plans",
                &admin,
                &json!({"name": format!("大 {field}"), "terms": terms}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, body["details"]["field"].as_str()),
            (422, Some(format!("terms.{field}").as_str())),
            "{body}"
        );
    }
    let mut contract = standard_contract("full_payment");
    contract["milestones"][0]["amount_fen"] = json!(10_000_000_001i64);
    let (status, body) = provision(
        &app,
        &admin,
        &provision_body(&plan, Some(&am), "big.milestone", contract),
    )
    .await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("contract.milestones[0].amount_fen")),
        "{body}"
    );
    // At the bound itself a plan is fine.
    let mut terms = plan_terms(10_000_000_000);
    terms["page_quota"] = json!(10_000);
    let (status, body) = status_json(
        app.post_json(
            "/api/v1/plans",
            &admin,
            &json!({"name": "旗舰版", "terms": terms}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{body}");
}
