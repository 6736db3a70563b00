//! Merchant editors: the merchant admin disables, enables and re-issues passwords; an
//! editor cannot manage editors.

use crate::agency::{first_login, plan_terms};
use crate::pages::{active_tenant, agency};
use crate::support::{spawn_app, status_json};
use serde_json::json;

#[actix_web::test]
async fn a_merchant_admin_disables_enables_and_reissues_an_editors_password() {
    let app = spawn_app().await;
    let agency = agency(&app).await;
    let (tenant, owner) = active_tenant(&app, &agency, plan_terms(298_000), "ed.owner").await;
    let (status, created) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{tenant}/editors"),
            &owner,
            &json!({"username": "ed.xiaowang", "display_name": "小王"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let editor_id = created["account"]["id"].as_str().unwrap().to_owned();
    let editor = first_login(
        &app,
        "ed.xiaowang",
        created["one_time_password"].as_str().unwrap(),
    )
    .await;
    let editor_password = "ed.xiaowang secret words";
    let base = format!("/api/v1/tenants/{tenant}/editors/{editor_id}");

    // An editor manages no editors.
    for action in ["disable", "enable", "one-time-password"] {
        let (status, body) =
            status_json(app.post_empty(&format!("{base}/{action}"), &editor).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (403, Some("forbidden")),
            "{action}"
        );
    }

    // Disabled: the session ends and the password no longer signs in.
    let (status, view) =
        status_json(app.post_empty(&format!("{base}/disable"), &owner).await).await;
    assert_eq!(
        (status, view["status"].as_str()),
        (200, Some("disabled")),
        "{view}"
    );
    let (status, _) = status_json(app.get("/api/v1/auth/me", &editor).await).await;
    assert_eq!(status, 401);
    let res = app.login_response("ed.xiaowang", editor_password).await;
    assert_eq!(res.status(), 401);

    // Enabled again (twice: idempotent): the old password works again.
    for _ in 0..2 {
        let (status, view) =
            status_json(app.post_empty(&format!("{base}/enable"), &owner).await).await;
        assert_eq!(
            (status, view["status"].as_str()),
            (200, Some("active")),
            "{view}"
        );
    }
    let again = app.login("ed.xiaowang", editor_password).await;

    // A new one-time password: the old one stops working, the editor's sessions end, and
    // the new one must be changed at first sign-in.
    let (status, reset) = status_json(
        app.post_empty(&format!("{base}/one-time-password"), &owner)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{reset}");
    assert_eq!(reset["account"]["must_change_password"], true);
    let otp = reset["one_time_password"].as_str().unwrap();
    let (status, _) = status_json(app.get("/api/v1/auth/me", &again.access_token).await).await;
    assert_eq!(status, 401);
    assert_eq!(
        app.login_response("ed.xiaowang", editor_password)
            .await
            .status(),
        401
    );
    first_login(&app, "ed.xiaowang", otp).await;

    // The merchant admin is not an editor: these actions do not reach it.
    let users = status_json(
        app.get(&format!("/api/v1/tenants/{tenant}/editors"), &owner)
            .await,
    )
    .await
    .1;
    let admin_id = users["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["role"] == "merchant_admin")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for action in ["disable", "enable", "one-time-password"] {
        let path = format!("/api/v1/tenants/{tenant}/editors/{admin_id}/{action}");
        let (status, _) = status_json(app.post_empty(&path, &owner).await).await;
        assert_eq!(status, 404, "{action}");
    }

    // Each step is in the tenant's audit trail.
    let (_, audit) = status_json(
        app.get(
            &format!("/api/v1/audit-events?tenant_id={tenant}"),
            &agency.admin,
        )
        .await,
    )
    .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in ["editor.disabled", "editor.enabled", "editor.password_reset"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}
