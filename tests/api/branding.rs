//! Agency branding: anyone reads it (the sign-in page shows it), only admins set it.

use crate::agency::staff_account;
use crate::assets::BANNER_PNG;
use crate::support::{TestApp, spawn_app, status_json};
use serde_json::{Value, json};

async fn put_logo(app: &TestApp, token: &str, bytes: Vec<u8>) -> (u16, Value) {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name("logo.png")
        .mime_str("image/png")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    status_json(
        app.client
            .put(app.url("/api/v1/branding/logo"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn put_name(app: &TestApp, token: &str, body: Value) -> (u16, Value) {
    status_json(
        app.client
            .put(app.url("/api/v1/branding"))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

async fn public_branding(app: &TestApp) -> Value {
    let (status, body) = status_json(
        app.client
            .get(app.url("/api/v1/branding"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

#[actix_web::test]
async fn an_admin_sets_the_agency_name_and_logo_that_the_sign_in_page_shows() {
    let app = spawn_app().await;
    let admin = app.admin_session().await.access_token;
    let (_, am) = staff_account(&app, &admin, "am.brand", "account_manager").await;

    // Unset: the console shows the product name.
    assert_eq!(
        public_branding(&app).await,
        json!({"name": null, "logo_url": null, "updated_at": null})
    );
    let res = app
        .client
        .get(app.url("/api/v1/branding/logo"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);

    // Only admins set it; bad input names the field and changes nothing.
    assert_eq!(
        put_name(&app, &am, json!({"name": "别人的代理"})).await.0,
        403
    );
    assert_eq!(put_logo(&app, &am, BANNER_PNG.to_vec()).await.0, 403);
    let (status, body) = put_name(&app, &admin, json!({"name": "长".repeat(41)})).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("name")),
        "{body}"
    );
    let (status, body) = put_logo(&app, &admin, b"GIF89a not really".to_vec()).await;
    assert_eq!(
        (
            status,
            body["code"].as_str(),
            body["details"]["field"].as_str()
        ),
        (422, Some("unsupported_file_type"), Some("file")),
        "{body}"
    );
    let (status, body) = put_logo(&app, &admin, vec![0u8; 256 * 1024 + 1]).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (413, Some("file")),
        "{body}"
    );
    let (status, body) = put_logo(&app, &admin, BANNER_PNG[..BANNER_PNG.len() - 8].to_vec()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("file_not_whole")),
        "{body}"
    );
    assert_eq!(public_branding(&app).await["name"], Value::Null);

    // Set: everyone sees the name and the logo, without signing in.
    let (status, saved) = put_name(&app, &admin, json!({"name": " 好帮手数字科技 "})).await;
    assert_eq!(
        (status, saved["name"].as_str()),
        (200, Some("好帮手数字科技")),
        "{saved}"
    );
    let (status, saved) = put_logo(&app, &admin, BANNER_PNG.to_vec()).await;
    assert_eq!(status, 200, "{saved}");
    let logo_url = saved["logo_url"].as_str().unwrap().to_owned();
    assert!(
        logo_url.starts_with("/api/v1/branding/logo?v="),
        "{logo_url}"
    );
    let seen = public_branding(&app).await;
    assert_eq!(
        (seen["name"].as_str(), seen["logo_url"].as_str()),
        (Some("好帮手数字科技"), Some(logo_url.as_str()))
    );
    let res = app.client.get(app.url(&logo_url)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert_eq!(res.bytes().await.unwrap().as_ref(), BANNER_PNG);

    // Removed: the object goes too; a blank name shows the product name again.
    let (status, cleared) = status_json(
        app.client
            .delete(app.url("/api/v1/branding/logo"))
            .bearer_auth(&admin)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, cleared["logo_url"].clone()),
        (200, Value::Null),
        "{cleared}"
    );
    assert_eq!(cleared["name"], "好帮手数字科技");
    let leftover = app.state.store.list("agency/", None, 10).await.unwrap();
    assert!(leftover.is_empty(), "{leftover:?}");
    let (_, cleared) = put_name(&app, &admin, json!({"name": "  "})).await;
    assert_eq!(cleared["name"], Value::Null);

    // Each change is audited.
    let (_, audit) = status_json(app.get("/api/v1/audit-events", &admin).await).await;
    let changes = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "branding.changed")
        .count();
    assert_eq!(changes, 4);
}
