//! Issue 21: what the web console needs from the server — cookie sessions with a reuse
//! grace, first-run setup in the browser, the dashboard's aggregates, tenant search, and
//! the embedded console with its headers.

use crate::agency::{plan_terms, provision_body, staff_account, standard_contract};
use crate::pages::{Agency, agency};
use crate::support::{TEST_PASSWORD, TestApp, spawn_app, status_json};
use serde_json::{Value, json};

const CONSOLE: (&str, &str) = ("X-Weapp-Client", "console");

/// The `weapp_refresh` cookie a response sets: (value, its attributes as written).
fn refresh_cookie(res: &reqwest::Response) -> Option<(String, String)> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("weapp_refresh="))
        .map(|c| {
            let value = c["weapp_refresh=".len()..]
                .split(';')
                .next()
                .unwrap_or("")
                .to_owned();
            (value, c.to_owned())
        })
}

async fn console_login(app: &TestApp, username: &str) -> (Value, String) {
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header(CONSOLE.0, CONSOLE.1)
        .json(&json!({"username": username, "password": TEST_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let (cookie, _) = refresh_cookie(&res).expect("the refresh token comes as a cookie");
    (res.json().await.unwrap(), cookie)
}

async fn cookie_refresh(app: &TestApp, cookie: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/refresh"))
        .header(CONSOLE.0, CONSOLE.1)
        .header("Cookie", format!("weapp_refresh={cookie}"))
        .json(&json!({}))
        .send()
        .await
        .unwrap()
}

#[actix_web::test]
async fn the_console_keeps_its_refresh_token_in_an_http_only_strict_cookie() {
    let app = spawn_app().await;
    app.create_admin("admin").await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header(CONSOLE.0, CONSOLE.1)
        .json(&json!({"username": "admin", "password": TEST_PASSWORD}))
        .send()
        .await
        .unwrap();
    let (cookie, attributes) = refresh_cookie(&res).unwrap();
    assert_eq!(res.headers()["cache-control"], "no-store");
    let body: Value = res.json().await.unwrap();
    assert!(body.get("refresh_token").is_none(), "{body}");
    assert!(body["access_token"].is_string());
    for attribute in [
        "HttpOnly",
        "SameSite=Strict",
        "Path=/api/v1/auth",
        "Max-Age=",
    ] {
        assert!(attributes.contains(attribute), "{attributes}");
    }
    assert!(
        !attributes.contains("Secure"),
        "http public URL: {attributes}"
    );

    // The cookie refreshes only with the console's header (a cross-site form cannot send
    // it); an API client still sends its token in the body.
    let res = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .header("Cookie", format!("weapp_refresh={cookie}"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("refresh_token"))
    );
    let (status, body) = status_json(
        app.client
            .post(app.url("/api/v1/auth/refresh"))
            .header(CONSOLE.0, CONSOLE.1)
            .json(&json!({}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_refresh_token"))
    );
    let res = cookie_refresh(&app, &cookie).await;
    assert_eq!(res.status(), 200);
    let (next, _) = refresh_cookie(&res).unwrap();
    assert_ne!(next, cookie);

    // Logging out clears the cookie.
    let access = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (cleared, attributes) = refresh_cookie(&res).unwrap();
    assert!(
        cleared.is_empty() && attributes.contains("Max-Age=0"),
        "{attributes}"
    );
    assert_eq!(cookie_refresh(&app, &next).await.status(), 401);
}

#[actix_web::test]
async fn two_tabs_refreshing_at_once_share_the_new_token_and_a_late_replay_still_revokes() {
    let app = spawn_app().await;
    app.create_admin("admin").await;
    let (_, cookie) = console_login(&app, "admin").await;

    // Both tabs send the same cookie: the second, within the grace, gets the same new
    // refresh token and a working access token.
    let first = cookie_refresh(&app, &cookie).await;
    assert_eq!(first.status(), 200);
    let (successor, _) = refresh_cookie(&first).unwrap();
    let second = cookie_refresh(&app, &cookie).await;
    assert_eq!(
        second.status(),
        200,
        "a reuse within the grace is not theft"
    );
    let (again, _) = refresh_cookie(&second).unwrap();
    assert_eq!(again, successor);
    let access = second.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(app.get("/api/v1/auth/me", &access).await.status(), 200);

    // Truly at once, too (the second waits for the first's row lock on PostgreSQL).
    let (_, other) = console_login(&app, "admin").await;
    let (a, b) = tokio::join!(cookie_refresh(&app, &other), cookie_refresh(&app, &other));
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    assert_eq!(refresh_cookie(&a).unwrap().0, refresh_cookie(&b).unwrap().0);

    // The session goes on with the successor.
    let res = cookie_refresh(&app, &successor).await;
    assert_eq!(res.status(), 200);
    let (third, _) = refresh_cookie(&res).unwrap();

    // A replay of a spent token after the grace is theft: the session is revoked.
    app.clock.set(
        app.clock.now()
            + chrono::Duration::seconds(weapp_builder::services::sessions::REUSE_GRACE_SECS + 1),
    );
    let (status, body) = status_json(cookie_refresh(&app, &successor).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (401, Some("invalid_refresh_token"))
    );
    assert_eq!(
        cookie_refresh(&app, &third).await.status(),
        401,
        "the whole session ended"
    );
    assert_eq!(
        crate::wechat::audit_actions(&app, "session.revoked_token_reuse")
            .await
            .len(),
        1
    );
}

#[actix_web::test]
async fn first_run_setup_creates_the_first_admin_once() {
    let app = spawn_app().await;
    let (status, body) = status_json(
        app.client
            .get(app.url("/api/v1/setup"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["needed"].as_bool()), (200, Some(true)));
    let token = app.state.setup.token().await.expect("setup is open");
    let setup = |token: String, password: &str| {
        let app = &app;
        let password = password.to_owned();
        async move {
            app.client
                .post(app.url("/api/v1/setup"))
                .header(CONSOLE.0, CONSOLE.1)
                .json(&json!({"token": token, "username": "owner", "password": password}))
                .send()
                .await
                .unwrap()
        }
    };
    let (status, body) = status_json(setup("wrong".into(), TEST_PASSWORD).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("setup_token_invalid"))
    );
    let (status, body) = status_json(setup(token.clone(), "short").await).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("password")),
        "{body}"
    );
    let res = setup(token.clone(), TEST_PASSWORD).await;
    assert_eq!(res.status(), 201);
    assert!(refresh_cookie(&res).is_some());
    let signed_in: Value = res.json().await.unwrap();
    assert_eq!(signed_in["account"]["role"], "agency_admin");
    assert_eq!(signed_in["must_change_password"], false);
    let (status, body) = status_json(setup(token, TEST_PASSWORD).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("setup_not_available"))
    );
    let (_, body) = status_json(
        app.client
            .get(app.url("/api/v1/setup"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(body["needed"], false);
    app.login("owner", TEST_PASSWORD).await;
}

async fn provision(
    app: &TestApp,
    agency: &Agency,
    manager: Option<&str>,
    name: &str,
    user: &str,
) -> String {
    let (_, plan) = status_json(
        app.post_json(
            "/api/v1/plans",
            &agency.admin,
            &json!({"name": format!("plan {user}"), "terms": plan_terms(298_000)}),
        )
        .await,
    )
    .await;
    let mut body = provision_body(
        plan["id"].as_str().unwrap(),
        manager,
        user,
        standard_contract("first_milestone"),
    );
    body["business_name"] = json!(name);
    let (status, created) =
        status_json(app.post_json("/api/v1/tenants", &agency.admin, &body).await).await;
    assert_eq!(status, 201, "{created}");
    created["tenant"]["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn the_dashboard_counts_what_needs_attention_and_search_finds_tenants() {
    let app = spawn_app().await;
    let agency = agency(&app).await;
    let mine = provision(
        &app,
        &agency,
        Some(&agency.am_id),
        "好味小馆 Noodles",
        "dash.noodle",
    )
    .await;
    let (other_am, _) = staff_account(&app, &agency.admin, "am.other", "account_manager").await;
    let other = provision(&app, &agency, Some(&other_am), "Tea_House 100%", "dash.tea").await;

    let (status, board) = status_json(app.get("/api/v1/dashboard", &agency.admin).await).await;
    assert_eq!(status, 200, "{board}");
    assert_eq!(board["tenants_by_status"]["pending"], 2);
    assert_eq!(board["tenants_by_status"]["active"], 0);
    assert_eq!(board["holds"]["overdue"], 0);
    assert!(board["calendar"]["covered_until"].is_string());
    assert!(board["dead_jobs"].is_u64());
    let (_, board) = status_json(app.get("/api/v1/dashboard", &agency.am).await).await;
    assert_eq!(
        board["tenants_by_status"]["pending"], 1,
        "an account manager sees their own"
    );

    let search = |q: &str| {
        let app = &app;
        let token = agency.admin.clone();
        let path = format!("/api/v1/tenants?q={}", url_encode(q));
        async move {
            let (status, page) = status_json(app.get(&path, &token).await).await;
            assert_eq!(status, 200, "{page}");
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| t["id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search("noodles").await, [mine.as_str()], "case-insensitive");
    assert_eq!(search("好味").await, [mine.as_str()]);
    assert_eq!(
        search("dash.tea").await,
        [other.as_str()],
        "by merchant login"
    );
    assert_eq!(
        search("100%").await,
        [other.as_str()],
        "wildcards are literal"
    );
    assert!(search("_").await.contains(&other) && !search("_").await.contains(&mine));
    let (status, body) = status_json(app.get("/api/v1/tenants?q=", &agency.admin).await).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("q"))
    );
    let (_, page) = status_json(app.get("/api/v1/tenants?q=tea", &agency.am).await).await;
    assert_eq!(page["items"].as_array().unwrap().len(), 0, "not theirs");
}

fn url_encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[actix_web::test]
async fn the_console_is_served_with_history_routing_cache_headers_and_a_csp() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("assets")).unwrap();
    std::fs::write(
        dir.path().join("index.html"),
        "<!doctype html><title>console</title>",
    )
    .unwrap();
    std::fs::write(dir.path().join("assets/app-1a2b.js"), "console.log(1)").unwrap();
    let console_dir = dir.path().to_owned();
    let app = crate::support::builder()
        .settings(move |s| s.http.console_dir = Some(console_dir))
        .spawn()
        .await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: &str| client.get(app.url(path)).send();

    let res = get("/").await.unwrap();
    assert_eq!(res.status(), 302);
    assert_eq!(res.headers()["location"], "/console/");
    for path in ["/console/", "/console", "/console/tenants/42?status=active"] {
        let res = get(path).await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let h = res.headers();
        assert_eq!(h["content-type"], "text/html; charset=utf-8");
        assert_eq!(h["cache-control"], "no-cache");
        let csp = h["content-security-policy"].to_str().unwrap();
        for directive in [
            "default-src 'self'",
            "frame-ancestors 'none'",
            "img-src 'self' data: blob:",
        ] {
            assert!(csp.contains(directive), "{csp}");
        }
        assert!(!csp.contains("unsafe-eval"), "{csp}");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "same-origin");
        assert!(res.text().await.unwrap().contains("<title>console</title>"));
    }
    let res = get("/console/assets/app-1a2b.js").await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    // A stale chunk fails visibly instead of answering index.html as JavaScript.
    assert_eq!(
        get("/console/assets/gone-9z.js").await.unwrap().status(),
        404
    );
    assert_eq!(get("/console/../Cargo.toml").await.unwrap().status(), 404);
    // The API keeps its JSON 404.
    let (status, body) = status_json(get("/api/v1/nothing-here").await.unwrap()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (404, Some("route_not_found"))
    );
}
