//! Issue 4: pages, validation, conflict-safe saves, versions, tab bar, theme, templates.

use crate::agency::{
    first_login, pay, plan_terms, provision_body, set_clock, staff_account, standard_contract,
};
use crate::support::{TestApp, spawn_app, status_json};
use serde_json::{Value, json};

pub const BANNER: &str = "sys-placeholder-banner";

/// An agency with one account manager.
pub struct Agency {
    pub admin: String,
    pub am_id: String,
    pub am: String,
}

pub async fn agency(app: &TestApp) -> Agency {
    set_clock(app);
    let admin = app.admin_session().await.access_token;
    let (am_id, am) = staff_account(app, &admin, "am.pages", "account_manager").await;
    Agency { admin, am_id, am }
}

/// Provisions an active tenant on a plan with `terms`; returns (tenant id, merchant admin token).
pub async fn active_tenant(
    app: &TestApp,
    agency: &Agency,
    terms: Value,
    username: &str,
) -> (String, String) {
    let contract = standard_contract("first_milestone");
    paid_tenant(app, agency, terms, username, contract, Some(149_000)).await
}

/// Provisions a tenant on a new plan with `terms` and `contract`, pays `amount` (the whole
/// contract when `None`) and logs its merchant admin in: (tenant id, admin token).
pub async fn paid_tenant(
    app: &TestApp,
    agency: &Agency,
    terms: Value,
    username: &str,
    contract: Value,
    amount: Option<i64>,
) -> (String, String) {
    let (status, plan) = status_json(
        app.post_json(
            "/api/v1/plans",
            &agency.admin,
            &json!({"name": format!("plan {username}"), "terms": terms}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    let plan = plan["id"].as_str().unwrap();
    let body = provision_body(plan, Some(&agency.am_id), username, contract);
    let (status, created) =
        status_json(app.post_json("/api/v1/tenants", &agency.admin, &body).await).await;
    assert_eq!(status, 201, "{created}");
    let tenant = created["tenant"]["id"].as_str().unwrap().to_owned();
    let contract = created["contract"]["id"].as_str().unwrap();
    let amount = amount.unwrap_or_else(|| created["contract"]["amount_fen"].as_i64().unwrap());
    let reference = format!("{username}-first");
    let (status, paid) = pay(app, &agency.admin, &tenant, contract, amount, &reference).await;
    assert_eq!(status, 201, "{paid}");
    let token = first_login(
        app,
        username,
        created["merchant_admin"]["one_time_password"]
            .as_str()
            .unwrap(),
    )
    .await;
    (tenant, token)
}

pub async fn add_editor(app: &TestApp, owner: &str, tenant: &str, username: &str) -> String {
    let (status, created) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{tenant}/editors"),
            owner,
            &json!({"username": username, "display_name": "编辑"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{created}");
    first_login(
        app,
        username,
        created["one_time_password"].as_str().unwrap(),
    )
    .await
}

pub fn page(slug: &str, components: Value) -> Value {
    json!({"slug": slug, "title": "页面", "layout": {"components": components}})
}

pub async fn create_page(app: &TestApp, token: &str, body: &Value) -> (u16, Value) {
    status_json(app.post_json("/api/v1/pages", token, body).await).await
}

async fn put_page(
    app: &TestApp,
    token: &str,
    id: &str,
    if_match: Option<&str>,
    body: &Value,
) -> reqwest::Response {
    let mut req = app
        .client
        .put(app.url(&format!("/api/v1/pages/{id}")))
        .bearer_auth(token)
        .json(body);
    if let Some(tag) = if_match {
        req = req.header("If-Match", tag);
    }
    req.send().await.unwrap()
}

fn one(ty: &str, props: Value) -> Value {
    json!([{"id": "c1", "type": ty, "props": props}])
}

#[actix_web::test]
async fn every_starter_component_is_validated_with_exact_pointers() {
    let app = spawn_app().await;
    let agency = agency(&app).await;
    let (_, owner) = active_tenant(&app, &agency, plan_terms(298_000), "shop.pointer").await;
    let long = |n: usize| "字".repeat(n);
    let cases: Vec<(&str, Value, &str)> = vec![
        ("text", json!({}), "/components/0/props/text"),
        (
            "text",
            json!({"text": "x", "size": "huge"}),
            "/components/0/props/size",
        ),
        (
            "text",
            json!({"text": "x", "colour": "#fff"}),
            "/components/0/props/colour",
        ),
        (
            "rich_text",
            json!({"nodes": [{"name": "script"}]}),
            "/components/0/props/nodes/0/name",
        ),
        (
            "rich_text",
            json!({"nodes": [{"name": "p", "attrs": {"onclick": "steal()"}}]}),
            "/components/0/props/nodes/0/attrs/onclick",
        ),
        (
            "image",
            json!({"asset_id": "not-an-id"}),
            "/components/0/props/asset_id",
        ),
        (
            "image",
            json!({"asset_id": BANNER, "link": "http://insecure.cn"}),
            "/components/0/props/link",
        ),
        (
            "carousel",
            json!({"slides": []}),
            "/components/0/props/slides",
        ),
        (
            "carousel",
            json!({"slides": [{"asset_id": BANNER}], "interval_ms": 10}),
            "/components/0/props/interval_ms",
        ),
        (
            "button",
            json!({"text": "Go", "link": "javascript:alert(1)"}),
            "/components/0/props/link",
        ),
        (
            "notice_bar",
            json!({"text": long(201)}),
            "/components/0/props/text",
        ),
        (
            "spacer",
            json!({"height_rpx": 0}),
            "/components/0/props/height_rpx",
        ),
        (
            "divider",
            json!({"style": "wavy"}),
            "/components/0/props/style",
        ),
        (
            "image_grid",
            json!({"tiles": [{"asset_id": BANNER, "label": long(21)}]}),
            "/components/0/props/tiles/0/label",
        ),
        (
            "contact_card",
            json!({"phone": "abc"}),
            "/components/0/props/phone",
        ),
        (
            "contact_card",
            json!({"phone": "021-12345678", "latitude": 91}),
            "/components/0/props/latitude",
        ),
        (
            "business_hours",
            json!({"entries": [{"days": "周一", "open": "25:00", "close": "10:00"}]}),
            "/components/0/props/entries/0/open",
        ),
        (
            "video",
            json!({"url": "https://v.cn/a.mp4", "asset_id": BANNER}),
            "/components/0/props",
        ),
        (
            "video",
            json!({"asset_id": BANNER}),
            "/components/0/props/asset_id",
        ),
        (
            "store_info",
            json!({"name": "店", "tags": [long(11)]}),
            "/components/0/props/tags/0",
        ),
        (
            "container",
            json!({"direction": "diagonal"}),
            "/components/0/props/direction",
        ),
    ];
    for (ty, props, pointer) in &cases {
        let (status, body) = create_page(&app, &owner, &page("bad", one(ty, props.clone()))).await;
        assert_eq!(status, 422, "{ty} {props}: {body}");
        assert_eq!(body["details"]["pointer"], *pointer, "{ty} {props}: {body}");
        assert_eq!(body["details"]["field"], "layout");
    }
    let (status, body) = status_json(app.get("/api/v1/pages", &owner).await).await;
    assert_eq!(
        (status, body["items"].as_array().unwrap().len()),
        (200, 0),
        "nothing stored on refusal"
    );

    // One valid instance of every type, children in a container.
    let all = json!([
        {"id": "t", "type": "text", "props": {"text": "你好", "size": "large", "align": "center", "color": "#333333", "bold": true}},
        {"id": "r", "type": "rich_text", "props": {"nodes": [{"name": "p", "children": [{"type": "text", "text": "图文"}]}]}},
        {"id": "i", "type": "image", "props": {"asset_id": BANNER, "mode": "widthFix", "link": "pages/about"}},
        {"id": "c", "type": "carousel", "props": {"slides": [{"asset_id": BANNER, "link": "https://shop.cn"}], "autoplay": true}},
        {"id": "b", "type": "button", "props": {"text": "进店", "link": "pages/home", "style": "primary"}},
        {"id": "n", "type": "notice_bar", "props": {"text": "公告", "scrollable": true}},
        {"id": "s", "type": "spacer", "props": {"height_rpx": 20}},
        {"id": "d", "type": "divider", "props": {"style": "dashed"}},
        {"id": "g", "type": "image_grid", "props": {"columns": 3, "tiles": [{"asset_id": BANNER}]}},
        {"id": "cc", "type": "contact_card", "props": {"phone": "021-12345678", "latitude": 31.2, "longitude": 121.4}},
        {"id": "h", "type": "business_hours", "props": {"entries": [{"days": "每天", "open": "09:00", "close": "24:00"}]}},
        {"id": "v", "type": "video", "props": {"url": "https://v.example.cn/a.mp4", "poster_asset_id": BANNER}},
        {"id": "si", "type": "store_info", "props": {"name": "好味小馆", "tags": ["川菜"]}},
        {"id": "box", "type": "container", "props": {"direction": "row"}, "children": [{"id": "inner", "type": "text", "props": {"text": "子组件"}}]}
    ]);
    let (status, created) = create_page(&app, &owner, &page("all", all)).await;
    assert_eq!(status, 201, "{created}");
}

#[actix_web::test]
async fn layout_limits_plan_apps_and_body_size() {
    let app = spawn_app().await;
    let agency = agency(&app).await;
    let mut pages_only = plan_terms(298_000);
    pages_only["apps"] = json!(["pages"]);
    let (_, owner) = active_tenant(&app, &agency, pages_only, "shop.small").await;
    let fault = |body: Value| {
        let app = &app;
        let owner = owner.clone();
        async move {
            let (status, b) = create_page(app, &owner, &body).await;
            assert_eq!(status, 422, "{b}");
            b["details"]["pointer"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(
        fault(page(
            "x",
            one("carousel", json!({"slides": [{"asset_id": BANNER}]}))
        ))
        .await,
        "/components/0/type",
        "media is not in this plan"
    );
    assert_eq!(
        fault(page("x", one("marquee", json!({})))).await,
        "/components/0/type"
    );
    let dup = json!([{"id": "a", "type": "spacer", "props": {"height_rpx": 1}}, {"id": "a", "type": "spacer", "props": {"height_rpx": 1}}]);
    assert_eq!(fault(page("x", dup)).await, "/components/1/id");
    let mut node = json!({"id": "leaf", "type": "spacer", "props": {"height_rpx": 1}});
    for level in 0..32 {
        node = json!({"id": format!("c{level}"), "type": "container", "children": [node]});
    }
    let p = fault(page("x", json!([node]))).await;
    assert_eq!(p.matches("/children/0").count(), 32, "{p}");
    let many: Vec<Value> = (0..501)
        .map(|i| json!({"id": format!("s{i}"), "type": "spacer", "props": {"height_rpx": 1}}))
        .collect();
    assert_eq!(fault(page("x", json!(many))).await, "/components/500");

    let huge = page(
        "big",
        json!([{"id": "t", "type": "text", "props": {"text": "x".repeat(600 * 1024)}}]),
    );
    let (status, body) = create_page(&app, &owner, &huge).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    assert_eq!(body["details"]["limit_bytes"], 512 * 1024);
    let (status, body) = create_page(
        &app,
        &owner,
        &json!({"slug": "Bad Slug", "title": "x", "layout": {"components": []}}),
    )
    .await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("slug"))
    );
}

#[actix_web::test]
async fn racing_saves_exactly_one_wins_and_versions_restore() {
    let app = spawn_app().await;
    let agency = agency(&app).await;
    let (tenant, owner) = active_tenant(&app, &agency, plan_terms(298_000), "shop.race").await;
    let editor = add_editor(&app, &owner, &tenant, "shop.race.ed").await;
    let v1 = page("home", one("text", json!({"text": "第一版"})));
    let (status, created) = create_page(&app, &owner, &v1).await;
    assert_eq!((status, created["revision"].as_i64()), (201, Some(1)));
    let id = created["id"].as_str().unwrap().to_owned();

    // 428 without If-Match.
    let (status, body) = status_json(put_page(&app, &owner, &id, None, &v1).await).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (428, Some("precondition_required"))
    );

    // Publish version 1; the revision stays 1.
    let (status, published) = status_json(
        app.post_empty(&format!("/api/v1/pages/{id}/publish"), &owner)
            .await,
    )
    .await;
    assert_eq!((status, published["version"].as_i64()), (201, Some(1)));
    let res = app.get(&format!("/api/v1/pages/{id}"), &owner).await;
    assert_eq!(res.headers()["etag"], "\"1\"");

    // Two clients race on revision 1: exactly one save wins.
    let a = page("home", one("text", json!({"text": "编辑 A"})));
    let b = page("home", one("text", json!({"text": "编辑 B"})));
    let (ra, rb) = tokio::join!(
        put_page(&app, &owner, &id, Some("\"1\""), &a),
        put_page(&app, &editor, &id, Some("\"1\""), &b)
    );
    let mut outcomes = [status_json(ra).await, status_json(rb).await];
    outcomes.sort_by_key(|(s, _)| *s);
    assert_eq!(outcomes[0].0, 200);
    assert_eq!(outcomes[1].0, 412);
    assert_eq!(outcomes[1].1["code"], "revision_mismatch");
    assert_eq!(outcomes[1].1["details"]["current_revision"], 2);
    let winner_text = outcomes[0].1["layout"]["components"][0]["props"]["text"].clone();

    // Publish version 2, restore version 1 as revision 3.
    let (status, _) = status_json(
        app.post_empty(&format!("/api/v1/pages/{id}/publish"), &owner)
            .await,
    )
    .await;
    assert_eq!(status, 201);
    let res = app
        .post_empty(&format!("/api/v1/pages/{id}/versions/1/restore"), &owner)
        .await;
    assert_eq!(res.headers()["etag"], "\"3\"");
    let (status, restored) = status_json(res).await;
    assert_eq!(status, 200);
    assert_eq!(restored["revision"], 3);
    assert_eq!(
        restored["layout"], v1["layout"],
        "the draft equals version 1's layout"
    );
    let (_, versions) = status_json(
        app.get(&format!("/api/v1/pages/{id}/versions"), &owner)
            .await,
    )
    .await;
    let numbers: Vec<i64> = versions["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, vec![2, 1]);
    let (_, v2) = status_json(
        app.get(&format!("/api/v1/pages/{id}/versions/2"), &owner)
            .await,
    )
    .await;
    assert_eq!(v2["layout"]["components"][0]["props"]["text"], winner_text);
    // Editors draft but do not publish or restore.
    let (status, _) = status_json(
        app.post_empty(&format!("/api/v1/pages/{id}/publish"), &editor)
            .await,
    )
    .await;
    assert_eq!(status, 403);
    let res = put_page(&app, &editor, &id, Some("\"3\""), &a).await;
    assert_eq!(res.status(), 200);
}

#[actix_web::test]
async fn tab_bar_theme_templates_quota_and_takedown() {
    let app = spawn_app().await;
    let agency = agency(&app).await;
    let mut terms = plan_terms(298_000);
    terms["page_quota"] = json!(4);
    let (tenant, owner) = active_tenant(&app, &agency, terms, "shop.tabs").await;

    let (_, templates) = status_json(app.get("/api/v1/page-templates", &owner).await).await;
    let keys: Vec<&str> = templates["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, vec!["about", "catalogue", "contact", "home"]);
    let mut ids = Vec::new();
    for key in &keys {
        let (status, copied) = status_json(
            app.post_json(
                "/api/v1/pages/from-template",
                &owner,
                &json!({"template": key}),
            )
            .await,
        )
        .await;
        assert_eq!(status, 201, "{copied}");
        ids.push(copied["id"].as_str().unwrap().to_owned());
    }
    let (status, body) = create_page(&app, &owner, &page("fifth", json!([]))).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("quota_exceeded"))
    );
    assert_eq!(
        (
            body["details"]["kind"].as_str(),
            body["details"]["used"].as_i64(),
            body["details"]["limit"].as_i64()
        ),
        (Some("pages"), Some(4), Some(4))
    );

    let (_, components) = status_json(app.get("/api/v1/components", &owner).await).await;
    let first = &components["items"][0];
    assert!(
        first["schema"]["properties"].is_object() && first["display_name"]["zh-CN"].is_string()
    );

    let item = |id: &str, label: &str| json!({"page_id": id, "label": label, "icon_asset_id": "sys-placeholder-icon", "selected_icon_asset_id": "sys-placeholder-icon-active"});
    let tab_bar = |items: Vec<Value>| json!({"items": items});
    let put_tabs = |body: Value| {
        let app = &app;
        let owner = owner.clone();
        async move {
            status_json(
                app.client
                    .put(app.url("/api/v1/settings/tab-bar"))
                    .bearer_auth(&owner)
                    .json(&body)
                    .send()
                    .await
                    .unwrap(),
            )
            .await
        }
    };
    let (status, body) = put_tabs(tab_bar(vec![item(&ids[3], "首页")])).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("tab_bar/items")),
        "one entry is refused"
    );
    let (status, body) =
        put_tabs(tab_bar(vec![item(&ids[3], "首页"), item(&ids[0], "关于")])).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("tab_bar/items/0/page_id")),
        "drafts are refused"
    );
    // The starters link to each other: the linked pages go live first.
    for id in [&ids[2], &ids[1], &ids[3], &ids[0]] {
        let (status, _) = status_json(
            app.post_empty(&format!("/api/v1/pages/{id}/publish"), &owner)
                .await,
        )
        .await;
        assert_eq!(status, 201);
    }
    let (status, body) = put_tabs(tab_bar(vec![item(&ids[3], "首页"), item(&ids[0], "关于"), json!({"page_id": ids[3], "label": "x", "icon_asset_id": "nope", "selected_icon_asset_id": "sys-placeholder-icon"})])).await;
    assert_eq!(status, 422, "{body}");
    let (status, settings) =
        put_tabs(tab_bar(vec![item(&ids[3], "首页"), item(&ids[0], "关于")])).await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["tab_bar"]["items"].as_array().unwrap().len(), 2);
    let (status, body) = status_json(
        app.client
            .delete(app.url(&format!("/api/v1/pages/{}", ids[3])))
            .bearer_auth(&owner)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("in_use")));
    assert_eq!(body["details"]["tab_bar"], true);
    // The catalogue is not in the tab bar, but the published home page links to it.
    let (status, body) = status_json(
        app.client
            .delete(app.url(&format!("/api/v1/pages/{}", ids[1])))
            .bearer_auth(&owner)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, body["code"].as_str()), (409, Some("page_linked")));
    assert_eq!(body["details"]["linked_from"][0]["slug"], "home");

    let theme = json!({"primary_color": "#E64340", "background_color": "#FFFFFF", "text_color": "#111111", "navigation_bar": {"background_color": "#E64340", "text_style": "white"}});
    let (status, saved) = status_json(
        app.client
            .put(app.url("/api/v1/settings/theme"))
            .bearer_auth(&owner)
            .json(&theme)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!((status, saved["theme"].clone()), (200, theme));
    let (status, body) = status_json(app.client.put(app.url("/api/v1/settings/theme")).bearer_auth(&owner).json(&json!({"primary_color": "red", "background_color": "#FFFFFF", "text_color": "#111111", "navigation_bar": {"background_color": "#000000", "text_style": "white"}})).send().await.unwrap()).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("theme/primary_color"))
    );

    // The agency takes one page down: it cannot be published until lifted.
    let target = &ids[2];
    let (status, taken) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{tenant}/pages/{target}/takedown"),
            &agency.admin,
            &json!({"reason": "含违规内容"}),
        )
        .await,
    )
    .await;
    assert_eq!((status, taken["taken_down"].as_bool()), (200, Some(true)));
    let (status, body) = status_json(
        app.post_empty(&format!("/api/v1/pages/{target}/publish"), &owner)
            .await,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("page_taken_down"))
    );
    let (status, _) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{tenant}/pages/{target}/takedown"),
            &agency.am,
            &json!({"reason": "x"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 403, "only agency admins take pages down");
    app.post_json(
        &format!("/api/v1/tenants/{tenant}/pages/{target}/takedown/lift"),
        &agency.admin,
        &json!({"reason": "已整改"}),
    )
    .await;
    let (status, _) = status_json(
        app.post_empty(&format!("/api/v1/pages/{target}/publish"), &owner)
            .await,
    )
    .await;
    assert_eq!(status, 201);
    let audit = entity::audit_events::Entity::find()
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(audit.iter().any(|e| e.action == "page.taken_down"));
    assert!(audit.iter().any(|e| e.action == "page.takedown_lifted"));
}

use sea_orm::EntityTrait;

#[actix_web::test]
async fn a_renewal_below_current_use_says_so() {
    let app = spawn_app().await;
    let agency = agency(&app).await;
    let (tenant, owner) = active_tenant(&app, &agency, plan_terms(298_000), "shop.shrink").await;
    for slug in ["a", "b", "c"] {
        let (status, _) = create_page(&app, &owner, &page(slug, json!([]))).await;
        assert_eq!(status, 201);
    }
    let mut small = plan_terms(98_000);
    small["page_quota"] = json!(2);
    let (_, plan) = status_json(
        app.post_json(
            "/api/v1/plans",
            &agency.admin,
            &json!({"name": "小微版", "terms": small}),
        )
        .await,
    )
    .await;
    let (status, renewal) = status_json(
        app.post_json(
            &format!("/api/v1/tenants/{tenant}/contracts"),
            &agency.admin,
            &json!({"plan_id": plan["id"], "payment_method": "cash"}),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{renewal}");
    let warnings = renewal["quota_warnings"].as_array().unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(
        (
            warnings[0]["kind"].as_str(),
            warnings[0]["used"].as_i64(),
            warnings[0]["limit"].as_i64()
        ),
        (Some("pages"), Some(3), Some(2))
    );
    assert_eq!(renewal["contract"]["amount_fen"], 98_000);
}
