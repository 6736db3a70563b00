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

async fn attempt(app: &crate::support::TestApp, username: &str, password: &str) -> u16 {
    app.login_response(username, password)
        .await
        .status()
        .as_u16()
}

#[actix_web::test]
async fn a_burst_of_guesses_gets_only_the_schedules_allowance_of_password_checks() {
    let app = spawn_app().await;
    app.create_admin("admin").await;
    let answers = futures_util::future::join_all((0..40).map(|i| {
        let app = &app;
        async move { attempt(app, "admin", &format!("wrong guess {i}")).await }
    }))
    .await;
    let checked = answers.iter().filter(|s| **s == 401).count();
    let refused = answers.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + refused, 40, "{answers:?}");
    assert!(
        checked <= 3,
        "{checked} passwords were checked in a burst of 40 (the schedule allows 3)"
    );
    // The right password right after the burst: still locked.
    assert_eq!(attempt(&app, "admin", TEST_PASSWORD).await, 429);
}

#[actix_web::test]
async fn one_address_guessing_across_user_names_hits_a_ceiling() {
    let app = spawn_app().await;
    app.create_admin("admin").await;
    let answers = futures_util::future::join_all((0..25).map(|i| {
        let app = &app;
        async move { attempt(app, &format!("nobody{i}"), "wrong password").await }
    }))
    .await;
    let checked = answers.iter().filter(|s| **s == 401).count();
    assert_eq!(checked, 20, "{answers:?}");
    assert_eq!(answers.iter().filter(|s| **s == 429).count(), 5);
    assert_eq!(
        attempt(&app, "admin", TEST_PASSWORD).await,
        429,
        "the address is held for a minute"
    );
    app.clock
        .set(app.clock.now() + chrono::Duration::minutes(2));
    assert_eq!(attempt(&app, "admin", TEST_PASSWORD).await, 200);
}

#[actix_web::test]
async fn metrics_can_be_closed_behind_a_bearer_token() {
    let open = spawn_app().await;
    let res = open.client.get(open.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200, "open when no token is set (the default)");

    let app = crate::support::builder()
        .metrics_token("scrape-token-5b1e")
        .spawn()
        .await;
    for (header, expected) in [
        (None, 401),
        (Some("Bearer scrape-token-5b1"), 401),
        (Some("Bearer scrape-token-5b1e-and-more"), 401),
        (Some("Basic scrape-token-5b1e"), 401),
        (Some("Bearer scrape-token-5b1e"), 200),
    ] {
        let mut req = app.client.get(app.url("/metrics"));
        if let Some(h) = header {
            req = req.header("authorization", h);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status(), expected, "{header:?}");
        if expected == 200 {
            assert!(res.text().await.unwrap().contains("jobs_dead"));
        } else {
            let body: serde_json::Value = res.json().await.unwrap();
            assert_eq!(body["code"], "unauthenticated");
        }
    }
}

#[actix_web::test]
async fn names_and_titles_refuse_text_direction_overrides() {
    let app = spawn_app().await;
    let admin = app.admin_session().await.access_token;
    // "\u{202E}gpj.exe" displays as "exe.jpg"; isolates can make a name read as another's.
    for name in ["好味\u{202E}馆小", "Shop\u{2066}A\u{2069}"] {
        let (status, body) = status_json(
            app.post_json(
                "/api/v1/staff",
                &admin,
                &json!({"username": "am.bidi", "display_name": name, "role": "account_manager"}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, body["details"]["field"].as_str()),
            (422, Some("display_name")),
            "{body}"
        );
        let (status, body) = status_json(
            app.post_json(
                "/api/v1/plans",
                &admin,
                &json!({"name": name, "terms": crate::agency::plan_terms(298_000)}),
            )
            .await,
        )
        .await;
        assert_eq!(
            (status, body["details"]["field"].as_str()),
            (422, Some("name")),
            "{body}"
        );
    }
}
