//! Every class of bad input answers a JSON 4xx with a stable code; nothing panics.

use crate::support::{spawn_app, status_json};

#[actix_web::test]
async fn invalid_json_is_400_invalid_json() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(r#"{"username": "a", "password": "#)
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "invalid_json");
    assert!(body["details"]["line"].is_number());
}

#[actix_web::test]
async fn bytes_that_are_not_utf8_and_nesting_too_deep_are_400_invalid_json_as_documented() {
    let app = spawn_app().await;
    let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
    for body in [
        b"{\"username\": \"\xff\xfe\", \"password\": \"x\"}".to_vec(),
        deep.into_bytes(),
    ] {
        let res = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let (status, answer) = status_json(res).await;
        assert_eq!(
            (status, answer["code"].as_str()),
            (400, Some("invalid_json")),
            "{answer}"
        );
    }
    let documented =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/error-codes.md"))
            .unwrap();
    let row = documented
        .lines()
        .find(|l| l.starts_with("| `invalid_json` | 400 |"))
        .expect("invalid_json is documented as 400");
    assert!(row.contains("UTF-8") && row.contains("nest"), "{row}");
}

#[actix_web::test]
async fn a_wrong_field_is_422_naming_the_field() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": "a", "password": 12 }))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(status, 422);
    assert_eq!(body["code"], "validation_failed");
    assert_eq!(body["details"]["field"], "password");
    // A missing field is named, not its parent object.
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({ "username": "a" }))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(status, 422);
    assert_eq!(body["details"]["field"], "password");
    let admin = app.admin_session().await;
    let (status, body) = status_json(
        app.post_json(
            "/api/v1/plans",
            &admin.access_token,
            &serde_json::json!({ "name": "p", "terms": {} }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert!(
        body["details"]["field"]
            .as_str()
            .is_some_and(|f| f.starts_with("terms.")),
        "{body}"
    );
}

#[actix_web::test]
async fn body_over_the_limit_is_413() {
    let app = spawn_app().await;
    let big = format!(
        r#"{{"username":"a","password":"{}"}}"#,
        "x".repeat(1024 * 1024 + 10)
    );
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(status, 413);
    assert_eq!(body["code"], "payload_too_large");
    assert_eq!(body["details"]["limit_bytes"], 1024 * 1024);
}

#[actix_web::test]
async fn wrong_content_type_is_415() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/login"))
        .header("content-type", "text/plain")
        .body(r#"{"username":"a","password":"b"}"#)
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(status, 415);
    assert_eq!(body["code"], "unsupported_media_type");
}

#[actix_web::test]
async fn unknown_route_is_404_and_wrong_method_is_405() {
    let app = spawn_app().await;
    let (status, body) = status_json(
        app.client
            .get(app.url("/api/v1/nothing"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "route_not_found");

    let res = app
        .client
        .get(app.url("/api/v1/auth/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["allow"], "POST");
    let (status, body) = status_json(res).await;
    assert_eq!(status, 405);
    assert_eq!(body["code"], "method_not_allowed");
}

#[actix_web::test]
async fn another_method_on_a_literal_path_beside_a_parameter_path_is_405() {
    // `/pages/render` takes POST only; `PUT /pages/{page_id}` must not take it over.
    let app = spawn_app().await;
    for (method, path) in [
        (reqwest::Method::PUT, "/api/v1/pages/render"),
        (reqwest::Method::DELETE, "/api/v1/pages/from-template"),
        (reqwest::Method::GET, "/api/v1/pages/unpublish"),
    ] {
        let res = app
            .client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .unwrap();
        assert_eq!(res.headers()["allow"], "POST", "{method} {path}");
        let (status, body) = status_json(res).await;
        assert_eq!(
            (status, body["code"].as_str()),
            (405, Some("method_not_allowed")),
            "{method} {path}"
        );
    }
}

#[actix_web::test]
async fn a_whole_number_written_with_a_fraction_is_read_as_an_integer() {
    // JSON Schema's integers include `50.0`; generated clients send them.
    let app = spawn_app().await;
    let admin = app.admin_session().await;
    let terms = |quota: serde_json::Value| {
        serde_json::json!({"name": "基础版", "terms": {
            "apps": ["pages"], "page_quota": quota, "storage_quota_bytes": 1.0e9,
            "client_rps": 20, "sms_segments_per_year": 0, "yearly_price_fen": 100000.0,
            "sms_overage_millifen": 0, "sms_overage_allowed": false}})
    };
    let (status, plan) = status_json(
        app.post_json(
            "/api/v1/plans",
            &admin.access_token,
            &terms(serde_json::json!(50.0)),
        )
        .await,
    )
    .await;
    assert_eq!(status, 201, "{plan}");
    assert_eq!(plan["current"]["page_quota"], 50);
    assert_eq!(plan["current"]["storage_quota_bytes"], 1_000_000_000);
    let (status, body) = status_json(
        app.post_json(
            "/api/v1/plans",
            &admin.access_token,
            &terms(serde_json::json!(50.5)),
        )
        .await,
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["details"]["field"], "terms.page_quota");
}

#[actix_web::test]
async fn an_array_is_no_request_body_even_where_its_items_would_fill_the_fields() {
    // serde fills a struct from an array of its fields in order: `[null, null]` was a
    // contact change removing both.
    let app = spawn_app().await;
    let admin = app.admin_session().await;
    let me = admin.body["account"]["id"].as_str().unwrap().to_owned();
    let res = app
        .client
        .put(app.url(&format!("/api/v1/staff/{me}/contact")))
        .bearer_auth(&admin.access_token)
        .json(&serde_json::json!([null, null]))
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(
        (status, body["details"]["field"].as_str()),
        (422, Some("body")),
        "{body}"
    );
}

#[actix_web::test]
async fn messages_follow_accept_language_and_codes_do_not() {
    let app = spawn_app().await;
    let zh = status_json(app.client.get(app.url("/nope")).send().await.unwrap())
        .await
        .1;
    let en = status_json(
        app.client
            .get(app.url("/nope"))
            .header("Accept-Language", "en-US,en;q=0.9")
            .send()
            .await
            .unwrap(),
    )
    .await
    .1;
    assert_eq!(zh["code"], en["code"]);
    assert_eq!(zh["message"], "接口不存在。");
    assert_eq!(en["message"], "No such endpoint.");
}

#[actix_web::test]
async fn bad_query_and_path_values_are_json_errors() {
    let app = spawn_app().await;
    let admin = app.admin_session().await;
    let (status, body) = status_json(
        app.get("/api/v1/admin/jobs?limit=lots", &admin.access_token)
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["code"], "invalid_query");
    assert_eq!(body["details"]["field"], "limit", "{body}");
    let (status, body) = status_json(
        app.get("/api/v1/reports/usage?month=2026-13", &admin.access_token)
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["details"]["field"], "month",
        "an unknown parameter: {body}"
    );
    let (status, body) = status_json(
        app.post_empty("/api/v1/staff/not-a-uuid/disable", &admin.access_token)
            .await,
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["code"], "not_found");
}

#[actix_web::test]
async fn a_field_error_is_wholly_in_the_callers_language() {
    let app = spawn_app().await;
    let say = |body: serde_json::Value, lang: &'static str| {
        let req = app
            .client
            .post(app.url("/api/v1/auth/login"))
            .header("Accept-Language", lang)
            .json(&body);
        async move { status_json(req.send().await.unwrap()).await.1 }
    };
    let missing = say(serde_json::json!({"username": "a"}), "zh-CN").await;
    assert_eq!(missing["message"], "字段 password 无效：必填");
    assert_eq!(missing["details"]["reason"], "missing field `password`");
    let missing = say(serde_json::json!({"username": "a"}), "en").await;
    assert_eq!(missing["message"], "Field password is invalid: is required");
    let wrong = say(
        serde_json::json!({"username": "a", "password": {"x": 1}}),
        "zh-CN",
    )
    .await;
    assert_eq!(
        wrong["message"],
        "字段 password 无效：类型错误：应为字符串，收到对象"
    );
    let unknown = say(
        serde_json::json!({"username": "a", "password": "b", "colour": 1}),
        "zh",
    )
    .await;
    let message = unknown["message"].as_str().unwrap();
    assert!(
        message.starts_with("字段 colour 无效：不是可识别的字段"),
        "{message}"
    );
    assert!(
        !message.contains("unknown field") && !message.contains("expected"),
        "{message}"
    );
    // A query parameter too.
    let admin = app.admin_session().await.access_token;
    let res = app
        .client
        .get(app.url("/api/v1/tenants?limit=many"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["message"], "查询参数 limit 不是有效的整数。");
}
