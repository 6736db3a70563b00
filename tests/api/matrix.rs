//! Issue 3 acceptance point 2: every endpoint of the agency side against six callers.
//! Callers run in the order of the columns, so the admin's state changes come last in a row.

use crate::agency::{
    create_plan, first_login, pay, provision_body, set_clock, staff_account, standard_contract,
};
use crate::support::{spawn_app, status_json};
use serde_json::{Value, json};

const CALLERS: [&str; 6] = [
    "anonymous",
    "other_merchant",
    "merchant",
    "other_am",
    "am",
    "admin",
];

#[actix_web::test]
async fn authorization_matrix_of_the_agency_side() {
    let app = spawn_app().await;
    set_clock(&app);
    let admin = app.admin_session().await.access_token;
    let p = create_plan(&app, &admin, "标准版", 298_000).await;
    let p2 = create_plan(&app, &admin, "旧版", 198_000).await;
    let p3 = create_plan(&app, &admin, "未售出", 98_000).await;
    let (am1, am) = staff_account(&app, &admin, "am.one", "account_manager").await;
    let (am2, other_am) = staff_account(&app, &admin, "am.two", "account_manager").await;

    let (_, a) = status_json(
        app.post_json(
            "/api/v1/tenants",
            &admin,
            &provision_body(
                &p,
                Some(&am1),
                "shop.a",
                standard_contract("first_milestone"),
            ),
        )
        .await,
    )
    .await;
    let (_, b) = status_json(
        app.post_json(
            "/api/v1/tenants",
            &admin,
            &provision_body(
                &p,
                Some(&am2),
                "shop.b",
                standard_contract("first_milestone"),
            ),
        )
        .await,
    )
    .await;
    let ta = a["tenant"]["id"].as_str().unwrap().to_owned();
    let ca = a["contract"]["id"].as_str().unwrap().to_owned();
    let (status, _) = pay(&app, &admin, &ta, &ca, 149_000, "activate-a").await;
    assert_eq!(status, 201);
    let merchant = first_login(
        &app,
        "shop.a",
        a["merchant_admin"]["one_time_password"].as_str().unwrap(),
    )
    .await;
    let other_merchant = first_login(
        &app,
        "shop.b",
        b["merchant_admin"]["one_time_password"].as_str().unwrap(),
    )
    .await;
    let (_, editor) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{ta}/editors"),
            &admin,
            &json!({"username": "shop.a.ed", "display_name": "编辑"}),
        )
        .await,
    )
    .await;
    let e = editor["account"]["id"].as_str().unwrap().to_owned();
    let tokens = [
        None,
        Some(other_merchant),
        Some(merchant),
        Some(other_am),
        Some(am),
        Some(admin),
    ];

    type BodyFn = Box<dyn Fn(&str) -> Option<Value>>;
    let none = || -> BodyFn { Box::new(|_| None) };
    let fixed = |v: Value| -> BodyFn { Box::new(move |_| Some(v.clone())) };
    let p_for = p.clone();
    let am1_for = am1.clone();
    #[rustfmt::skip]
    let rows: Vec<(&str, String, BodyFn, [u16; 6])> = vec![
        //  method   path                                                    body                                        anon other_m merch other_am am admin
        ("GET",    "/api/v1/plans".into(),                                  none(),                                       [401, 403, 403, 200, 200, 200]),
        ("POST",   "/api/v1/plans".into(),                                  Box::new(|c| Some(json!({"name": format!("套餐 {c}"), "terms": crate::agency::plan_terms(1)}))),
                                                                                                                          [401, 403, 403, 403, 403, 201]),
        ("GET",    format!("/api/v1/plans/{p}"),                            none(),                                       [401, 403, 403, 200, 200, 200]),
        ("POST",   format!("/api/v1/plans/{p}/versions"),                   fixed(crate::agency::plan_terms(328_000)),    [401, 403, 403, 403, 403, 201]),
        ("POST",   format!("/api/v1/plans/{p2}/retire"),                    none(),                                       [401, 403, 403, 403, 403, 200]),
        ("POST",   format!("/api/v1/plans/{p2}/unretire"),                  none(),                                       [401, 403, 403, 403, 403, 200]),
        ("DELETE", format!("/api/v1/plans/{p3}"),                           none(),                                       [401, 403, 403, 403, 403, 204]),
        ("GET",    "/api/v1/staff".into(),                                  none(),                                       [401, 403, 403, 403, 403, 200]),
        ("POST",   "/api/v1/staff".into(),                                  Box::new(|c| Some(json!({"username": format!("staff.{c}"), "display_name": "x", "role": "account_manager"}))),
                                                                                                                          [401, 403, 403, 403, 403, 201]),
        ("POST",   "/api/v1/tenants".into(),                                Box::new(move |c| {
                                                                                let manager = (c == "admin").then_some(am1_for.as_str());
                                                                                // No milestones: an earlier row raised the plan's price (new version).
                                                                                let contract = json!({"start_date": "2026-03-02", "payment_method": "cash"});
                                                                                Some(provision_body(&p_for, manager, &format!("new.{c}"), contract))
                                                                            }),                                           [401, 403, 403, 201, 201, 201]),
        ("GET",    "/api/v1/tenants".into(),                                none(),                                       [401, 403, 403, 200, 200, 200]),
        ("GET",    "/api/v1/audit-events".into(),                           none(),                                       [401, 403, 403, 200, 200, 200]),
        ("GET",    format!("/api/v1/tenants/{ta}"),                         none(),                                       [401, 404, 200, 404, 200, 200]),
        ("PATCH",  format!("/api/v1/tenants/{ta}/contact"),                 fixed(json!({"email": "new@example.cn"})),    [401, 404, 403, 404, 200, 200]),
        ("PUT",    format!("/api/v1/tenants/{ta}/account-manager"),         fixed(json!({"account_manager_id": am1})),    [401, 404, 403, 404, 403, 200]),
        ("GET",    format!("/api/v1/tenants/{ta}/contact-history"),         none(),                                       [401, 404, 403, 404, 200, 200]),
        ("POST",   format!("/api/v1/tenants/{ta}/holds/takedown"),          fixed(json!({"reason": "违规"})),              [401, 404, 403, 404, 403, 200]),
        ("POST",   format!("/api/v1/tenants/{ta}/holds/takedown/lift"),     fixed(json!({"reason": "已整改"})),            [401, 404, 403, 404, 403, 200]),
        ("GET",    format!("/api/v1/tenants/{ta}/contracts"),               none(),                                       [401, 404, 200, 404, 200, 200]),
        ("GET",    format!("/api/v1/tenants/{ta}/contracts/{ca}"),          none(),                                       [401, 404, 200, 404, 200, 200]),
        ("POST",   format!("/api/v1/tenants/{ta}/contracts/{ca}/payments"), fixed(json!({"amount_fen": 1_000, "method": "cash", "reference": "R-1", "paid_on": "2026-03-02"})),
                                                                                                                          [401, 404, 403, 404, 201, 201]),
        // The admin is authorised; the account manager's renewal already waits for payment.
        ("POST",   format!("/api/v1/tenants/{ta}/contracts"),               fixed(json!({"payment_method": "bank_transfer"})),
                                                                                                                          [401, 404, 403, 404, 201, 409]),
        ("GET",    format!("/api/v1/tenants/{ta}/editors"),                 none(),                                       [401, 404, 200, 404, 200, 200]),
        ("POST",   format!("/api/v1/tenants/{ta}/editors"),                 Box::new(|c| Some(json!({"username": format!("ed.{c}"), "display_name": "编辑"}))),
                                                                                                                          [401, 404, 201, 404, 201, 201]),
        ("POST",   format!("/api/v1/tenants/{ta}/editors/{e}/disable"),     none(),                                       [401, 404, 200, 404, 200, 200]),
        ("POST",   format!("/api/v1/tenants/{ta}/editors/{e}/enable"),      none(),                                       [401, 404, 200, 404, 200, 200]),
        ("POST",   format!("/api/v1/tenants/{ta}/editors/{e}/one-time-password"), none(),                             [401, 404, 200, 404, 200, 200]),
        // The admin repeats the account manager's termination: idempotent.
        ("POST",   format!("/api/v1/tenants/{ta}/termination"),             fixed(json!({"effective_date": "2026-05-01", "reference": "书面申请"})),
                                                                                                                          [401, 404, 403, 404, 200, 200]),
        // Last: it ends the merchant admin's sessions.
        ("POST",   format!("/api/v1/tenants/{ta}/merchant-admin/one-time-password"), none(),                              [401, 404, 403, 404, 200, 200]),
    ];

    let mut mismatches = Vec::new();
    for (i, (method, path, body, expected)) in rows.iter().enumerate() {
        for (c, caller) in CALLERS.iter().enumerate() {
            let mut req = app
                .client
                .request(method.parse().unwrap(), app.url(path))
                .header("Idempotency-Key", format!("{caller}-{i}"));
            if let Some(token) = &tokens[c] {
                req = req.bearer_auth(token);
            }
            if let Some(b) = body(caller) {
                req = req.json(&b);
            }
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            if status != expected[c] {
                let text = res.text().await.unwrap();
                mismatches.push(format!(
                    "{method} {path} as {caller}: expected {}, got {status} {text}",
                    expected[c]
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} cells differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
