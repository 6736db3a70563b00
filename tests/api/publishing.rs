//! Issue 15: publishing as the real platform does it — methods as documented, exactly-once
//! reconciliation that never adopts another run's work, non-empty descriptions, readable
//! audit reasons, and the smaller rules found by the stricter simulator.

use crate::deploy::{
    action, bound_tenant, deploy_and_release, deploy_setup, sim_app, start, wait_for,
};
use crate::support::{TestApp, status_json, wait_until};
use crate::wechat::{
    BOUND_APPID, assert_methods_as_documented, authorize_on_page, binding, follow, link,
};
use serde_json::{Value, json};
use std::time::Duration;
use weapp_builder::wechat_sim::state::AuditOutcome;
use weapp_builder::wechat_sim::{Fault, FaultMode, SimServer};

fn step<'a>(run: &'a Value, name: &str) -> &'a Value {
    run["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no step {name}: {run:#}"))
}

fn lose(sim: &SimServer, path: &str, mode: FaultMode) {
    sim.inject(Fault {
        path: path.into(),
        mode,
        count: 1,
    });
}

/// The first inbox item of `kind`, once its delivery job has run.
async fn notice(app: &TestApp, token: &str, kind: &str) -> Value {
    let found = || async {
        let (_, inbox) = status_json(app.get("/api/v1/inbox", token).await).await;
        inbox["items"]
            .as_array()
            .and_then(|items| items.iter().find(|n| n["kind"] == kind).cloned())
    };
    assert!(
        wait_until(Duration::from_secs(30), || async {
            found().await.is_some()
        })
        .await,
        "no {kind} notice"
    );
    found().await.unwrap()
}

#[actix_web::test]
async fn a_run_right_after_a_rejected_one_commits_and_submits_its_own_version_when_its_requests_are_lost()
 {
    let (app, sim, agency) = deploy_setup().await;
    let (tenant, owner) = bound_tenant(&app, &agency, "pub.again").await;

    // Run A is rejected; the reviewers' reason comes as an HTML fragment.
    let (_, first) = start(&app, &owner, &tenant, json!({})).await;
    let first_id = first["id"].as_str().unwrap().to_owned();
    wait_for(&app, &owner, &tenant, &first_id, "waiting_audit").await;
    sim.decide_audit(
        BOUND_APPID,
        AuditOutcome::Fail,
        "1:小程序名称与内容不符<br>2:请补充&lt;隐私保护指引&gt;<br/>",
    )
    .await
    .unwrap();
    let rejected = wait_for(&app, &owner, &tenant, &first_id, "failed").await;
    assert_eq!(
        rejected["audit_reason"],
        "1:小程序名称与内容不符\n2:请补充<隐私保护指引>"
    );
    let told = notice(&app, &owner, "audit_rejected").await;
    let body = told["body"].as_str().unwrap();
    assert!(
        body.contains("1:小程序名称与内容不符\n2:请补充<隐私保护指引>"),
        "{body}"
    );
    assert!(body.contains("重新发布") && !body.contains("<br"), "{body}");

    // Run B starts at once (same version, same second); its commit and its submit are
    // lost before they reach WeChat.
    lose(&sim, "/wxa/commit", FaultMode::Http500);
    lose(&sim, "/wxa/submit_audit", FaultMode::Http500);
    let (status, second) = start(&app, &owner, &tenant, json!({})).await;
    assert_eq!(status, 202, "{second}");
    let second_id = second["id"].as_str().unwrap().to_owned();
    let waiting = wait_for(&app, &owner, &tenant, &second_id, "waiting_audit").await;
    assert_eq!(
        (sim.count("/wxa/commit"), sim.count("/wxa/submit_audit")),
        (3, 3),
        "B committed and submitted again instead of adopting A's"
    );
    assert_ne!(waiting["auditid"], rejected["auditid"]);
    assert_eq!(sim_app(&sim)["latest_audit"]["auditid"], waiting["auditid"]);
    assert_eq!(sim_app(&sim)["latest_audit"]["status"], 2);
    assert_eq!(step(&waiting, "commit")["attempts"], 2);
    assert_eq!(step(&waiting, "submit_audit")["attempts"], 2);
    assert!(step(&waiting, "commit")["detail"]["reconciled"].is_null());

    sim.decide_audit(BOUND_APPID, AuditOutcome::Pass, "")
        .await
        .unwrap();
    let released = wait_for(&app, &owner, &tenant, &second_id, "released").await;
    assert!(released["audit_reason"].is_null());
    assert_methods_as_documented(&sim);
}

#[actix_web::test]
async fn answers_lost_after_wechat_applied_commit_submit_and_release_count_once() {
    let (app, sim, agency) = deploy_setup().await;
    let (tenant, owner) = bound_tenant(&app, &agency, "pub.lost").await;
    // An earlier release of the same version: WeChat already shows a commit, an audit and
    // a release of it.
    deploy_and_release(&app, &sim, &owner, &tenant).await;

    for path in ["/wxa/commit", "/wxa/submit_audit", "/wxa/release"] {
        lose(&sim, path, FaultMode::Drop);
    }
    sim.inject(Fault {
        path: "/wxa/get_qrcode".into(),
        mode: FaultMode::Http500,
        count: 2,
    });
    let (_, started) = start(&app, &owner, &tenant, json!({})).await;
    let id = started["id"].as_str().unwrap().to_owned();
    wait_for(&app, &owner, &tenant, &id, "waiting_audit").await;
    sim.decide_audit(BOUND_APPID, AuditOutcome::Pass, "")
        .await
        .unwrap();
    let released = wait_for(&app, &owner, &tenant, &id, "released").await;
    assert_eq!(
        (
            sim.count("/wxa/commit"),
            sim.count("/wxa/submit_audit"),
            sim.count("/wxa/release")
        ),
        (2, 2, 2),
        "each applied exactly once for each run"
    );
    assert_eq!(sim_app(&sim)["releases"].as_array().unwrap().len(), 2);
    for name in ["commit", "submit_audit", "release"] {
        let s = step(&released, name);
        assert_eq!(s["detail"]["reconciled"], true, "{name}: {s}");
        assert_eq!(s["attempts"], 1, "{name}: {s}");
    }
    // A step's attempts count its WeChat calls: the QR code took three.
    assert_eq!(step(&released, "qrcode")["attempts"], 3);
    assert_eq!(step(&released, "privacy_scan")["attempts"], 1);
    assert_methods_as_documented(&sim);
}

#[actix_web::test]
async fn every_commit_carries_a_description_and_only_normal_templates_can_be_current() {
    let (app, sim, agency) = deploy_setup().await;
    let (tenant, owner) = bound_tenant(&app, &agency, "pub.desc").await;
    let put_template = |id: i64| {
        let app = &app;
        let admin = agency.admin.clone();
        async move {
            status_json(
                app.client
                    .put(app.url("/api/v1/platform/template"))
                    .bearer_auth(&admin)
                    .json(&json!({ "template_id": id }))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let now = sim.now();
    let plain = sim.with_platform(|p| p.add_template("1.0.1", "", now));
    let standard = sim.with_platform(|p| p.add_template_of_type("1.0.2", "标准", 1, now));
    let (status, refused) = put_template(standard).await;
    assert_eq!(
        (status, refused["details"]["field"].as_str()),
        (422, Some("template_id")),
        "{refused}"
    );
    let (status, current) = put_template(plain).await;
    assert_eq!(status, 200, "{current}");
    // The template keeps the manifest of the component types its package renders:
    // by default the shipped mini-program's.
    assert_eq!(
        current["supported_types"],
        json!(weapp_builder::services::wechat::templates::shipped_manifest())
    );
    assert!(current["supported_types"].as_array().unwrap().len() >= 14);
    let (status, refused) = status_json(
        app.client
            .put(app.url("/api/v1/platform/template"))
            .bearer_auth(&agency.admin)
            .json(&json!({"template_id": plain, "supported_types": ["text", "hologram"]}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, refused["details"]["field"].as_str()),
        (422, Some("supported_types[1]"))
    );

    // No description anywhere (a blank one from the merchant counts as none).
    let (_, started) = start(&app, &owner, &tenant, json!({"user_desc": "  "})).await;
    let id = started["id"].as_str().unwrap().to_owned();
    let waiting = wait_for(&app, &owner, &tenant, &id, "waiting_audit").await;
    let sent = sim_app(&sim)["commit"]["user_desc"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(waiting["user_desc"], sent.as_str());
    let (_, tenant_view) = status_json(
        app.get(&format!("/api/v1/tenants/{tenant}"), &agency.admin)
            .await,
    )
    .await;
    let name = tenant_view["business_name"].as_str().unwrap();
    assert!(
        sent.starts_with(&format!("{name} 1.0.1 #")),
        "{sent} should name {name} and the version"
    );
    let (status, _) = action(&app, &owner, &tenant, &id, "undo-audit", json!({})).await;
    assert_eq!(status, 200);

    // The merchant's own description is sent (with the run's mark).
    let (_, started) = start(&app, &owner, &tenant, json!({"user_desc": "春季菜单"})).await;
    let id = started["id"].as_str().unwrap().to_owned();
    wait_for(&app, &owner, &tenant, &id, "waiting_audit").await;
    let sent = sim_app(&sim)["commit"]["user_desc"].clone();
    assert!(sent.as_str().unwrap().starts_with("春季菜单 #"), "{sent}");
    let (status, _) = action(&app, &owner, &tenant, &id, "undo-audit", json!({})).await;
    assert_eq!(status, 200);

    // A step that fails for good keeps its row, with WeChat's errcode.
    sim.inject(Fault {
        path: "/wxa/security/get_code_privacy_info".into(),
        mode: FaultMode::Errcode { errcode: 61040 },
        count: 1,
    });
    let (_, started) = start(&app, &owner, &tenant, json!({})).await;
    let id = started["id"].as_str().unwrap().to_owned();
    let failed = wait_for(&app, &owner, &tenant, &id, "failed").await;
    let scan = step(&failed, "privacy_scan");
    assert_eq!(
        (scan["status"].as_str(), scan["errcode"].as_i64()),
        (Some("failed"), Some(61040)),
        "{failed:#}"
    );
    assert_eq!(failed["errcode"], 61040);
    assert_methods_as_documented(&sim);
}

#[actix_web::test]
async fn a_gray_release_only_grows_and_re_authorizing_keeps_the_binding_date() {
    let (app, sim, agency) = deploy_setup().await;
    let (tenant, owner) = bound_tenant(&app, &agency, "pub.gray").await;
    deploy_and_release(&app, &sim, &owner, &tenant).await;
    let (_, started) = start(&app, &owner, &tenant, json!({"auto_release": false})).await;
    let id = started["id"].as_str().unwrap().to_owned();
    wait_for(&app, &owner, &tenant, &id, "waiting_audit").await;
    sim.decide_audit(BOUND_APPID, AuditOutcome::Pass, "")
        .await
        .unwrap();
    wait_for(&app, &owner, &tenant, &id, "awaiting_release").await;
    let gray = |pct: i64| {
        action(
            &app,
            &owner,
            &tenant,
            &id,
            "release",
            json!({"gray_percentage": pct}),
        )
    };
    assert_eq!(gray(20).await.0, 200);
    let calls = sim.count("/wxa/grayrelease");
    for lower_or_same in [20, 5] {
        let (status, body) = gray(lower_or_same).await;
        assert_eq!(
            (status, body["details"]["field"].as_str()),
            (422, Some("gray_percentage")),
            "{body}"
        );
        assert!(body["message"].as_str().unwrap().contains("20"), "{body}");
    }
    assert_eq!(sim.count("/wxa/grayrelease"), calls, "WeChat was not asked");
    assert_eq!(gray(60).await.0, 200);

    // Authorizing the same mini-program again (new permissions) is not a new binding.
    let bound = binding(&app, &owner, &tenant).await;
    app.clock
        .set(app.clock.now() + chrono::Duration::minutes(5));
    crate::wechat::align(&sim, &app);
    let (status, link_body) = link(&app, &owner, &tenant).await;
    assert_eq!(status, 201, "{link_body}");
    let redirect = authorize_on_page(
        &app,
        link_body["url"].as_str().unwrap(),
        BOUND_APPID,
        "none",
    )
    .await;
    assert_eq!(follow(&app, &redirect).await.0, 200);
    let again = binding(&app, &owner, &tenant).await;
    assert_eq!(again["status"], "bound");
    assert_eq!(again["bound_at"], bound["bound_at"]);
    assert_methods_as_documented(&sim);
}
