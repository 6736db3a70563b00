//! The builder's server side: rendering an unsaved layout, every fault at once, the
//! publish check (dead links, missing assets, types the released mini-program does not
//! draw).

use crate::agency::plan_terms;
use crate::assets::{BANNER_PNG, upload};
use crate::pages::{active_tenant, agency, create_page, page};
use crate::support::{spawn_app, status_json};
use serde_json::{Value, json};

#[actix_web::test]
async fn an_unsaved_layout_renders_with_images_that_load_before_binding() {
    let app = spawn_app().await;
    let agency = agency(&app).await;
    let (tenant, owner) = active_tenant(&app, &agency, plan_terms(298_000), "shop.render").await;
    let (status, asset) = upload(&app, &owner, "slide.png", BANNER_PNG.to_vec()).await;
    assert_eq!(status, 201, "{asset}");
    let asset = asset["id"].as_str().unwrap();

    let draft = page(
        "home",
        json!([
            {"id": "title", "type": "text", "props": {"text": "春季上新"}},
            {"id": "slides", "type": "carousel", "props": {"slides": [{"asset_id": asset}]}}
        ]),
    );
    let res = app.post_json("/api/v1/pages/render", &owner, &draft).await;
    assert_eq!(res.headers()["cache-control"], "no-store");
    let (status, rendered) = status_json(res).await;
    assert_eq!(status, 200, "{rendered}");
    let text = rendered.to_string();
    assert!(text.contains("春季上新"), "{rendered}");
    // Images come through the console's signed prefix: no bearer header, no appid needed.
    let (status, links) = status_json(app.get("/api/v1/asset-links", &owner).await).await;
    assert_eq!(status, 200, "{links}");
    let prefix = links["url"].as_str().unwrap();
    assert!(
        prefix.starts_with("/api/v1/links/") && prefix.ends_with("/assets/"),
        "{links}"
    );
    let url = format!("{prefix}{asset}");
    assert!(text.contains(&format!("\"{url}\"")), "{rendered}");
    let fetch = |url: String| {
        let client = app.client.clone();
        let url = app.url(&url);
        async move {
            let mut image = client.get(url).send().await.unwrap();
            if image.status() == 302 {
                // The S3 store answers with a presigned URL, as it does for phones.
                let location = image.headers()["location"].to_str().unwrap().to_owned();
                image = reqwest::get(location).await.unwrap();
            }
            image
        }
    };
    let image = fetch(url.clone()).await;
    assert_eq!(image.status(), 200);
    assert_eq!(image.bytes().await.unwrap().as_ref(), BANNER_PNG);
    // The tenant id alone no longer reaches an asset (it once did, for anyone who knew it),
    // and another tenant's prefix does not reach this tenant's asset.
    let res = fetch(format!("/client/v1/{tenant}/assets/{asset}")).await;
    assert_eq!(res.status(), 404);
    let (_, other_owner) =
        active_tenant(&app, &agency, plan_terms(298_000), "shop.render.other").await;
    let (_, other) = status_json(app.get("/api/v1/asset-links", &other_owner).await).await;
    let res = fetch(format!("{}{asset}", other["url"].as_str().unwrap())).await;
    assert_eq!(res.status(), 404);
    // Nothing was stored.
    let (_, list) = status_json(app.get("/api/v1/pages", &owner).await).await;
    assert_eq!(list["items"].as_array().unwrap().len(), 0);

    // Every fault at once, each with its component.
    let broken = page(
        "home",
        json!([
            {"id": "gap", "type": "spacer", "props": {"height_rpx": -5}},
            {"id": "box", "type": "container", "props": {}, "children": [
                {"id": "pic", "type": "image", "props": {"asset_id": "not-an-asset", "mode": "sideways"}}
            ]},
            {"id": "fine", "type": "text", "props": {"text": "ok"}}
        ]),
    );
    for path in ["/api/v1/pages/render", "/api/v1/pages"] {
        let (status, body) = status_json(app.post_json(path, &owner, &broken).await).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (422, Some("validation_failed")),
            "{body}"
        );
        let errors: Vec<(String, String)> = body["details"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert!(e["reason"]["zh-CN"].is_string() && e["reason"]["en"].is_string());
                (
                    e["pointer"].as_str().unwrap().to_owned(),
                    e["component_id"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(
            errors,
            [
                ("/components/0/props/height_rpx".into(), "gap".into()),
                (
                    "/components/1/children/0/props/asset_id".into(),
                    "pic".into()
                ),
                ("/components/1/children/0/props/mode".into(), "pic".into()),
            ],
            "{body}"
        );
        assert_eq!(body["details"]["pointer"], "/components/0/props/height_rpx");
    }
    // A missing asset is named too.
    let missing = uuid::Uuid::now_v7();
    let (status, body) = status_json(
        app.post_json(
            "/api/v1/pages/render",
            &owner,
            &page(
                "home",
                json!([{"id": "pic", "type": "image", "props": {"asset_id": missing}}]),
            ),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["details"]["errors"][0]["component_id"], "pic");
    assert_eq!(
        body["details"]["errors"][0]["pointer"],
        "/components/0/props/asset_id"
    );
}

#[actix_web::test]
async fn publishing_names_every_dead_link_and_goes_through_once_they_are_live() {
    let app = spawn_app().await;
    let agency = agency(&app).await;
    let (_, owner) = active_tenant(&app, &agency, plan_terms(298_000), "shop.links").await;
    let links = page(
        "home",
        json!([
            {"id": "to-menu", "type": "button", "props": {"text": "菜单", "link": "pages/menu?from=home"}},
            {"id": "to-self", "type": "button", "props": {"text": "刷新", "link": "pages/home"}},
            {"id": "web", "type": "button", "props": {"text": "官网", "link": "https://shop.example.cn"}},
            {"id": "story", "type": "rich_text", "props": {"nodes": [{"name": "a", "attrs": {"href": "pages/about"}, "children": [{"type": "text", "text": "关于"}]}]}}
        ]),
    );
    // A draft with dead links saves.
    let (status, home) = create_page(&app, &owner, &links).await;
    assert_eq!(status, 201, "{home}");
    let home = home["id"].as_str().unwrap().to_owned();

    let (status, check) = status_json(
        app.get(&format!("/api/v1/pages/{home}/publish-check"), &owner)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{check}");
    assert_eq!(check["ok"], false);
    let dead = |v: &Value| -> Vec<(String, String, String)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert_eq!(e["kind"], "dead_link");
                (
                    e["pointer"].as_str().unwrap().to_owned(),
                    e["component_id"].as_str().unwrap().to_owned(),
                    e["target"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let expected = vec![
        (
            "/components/0/props/link".to_owned(),
            "to-menu".to_owned(),
            "menu".to_owned(),
        ),
        (
            "/components/3/props/nodes/0/attrs/href".to_owned(),
            "story".to_owned(),
            "about".to_owned(),
        ),
    ];
    assert_eq!(dead(&check["errors"]), expected, "{check}");
    assert_eq!(check["warnings"], json!([]));

    let (status, refused) = status_json(
        app.post_empty(&format!("/api/v1/pages/{home}/publish"), &owner)
            .await,
    )
    .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("publish_blocked")),
        "{refused}"
    );
    assert_eq!(dead(&refused["details"]["errors"]), expected);
    assert!(
        refused["message"].as_str().unwrap().contains("menu"),
        "{refused}"
    );
    let (_, versions) = status_json(
        app.get(&format!("/api/v1/pages/{home}/versions"), &owner)
            .await,
    )
    .await;
    assert_eq!(
        versions.as_array().map(Vec::len).unwrap_or(0),
        0,
        "{versions}"
    );

    // A page that exists but is not published is still dead; published, it is live.
    for slug in ["menu", "about"] {
        let (status, p) = create_page(
            &app,
            &owner,
            &page(
                slug,
                json!([{"id": "t", "type": "text", "props": {"text": slug}}]),
            ),
        )
        .await;
        assert_eq!(status, 201, "{p}");
        let id = p["id"].as_str().unwrap();
        if slug == "menu" {
            let (_, check) = status_json(
                app.get(&format!("/api/v1/pages/{home}/publish-check"), &owner)
                    .await,
            )
            .await;
            assert_eq!(dead(&check["errors"]), expected);
        }
        let (status, v) = status_json(
            app.post_empty(&format!("/api/v1/pages/{id}/publish"), &owner)
                .await,
        )
        .await;
        assert_eq!(status, 201, "{v}");
    }
    let (_, check) = status_json(
        app.get(&format!("/api/v1/pages/{home}/publish-check"), &owner)
            .await,
    )
    .await;
    assert_eq!(check, json!({"ok": true, "errors": [], "warnings": []}));
    let (status, v) = status_json(
        app.post_empty(&format!("/api/v1/pages/{home}/publish"), &owner)
            .await,
    )
    .await;
    assert_eq!(status, 201, "{v}");

    // Now home links to menu and about: neither can leave alone, nor both without home.
    let (_, list) = status_json(app.get("/api/v1/pages", &owner).await).await;
    let id_of = |slug: &str| -> String {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["slug"] == slug)
            .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (menu, about) = (id_of("menu"), id_of("about"));
    let linked_from = |body: &Value| -> Vec<(String, String)> {
        body["details"]["linked_from"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["slug"].as_str().unwrap().to_owned(),
                    l["target"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    };
    let (status, refused) = status_json(
        app.post_empty(&format!("/api/v1/pages/{menu}/unpublish"), &owner)
            .await,
    )
    .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("page_linked")),
        "{refused}"
    );
    assert_eq!(linked_from(&refused), [("home".into(), "menu".into())]);
    let (status, refused) = status_json(
        app.client
            .delete(app.url(&format!("/api/v1/pages/{about}")))
            .bearer_auth(&owner)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, refused["code"].as_str()),
        (409, Some("page_linked"))
    );
    assert_eq!(linked_from(&refused), [("home".into(), "about".into())]);
    let unpublish = |ids: Vec<&str>| {
        let (app, owner) = (&app, owner.clone());
        let body = json!({ "page_ids": ids });
        async move {
            status_json(
                app.post_json("/api/v1/pages/unpublish", &owner, &body)
                    .await,
            )
            .await
        }
    };
    let (status, refused) = unpublish(vec![&menu, &about]).await;
    assert_eq!(status, 409, "{refused}");
    assert_eq!(
        linked_from(&refused),
        [
            ("home".into(), "menu".into()),
            ("home".into(), "about".into())
        ]
    );
    let (status, body) = unpublish(vec![]).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("page_ids"))
    );
    // Together they go: nothing left links to them.
    let (status, done) = unpublish(vec![&menu, &about, &home]).await;
    assert_eq!(status, 200, "{done}");
    assert!(
        done.as_array()
            .unwrap()
            .iter()
            .all(|p| p["is_published"] == false),
        "{done}"
    );
    // Nothing published links to menu any more: it can be deleted.
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/pages/{menu}")))
        .bearer_auth(&owner)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
}

#[actix_web::test]
async fn a_type_the_released_mini_program_does_not_draw_is_a_warning_not_a_refusal() {
    use sea_orm::{ActiveModelTrait, IntoActiveModel};
    let app = spawn_app().await;
    let agency = agency(&app).await;
    let (tenant, owner) = active_tenant(&app, &agency, plan_terms(298_000), "shop.types").await;
    let (status, created) = create_page(
        &app,
        &owner,
        &page(
            "home",
            json!([
                {"id": "hours", "type": "business_hours", "props": {"entries": [{"days": "每天", "open": "09:00", "close": "21:00"}]}},
                {"id": "hello", "type": "text", "props": {"text": "你好"}}
            ]),
        ),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let check = || async {
        status_json(
            app.get(&format!("/api/v1/pages/{id}/publish-check"), &owner)
                .await,
        )
        .await
        .1
    };
    assert_eq!(check().await["warnings"], json!([]), "nothing released yet");

    // Released: a code template whose package draws text but not business hours.
    let now = app.state.clock.now();
    entity::code_templates::Model {
        id: uuid::Uuid::now_v7(),
        template_id: 7,
        user_version: "1.0.0".into(),
        user_desc: "v1".into(),
        is_current: true,
        supported_types: Some(json!(["text"])),
        created_by: None,
        created_at: now,
    }
    .into_active_model()
    .insert(&app.state.db)
    .await
    .unwrap();
    entity::deploy_runs::Model {
        id: uuid::Uuid::now_v7(),
        tenant_id: uuid::Uuid::parse_str(&tenant).unwrap(),
        appid: "wx00000000000000aa".into(),
        template_id: 7,
        user_version: "1.0.0".into(),
        user_desc: "v1".into(),
        status: "released".into(),
        step: "done".into(),
        auto_release: true,
        auditid: Some(1),
        audit_reason: None,
        gray_percentage: None,
        qr_key: None,
        errcode: None,
        error_message: None,
        requested_by: None,
        rollout_id: None,
        driver_until: None,
        driver_job_id: None,
        created_at: now,
        updated_at: now,
        finished_at: Some(now),
    }
    .into_active_model()
    .insert(&app.state.db)
    .await
    .unwrap();
    let check = check().await;
    assert_eq!(check["ok"], true, "{check}");
    let warnings = check["warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1, "{check}");
    assert_eq!(
        (
            warnings[0]["kind"].as_str(),
            warnings[0]["type"].as_str(),
            warnings[0]["component_id"].as_str()
        ),
        (
            Some("unsupported_component"),
            Some("business_hours"),
            Some("hours")
        )
    );
    assert!(
        warnings[0]["reason"]["zh-CN"]
            .as_str()
            .unwrap()
            .contains("1.0.0")
    );
    let (status, v) = status_json(
        app.post_empty(&format!("/api/v1/pages/{id}/publish"), &owner)
            .await,
    )
    .await;
    assert_eq!(status, 201, "{v}");
}

#[actix_web::test]
async fn an_agency_admin_sets_and_replaces_the_appid_of_a_mini_program_bound_elsewhere() {
    let app = spawn_app().await;
    let agency = agency(&app).await;
    let (tenant, owner) = active_tenant(&app, &agency, plan_terms(298_000), "shop.appid").await;
    let (other, _) = active_tenant(&app, &agency, plan_terms(298_000), "shop.other").await;
    let (status, p) = create_page(
        &app,
        &owner,
        &page(
            "home",
            json!([{"id": "pic", "type": "image", "props": {"asset_id": "sys-placeholder-banner"}}]),
        ),
    )
    .await;
    assert_eq!(status, 201, "{p}");
    let id = p["id"].as_str().unwrap();
    let (status, _) = status_json(
        app.post_empty(&format!("/api/v1/pages/{id}/publish"), &owner)
            .await,
    )
    .await;
    assert_eq!(status, 201);

    let put = |token: &str, tenant: &str, body: Value| {
        let (app, token, url) = (
            &app,
            token.to_owned(),
            format!("/api/v1/tenants/{tenant}/appid"),
        );
        async move {
            status_json(
                app.client
                    .put(app.url(&url))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let first = "wx00000000000000b1";
    let (status, _) = put(&agency.am, &tenant, json!({"appid": first})).await;
    assert_eq!(status, 403, "account managers cannot");
    let (status, body) = put(&agency.admin, &tenant, json!({"appid": "wx123"})).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("appid"))
    );
    let (status, set) = put(
        &agency.admin,
        &tenant,
        json!({"appid": first, "reason": "商户在微信后台自行绑定"}),
    )
    .await;
    assert_eq!((status, set["appid"].as_str()), (200, Some(first)), "{set}");
    let (status, taken) = put(&agency.admin, &other, json!({"appid": first})).await;
    assert_eq!(
        (status, taken["code"].as_str()),
        (409, Some("already_exists"))
    );
    let served = |appid: &str| {
        let (app, url) = (&app, format!("/client/v1/{appid}/pages/home"));
        async move { status_json(app.client.get(app.url(&url)).send().await.unwrap()).await }
    };
    let (status, page_json) = served(first).await;
    assert_eq!(status, 200, "{page_json}");
    assert!(
        page_json
            .to_string()
            .contains(&format!("/client/v1/{first}/assets/sys-placeholder-banner")),
        "{page_json}"
    );

    // Replaced: the new appid serves the page with its own asset URLs, the old one stops.
    let second = "wx00000000000000b2";
    let (status, _) = put(&agency.admin, &tenant, json!({"appid": second})).await;
    assert_eq!(status, 200);
    let (status, page_json) = served(second).await;
    assert_eq!(status, 200);
    let text = page_json.to_string();
    assert!(
        text.contains(&format!("/client/v1/{second}/assets/")) && !text.contains(first),
        "{page_json}"
    );
    assert_eq!(served(first).await.0, 404);
    let (_, audit) = status_json(
        app.get(
            &format!("/api/v1/audit-events?tenant_id={tenant}&action=tenant.appid_set"),
            &agency.admin,
        )
        .await,
    )
    .await;
    let summaries: Vec<(Value, Value)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["summary"]["before"].clone(),
                e["summary"]["after"].clone(),
            )
        })
        .collect();
    assert_eq!(summaries.len(), 2, "{audit}");
    assert!(
        summaries.contains(&(json!(first), json!(second))),
        "{audit}"
    );
}

#[actix_web::test]
async fn the_preview_qr_code_opens_the_draft_once_the_mini_program_has_a_version() {
    use crate::deploy::{bound_tenant, deploy_and_release, deploy_setup};
    // Without the WeChat platform: 503 saying so.
    let plain = spawn_app().await;
    let plain_agency = agency(&plain).await;
    let (_, owner) = active_tenant(&plain, &plain_agency, plan_terms(298_000), "shop.noqr").await;
    let (_, p) = create_page(&plain, &owner, &page("home", json!([]))).await;
    let (status, body) = status_json(
        plain
            .post_empty(
                &format!("/api/v1/pages/{}/preview-qrcode", p["id"].as_str().unwrap()),
                &owner,
            )
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("wechat_not_configured"))
    );

    let (app, sim, agency) = deploy_setup().await;
    let (tenant, owner) = bound_tenant(&app, &agency, "shop.qr").await;
    let (_, p) = create_page(
        &app,
        &owner,
        &page(
            "home",
            json!([{"id": "t", "type": "text", "props": {"text": "草稿"}}]),
        ),
    )
    .await;
    let url = format!("/api/v1/pages/{}/preview-qrcode", p["id"].as_str().unwrap());
    // Bound, but nothing committed yet: no trial version to open.
    let (status, body) = status_json(app.post_empty(&url, &owner).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("invalid_transition")),
        "{body}"
    );
    deploy_and_release(&app, &sim, &owner, &tenant).await;
    let before = sim.count("/wxa/get_qrcode");
    let res = app.post_empty(&url, &owner).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/jpeg");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let expires: chrono::DateTime<chrono::Utc> = res.headers()["x-preview-expires-at"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let minutes = (expires - app.state.clock.now()).num_minutes();
    assert!((29..=30).contains(&minutes), "{minutes}");
    let bytes = res.bytes().await.unwrap();
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "a JPEG");
    assert_eq!(sim.count("/wxa/get_qrcode"), before + 1);
}

#[actix_web::test]
async fn a_phone_a_map_point_and_another_mini_program_are_links_too() {
    let app = spawn_app().await;
    let agency = agency(&app).await;
    let (_, owner) = active_tenant(&app, &agency, plan_terms(298_000), "shop.links2").await;
    let links = [
        "tel:021-6234 5678",
        "geo:31.2304,121.4737?name=%E5%A5%BD%E5%91%B3%E5%B0%8F%E9%A6%86&address=%E5%8D%97%E4%BA%AC%E8%B7%AF1%E5%8F%B7",
        "miniprogram:wx0123456789abcdef/pages/index/index?id=7",
    ];
    let components: Vec<Value> = links
        .iter()
        .enumerate()
        .map(|(i, link)| json!({"id": format!("b{i}"), "type": "button", "props": {"text": "去", "link": link}}))
        .collect();
    let (status, created) = create_page(&app, &owner, &page("home", json!(components))).await;
    assert_eq!(status, 201, "{created}");
    let (status, rendered) = status_json(
        app.post_json(
            "/api/v1/pages/render",
            &owner,
            &page("home", json!(components)),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{rendered}");
    let text = rendered.to_string();
    for link in links {
        assert!(
            text.contains(&json!(link).to_string()),
            "{link} in {rendered}"
        );
    }
    // Each form is checked, and every bad one is named.
    let bad = json!([
        {"id": "a", "type": "button", "props": {"text": "x", "link": "tel:call-me"}},
        {"id": "b", "type": "button", "props": {"text": "x", "link": "geo:91,0"}},
        {"id": "c", "type": "button", "props": {"text": "x", "link": "miniprogram:wx123"}}
    ]);
    let (status, body) = create_page(&app, &owner, &page("bad", bad)).await;
    assert_eq!(status, 422, "{body}");
    let ids: Vec<&str> = body["details"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["component_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b", "c"]);
}
