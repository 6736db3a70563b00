//! Issue 18 point 2: phone-facing assets follow the tenant's state and takedowns, have a
//! budget and a meter of their own and a short cache lifetime; the console reads them
//! through a signed prefix that works in any state.

use crate::assets::{BANNER_PNG, upload};
use crate::client::tenant_with_appid;
use crate::pages::{agency, create_page, page};
use crate::support::{TestApp, builder, status_json};
use serde_json::json;

const APPID: &str = "wxa55e7500000000f1";

/// Status of GET `path`, following the S3 store's presigned redirect.
async fn status_of(app: &TestApp, path: &str) -> u16 {
    let res = app.client.get(app.url(path)).send().await.unwrap();
    match res.status().as_u16() {
        302 => {
            let to = res.headers()["location"].to_str().unwrap().to_owned();
            reqwest::get(to).await.unwrap().status().as_u16()
        }
        other => other,
    }
}

async fn publish(app: &TestApp, owner: &str, id: &str) {
    let res = app
        .post_empty(&format!("/api/v1/pages/{id}/publish"), owner)
        .await;
    assert_eq!(res.status(), 201);
}

#[actix_web::test]
async fn images_follow_takedowns_and_the_tenant_state_and_have_their_own_budget_and_meter() {
    // 1 page request a second; images get 20 a second.
    let app = builder()
        .settings(|s| s.client.asset_rps_multiplier = 20)
        .spawn()
        .await;
    let agency = agency(&app).await;
    let (tenant, owner) = tenant_with_appid(&app, &agency, APPID, 1, "shop.images").await;
    let mut ids = Vec::new();
    for name in ["a.png", "b.png", "draft-only.png"] {
        let (status, asset) = upload(&app, &owner, name, BANNER_PNG.to_vec()).await;
        assert_eq!(status, 201, "{asset}");
        ids.push(asset["id"].as_str().unwrap().to_owned());
    }
    let (a, b, draft_only) = (&ids[0], &ids[1], &ids[2]);
    let image = |id: &str| json!({"id": format!("i{}", &id[id.len() - 8..]), "type": "image", "props": {"asset_id": id}});
    let mut pages = Vec::new();
    for (slug, components) in [
        ("home", json!([image(a)])),
        ("promo", json!([image(a), image(b)])),
        ("draft", json!([image(draft_only)])),
    ] {
        let (status, created) = create_page(&app, &owner, &page(slug, components)).await;
        assert_eq!(status, 201, "{created}");
        pages.push(created);
    }
    let (home, promo) = (&pages[0], &pages[1]);
    publish(&app, &owner, home["id"].as_str().unwrap()).await;
    publish(&app, &owner, promo["id"].as_str().unwrap()).await;
    let url = |id: &str| format!("/client/v1/{APPID}/assets/{id}");

    // Served with a short cache lifetime; an asset only a draft uses is not served.
    let res = app.client.get(app.url(&url(a))).send().await.unwrap();
    let cache_control = res.headers()["cache-control"].to_str().unwrap().to_owned();
    assert!(
        cache_control == "public, max-age=300" || cache_control == "no-store",
        "{cache_control}"
    );
    assert_eq!(status_of(&app, &url(a)).await, 200);
    assert_eq!(status_of(&app, &url(b)).await, 200);
    assert_eq!(status_of(&app, &url(draft_only)).await, 404);

    // A page takedown: its own image goes; one another live page uses stays.
    let res = app
        .post_json(
            &format!(
                "/api/v1/tenants/{tenant}/pages/{}/takedown",
                promo["id"].as_str().unwrap()
            ),
            &agency.admin,
            &json!({"reason": "违规图片"}),
        )
        .await;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(
        status_of(&app, &url(b)).await,
        404,
        "only the taken-down page used it"
    );
    assert_eq!(
        status_of(&app, &url(a)).await,
        200,
        "the home page still uses it"
    );

    // A tenant takedown hold: no image at all, while the console still shows them.
    app.post_json(
        &format!("/api/v1/tenants/{tenant}/holds/takedown"),
        &agency.admin,
        &json!({"reason": "违规"}),
    )
    .await;
    assert_eq!(status_of(&app, &url(a)).await, 404);
    let (_, links) = status_json(app.get("/api/v1/asset-links", &owner).await).await;
    let prefix = links["url"].as_str().unwrap().to_owned();
    for id in [a, b, draft_only] {
        assert_eq!(
            status_of(&app, &format!("{prefix}{id}")).await,
            200,
            "console {id}"
        );
    }
    app.post_json(
        &format!("/api/v1/tenants/{tenant}/holds/takedown/lift"),
        &agency.admin,
        &json!({"reason": "已整改"}),
    )
    .await;
    assert_eq!(status_of(&app, &url(a)).await, 200);

    // 60 rapid image requests: the image budget (20/s) throttles some, the page budget
    // (1/s) is untouched — the page still loads.
    let mut throttled = 0;
    for _ in 0..60 {
        if app
            .client
            .get(app.url(&url(a)))
            .send()
            .await
            .unwrap()
            .status()
            == 429
        {
            throttled += 1;
        }
    }
    assert!(
        throttled > 0 && throttled < 60,
        "{throttled} of 60 throttled"
    );
    let res = app
        .client
        .get(app.url(&format!("/client/v1/{APPID}/pages/home")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "images do not use up the page budget");

    // Images are metered apart: they are neither requests nor page views.
    let today = weapp_builder::domain::time::shanghai_date(app.clock.now());
    let (status, report) = status_json(
        app.get(
            &format!(
                "/api/v1/reports/usage?from={}&to={today}",
                today - chrono::Duration::days(7)
            ),
            &owner,
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{report}");
    let days = report["days"].as_array().unwrap();
    let sum = |key: &str| days.iter().map(|d| d[key].as_i64().unwrap()).sum::<i64>();
    assert!(sum("asset_requests") >= 65, "{report}");
    assert_eq!(sum("asset_throttled"), throttled, "{report}");
    assert_eq!(sum("requests"), 1, "only the one page request: {report}");
    let views: i64 = days
        .iter()
        .flat_map(|d| d["page_views"].as_object().unwrap().values())
        .map(|v| v.as_i64().unwrap())
        .sum();
    assert_eq!(views, 1);
}

#[actix_web::test]
async fn a_console_asset_link_is_scoped_to_its_tenant_and_expires() {
    let app = builder().spawn().await;
    let agency = agency(&app).await;
    let (_, owner) = tenant_with_appid(&app, &agency, APPID, 50, "shop.links").await;
    let (_, asset) = upload(&app, &owner, "a.png", BANNER_PNG.to_vec()).await;
    let id = asset["id"].as_str().unwrap();
    let res = app.get("/api/v1/asset-links", &owner).await;
    assert_eq!(
        res.headers()["cache-control"],
        "no-store",
        "it carries a credential"
    );
    let (_, links) = status_json(res).await;
    let prefix = links["url"].as_str().unwrap().to_owned();
    let res = app
        .client
        .get(app.url(&format!("{prefix}{id}")))
        .send()
        .await
        .unwrap();
    if res.status() == 200 {
        assert_eq!(res.headers()["cache-control"], "private, max-age=3600");
    }
    // The same prefix for a while, so browsers keep the images cached.
    let (_, again) = status_json(app.get("/api/v1/asset-links", &owner).await).await;
    assert_eq!(again["url"], links["url"]);
    assert_eq!(status_of(&app, &format!("{prefix}{id}")).await, 200);
    assert_eq!(
        status_of(&app, &format!("{prefix}sys-placeholder-banner")).await,
        200
    );
    // A prefix token is not a download link, and a forged one is refused.
    let token = prefix
        .trim_start_matches("/api/v1/links/")
        .trim_end_matches("/assets/");
    let (status, body) = status_json(
        app.client
            .get(app.url(&format!("/api/v1/links/{token}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (403, Some("link_invalid")));
    assert_eq!(
        status_of(&app, &format!("/api/v1/links/{token}x/assets/{id}")).await,
        403
    );
    // Past its expiry: 410.
    let expires: chrono::DateTime<chrono::Utc> =
        links["expires_at"].as_str().unwrap().parse().unwrap();
    app.clock.set(expires + chrono::Duration::seconds(1));
    assert_eq!(status_of(&app, &format!("{prefix}{id}")).await, 410);
}

#[actix_web::test]
async fn cache_loads_have_a_pool_of_their_own_read_only_on_sqlite() {
    use sea_orm::ConnectionTrait;
    let app = builder().spawn().await;
    app.create_admin("admin").await;
    let write = app
        .state
        .read_db
        .execute_unprepared("CREATE TABLE read_pool_probe (a INTEGER)")
        .await;
    if crate::support::on_postgres() {
        // A pool of its own, but PostgreSQL readers need no query-only guard.
        write.unwrap();
    } else {
        assert!(write.is_err(), "the read pool must refuse writes");
        // And it reads what the writer committed.
        let n = app
            .state
            .read_db
            .query_one_raw(sea_orm::Statement::from_string(
                app.state.read_db.get_database_backend(),
                "SELECT COUNT(*) AS n FROM users",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
        assert!(n >= 1);
    }
}
