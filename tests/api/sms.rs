//! Issue 9: SMS — the Tencent adapter against the fake provider, batches with per-number
//! statuses and receipts, segments, the yearly pack and overage, statistics, retention
//! and notices by SMS.

use crate::lifecycle::{local, settle};
use crate::pages::{Agency, agency, paid_tenant};
use crate::support::sms::{RECEIPT_TOKEN, SDK_APP_ID, SECRET_ID, SECRET_KEY, start_fake};
use crate::support::{TestApp, builder, status_json, wait_until};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use std::time::Duration;
use weapp_builder::sms::{ProviderError, SendRequest, SmsProvider, TencentConfig, TencentSms};
use weapp_builder::sms_fake::{FakeSmsServer, RequestFault};

const ORDER_TEXT: &str = "您的订单{1}已发货，请留意查收。如有疑问请联系门店客服，我们会尽快为您处理，感谢您的支持与信任，祝您生活愉快，期待您再次光临本店，谢谢！";

async fn sms_app(fake: &FakeSmsServer) -> TestApp {
    let app = builder()
        .settings(|s| {
            s.auth.access_token_ttl_secs = 3 * 365 * 24 * 3600;
            s.auth.session_ttl_days = 3 * 365;
        })
        .sms(&fake.base_url)
        .job_workers(2)
        .spawn()
        .await;
    fake.set_receipt_url(Some(app.url(&format!("/sms/receipts/{RECEIPT_TOKEN}"))));
    app
}

fn terms(pack: i64, overage_allowed: bool, overage_millifen: i64) -> Value {
    json!({
        "apps": ["pages", "sms"],
        "page_quota": 10,
        "storage_quota_bytes": 1_048_576,
        "client_rps": 50,
        "sms_segments_per_year": pack,
        "yearly_price_fen": 100_000,
        "sms_overage_millifen": overage_millifen,
        "sms_overage_allowed": overage_allowed
    })
}

/// A tenant paid in full for `start..=end`; returns (tenant id, merchant admin token).
async fn tenant(
    app: &TestApp,
    agency: &Agency,
    terms: Value,
    name: &str,
    start: &str,
    end: &str,
) -> (String, String) {
    let contract = json!({"start_date": start, "end_date": end, "payment_method": "bank_transfer", "activation_rule": "full_payment"});
    paid_tenant(app, agency, terms, name, contract, None).await
}

/// A tenant for the standard term 2026-03-02 → 2027-03-01.
async fn shop(app: &TestApp, agency: &Agency, terms: Value, name: &str) -> (String, String) {
    tenant(app, agency, terms, name, "2026-03-02", "2027-03-01").await
}

/// A one-segment verification-code template.
async fn code_template(app: &TestApp, admin: &str, provider_id: &str) -> String {
    template(
        app,
        admin,
        json!({"name": "验证码", "provider_template_id": provider_id, "text": "您的验证码是{1}",
               "params": [{"name": "code", "max_chars": 6, "digits_only": true}], "usage": "merchant"}),
    )
    .await
}

async fn template(app: &TestApp, admin: &str, body: Value) -> String {
    let (status, created) =
        status_json(app.post_json("/api/v1/sms/templates", admin, &body).await).await;
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

async fn order_template(app: &TestApp, admin: &str) -> String {
    template(
        app,
        admin,
        json!({"name": "发货通知", "provider_template_id": "1110", "text": ORDER_TEXT,
                "params": [{"name": "order_no", "max_chars": 12}], "usage": "merchant"}),
    )
    .await
}

async fn send(
    app: &TestApp,
    owner: &str,
    template: &str,
    params: Value,
    phones: &[String],
) -> (u16, Value) {
    status_json(
        app.post_json(
            "/api/v1/sms/messages",
            owner,
            &json!({"template_id": template, "params": params, "phone_numbers": phones}),
        )
        .await,
    )
    .await
}

fn numbers(from: u64, n: u64) -> Vec<String> {
    (from..from + n).map(|i| format!("+86139{i:08}")).collect()
}

/// Waits until no message of the batch is queued, sending or (with `receipts`) waiting
/// for its receipt; returns the batch view.
async fn finished(app: &TestApp, owner: &str, batch: &str, receipts: bool) -> Value {
    let open_states: &[&str] = if receipts {
        &["queued", "sending", "submitted"]
    } else {
        &["queued", "sending"]
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (_, view) = status_json(
            app.get(&format!("/api/v1/sms/batches/{batch}"), owner)
                .await,
        )
        .await;
        let open: i64 = open_states
            .iter()
            .map(|s| view["statuses"][*s].as_i64().unwrap_or(0))
            .sum();
        if open == 0 {
            return view;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "batch did not finish: {view:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn report(app: &TestApp, token: &str, query: &str) -> Value {
    let (status, body) = status_json(
        app.get(&format!("/api/v1/reports/sms?{query}"), token)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[actix_web::test]
async fn a_batch_ends_with_exact_statuses_receipts_applied_once_and_the_pack_charged_by_segment() {
    let fake = start_fake().await;
    fake.duplicate_receipts(true);
    let app = sms_app(&fake).await;
    let agency = agency(&app).await;
    let (tenant_id, owner) = shop(&app, &agency, terms(10_000, true, 3_800), "smsbatch").await;
    let tpl = order_template(&app, &agency.admin).await;

    let mut phones = numbers(0, 247);
    phones.insert(10, "12345".into());
    phones.insert(100, "+8612812345678".into());
    phones.insert(200, "not a number".into());
    assert_eq!(phones.len(), 250);
    fake.fail_number(&phones[5], "LimitExceeded.PhoneNumberDailyLimit");
    fake.fail_number(&phones[150], "FailedOperation.PhoneNumberInBlacklist");
    fake.undeliverable(&phones[20]);

    let (status, accepted) = send(&app, &owner, &tpl, json!(["SF1234567"]), &phones).await;
    assert_eq!(status, 202, "{accepted}");
    // 【微站】 + 75 characters = 79 → two segments per message.
    assert_eq!(accepted["length"], 79);
    assert_eq!(accepted["segments_each"], 2);
    assert_eq!(
        (
            accepted["requested"].as_i64(),
            accepted["accepted"].as_i64()
        ),
        (Some(250), Some(247))
    );
    assert_eq!(accepted["requests"], 2, "200 + 47 numbers");
    assert_eq!(accepted["total_segments"], 494);
    assert_eq!(
        (
            accepted["pack_segments"].as_i64(),
            accepted["overage_segments"].as_i64()
        ),
        (Some(494), Some(0))
    );
    let invalid: Vec<(i64, &str)> = accepted["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["index"].as_i64().unwrap(), i["error"].as_str().unwrap()))
        .collect();
    assert_eq!(
        invalid,
        [
            (10, "invalid_phone"),
            (100, "invalid_phone"),
            (200, "invalid_phone")
        ]
    );
    let batch = accepted["batch_id"].as_str().unwrap();

    let view = finished(&app, &owner, batch, true).await;
    assert_eq!(
        view["statuses"],
        json!({"delivered": 244, "undelivered": 1, "rejected": 2}),
        "{view:#}"
    );
    assert_eq!(fake.requests(), 2);
    assert_eq!(fake.sent().len(), 245);
    assert!(
        fake.sent()
            .iter()
            .all(|s| s.sign_name == "微站" && s.template_id == "1110" && s.params == ["SF1234567"])
    );

    // Each record: masked number, provider code, carrier receipt.
    let (status, page) = status_json(
        app.get(
            &format!("/api/v1/sms/messages?batch_id={batch}&limit=500"),
            &owner,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 247);
    let masked = regex::Regex::new(r"^1[3-9]\d\*{4}\d{4}$").unwrap();
    assert!(
        items
            .iter()
            .all(|m| masked.is_match(m["phone"].as_str().unwrap())),
        "numbers are masked"
    );
    let by_code = |code: &str| items.iter().filter(|m| m["code"] == code).count();
    assert_eq!(by_code("LimitExceeded.PhoneNumberDailyLimit"), 1);
    assert_eq!(by_code("FailedOperation.PhoneNumberInBlacklist"), 1);
    let undelivered: Vec<&Value> = items
        .iter()
        .filter(|m| m["status"] == "undelivered")
        .collect();
    assert_eq!(undelivered[0]["receipt_code"], "UNDELIV");
    assert!(
        items
            .iter()
            .filter(|m| m["status"] == "delivered")
            .all(|m| m["receipt_code"] == "DELIVRD")
    );
    let body = serde_json::to_string(&page).unwrap();
    assert!(!body.contains(&phones[0][3..]), "no full number in records");

    // Statistics: refused numbers are given back; the receipts (each pushed twice) count once.
    let r = report(&app, &owner, "from=2026-03&to=2026-03").await;
    let m = &r["months"][0];
    assert_eq!(
        (
            m["sent"].as_i64(),
            m["delivered"].as_i64(),
            m["failed"].as_i64(),
            m["segments"].as_i64(),
            m["pack_used"].as_i64()
        ),
        (Some(247), Some(244), Some(3), Some(490), Some(490))
    );
    assert_eq!(
        r["packs"][0]["used"], 490,
        "the pack is charged by segments, not messages"
    );
    assert_eq!(r["packs"][0]["remaining"], 10_000 - 490);

    // A receipt posted again is applied once; a wrong token is 404.
    let sid = fake.sent()[0].serial_no.clone();
    let again = json!([{"sid": sid, "report_status": "FAIL", "errmsg": "UNDELIV", "mobile": "13900000000", "nationcode": "86"}]);
    let res = app
        .client
        .post(app.url(&format!("/sms/receipts/{RECEIPT_TOKEN}")))
        .json(&again)
        .send()
        .await
        .unwrap();
    let (status, ack) = status_json(res).await;
    assert_eq!((status, ack), (200, json!({"result": 0, "errmsg": "OK"})));
    let r = report(&app, &owner, "from=2026-03&to=2026-03").await;
    assert_eq!(
        (
            r["months"][0]["delivered"].as_i64(),
            r["months"][0]["failed"].as_i64()
        ),
        (Some(244), Some(3))
    );
    let res = app
        .client
        .post(app.url("/sms/receipts/wrong-token"))
        .json(&again)
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!((status, body["code"].as_str()), (404, Some("not_found")));
    // More than 100 receipts in one push is not the provider: refused, nothing applied.
    let flood: Vec<Value> = (0..101)
        .map(|i| json!({"sid": format!("flood-{i}"), "report_status": "SUCCESS", "mobile": "13900000000", "nationcode": "86"}))
        .collect();
    let res = app
        .client
        .post(app.url(&format!("/sms/receipts/{RECEIPT_TOKEN}")))
        .json(&flood)
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(
        (
            status,
            body["code"].as_str(),
            body["details"]["limit"].as_i64()
        ),
        (413, Some("payload_too_large"), Some(100))
    );
    let flood_rows = entity::sms_receipts::Entity::find()
        .filter(entity::sms_receipts::Column::Sid.starts_with("flood-"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(flood_rows, 0);

    // Staff see the tenant in the report; the audit log has no full number.
    let r = report(
        &app,
        &agency.am,
        &format!("from=2026-01&to=2026-12&tenant_id={tenant_id}"),
    )
    .await;
    assert_eq!(r["months"][0]["sent"], 247);
    // Numbers never reach the logs (only the provider request carries them): one scan for
    // any of the batch's numbers (13900000000–13900000246).
    let captured = crate::support::logs::captured();
    assert!(
        captured.contains(batch),
        "the batch's log lines were captured"
    );
    // (Bounded by non-digits: a longer number such as a timestamp is not a phone number.)
    let full_number = regex::Regex::new(r"(?:^|\D)(1390000[0-2]\d\d\d)(?:\D|$)").unwrap();
    let leaked = full_number.find(&captured).map(|m| m.as_str().to_owned());
    assert_eq!(leaked, None, "a full number is in the logs");
    // A merchant cannot read another tenant's statistics.
    let (status, _) = status_json(
        app.get(
            &format!(
                "/api/v1/reports/sms?from=2026-03&to=2026-03&tenant_id={}",
                uuid::Uuid::now_v7()
            ),
            &owner,
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    let audit = crate::wechat::audit_actions(&app, "sms.batch_accepted").await;
    assert_eq!(audit.len(), 1);
    assert!(!audit[0].summary.to_string().contains("139000"));
}

#[actix_web::test]
async fn segments_follow_the_mainland_rule_and_bad_requests_are_refused_whole() {
    let fake = start_fake().await;
    let app = sms_app(&fake).await;
    let agency = agency(&app).await;
    let (_, owner) = shop(&app, &agency, terms(1_000, false, 0), "smsseg").await;
    let to = numbers(500, 1);
    // 【微站】 is 4 characters; each template's text makes up the rest.
    let mut charged = 0;
    for (total, expected) in [(70, 1), (71, 2), (134, 2), (135, 3), (500, 8)] {
        let tpl = template(
            &app,
            &agency.admin,
            json!({"name": format!("len {total}"), "provider_template_id": "2000",
            "text": "字".repeat(total - 4), "params": [], "usage": "merchant"}),
        )
        .await;
        let (status, accepted) = send(&app, &owner, &tpl, json!([]), &to).await;
        assert_eq!(status, 202, "{accepted}");
        assert_eq!(
            (
                accepted["length"].as_i64(),
                accepted["segments_each"].as_i64()
            ),
            (Some(total as i64), Some(expected)),
            "{total}"
        );
        charged += expected;
    }
    // An emoji outside the BMP is two UTF-16 units: 4 + 64 + 2 = 70 → 1, one more → 2.
    let emoji = template(&app, &agency.admin, json!({"name": "emoji", "provider_template_id": "2001",
        "text": format!("{}{{1}}", "字".repeat(64)), "params": [{"name": "icon", "max_chars": 3}], "usage": "merchant"})).await;
    let (_, one) = send(&app, &owner, &emoji, json!(["😀"]), &to).await;
    assert_eq!(
        (one["length"].as_i64(), one["segments_each"].as_i64()),
        (Some(70), Some(1))
    );
    let (_, two) = send(&app, &owner, &emoji, json!(["😀a"]), &to).await;
    assert_eq!(
        (two["length"].as_i64(), two["segments_each"].as_i64()),
        (Some(71), Some(2))
    );
    charged += 3;
    // 501 characters: refused, nothing charged.
    let long = template(&app, &agency.admin, json!({"name": "long", "provider_template_id": "2002",
        "text": format!("{}{{1}}", "字".repeat(495)), "params": [{"name": "x", "max_chars": 2}], "usage": "merchant"})).await;
    let (status, body) = send(&app, &owner, &long, json!(["a"]), &to).await;
    assert_eq!(status, 202, "500 characters pass: {body}");
    charged += 8;
    let (status, body) = send(&app, &owner, &long, json!(["ab"]), &to).await;
    assert_eq!(
        (
            status,
            body["code"].as_str(),
            body["details"]["length"].as_i64()
        ),
        (422, Some("sms_too_long"), Some(501))
    );
    let r = report(&app, &owner, "from=2026-03&to=2026-03").await;
    assert_eq!(r["packs"][0]["used"], charged);

    // Parameters are checked before anything is stored.
    let order = order_template(&app, &agency.admin).await;
    let (status, body) = send(&app, &owner, &order, json!([]), &to).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("params"))
    );
    let (status, body) = send(&app, &owner, &order, json!(["1234567890123"]), &to).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("params[0]"))
    );
    let (status, body) = send(&app, &owner, &order, json!(["http://x.cn"]), &to).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("params[0]"))
    );
    let (status, body) = send(
        &app,
        &owner,
        &order,
        json!(["A1"]),
        &["123".to_owned(), "+1 555 0100".to_owned()],
    )
    .await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("phone_numbers"))
    );
    assert_eq!(body["details"]["invalid"].as_array().unwrap().len(), 2);
    let (status, body) = send(
        &app,
        &owner,
        &uuid::Uuid::now_v7().to_string(),
        json!([]),
        &to,
    )
    .await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("template_id"))
    );
    // A duplicate number is sent once and listed.
    let dup = vec![to[0].clone(), to[0].trim_start_matches("+86").to_owned()];
    let (status, body) = send(&app, &owner, &order, json!(["A1"]), &dup).await;
    assert_eq!(
        (
            status,
            body["accepted"].as_i64(),
            body["invalid"][0]["error"].as_str()
        ),
        (202, Some(1), Some("duplicate"))
    );
    assert_eq!(body["invalid"][0]["input"], "139****0500");

    // Templates: a text whose placeholders and parameters disagree is refused.
    let (status, body) = status_json(app.post_json("/api/v1/sms/templates", &agency.admin,
        &json!({"name": "bad", "provider_template_id": "3", "text": "{1}{3}", "params": [], "usage": "merchant"})).await).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("text"))
    );
    let (status, _) = status_json(app.post_json("/api/v1/sms/templates", &owner,
        &json!({"name": "x", "provider_template_id": "3", "text": "x", "params": [], "usage": "merchant"})).await).await;
    assert_eq!(status, 403, "merchants cannot register templates");

    // Idempotency: the same key and body answer the first result; another body is 409.
    let body = json!({"template_id": order, "params": ["K1"], "phone_numbers": to});
    let post = |key: &'static str, body: Value| {
        let app = &app;
        let owner = owner.clone();
        async move {
            let res = app
                .client
                .post(app.url("/api/v1/sms/messages"))
                .bearer_auth(owner)
                .header("Idempotency-Key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            status_json(res).await
        }
    };
    let (s1, first) = post("k-1", body.clone()).await;
    let (s2, second) = post("k-1", body.clone()).await;
    assert_eq!((s1, s2), (202, 200));
    assert_eq!(first["batch_id"], second["batch_id"]);
    let (s3, other) = post(
        "k-1",
        json!({"template_id": order, "params": ["K2"], "phone_numbers": to}),
    )
    .await;
    assert_eq!(
        (s3, other["code"].as_str()),
        (409, Some("idempotency_key_reused"))
    );

    // A plan without `sms`: 403 feature_not_in_plan.
    let mut no_sms = terms(1_000, false, 0);
    no_sms["apps"] = json!(["pages"]);
    let (_, other_owner) = shop(&app, &agency, no_sms, "smsnone").await;
    let (status, body) = send(&app, &other_owner, &order, json!(["A1"]), &to).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("feature_not_in_plan"))
    );
}

#[actix_web::test]
async fn concurrent_batches_never_overdraw_a_pack() {
    let fake = start_fake().await;
    let app = sms_app(&fake).await;
    let agency = agency(&app).await;
    let (_, owner) = shop(&app, &agency, terms(300, false, 0), "smsrace").await;
    let tpl = code_template(&app, &agency.admin, "4000").await;
    // Ten sends of 40 single-segment messages race for 300 segments: 7 fit.
    let sends = (0..10u64).map(|i| {
        let phones = numbers(1_000 + i * 100, 40);
        let (app, owner, tpl) = (&app, owner.clone(), tpl.clone());
        async move { send(app, &owner, &tpl, json!(["123456"]), &phones).await }
    });
    let results = futures_util::future::join_all(sends).await;
    let ok = results.iter().filter(|(s, _)| *s == 202).count();
    let refused: Vec<&Value> = results
        .iter()
        .filter(|(s, _)| *s == 422)
        .map(|(_, b)| b)
        .collect();
    assert_eq!((ok, refused.len()), (7, 3), "{results:?}");
    for body in &refused {
        assert_eq!(body["code"], "quota_exceeded");
        assert_eq!(
            (
                body["details"]["kind"].as_str(),
                body["details"]["limit"].as_i64()
            ),
            (Some("sms"), Some(300))
        );
        assert_eq!(body["details"]["requested"], 40);
        assert_eq!(body["details"]["used"], 280);
    }
    let r = report(&app, &owner, "from=2026-03&to=2026-03").await;
    assert_eq!(r["packs"][0]["used"], 280);
    assert_eq!(r["months"][0]["sent"], 280);
}

#[actix_web::test]
async fn the_pack_resets_at_new_year_in_shanghai_and_overage_rounds_once_a_month() {
    let fake = start_fake().await;
    let app = sms_app(&fake).await;
    let agency = agency(&app).await;
    // 10 segments a year; beyond, ¥0.035 = 3,500 milli-fen a segment.
    let (_, owner) = shop(&app, &agency, terms(10, true, 3_500), "smsyear").await;
    let tpl = code_template(&app, &agency.admin, "5000").await;
    app.clock
        .set(local(2026, 12, 31, 23, 59) + chrono::Duration::seconds(59));
    let (status, first) = send(&app, &owner, &tpl, json!(["1"]), &numbers(2_000, 13)).await;
    assert_eq!(status, 202, "{first}");
    assert_eq!(
        (
            first["pack_segments"].as_i64(),
            first["overage_segments"].as_i64(),
            first["overage_millifen"].as_i64()
        ),
        (Some(10), Some(3), Some(10_500))
    );
    // 00:00 on 1 January in Shanghai (16:00 UTC on 31 December): a full pack again.
    app.clock.set(local(2027, 1, 1, 0, 0));
    let (status, second) = send(&app, &owner, &tpl, json!(["2"]), &numbers(3_000, 4)).await;
    assert_eq!(status, 202, "{second}");
    assert_eq!(
        (
            second["pack_segments"].as_i64(),
            second["overage_segments"].as_i64()
        ),
        (Some(4), Some(0))
    );
    let r = report(&app, &owner, "from=2026-12&to=2027-01").await;
    let months: Vec<(&str, i64, i64, i64, i64)> = r["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap(),
                m["pack_used"].as_i64().unwrap(),
                m["overage_segments"].as_i64().unwrap(),
                m["overage_millifen"].as_i64().unwrap(),
                m["overage_fen"].as_i64().unwrap(),
            )
        })
        .collect();
    // 3 × 3.5 fen = 10.5 fen → 11 fen, rounded once for the month (per segment it would be 12).
    assert_eq!(
        months,
        [("2026-12", 10, 3, 10_500, 11), ("2027-01", 4, 0, 0, 0)]
    );
    assert_eq!(
        (
            r["packs"][0]["year"].as_i64(),
            r["packs"][0]["used"].as_i64()
        ),
        (Some(2027), Some(4))
    );
}

#[actix_web::test]
async fn the_adapter_signs_like_tencent_and_provider_failures_are_classified() {
    let fake = start_fake().await;
    let adapter = |key: &str| {
        TencentSms::new(TencentConfig {
            base_url: fake.base_url.clone(),
            region: "ap-guangzhou".into(),
            sdk_app_id: SDK_APP_ID.into(),
            secret_id: SECRET_ID.into(),
            secret_key: key.into(),
            timeout: Duration::from_secs(5),
        })
        .unwrap()
    };
    let request = SendRequest {
        phones: vec!["+8613800138000".into(), "+8613800138001".into()],
        template_id: "1110".into(),
        sign_name: "微站".into(),
        params: vec!["A1".into()],
        session_context: "ctx".into(),
    };
    fake.fail_number("+8613800138001", "LimitExceeded.PhoneNumberDailyLimit");
    let outcome = adapter(SECRET_KEY).send(&request).await.unwrap();
    assert_eq!(outcome.statuses.len(), 2);
    assert!(outcome.statuses[0].is_ok() && outcome.statuses[0].serial_no.starts_with("5000:"));
    assert_eq!(
        outcome.statuses[1].code,
        "LimitExceeded.PhoneNumberDailyLimit"
    );
    // A wrong key: the fake refuses the signature and the adapter calls it permanent.
    let err = adapter("wrong-secret-key-0000000000000000")
        .send(&request)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "AuthFailure.SignatureFailure");
    assert!(!err.is_retryable());
    assert_eq!(fake.refused(), ["AuthFailure.SignatureFailure"]);
    fake.fail_requests(RequestFault::Error("RequestLimitExceeded".into()), 1);
    assert!(
        adapter(SECRET_KEY)
            .send(&request)
            .await
            .unwrap_err()
            .is_retryable()
    );
    fake.fail_requests(RequestFault::Http500, 1);
    assert!(matches!(
        adapter(SECRET_KEY).send(&request).await.unwrap_err(),
        ProviderError::Unknown(_)
    ));

    // Through the app: a rate limit is retried and delivered; a lost answer is never resent;
    // a refused request gives the pack back.
    let app = sms_app(&fake).await;
    let agency = agency(&app).await;
    let (_, owner) = shop(&app, &agency, terms(100, false, 0), "smsfail").await;
    let tpl = order_template(&app, &agency.admin).await;
    fake.fail_requests(RequestFault::Error("RequestLimitExceeded".into()), 1);
    let (_, a) = send(&app, &owner, &tpl, json!(["A"]), &numbers(4_000, 3)).await;
    let view = finished(&app, &owner, a["batch_id"].as_str().unwrap(), true).await;
    assert_eq!(view["statuses"], json!({"delivered": 3}));
    let before = fake.requests();
    fake.fail_requests(RequestFault::Http500, 1);
    let (_, b) = send(&app, &owner, &tpl, json!(["B"]), &numbers(4_100, 2)).await;
    let view = finished(&app, &owner, b["batch_id"].as_str().unwrap(), false).await;
    assert_eq!(view["statuses"], json!({"unknown": 2}));
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        fake.requests(),
        before + 1,
        "an unknown outcome is not sent again"
    );
    fake.fail_requests(
        RequestFault::Error("FailedOperation.TemplateIncorrectOrUnapproved".into()),
        1,
    );
    let (_, c) = send(&app, &owner, &tpl, json!(["C"]), &numbers(4_200, 5)).await;
    let view = finished(&app, &owner, c["batch_id"].as_str().unwrap(), false).await;
    assert_eq!(view["statuses"], json!({"rejected": 5}));
    let r = report(&app, &owner, "from=2026-03&to=2026-03").await;
    assert_eq!(
        r["packs"][0]["used"],
        (3 + 2) * 2,
        "the refused batch was given back"
    );
    assert_eq!(
        crate::wechat::audit_actions(&app, "sms.request_failed")
            .await
            .len(),
        2
    );
}

#[actix_web::test]
async fn records_older_than_six_months_are_purged_and_statistics_stay() {
    let fake = start_fake().await;
    let app = sms_app(&fake).await;
    let agency = agency(&app).await;
    let (_, owner) = shop(&app, &agency, terms(100, false, 0), "smsretain").await;
    let tpl = order_template(&app, &agency.admin).await;
    app.clock.set(local(2026, 3, 2, 12, 0));
    let (_, old) = send(&app, &owner, &tpl, json!(["OLD"]), &numbers(5_000, 2)).await;
    finished(&app, &owner, old["batch_id"].as_str().unwrap(), true).await;
    app.clock.set(local(2026, 3, 4, 12, 0));
    let (_, recent) = send(&app, &owner, &tpl, json!(["NEW"]), &numbers(5_100, 3)).await;
    finished(&app, &owner, recent["batch_id"].as_str().unwrap(), true).await;
    // 2026-09-03 12:00: the first batch is 6 months + 1 day old, the second 6 months − 1 day.
    let at = local(2026, 9, 3, 12, 0);
    app.clock.set(at);
    let report_before = report(&app, &owner, "from=2026-03&to=2026-03").await;
    let tick = app.scheduler.tick(&app.state, at).await;
    assert!(tick.failed.is_empty(), "{:?}", tick.failed);
    let (_, page) = status_json(app.get("/api/v1/sms/messages?limit=500", &owner).await).await;
    let left: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["batch_id"].as_str().unwrap())
        .collect();
    assert_eq!(left, [recent["batch_id"].as_str().unwrap(); 3]);
    let (status, _) = status_json(
        app.get(
            &format!("/api/v1/sms/batches/{}", old["batch_id"].as_str().unwrap()),
            &owner,
        )
        .await,
    )
    .await;
    assert_eq!(status, 404);
    let report_after = report(&app, &owner, "from=2026-03&to=2026-03").await;
    assert_eq!(
        report_before["months"], report_after["months"],
        "statistics stay"
    );
    assert_eq!(report_after["months"][0]["sent"], 5);
}

#[actix_web::test]
async fn the_renewal_reminder_and_the_frozen_notice_go_by_sms_once_each_outside_the_pack() {
    let fake = start_fake().await;
    let app = sms_app(&fake).await;
    let agency = agency(&app).await;
    for (kind, id, params) in [
        (
            "renewal_reminder",
            "6001",
            json!([{"name": "shop", "max_chars": 12}, {"name": "end", "max_chars": 10}, {"name": "days", "max_chars": 3}]),
        ),
        (
            "frozen",
            "6002",
            json!([{"name": "shop", "max_chars": 12}, {"name": "date", "max_chars": 10}]),
        ),
    ] {
        let text = if kind == "frozen" {
            "{1}的小程序服务已到期冻结，数据将于{2}删除，续费可恢复。"
        } else {
            "{1}的小程序服务将于{2}到期（还有{3}天），请及时续费。"
        };
        template(&app, &agency.admin, json!({"name": kind, "provider_template_id": id, "text": text, "params": params, "usage": kind})).await;
    }
    // A notice kind has one enabled template.
    let (status, _) = status_json(app.post_json("/api/v1/sms/templates", &agency.admin, &json!({"name": "again",
        "provider_template_id": "6003", "text": "{1}{2}", "params": [{"name": "a", "max_chars": 5}, {"name": "b", "max_chars": 5}], "usage": "frozen"})).await).await;
    assert_eq!(status, 409);
    // The plan has no SMS product and no pack: notices are the agency's cost.
    let mut no_pack = terms(0, false, 0);
    no_pack["apps"] = json!(["pages"]);
    let (tenant_id, owner) = tenant(
        &app,
        &agency,
        no_pack,
        "smsnotice",
        "2026-03-02",
        "2026-06-30",
    )
    .await;
    let tick = |at| {
        let app = &app;
        async move {
            app.clock.set(at);
            let report = app.scheduler.tick(&app.state, at).await;
            assert!(report.failed.is_empty(), "{:?}", report.failed);
            settle(app).await;
        }
    };
    // 30 days before the end date, 10:00 Shanghai; ticked twice.
    tick(local(2026, 5, 31, 10, 0)).await;
    tick(local(2026, 5, 31, 10, 1)).await;
    // Frozen at 00:00 after the end date; ticked twice.
    tick(local(2026, 7, 1, 0, 0)).await;
    tick(local(2026, 7, 1, 0, 1)).await;
    let delivered = wait_until(Duration::from_secs(30), || async { fake.sent().len() >= 2 }).await;
    assert!(delivered, "{:?}", fake.sent());
    settle(&app).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let sent = fake.sent();
    let summary: Vec<(&str, &str, Vec<String>)> = sent
        .iter()
        .map(|s| (s.template_id.as_str(), s.phone.as_str(), s.params.clone()))
        .collect();
    assert_eq!(summary.len(), 2, "{summary:?}");
    // The contact's number; the business name is cut to the parameter's 12 characters.
    assert_eq!(
        summary[0],
        (
            "6001",
            "+8613812341234",
            vec![
                "smsnotice 的小".to_owned(),
                "2026-06-30".to_owned(),
                "30".to_owned()
            ]
        )
    );
    assert_eq!((summary[1].0, summary[1].1), ("6002", "+8613812341234"));
    assert_eq!(summary[1].2[0], "smsnotice 的小");
    assert!(
        summary[1].2[1].starts_with("2026-07-"),
        "{:?}",
        summary[1].2
    );
    // In the inbox too, once each.
    let (_, inbox) = status_json(app.get("/api/v1/inbox?limit=100", &owner).await).await;
    let kinds: Vec<&str> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "renewal_reminder").count(),
        1,
        "{kinds:?}"
    );
    assert_eq!(
        kinds.iter().filter(|k| **k == "frozen").count(),
        1,
        "{kinds:?}"
    );
    // The pack was not touched; the report counts them as the agency's notices.
    let r = report(
        &app,
        &agency.admin,
        &format!("from=2026-05&to=2026-07&tenant_id={tenant_id}"),
    )
    .await;
    let months: Vec<(&str, i64, i64, i64)> = r["months"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["month"].as_str().unwrap(),
                m["sent"].as_i64().unwrap(),
                m["pack_used"].as_i64().unwrap(),
                m["notice_sent"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(months, [("2026-05", 0, 0, 1), ("2026-07", 0, 0, 1)]);
    let packs = entity::sms_packs::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(packs.iter().all(|p| p.used == 0), "{packs:?}");
}

#[actix_web::test]
async fn receipts_from_outside_the_allow_list_are_404() {
    let fake = start_fake().await;
    let app = builder()
        .settings(|s| s.sms.receipt_allow_ips = vec!["10.9.9.9".into()])
        .sms(&fake.base_url)
        .spawn()
        .await;
    let receipt = json!([{"sid": "5000:1", "report_status": "SUCCESS", "errmsg": "DELIVRD"}]);
    let res = app
        .client
        .post(app.url(&format!("/sms/receipts/{RECEIPT_TOKEN}")))
        .json(&receipt)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "127.0.0.1 is not on the list");
    let stored = entity::sms_receipts::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(stored.is_empty(), "nothing is stored");
}
