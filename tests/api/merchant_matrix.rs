//! Issue 4 acceptance point 4: every merchant-side endpoint against seven callers. The
//! frozen column is the merchant admin of a frozen tenant acting on its own data: reads
//! 200, writes 403 `tenant_frozen`. Callers run in column order, the merchant admin last.

use crate::agency::plan_terms;
use crate::assets::{BANNER_PNG, upload};
use crate::pages::{active_tenant, add_editor, agency, create_page, page};
use crate::support::{spawn_app, status_json};
use serde_json::{Value, json};

const CALLERS: [&str; 7] = [
    "anonymous",
    "other_tenant",
    "frozen",
    "editor",
    "agency_admin",
    "account_manager",
    "merchant_admin",
];

enum Body {
    None,
    Json(Value),
    Upload,
}

#[actix_web::test]
async fn authorization_matrix_of_the_merchant_side() {
    let app = spawn_app().await;
    let agency = agency(&app).await;
    let (ta, owner) = active_tenant(&app, &agency, plan_terms(298_000), "shop.main").await;
    let editor = add_editor(&app, &owner, &ta, "shop.main.ed").await;
    let (_, other) = active_tenant(&app, &agency, plan_terms(298_000), "shop.other").await;
    let (tf, frozen) = active_tenant(&app, &agency, plan_terms(298_000), "shop.frozen").await;

    // Fixtures: tenant A's pages and assets, the frozen tenant's own.
    let body = page(
        "home",
        json!([{"id": "t", "type": "text", "props": {"text": "hi"}}]),
    );
    let (_, p) = create_page(&app, &owner, &body).await;
    let (_, p_del) = create_page(&app, &owner, &page("doomed", json!([]))).await;
    let (_, f_page) = create_page(&app, &frozen, &body).await;
    let (_, a) = upload(&app, &owner, "a.png", BANNER_PNG.to_vec()).await;
    let (_, a_del) = upload(&app, &owner, "b.png", BANNER_PNG.to_vec()).await;
    let (_, f_asset) = upload(&app, &frozen, "f.png", BANNER_PNG.to_vec()).await;
    let p = p["id"].as_str().unwrap().to_owned();
    let p_del = p_del["id"].as_str().unwrap().to_owned();
    let fp = f_page["id"].as_str().unwrap().to_owned();
    let a = a["id"].as_str().unwrap().to_owned();
    let a_del = a_del["id"].as_str().unwrap().to_owned();
    let fa = f_asset["id"].as_str().unwrap().to_owned();
    for (token, id) in [(&owner, &p), (&frozen, &fp)] {
        let (status, _) = status_json(
            app.post_empty(&format!("/api/v1/pages/{id}/publish"), token)
                .await,
        )
        .await;
        assert_eq!(status, 201);
    }
    // Freeze the third tenant (the lifecycle sweep does this at expiry).
    entity::tenants::Entity::update_many()
        .col_expr(
            entity::tenants::Column::Status,
            sea_orm::sea_query::Expr::value("frozen"),
        )
        .filter(entity::tenants::Column::Id.eq(uuid::Uuid::parse_str(&tf).unwrap()))
        .exec(&app.state.db)
        .await
        .unwrap();
    app.state
        .principals
        .invalidate_tenant(weapp_builder::domain::ids::TenantId(
            uuid::Uuid::parse_str(&tf).unwrap(),
        ));

    let tokens = [
        None,
        Some(other),
        Some(frozen),
        Some(editor),
        Some(agency.admin.clone()),
        Some(agency.am.clone()),
        Some(owner),
    ];
    // Per caller: the frozen admin addresses its own page/asset, everyone else tenant A's.
    let page_of = |c: &str| if c == "frozen" { fp.clone() } else { p.clone() };
    let asset_of = |c: &str| if c == "frozen" { fa.clone() } else { a.clone() };
    let theme = json!({"primary_color": "#E64340", "background_color": "#FFFFFF", "text_color": "#111111", "navigation_bar": {"background_color": "#E64340", "text_style": "white"}});

    type PathFn<'a> = Box<dyn Fn(&str) -> String + 'a>;
    let fixed = |s: String| -> PathFn { Box::new(move |_| s.clone()) };
    let per_page = |suffix: &'static str| -> PathFn {
        Box::new(move |c| format!("/api/v1/pages/{}{suffix}", page_of(c)))
    };
    #[rustfmt::skip]
    let rows: Vec<(&str, PathFn, Body, [u16; 7])> = vec![
        //  method  path                                                     body                         anon other frozen editor admin  am  owner
        ("GET",    fixed("/api/v1/components".into()),                       Body::None,                  [401, 200, 200, 200, 403, 403, 200]),
        ("GET",    fixed("/api/v1/page-templates".into()),                   Body::None,                  [401, 200, 200, 200, 403, 403, 200]),
        ("POST",   fixed("/api/v1/pages/from-template".into()),              Body::Json(json!({"template": "about", "slug": "about-CALLER"})),
                                                                                                          [401, 201, 403, 201, 403, 403, 201]),
        ("GET",    fixed("/api/v1/pages".into()),                            Body::None,                  [401, 200, 200, 200, 403, 403, 200]),
        ("POST",   fixed("/api/v1/pages".into()),                            Body::Json(page("new-CALLER", json!([])) ),
                                                                                                          [401, 201, 403, 201, 403, 403, 201]),
        ("GET",    per_page(""),                                             Body::None,                  [401, 404, 200, 200, 403, 403, 200]),
        ("PUT",    per_page(""),                                             Body::Json(body.clone()),    [401, 404, 403, 200, 403, 403, 200]),
        ("POST",   per_page("/publish"),                                     Body::None,                  [401, 404, 403, 403, 403, 403, 201]),
        ("GET",    per_page("/versions"),                                    Body::None,                  [401, 404, 200, 200, 403, 403, 200]),
        ("GET",    per_page("/versions/1"),                                  Body::None,                  [401, 404, 200, 200, 403, 403, 200]),
        ("POST",   per_page("/versions/1/restore"),                          Body::None,                  [401, 404, 403, 403, 403, 403, 200]),
        ("POST",   per_page("/unpublish"),                                   Body::None,                  [401, 404, 403, 403, 403, 403, 200]),
        // A frozen tenant's writes are refused by its state before any lookup.
        ("DELETE", fixed(format!("/api/v1/pages/{p_del}")),                  Body::None,                  [401, 404, 403, 403, 403, 403, 204]),
        ("GET",    fixed("/api/v1/assets".into()),                           Body::None,                  [401, 200, 200, 200, 403, 403, 200]),
        ("POST",   fixed("/api/v1/assets".into()),                           Body::Upload,                [401, 201, 403, 201, 403, 403, 201]),
        ("GET",    Box::new(|c| format!("/api/v1/assets/{}", asset_of(c))), Body::None,                  [401, 404, 200, 200, 403, 403, 200]),
        ("DELETE", fixed(format!("/api/v1/assets/{a_del}")),                 Body::None,                  [401, 404, 403, 403, 403, 403, 204]),
        ("GET",    fixed("/api/v1/settings".into()),                         Body::None,                  [401, 200, 200, 200, 403, 403, 200]),
        ("PUT",    fixed("/api/v1/settings/theme".into()),                   Body::Json(theme.clone()),   [401, 200, 403, 403, 403, 403, 200]),
        ("PUT",    fixed("/api/v1/settings/tab-bar".into()),                 Body::Json(json!({"items": []})),
                                                                                                          [401, 200, 403, 403, 403, 403, 200]),
        ("GET",    fixed(format!("/api/v1/tenants/{ta}/pages")),             Body::None,                  [401, 404, 404, 403, 200, 200, 403]),
        ("POST",   fixed(format!("/api/v1/tenants/{ta}/pages/{p}/takedown")), Body::Json(json!({"reason": "违规"})),
                                                                                                          [401, 404, 404, 403, 200, 403, 403]),
        ("POST",   fixed(format!("/api/v1/tenants/{ta}/pages/{p}/takedown/lift")), Body::Json(json!({"reason": "已整改"})),
                                                                                                          [401, 404, 404, 403, 200, 403, 403]),
    ];

    let mut mismatches = Vec::new();
    let mut frozen_codes = Vec::new();
    for (method, path, body, expected) in &rows {
        for (c, caller) in CALLERS.iter().enumerate() {
            let url = app.url(&path(caller));
            let mut req = app
                .client
                .request(method.parse().unwrap(), &url)
                .header("If-Match", "*");
            if let Some(token) = &tokens[c] {
                req = req.bearer_auth(token);
            }
            req = match body {
                Body::None => req,
                Body::Json(v) => req.json(
                    &serde_json::from_str::<Value>(
                        &v.to_string().replace("CALLER", &caller.replace('_', "-")),
                    )
                    .unwrap(),
                ),
                Body::Upload => {
                    let part =
                        reqwest::multipart::Part::bytes(BANNER_PNG.to_vec()).file_name("m.png");
                    req.multipart(reqwest::multipart::Form::new().part("file", part))
                }
            };
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let text = res.text().await.unwrap();
            if *caller == "frozen" && status == 403 {
                frozen_codes.push(
                    serde_json::from_str::<Value>(&text).unwrap()["code"]
                        .as_str()
                        .unwrap()
                        .to_owned(),
                );
            }
            if status != expected[c] {
                mismatches.push(format!(
                    "{method} {} as {caller}: expected {}, got {status} {text}",
                    path(caller),
                    expected[c]
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} cells differ:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert!(!frozen_codes.is_empty());
    assert!(
        frozen_codes.iter().all(|c| c == "tenant_frozen"),
        "{frozen_codes:?}"
    );
}

use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
