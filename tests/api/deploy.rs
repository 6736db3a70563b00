//! Issue 8: the deploy pipeline and suspension, against the simulator over HTTP.

use crate::agency::{first_login, pay, plan_terms, provision_body, standard_contract};
use crate::lifecycle::renew;
use crate::pages::Agency;
use crate::support::{TestApp, status_json, wait_until};
use crate::wechat::{
    BOUND_APPID, align, app_and_sim_with, authorize_on_page, follow, link, push_ticket,
};
use chrono::TimeZone;
use serde_json::{Value, json};
use std::time::Duration;
use weapp_builder::wechat_sim::state::AuditOutcome;
use weapp_builder::wechat_sim::{Fault, FaultMode, SimServer};

const DOMAIN: &str = "https://api.weapp.example.cn";

/// An app whose deploys poll every second, with the simulator's privacy scan instant.
pub async fn deploy_setup() -> (TestApp, SimServer, Agency) {
    let (app, sim, agency) = app_and_sim_with(|s| {
        s.wechat.privacy_poll_secs = 1;
        s.wechat.audit_poll_secs = 1;
        s.wechat.server_domains = vec![DOMAIN.into()];
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
    (app, sim, agency)
}

/// An active tenant whose contract is paid in full, bound to BOUND_APPID.
pub async fn bound_tenant(app: &TestApp, agency: &Agency, username: &str) -> (String, String) {
    let (_, plan) = status_json(
        app.post_json(
            "/api/v1/plans",
            &agency.admin,
            &json!({"name": format!("plan {username}"), "terms": plan_terms(298_000)}),
        )
        .await,
    )
    .await;
    let (status, created) = status_json(
        app.post_json(
            "/api/v1/tenants",
            &agency.admin,
            &provision_body(
                plan["id"].as_str().unwrap(),
                Some(&agency.am_id),
                username,
                standard_contract("first_milestone"),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let tenant = created["tenant"]["id"].as_str().unwrap().to_owned();
    let contract = created["contract"]["id"].as_str().unwrap();
    for (i, amount) in [149_000, 119_200, 29_800].into_iter().enumerate() {
        let (status, body) = pay(
            app,
            &agency.admin,
            &tenant,
            contract,
            amount,
            &format!("{username}-{i}"),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let owner = first_login(
        app,
        username,
        created["merchant_admin"]["one_time_password"]
            .as_str()
            .unwrap(),
    )
    .await;
    let (status, link_body) = link(app, &owner, &tenant).await;
    assert_eq!(status, 201, "{link_body}");
    let redirect =
        authorize_on_page(app, link_body["url"].as_str().unwrap(), BOUND_APPID, "none").await;
    assert_eq!(follow(app, &redirect).await.0, 200);
    (tenant, owner)
}

pub async fn start(app: &TestApp, token: &str, tenant: &str, body: Value) -> (u16, Value) {
    status_json(
        app.post_json(&format!("/api/v1/tenants/{tenant}/deploys"), token, &body)
            .await,
    )
    .await
}

pub async fn run(app: &TestApp, token: &str, tenant: &str, id: &str) -> Value {
    let (status, body) = status_json(
        app.get(&format!("/api/v1/tenants/{tenant}/deploys/{id}"), token)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Waits until the run reaches `status`; returns it.
pub async fn wait_for(app: &TestApp, token: &str, tenant: &str, id: &str, status: &str) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let last = run(app, token, tenant, id).await;
        if last["status"] == status {
            return last;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "run never reached {status}: {last:#}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn action(
    app: &TestApp,
    token: &str,
    tenant: &str,
    id: &str,
    what: &str,
    body: Value,
) -> (u16, Value) {
    status_json(
        app.post_json(
            &format!("/api/v1/tenants/{tenant}/deploys/{id}/{what}"),
            token,
            &body,
        )
        .await,
    )
    .await
}

pub fn sim_app(sim: &SimServer) -> Value {
    sim.with_platform(|p| weapp_builder::wechat_sim::app_snapshot(&p.apps[BOUND_APPID]))
}

/// Deploys with auto release and waits until it is online.
pub async fn deploy_and_release(
    app: &TestApp,
    sim: &SimServer,
    owner: &str,
    tenant: &str,
) -> String {
    let (status, started) = start(app, owner, tenant, json!({})).await;
    assert_eq!(status, 202, "{started}");
    let id = started["id"].as_str().unwrap().to_owned();
    wait_for(app, owner, tenant, &id, "waiting_audit").await;
    let pushed = sim
        .decide_audit(BOUND_APPID, AuditOutcome::Pass, "")
        .await
        .unwrap();
    assert_eq!((pushed.status, pushed.body.as_str()), (200, "success"));
    wait_for(app, owner, tenant, &id, "released").await;
    id
}

#[actix_web::test]
async fn a_deploy_goes_from_commit_through_audit_to_release_with_every_merchant_control() {
    let (app, sim, agency) = deploy_setup().await;
    let (tenant, owner) = bound_tenant(&app, &agency, "dp.owner").await;

    // 1. Full pipeline with automatic release; the audit result is pushed encrypted.
    let (status, started) = start(&app, &owner, &tenant, json!({"user_desc": "首发"})).await;
    assert_eq!(status, 202, "{started}");
    let id = started["id"].as_str().unwrap().to_owned();
    let (status, again) = start(&app, &owner, &tenant, json!({})).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("deploy_in_progress"))
    );
    let waiting = wait_for(&app, &owner, &tenant, &id, "waiting_audit").await;
    assert!(waiting["auditid"].is_i64());
    let pushed = sim
        .decide_audit(BOUND_APPID, AuditOutcome::Pass, "")
        .await
        .unwrap();
    assert_eq!((pushed.status, pushed.body.as_str()), (200, "success"));
    let released = wait_for(&app, &owner, &tenant, &id, "released").await;
    let steps: Vec<(&str, &str)> = released["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["name"].as_str().unwrap(), s["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        steps,
        [
            ("domains", "done"),
            ("commit", "done"),
            ("privacy_scan", "done"),
            ("qrcode", "done"),
            ("quota", "done"),
            ("submit_audit", "done"),
            ("audit", "done"),
            ("release", "done")
        ]
    );
    let online = sim_app(&sim);
    assert_eq!(online["releases"].as_array().unwrap().len(), 1);
    assert_eq!(online["domains"]["requestdomain"], json!([DOMAIN]));
    let commit = &online["commit"];
    let ext: Value = serde_json::from_str(commit["ext_json"].as_str().unwrap()).unwrap();
    assert_eq!(ext["extAppid"], BOUND_APPID);
    assert_eq!(
        (
            sim.count("/wxa/commit"),
            sim.count("/wxa/submit_audit"),
            sim.count("/wxa/release")
        ),
        (1, 1, 1)
    );
    let res = app
        .client
        .get(app.url(&format!("/api/v1/tenants/{tenant}/deploys/{id}/qrcode")))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    let image = res.bytes().await.unwrap();
    assert!(image.starts_with(&[0xFF, 0xD8]));
    // The same image through the run's signed link, as an `<img>` fetches it: no bearer.
    let link = released["qrcode_url"]["url"].as_str().unwrap();
    let res = app.client.get(app.url(link)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.headers()["cache-control"], "private, no-store");
    assert_eq!(res.bytes().await.unwrap(), image);

    // 2. Undo audit: a second deploy is withdrawn.
    let (_, second) = start(&app, &owner, &tenant, json!({"auto_release": false})).await;
    let second_id = second["id"].as_str().unwrap().to_owned();
    wait_for(&app, &owner, &tenant, &second_id, "waiting_audit").await;
    let (status, undone) = action(&app, &owner, &tenant, &second_id, "undo-audit", json!({})).await;
    assert_eq!(status, 200, "{undone}");
    assert_eq!(undone["status"], "withdrawn");
    assert_eq!(sim_app(&sim)["latest_audit"]["status"], 3);

    // 3. A rejected audit shows its reason in plain words.
    let (_, third) = start(&app, &owner, &tenant, json!({"auto_release": false})).await;
    let third_id = third["id"].as_str().unwrap().to_owned();
    wait_for(&app, &owner, &tenant, &third_id, "waiting_audit").await;
    sim.decide_audit(BOUND_APPID, AuditOutcome::Fail, "小程序内容与服务类目不符")
        .await
        .unwrap();
    let failed = wait_for(&app, &owner, &tenant, &third_id, "failed").await;
    assert_eq!(failed["audit_reason"], "小程序内容与服务类目不符");
    assert!(
        failed["error_message"]
            .as_str()
            .unwrap()
            .contains("审核未通过：小程序内容与服务类目不符")
    );
    let (status, body) = action(&app, &owner, &tenant, &third_id, "release", json!({})).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("invalid_transition"))
    );

    // 4. Gray release, raised, then full; then a rollback to the first release.
    let (_, fourth) = start(&app, &owner, &tenant, json!({"auto_release": false})).await;
    let fourth_id = fourth["id"].as_str().unwrap().to_owned();
    wait_for(&app, &owner, &tenant, &fourth_id, "waiting_audit").await;
    sim.decide_audit(BOUND_APPID, AuditOutcome::Pass, "")
        .await
        .unwrap();
    wait_for(&app, &owner, &tenant, &fourth_id, "awaiting_release").await;
    let (status, body) = action(
        &app,
        &owner,
        &tenant,
        &fourth_id,
        "release",
        json!({"gray_percentage": 0}),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("validation_failed"))
    );
    let (status, gray) = action(
        &app,
        &owner,
        &tenant,
        &fourth_id,
        "release",
        json!({"gray_percentage": 10}),
    )
    .await;
    assert_eq!(status, 200, "{gray}");
    assert_eq!(
        (gray["status"].as_str(), gray["gray_percentage"].as_i64()),
        (Some("gray"), Some(10))
    );
    let (status, lower) = action(
        &app,
        &owner,
        &tenant,
        &fourth_id,
        "release",
        json!({"gray_percentage": 5}),
    )
    .await;
    assert_eq!(
        (status, lower["details"]["field"].as_str()),
        (422, Some("gray_percentage")),
        "{lower}"
    );
    let (status, raised) = action(
        &app,
        &owner,
        &tenant,
        &fourth_id,
        "release",
        json!({"gray_percentage": 50}),
    )
    .await;
    assert_eq!(
        (status, raised["gray_percentage"].as_i64()),
        (200, Some(50))
    );
    assert_eq!(sim_app(&sim)["gray_percentage"], 50);
    let (status, reverted) =
        action(&app, &owner, &tenant, &fourth_id, "revert-gray", json!({})).await;
    assert_eq!(status, 200, "{reverted}");
    assert_eq!(reverted["status"], "awaiting_release");
    assert!(sim_app(&sim)["gray_percentage"].is_null());
    let (status, _) = action(&app, &owner, &tenant, &fourth_id, "release", json!({})).await;
    assert_eq!(status, 200);
    wait_for(&app, &owner, &tenant, &fourth_id, "released").await;
    assert_eq!(sim_app(&sim)["releases"].as_array().unwrap().len(), 2);
    let (status, info) = status_json(
        app.post_empty(&format!("/api/v1/tenants/{tenant}/wechat/rollback"), &owner)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{info}");
    let releases = sim_app(&sim)["releases"].clone();
    assert_eq!(releases[1]["rolled_back"], true);
    let (status, none_left) = status_json(
        app.post_empty(&format!("/api/v1/tenants/{tenant}/wechat/rollback"), &owner)
            .await,
    )
    .await;
    assert_eq!(
        (status, none_left["details"]["errcode"].as_i64()),
        (502, Some(87012))
    );

    // The merchant was told of each completed release; agency admins see every run.
    // (Each notice reaches the inbox through its own delivery job.)
    let released_notices = || async {
        let (_, inbox) = status_json(app.get("/api/v1/inbox", &owner).await).await;
        inbox["items"].as_array().map_or(0, |items| {
            items
                .iter()
                .filter(|n| n["kind"] == "release_completed")
                .count()
        })
    };
    assert!(
        wait_until(Duration::from_secs(30), || async {
            released_notices().await >= 2
        })
        .await
    );
    assert_eq!(released_notices().await, 2);
    let (status, all) = status_json(app.get("/api/v1/deploys", &agency.admin).await).await;
    assert_eq!(status, 200);
    assert_eq!(all["items"].as_array().unwrap().len(), 4);
    // Pages of 3 follow each other, newest first, without a gap or a repeat.
    let (_, first) = status_json(app.get("/api/v1/deploys?limit=3", &agency.admin).await).await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let (_, rest) = status_json(
        app.get(
            &format!("/api/v1/deploys?limit=3&cursor={cursor}"),
            &agency.admin,
        )
        .await,
    )
    .await;
    assert_eq!(rest["next_cursor"], serde_json::Value::Null);
    let paged: Vec<&serde_json::Value> = first["items"]
        .as_array()
        .unwrap()
        .iter()
        .chain(rest["items"].as_array().unwrap())
        .map(|r| &r["id"])
        .collect();
    let whole: Vec<&serde_json::Value> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["id"])
        .collect();
    assert_eq!(paged, whole);
    // A cursor older than every run is the end of the list, not an error.
    let (status, end) = status_json(
        app.get(
            "/api/v1/deploys?cursor=00000000-0000-7000-8000-000000000000",
            &agency.admin,
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, end["items"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    let (status, _) = status_json(app.get("/api/v1/deploys", &owner).await).await;
    assert_eq!(status, 403);
    let (status, usage) = status_json(
        app.get(
            "/api/v1/reports/usage?from=2026-03-01&to=2026-03-03",
            &owner,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{usage}");
    let deploys: i64 = usage["days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["template_deploys"].as_i64().unwrap())
        .sum();
    assert_eq!(deploys, 4, "{usage}");
    crate::wechat::assert_methods_as_documented(&sim);
}

#[actix_web::test]
async fn lost_answers_and_restarts_never_commit_or_submit_twice() {
    let (app, sim, agency) = app_and_sim_with(|s| {
        s.wechat.privacy_poll_secs = 1;
        s.wechat.audit_poll_secs = 1;
        s.wechat.server_domains = vec![DOMAIN.into()];
        // The first instance retries only after a minute: it is stopped before that.
        s.jobs.backoff_base_ms = 60_000;
        s.jobs.backoff_max_ms = 60_000;
    })
    .await;
    sim.configure(None, Some(0));
    push_ticket(&app, &sim).await;
    let (status, _) = status_json(
        app.client
            .put(app.url("/api/v1/platform/template"))
            .bearer_auth(&agency.admin)
            .json(&json!({"template_id": 1}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let (tenant, owner) = bound_tenant(&app, &agency, "dp.faults").await;

    // The worker dies right after the commit call, before recording its outcome.
    app.state.faults.arm("deploy.after_call");
    let (status, started) = start(&app, &owner, &tenant, json!({})).await;
    assert_eq!(status, 202, "{started}");
    let id = started["id"].as_str().unwrap().to_owned();
    let in_flight = wait_until(Duration::from_secs(30), || async {
        run(&app, &owner, &tenant, &id).await["steps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "commit" && s["status"] == "in_flight")
            && crate::wechat::jobs_of_kind(&app, "wechat.deploy")
                .await
                .iter()
                .any(|j| j.last_error.is_some())
    })
    .await;
    assert!(in_flight, "the commit is left in flight");
    assert_eq!(sim.count("/wxa/commit"), 1);

    // Restart: a new instance on the same database, a minute later. On the way the
    // submit is applied but its answer lost, and HTTP 500 and -1 answers are retried.
    let next = crate::support::builder()
        .same_database_as(&app)
        .wechat(&sim.base_url)
        .settings(|s| {
            s.wechat.privacy_poll_secs = 1;
            s.wechat.audit_poll_secs = 1;
            s.wechat.server_domains = vec![DOMAIN.into()];
        });
    app.stop().await;
    sim.inject(Fault {
        path: "/wxa/submit_audit".into(),
        mode: FaultMode::Drop,
        count: 1,
    });
    sim.inject(Fault {
        path: "/wxa/get_qrcode".into(),
        mode: FaultMode::Http500,
        count: 2,
    });
    sim.inject(Fault {
        path: "/wxa/queryquota".into(),
        mode: FaultMode::Busy,
        count: 2,
    });
    let app = next.spawn().await;
    crate::wechat::connect(&sim, &app);
    app.clock
        .set(app.clock.now() + chrono::Duration::seconds(61));
    align(&sim, &app);
    let waiting = wait_for(&app, &owner, &tenant, &id, "waiting_audit").await;
    assert_eq!(
        sim.count("/wxa/commit"),
        1,
        "the in-flight commit was reconciled, not repeated"
    );
    assert_eq!(
        sim.count("/wxa/submit_audit"),
        1,
        "the lost submit was found at WeChat"
    );
    assert!(sim.count("/wxa/getversioninfo") >= 1);
    assert!(sim.count("/wxa/get_latest_auditstatus") >= 1);
    assert_eq!(sim.count("/wxa/get_qrcode"), 3);
    let commit = waiting["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "commit")
        .unwrap();
    assert_eq!(commit["detail"]["reconciled"], true);

    // The audit push is missed: polling finds the result.
    sim.with_platform(|p| p.decide_audit(BOUND_APPID, AuditOutcome::Pass, ""))
        .unwrap();
    wait_for(&app, &owner, &tenant, &id, "released").await;
    assert_eq!(sim.count("/wxa/release"), 1);

    // A permanent error stops the run with its errcode and a plain message.
    sim.inject(Fault {
        path: "/wxa/commit".into(),
        mode: FaultMode::Errcode { errcode: 85013 },
        count: 1,
    });
    let (_, second) = start(&app, &owner, &tenant, json!({})).await;
    let second_id = second["id"].as_str().unwrap().to_owned();
    let failed = wait_for(&app, &owner, &tenant, &second_id, "failed").await;
    assert_eq!(failed["errcode"], 85013);
    assert!(
        failed["error_message"]
            .as_str()
            .unwrap()
            .contains("代码模板或其配置有误"),
        "{failed}"
    );
    let commit = failed["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "commit")
        .unwrap();
    assert_eq!(
        (commit["status"].as_str(), commit["errcode"].as_i64()),
        (Some("failed"), Some(85013))
    );

    // No stored step or run holds a token of the simulator's.
    let rows = crate::support::db::all_rows_as_text(&app.state.db).await;
    for secret in sim.issued_secrets() {
        assert!(
            !rows.iter().any(|r| r.contains(&secret)),
            "a simulator token is stored"
        );
    }
}

async fn visit_status(sim: &SimServer) -> i64 {
    sim_app(sim)["visit_status"].as_i64().unwrap()
}

/// Audited visit-status changes with `action`.
async fn visit_actions(app: &TestApp, action: &str) -> usize {
    crate::wechat::audit_actions(app, "wechat.visit_status_changed")
        .await
        .iter()
        .filter(|a| a.summary["action"] == action)
        .count()
}

async fn wait_visit(sim: &SimServer, expected: i64) {
    let reached = wait_until(Duration::from_secs(30), || async {
        visit_status(sim).await == expected
    })
    .await;
    assert!(reached, "visit status never became {expected}");
}

async fn set_takedown(app: &TestApp, admin: &str, tenant: &str, lift: bool) {
    let path = if lift {
        "holds/takedown/lift"
    } else {
        "holds/takedown"
    };
    let (status, body) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{tenant}/{path}"),
            admin,
            &json!({"reason": "违规内容"}),
        )
        .await,
    )
    .await;
    assert!(status == 200 || status == 201, "{status} {body}");
}

#[actix_web::test]
async fn freeze_and_takedown_close_the_mini_program_and_only_a_clean_state_reopens_it() {
    let (app, sim, agency) = deploy_setup().await;
    let (tenant, owner) = bound_tenant(&app, &agency, "dp.visit").await;
    deploy_and_release(&app, &sim, &owner, &tenant).await;
    assert_eq!(visit_status(&sim).await, 1);

    // Frozen at the end of the term (2027-03-02 00:00 Shanghai): closed.
    let freeze_at = chrono::Utc.with_ymd_and_hms(2027, 3, 1, 16, 0, 0).unwrap();
    app.clock.set(freeze_at);
    align(&sim, &app);
    app.scheduler.tick(&app.state, freeze_at).await;
    wait_visit(&sim, 0).await;
    let admin = app
        .login("admin", crate::support::TEST_PASSWORD)
        .await
        .access_token;

    // Renewed: open again.
    let (renewal, amount) = renew(&app, &admin, &tenant).await;
    let (status, body) = pay(&app, &admin, &tenant, &renewal, amount, "dp.visit-renew").await;
    assert_eq!(status, 201, "{body}");
    wait_visit(&sim, 1).await;

    // A takedown hold closes it; lifting it reopens.
    set_takedown(&app, &admin, &tenant, false).await;
    wait_visit(&sim, 0).await;
    set_takedown(&app, &admin, &tenant, true).await;
    wait_visit(&sim, 1).await;

    // Under takedown, a freeze and a renewal never reopen it.
    set_takedown(&app, &admin, &tenant, false).await;
    wait_visit(&sim, 0).await;
    let opens_before = visit_actions(&app, "open").await;
    let second_freeze = chrono::Utc.with_ymd_and_hms(2028, 3, 1, 16, 0, 0).unwrap();
    app.clock.set(second_freeze);
    align(&sim, &app);
    app.scheduler.tick(&app.state, second_freeze).await;
    let admin = app
        .login("admin", crate::support::TEST_PASSWORD)
        .await
        .access_token;
    let (renewal, amount) = renew(&app, &admin, &tenant).await;
    let (status, body) = pay(&app, &admin, &tenant, &renewal, amount, "dp.visit-renew-2").await;
    assert_eq!(status, 201, "{body}");
    assert!(
        wait_until(Duration::from_secs(30), || async {
            crate::wechat::jobs_of_kind(&app, "tenant.state_changed")
                .await
                .iter()
                .all(|j| j.status == "done")
        })
        .await
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        visit_status(&sim).await,
        0,
        "a renewal during a takedown does not reopen"
    );
    let opens_after = visit_actions(&app, "open").await;
    assert_eq!(
        opens_before, opens_after,
        "never opened while under a takedown"
    );
    // Opened after the renewal and after the lift; closed on freeze and each takedown
    // (a retried event may close twice: closing is idempotent).
    assert_eq!(opens_after, 2);
    assert!(visit_actions(&app, "close").await >= 3);

    // WeChat keeps failing: bounded retries, then the job is dead and admins are alerted.
    sim.inject(Fault {
        path: "/wxa/change_visitstatus".into(),
        mode: FaultMode::Busy,
        count: 10,
    });
    set_takedown(&app, &admin, &tenant, true).await;
    let dead = wait_until(Duration::from_secs(30), || async {
        crate::wechat::jobs_of_kind(&app, "wechat.visit_status")
            .await
            .iter()
            .any(|j| j.status == "dead")
    })
    .await;
    assert!(dead, "the visit-status job ends dead");
    assert_eq!(
        sim.calls()
            .iter()
            .filter(|c| c.path == "/wxa/change_visitstatus" && c.fault.is_some())
            .count(),
        5,
        "five attempts"
    );
    assert_eq!(
        crate::wechat::audit_actions(&app, "wechat.visit_status_failed")
            .await
            .len(),
        1
    );
    // The alert reaches the inbox through its own delivery job.
    let alerted = wait_until(Duration::from_secs(30), || async {
        let (_, inbox) = status_json(app.get("/api/v1/inbox", &admin).await).await;
        inbox["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|n| n["kind"] == "wechat_action_failed"))
    })
    .await;
    assert!(alerted, "admins are alerted in their inbox");
}

async fn rollout(app: &TestApp, admin: &str, id: &str) -> Value {
    let (status, body) = status_json(app.get(&format!("/api/v1/rollouts/{id}"), admin).await).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn wait_rollout(
    app: &TestApp,
    admin: &str,
    id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    loop {
        let view = rollout(app, admin, id).await;
        if done(&view) {
            return view;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "roll-out stuck: {view:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[actix_web::test]
async fn a_fleet_roll_out_pauses_at_the_quota_reserve_and_resumes_without_committing_twice() {
    let (app, sim, agency) = app_and_sim_with(|s| {
        s.wechat.privacy_poll_secs = 1;
        s.wechat.audit_poll_secs = 1;
        s.jobs.workers = 4;
    })
    .await;
    sim.configure(Some(40), Some(0));
    let component = crate::support::wechat::component_token(&sim).await;
    push_ticket(&app, &sim).await;

    // 50 active tenants with recorded appids, bound by `authorized` pushes.
    let (_, plan) = status_json(
        app.post_json(
            "/api/v1/plans",
            &agency.admin,
            &json!({"name": "fleet", "terms": plan_terms(298_000)}),
        )
        .await,
    )
    .await;
    let appids: Vec<String> = (0..50u64)
        .map(|i| format!("wx{:016x}", 0x5eed_0000 + i))
        .collect();
    let client = crate::support::wechat::client(&sim);
    for (i, appid) in appids.iter().enumerate() {
        let mut body = provision_body(
            plan["id"].as_str().unwrap(),
            Some(&agency.am_id),
            &format!("fleet.{i:02}"),
            standard_contract("first_milestone"),
        );
        body["appid"] = json!(appid);
        let (status, created) =
            status_json(app.post_json("/api/v1/tenants", &agency.admin, &body).await).await;
        assert_eq!(status, 201, "{created}");
        let tenant = created["tenant"]["id"].as_str().unwrap();
        let contract = created["contract"]["id"].as_str().unwrap();
        let (status, _) = pay(
            &app,
            &agency.admin,
            tenant,
            contract,
            149_000,
            &format!("fleet-{i}"),
        )
        .await;
        assert_eq!(status, 201);
        let pre = client
            .post(
                "/cgi-bin/component/api_create_preauthcode",
                weapp_builder::wechat::client::TokenParam::Component(&component),
                &json!({"component_appid": crate::support::wechat::COMPONENT_APPID}),
            )
            .await
            .unwrap();
        let code = sim
            .with_platform(|p| {
                p.authorize(
                    pre["pre_auth_code"].as_str().unwrap(),
                    appid,
                    &[17, 18],
                    sim.now(),
                )
            })
            .unwrap();
        let now = sim.now().to_string();
        let xml = weapp_builder::wechat::crypto::flat_xml([
            ("AppId", crate::support::wechat::COMPONENT_APPID),
            ("CreateTime", now.as_str()),
            ("InfoType", "authorized"),
            ("AuthorizerAppid", appid.as_str()),
            ("AuthorizationCode", code.as_str()),
            ("AuthorizationCodeExpiredTime", now.as_str()),
        ]);
        let pushed = sim.deliver(true, "", &xml).await.unwrap();
        assert_eq!(pushed.status, 200);
    }
    let all_bound = wait_until(Duration::from_secs(30), || async {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        entity::wechat_bindings::Entity::find()
            .filter(entity::wechat_bindings::Column::Status.eq("bound"))
            .count(&app.state.db)
            .await
            .unwrap()
            == 50
    })
    .await;
    if !all_bound {
        let jobs = crate::wechat::jobs_of_kind(&app, "wechat.authorized").await;
        let errors: Vec<_> = jobs
            .iter()
            .map(|j| (j.status.clone(), j.last_error.clone()))
            .collect();
        let logs = crate::support::logs::captured();
        let failures: Vec<&str> = logs
            .lines()
            .filter(|l| {
                l.contains("wechat.authorized") && (l.contains("WARN") || l.contains("ERROR"))
            })
            .take(5)
            .collect();
        panic!("not all bound: {errors:?} {failures:#?}");
    }

    // Roll out: 40 a month, 5 kept in reserve → 35 submitted, then paused with the reason.
    let (status, started) = status_json(
        app.post_json(
            "/api/v1/rollouts",
            &agency.admin,
            &json!({"template_id": 1, "concurrency": 10, "per_minute": 600}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 202, "{started}");
    assert_eq!(started["targets"], 50);
    let id = started["id"].as_str().unwrap().to_owned();
    let paused = wait_rollout(&app, &agency.admin, &id, |v| {
        v["status"] == "paused" && v["by_status"]["running"].is_null()
    })
    .await;
    assert_eq!(sim.count("/wxa/submit_audit"), 35);
    assert_eq!(paused["by_status"]["waiting_audit"], 35, "{paused:#}");
    let held = paused["by_status"]["paused"].as_u64().unwrap_or(0);
    assert_eq!(
        paused["pending"].as_u64().unwrap() + held + 35,
        50,
        "{paused:#}"
    );
    assert_eq!(paused["by_step"]["quota"].as_u64().unwrap_or(0), held);
    assert_eq!(paused["by_step"]["audit"], 35);
    assert!(
        paused["paused_reason"]
            .as_str()
            .unwrap()
            .contains("reserve of 5")
    );
    assert_eq!(
        crate::wechat::audit_actions(&app, "rollout.paused")
            .await
            .len(),
        1
    );

    // The quota is back: resume finishes the rest.
    sim.configure(Some(100), None);
    let (status, resumed) = status_json(
        app.post_empty(&format!("/api/v1/rollouts/{id}/resume"), &agency.admin)
            .await,
    )
    .await;
    assert_eq!((status, resumed["status"].as_str()), (200, Some("running")));
    wait_rollout(&app, &agency.admin, &id, |v| {
        v["by_status"]["waiting_audit"] == 50
    })
    .await;
    assert_eq!(sim.count("/wxa/submit_audit"), 50);
    for appid in &appids {
        sim.decide_audit(appid, AuditOutcome::Pass, "")
            .await
            .unwrap();
    }
    let done = wait_rollout(&app, &agency.admin, &id, |v| v["status"] == "done").await;
    assert_eq!(done["by_status"]["released"], 50, "{done:#}");
    assert!(done["failures"].as_object().unwrap().is_empty());

    // No tenant was committed twice; every merchant was told of its release.
    let calls = sim.calls();
    for appid in &appids {
        let commits = calls
            .iter()
            .filter(|c| c.path == "/wxa/commit" && c.caller == format!("authorizer:{appid}"))
            .count();
        assert_eq!(commits, 1, "{appid} committed {commits} times");
    }
    let notices = {
        use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
        entity::notifications::Entity::find()
            .filter(entity::notifications::Column::Kind.eq("release_completed"))
            .count(&app.state.db)
            .await
            .unwrap()
    };
    assert_eq!(notices, 50);
}
