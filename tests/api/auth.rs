//! Issue 2 acceptance point 2: tokens, throttle, refresh rotation, must-change gate.

use crate::support::{TEST_JWT_SECRET, TEST_PASSWORD, jwt_claims, spawn_app, status_json};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

#[actix_web::test]
async fn login_returns_a_jwt_with_role_and_session() {
    let app = spawn_app().await;
    let session = app.admin_session().await;
    let claims = jwt_claims(&session.access_token);
    assert_eq!(claims["role"], "agency_admin");
    assert!(claims["sub"].is_string() && claims["sid"].is_string());
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600,
        "access tokens live one hour"
    );
    assert!(claims.get("tid").is_none(), "staff carry no tenant");
    assert_eq!(session.body["token_type"], "Bearer");
    assert_eq!(session.body["account"]["username"], "admin");
    let (status, me) = status_json(app.get("/api/v1/auth/me", &session.access_token).await).await;
    assert_eq!(status, 200);
    assert_eq!(me["role"], "agency_admin");
}

#[actix_web::test]
async fn merchant_tokens_carry_the_tenant() {
    let app = spawn_app().await;
    let tenant = crate::staff::seed_tenant(&app, "pending").await;
    let otp = crate::staff::seed_merchant(&app, tenant, "shop.owner").await;
    let session = app.login("shop.owner", &otp).await;
    let claims = jwt_claims(&session.access_token);
    assert_eq!(claims["role"], "merchant_admin");
    assert_eq!(claims["tid"], tenant.to_string());
}

fn forge(claims: &Value, alg: Algorithm, secret: &[u8]) -> String {
    jsonwebtoken::encode(&Header::new(alg), claims, &EncodingKey::from_secret(secret)).unwrap()
}

#[actix_web::test]
async fn foreign_none_expired_and_disabled_tokens_get_401() {
    let app = spawn_app().await;
    let admin = app.admin_session().await;
    let claims = jwt_claims(&admin.access_token);

    let other_key = forge(
        &claims,
        Algorithm::HS256,
        b"another-secret-another-secret-123456",
    );
    let other_alg = forge(&claims, Algorithm::HS512, TEST_JWT_SECRET.as_bytes());
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap())
    );
    for (name, token) in [
        ("other key", other_key),
        ("HS512", other_alg),
        ("alg none", none),
        ("garbage", "abc".into()),
    ] {
        let (status, body) = status_json(app.get("/api/v1/staff", &token).await).await;
        assert_eq!(status, 401, "{name}");
        assert_eq!(body["code"], "invalid_token", "{name}");
    }
    let (status, body) = status_json(
        app.client
            .get(app.url("/api/v1/staff"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("unauthenticated"))
    );

    // Expiry follows the service clock, not the system clock.
    app.clock.advance(Duration::seconds(3601));
    let (status, body) = status_json(app.get("/api/v1/staff", &admin.access_token).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("token_expired"))
    );
    app.clock.advance(Duration::seconds(-3601));

    // A disabled account's unexpired token stops working at once.
    let (_, created) = status_json(
        app.post_json(
            "/api/v1/staff",
            &admin.access_token,
            &json!({"username": "am.li", "display_name": "李经理", "role": "account_manager"}),
        )
        .await,
    )
    .await;
    let otp = created["one_time_password"].as_str().unwrap();
    let am = app.login("am.li", otp).await;
    let id = created["account"]["id"].as_str().unwrap();
    let (status, _) = status_json(app.get("/api/v1/auth/me", &am.access_token).await).await;
    assert_eq!(status, 200);
    let (status, _) = status_json(
        app.post_empty(&format!("/api/v1/staff/{id}/disable"), &admin.access_token)
            .await,
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = status_json(app.get("/api/v1/auth/me", &am.access_token).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("account_disabled"))
    );
    let (status, body) = status_json(
        app.client
            .post(app.url("/api/v1/auth/refresh"))
            .json(&json!({ "refresh_token": am.refresh_token }))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401, "{body}");
}

/// Runs the failure sequence for one username and returns what each attempt answered.
async fn failure_sequence(
    app: &crate::support::TestApp,
    username: &str,
) -> Vec<(u16, String, Option<String>)> {
    let mut seen = Vec::new();
    for attempt in 1..=7 {
        let res = app.login_response(username, "definitely wrong").await;
        let retry_after = res
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().to_owned());
        let (status, body) = status_json(res).await;
        seen.push((
            status,
            body["code"].as_str().unwrap().to_owned(),
            retry_after.clone(),
        ));
        // Short waits (after the 3rd and 4th failure) are waited out on the service clock.
        if status == 429 && attempt < 7 {
            let secs: i64 = retry_after.unwrap().parse().unwrap();
            if secs < 60 {
                app.clock.advance(Duration::seconds(secs));
            }
        }
    }
    seen
}

#[actix_web::test]
async fn throttle_locks_after_five_failures_and_unknown_names_look_the_same() {
    let app = spawn_app().await;
    app.create_admin("admin").await;
    let known = failure_sequence(&app, "admin").await;
    let unknown = failure_sequence(&app, "nobody.here").await;
    assert_eq!(
        known, unknown,
        "unknown usernames must answer exactly like wrong passwords"
    );
    let statuses: Vec<u16> = known.iter().map(|s| s.0).collect();
    // 1-3 fail; 4th waits 1 s then fails; 5th waits 5 s then fails; then 15 minutes.
    assert_eq!(statuses, vec![401, 401, 401, 429, 401, 429, 401]);
    let fifth_failure_lock = failure_sequence_tail(&app, "admin").await;
    assert_eq!(fifth_failure_lock.0, 429);
    assert_eq!(fifth_failure_lock.1, "too_many_attempts");
    let secs: i64 = fifth_failure_lock.2.unwrap().parse().unwrap();
    assert!((890..=900).contains(&secs), "15-minute lock, got {secs}");
    // Even the right password is refused while locked; after 15 minutes it works.
    let res = app.login_response("admin", TEST_PASSWORD).await;
    assert_eq!(res.status(), 429);
    app.clock.advance(Duration::minutes(15));
    let res = app.login_response("admin", TEST_PASSWORD).await;
    assert_eq!(res.status(), 200);
    // The lock is per (username, address): another name from here is not locked.
    let res = app.login_response("someone.else", "x").await;
    assert_eq!(res.status(), 401);
}

async fn failure_sequence_tail(
    app: &crate::support::TestApp,
    username: &str,
) -> (u16, String, Option<String>) {
    let res = app.login_response(username, "definitely wrong").await;
    let retry_after = res
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let (status, body) = status_json(res).await;
    (
        status,
        body["code"].as_str().unwrap().to_owned(),
        retry_after,
    )
}

#[actix_web::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let app = spawn_app().await;
    let first = app.admin_session().await;
    let refresh = |token: String| {
        let app = &app;
        async move {
            status_json(
                app.client
                    .post(app.url("/api/v1/auth/refresh"))
                    .json(&json!({ "refresh_token": token }))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let (status, second) = refresh(first.refresh_token.clone()).await;
    assert_eq!(status, 200);
    let second_refresh = second["refresh_token"].as_str().unwrap().to_owned();
    let second_access = second["access_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, first.refresh_token, "refresh tokens rotate");
    assert_eq!(
        jwt_claims(&second_access)["sid"],
        jwt_claims(&first.access_token)["sid"],
        "same session"
    );
    let (status, _) = status_json(app.get("/api/v1/auth/me", &second_access).await).await;
    assert_eq!(status, 200);

    // The first token again within the grace (a lost answer, a second tab): the same
    // successor, nothing revoked.
    let (status, again) = refresh(first.refresh_token.clone()).await;
    assert_eq!(
        (status, again["refresh_token"].as_str()),
        (200, Some(second_refresh.as_str()))
    );

    // After the grace, reuse → the whole family is revoked.
    app.clock.set(
        app.clock.now()
            + chrono::Duration::seconds(weapp_builder::services::sessions::REUSE_GRACE_SECS + 1),
    );
    let (status, body) = refresh(first.refresh_token.clone()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_refresh_token"))
    );
    let (status, body) = refresh(second_refresh).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_refresh_token"))
    );
    let (status, body) = status_json(app.get("/api/v1/auth/me", &second_access).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("session_revoked"))
    );
}

#[actix_web::test]
async fn logout_revokes_the_session() {
    let app = spawn_app().await;
    let s = app.admin_session().await;
    let other = app.login("admin", TEST_PASSWORD).await;
    let res = app.post_empty("/api/v1/auth/logout", &s.access_token).await;
    assert_eq!(res.status(), 204);
    let (status, body) = status_json(app.get("/api/v1/auth/me", &s.access_token).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("session_revoked"))
    );
    let res = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": s.refresh_token }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    // Other sessions live on, until "everywhere".
    assert_eq!(
        app.get("/api/v1/auth/me", &other.access_token)
            .await
            .status(),
        200
    );
    let third = app.login("admin", TEST_PASSWORD).await;
    let res = app
        .post_empty("/api/v1/auth/logout?everywhere=true", &third.access_token)
        .await;
    assert_eq!(res.status(), 204);
    assert_eq!(
        app.get("/api/v1/auth/me", &other.access_token)
            .await
            .status(),
        401
    );
}

#[actix_web::test]
async fn must_change_password_blocks_everything_but_the_change() {
    let app = spawn_app().await;
    let admin = app.admin_session().await;
    let (status, created) = status_json(
        app.post_json(
            "/api/v1/staff",
            &admin.access_token,
            &json!({"username": "new.admin", "display_name": "New Admin", "role": "agency_admin"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201);
    let otp = created["one_time_password"].as_str().unwrap().to_owned();
    let fresh = app.login("new.admin", &otp).await;
    assert_eq!(fresh.body["must_change_password"], true);

    let (status, body) = status_json(app.get("/api/v1/staff", &fresh.access_token).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("password_change_required"))
    );
    let (status, body) =
        status_json(app.get("/api/v1/admin/jobs", &fresh.access_token).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("password_change_required"))
    );
    // Reading oneself and refreshing work; the refreshed token is still restricted.
    assert_eq!(
        app.get("/api/v1/auth/me", &fresh.access_token)
            .await
            .status(),
        200
    );

    // A weak new password is refused with the field named.
    let (status, body) = status_json(
        app.post_json(
            "/api/v1/auth/password",
            &fresh.access_token,
            &json!({"current_password": otp, "new_password": "short"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("new_password"))
    );

    let (status, changed) = status_json(
        app.post_json(
            "/api/v1/auth/password",
            &fresh.access_token,
            &json!({"current_password": otp, "new_password": "a much better passphrase"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["must_change_password"], false);
    let new_access = changed["access_token"].as_str().unwrap();
    assert_eq!(app.get("/api/v1/staff", new_access).await.status(), 200);
    // The old session ended with the change; the one-time password no longer works.
    assert_eq!(
        app.get("/api/v1/auth/me", &fresh.access_token)
            .await
            .status(),
        401
    );
    assert_eq!(app.login_response("new.admin", &otp).await.status(), 401);
    assert_eq!(
        app.login_response("new.admin", "a much better passphrase")
            .await
            .status(),
        200
    );
}

#[actix_web::test]
async fn one_time_passwords_expire_after_72_hours() {
    let app = spawn_app().await;
    let admin = app.admin_session().await;
    let (_, created) = status_json(
        app.post_json(
            "/api/v1/staff",
            &admin.access_token,
            &json!({"username": "late.user", "display_name": "Late", "role": "account_manager"}),
        )
        .await,
    )
    .await;
    let otp = created["one_time_password"].as_str().unwrap().to_owned();
    app.clock
        .advance(Duration::hours(72) + Duration::minutes(1));
    let (status, body) = status_json(app.login_response("late.user", &otp).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("password_expired"))
    );
    // Staff issue a new one, which works.
    let id = created["account"]["id"].as_str().unwrap();
    let admin = app.login("admin", TEST_PASSWORD).await;
    let (status, reissued) = status_json(
        app.post_empty(
            &format!("/api/v1/staff/{id}/one-time-password"),
            &admin.access_token,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200);
    let new_otp = reissued["one_time_password"].as_str().unwrap();
    assert_ne!(new_otp, otp);
    assert_eq!(app.login_response("late.user", new_otp).await.status(), 200);
}
