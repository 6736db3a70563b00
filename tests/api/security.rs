//! Issue 18 (in part): what an outside attacker got through.

use crate::agency::staff_account;
use crate::support::{TEST_PASSWORD, jwt_claims, spawn_app, status_json};
use serde_json::json;
use weapp_builder::auth::jwt::Claims;

#[actix_web::test]
async fn a_token_is_good_only_with_its_own_session() {
    let app = spawn_app().await;
    let admin = app.admin_session().await;
    let (_, victim) =
        staff_account(&app, &admin.access_token, "am.victim", "account_manager").await;
    let victim_claims = jwt_claims(&victim);
    let admin_claims = jwt_claims(&admin.access_token);
    // Validly signed (as with a leaked key or a forging bug): the admin's account with
    // the account manager's live session.
    let forged = app
        .state
        .jwt
        .issue(&Claims {
            sub: serde_json::from_value(admin_claims["sub"].clone()).unwrap(),
            role: serde_json::from_value(admin_claims["role"].clone()).unwrap(),
            tid: None,
            sid: serde_json::from_value(victim_claims["sid"].clone()).unwrap(),
            iat: app.clock.now().timestamp(),
            exp: app.clock.now().timestamp() + 600,
        })
        .unwrap();
    let (status, body) = status_json(app.get("/api/v1/auth/me", &forged).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_token"))
    );
    assert_eq!(
        app.get("/api/v1/auth/me", &admin.access_token)
            .await
            .status(),
        200
    );
}

#[actix_web::test]
async fn answers_carrying_secrets_are_not_stored_and_every_answer_says_nosniff() {
    let app = spawn_app().await;
    let admin = app.admin_session().await;
    let res = app
        .post_json(
            "/api/v1/staff",
            &admin.access_token,
            &json!({"username": "am.headers", "display_name": "AM", "role": "account_manager"}),
        )
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.headers()["cache-control"], "no-store");
    let id = res.json::<serde_json::Value>().await.unwrap()["account"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .post_empty(
            &format!("/api/v1/staff/{id}/one-time-password"),
            &admin.access_token,
        )
        .await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    let res = app.login_response("admin", TEST_PASSWORD).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    for path in [
        "/health/live",
        "/api/v1/nothing",
        "/client/v1/wx0000000000000000/app",
    ] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.headers()["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(res.headers()["referrer-policy"], "same-origin", "{path}");
    }
}
