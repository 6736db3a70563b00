//! Public URLs follow the setting: a restart with another `client.public_base_url`
//! re-renders every published page and app config, with new ETags.

use crate::agency::plan_terms;
use crate::pages::{active_tenant, agency, create_page, page};
use crate::support::{builder, status_json, wait_until};
use entity::jobs;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::json;

const APPID: &str = "wx00000000000000c1";

#[actix_web::test]
async fn a_restart_with_another_public_url_serves_every_published_document_with_it() {
    let old = builder()
        .settings(|s| s.client.public_base_url = "http://test.example.cn:8080".into())
        .spawn()
        .await;
    let agency = agency(&old).await;
    let (tenant, owner) = active_tenant(&old, &agency, plan_terms(298_000), "shop.url").await;
    let (status, _) = status_json(
        old.client
            .put(old.url(&format!("/api/v1/tenants/{tenant}/appid")))
            .bearer_auth(&agency.admin)
            .json(&json!({"appid": APPID}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200);
    let (_, p) = create_page(
        &old,
        &owner,
        &page(
            "home",
            json!([{"id": "pic", "type": "image", "props": {"asset_id": "sys-placeholder-banner"}}]),
        ),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    let (status, _) = status_json(
        old.post_empty(&format!("/api/v1/pages/{id}/publish"), &owner)
            .await,
    )
    .await;
    assert_eq!(status, 201);
    let fetch = |app: &crate::support::TestApp, path: &str| {
        let req = app.client.get(app.url(path));
        async move {
            let res = req.send().await.unwrap();
            let etag = res.headers()["etag"].to_str().unwrap().to_owned();
            (etag, res.text().await.unwrap())
        }
    };
    let page_path = format!("/client/v1/{APPID}/pages/home");
    let app_path = format!("/client/v1/{APPID}/app");
    let (page_etag, body) = fetch(&old, &page_path).await;
    assert!(
        body.contains("http://test.example.cn:8080/client/v1/"),
        "{body}"
    );
    let (app_etag, _) = fetch(&old, &app_path).await;

    // The service moves to its real domain: restarted with the new setting.
    let next = builder()
        .same_database_as(&old)
        .settings(|s| s.client.public_base_url = "https://shop.example.cn".into());
    old.stop().await;
    let new = next.spawn().await;
    let done = wait_until(std::time::Duration::from_secs(60), || async {
        jobs::Entity::find()
            .filter(jobs::Column::Kind.eq("client.rerender_all"))
            .filter(jobs::Column::Status.eq("done"))
            .count(&new.state.db)
            .await
            .unwrap()
            == 1
    })
    .await;
    assert!(done, "the re-render job ran");
    let (etag, body) = fetch(&new, &page_path).await;
    assert!(
        body.contains(&format!(
            "https://shop.example.cn/client/v1/{APPID}/assets/sys-placeholder-banner"
        )) && !body.contains("test.example.cn"),
        "{body}"
    );
    assert_ne!(
        etag, page_etag,
        "a phone holding the old copy gets the new one"
    );
    let res = new
        .client
        .get(new.url(&page_path))
        .header("If-None-Match", &page_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "not a 304 for the old copy");
    let (etag, _) = fetch(&new, &app_path).await;
    assert_ne!(etag, app_etag);

    // Another restart with the same setting changes nothing.
    let again = builder()
        .same_database_as(&new)
        .settings(|s| s.client.public_base_url = "https://shop.example.cn/".into());
    new.stop().await;
    let again = again.spawn().await;
    assert_eq!(
        jobs::Entity::find()
            .filter(jobs::Column::Kind.eq("client.rerender_all"))
            .count(&again.state.db)
            .await
            .unwrap(),
        1
    );
}
