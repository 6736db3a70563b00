//! Finance: money received and outstanding by month, tenant and account manager, and
//! the payments as CSV; an account manager sees only their own tenants.

use crate::agency::{plan_terms, staff_account, standard_contract};
use crate::pages::{Agency, agency, paid_tenant};
use crate::support::{TestApp, spawn_app, status_json};
use serde_json::{Value, json};

async fn report(app: &TestApp, token: &str, query: &str) -> (u16, Value) {
    status_json(app.get(&format!("/api/v1/finance{query}"), token).await).await
}

#[actix_web::test]
async fn finance_sums_payments_by_payment_month_and_unpaid_milestones_by_due_month() {
    let app = spawn_app().await;
    let first = agency(&app).await;
    let (other_id, other_token) =
        staff_account(&app, &first.admin, "am.other", "account_manager").await;
    let second = Agency {
        admin: first.admin.clone(),
        am_id: other_id,
        am: other_token,
    };
    // A: the first stage paid (149,000 of 298,000); B: paid in full. Both on 2026-03-02.
    let contract = standard_contract("first_milestone");
    let (a, merchant) = paid_tenant(
        &app,
        &first,
        plan_terms(298_000),
        "fin.a",
        contract.clone(),
        Some(149_000),
    )
    .await;
    let (b, _) = paid_tenant(&app, &second, plan_terms(298_000), "fin.b", contract, None).await;

    let (status, all) = report(&app, &first.admin, "?from=2026-01&to=2026-12").await;
    assert_eq!(status, 200, "{all}");
    assert_eq!(
        (all["from"].as_str(), all["to"].as_str()),
        (Some("2026-01"), Some("2026-12"))
    );
    assert_eq!(all["months"].as_array().unwrap().len(), 12);
    assert_eq!(
        all["months"][2],
        json!({"month": "2026-03", "received_fen": 447_000, "due_fen": 298_000, "outstanding_fen": 0})
    );
    assert_eq!(
        all["months"][5],
        json!({"month": "2026-06", "received_fen": 0, "due_fen": 238_400, "outstanding_fen": 119_200})
    );
    assert_eq!(
        all["months"][8],
        json!({"month": "2026-09", "received_fen": 0, "due_fen": 59_600, "outstanding_fen": 29_800})
    );
    assert_eq!(
        (
            all["total_received_fen"].as_i64(),
            all["total_outstanding_fen"].as_i64()
        ),
        (Some(447_000), Some(149_000))
    );
    let tenants: Vec<(&str, i64, i64)> = all["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["tenant_id"].as_str().unwrap(),
                t["received_fen"].as_i64().unwrap(),
                t["outstanding_fen"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        tenants,
        [(a.as_str(), 149_000, 149_000), (b.as_str(), 298_000, 0)]
    );
    assert_eq!(all["account_managers"].as_array().unwrap().len(), 2);
    assert_eq!(all["account_managers"][0]["display_name"], "am.other");
    assert_eq!(all["account_managers"][0]["tenants"], 1);

    // A narrower range leaves March out.
    let (_, summer) = report(&app, &first.admin, "?from=2026-06&to=2026-09").await;
    assert_eq!(
        (
            summer["total_received_fen"].as_i64(),
            summer["total_outstanding_fen"].as_i64()
        ),
        (Some(0), Some(149_000))
    );
    assert_eq!(summer["tenants"].as_array().unwrap().len(), 1);

    // Each account manager sees only their own tenants.
    for (manager, tenant) in [(&first.am, &a), (&second.am, &b)] {
        let (status, mine) = report(&app, manager, "?from=2026-01&to=2026-12").await;
        assert_eq!(status, 200, "{mine}");
        let ids: Vec<&str> = mine["tenants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["tenant_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, [tenant.as_str()]);
        assert_eq!(mine["account_managers"].as_array().unwrap().len(), 1);
    }

    // Bad ranges name the field; merchants have no finance.
    for (query, field) in [
        ("?from=2026-13", "from"),
        ("?from=2026-05&to=2026-04", "to"),
        ("?from=2024-01&to=2027-01", "to"),
        ("?to=26-1", "to"),
    ] {
        let (status, body) = report(&app, &first.admin, query).await;
        assert_eq!(
            (status, body["details"]["field"].as_str()),
            (422, Some(field)),
            "{query}: {body}"
        );
    }
    assert_eq!(report(&app, &merchant, "").await.0, 403);

    // The CSV: one line per payment, amounts in yuan, names as written.
    let res = app
        .client
        .get(app.url("/api/v1/finance/payments.csv?from=2026-03&to=2026-03"))
        .bearer_auth(&first.admin)
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("payments-2026-03-2026-03.csv")
    );
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(
        lines[0],
        "paid_on,tenant,account_manager,contract,amount_yuan,method,reference"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(
        lines
            .contains(&"2026-03-02,fin.a 的小店,am.pages,1,1490.00,bank_transfer,ICBC-fin.a-first"),
        "{csv}"
    );
    assert!(
        lines
            .contains(&"2026-03-02,fin.b 的小店,am.other,1,2980.00,bank_transfer,ICBC-fin.b-first"),
        "{csv}"
    );
    let res = app
        .client
        .get(app.url("/api/v1/finance/payments.csv?from=2026-03&to=2026-03"))
        .bearer_auth(&first.am)
        .send()
        .await
        .unwrap();
    let csv = res.text().await.unwrap();
    assert!(csv.starts_with("\u{feff}付款日期,商户"), "{csv}");
    assert_eq!(csv.lines().count(), 2, "only their own tenant: {csv}");
}
