use crate::support::{spawn_app, status_json};

#[actix_web::test]
async fn live_ready_and_request_ids() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(app.url("/health/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("x-request-id").is_some());

    let res = app
        .client
        .get(app.url("/health/ready"))
        .header("X-Request-Id", "probe-123")
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.headers()["x-request-id"],
        "probe-123",
        "a valid inbound id is kept"
    );
    let (status, body) = status_json(res).await;
    assert_eq!(status, 200);
    assert_eq!(body["status"], "ready");
    assert_eq!(body["checks"]["database"], "ok");

    // An id that could inject into logs is replaced by our own.
    let res = app
        .client
        .get(app.url("/health/live"))
        .header("X-Request-Id", "bad id\twith tab")
        .send()
        .await
        .unwrap();
    assert_ne!(res.headers()["x-request-id"], "bad id\twith tab");
}

#[actix_web::test]
async fn metrics_count_requests_by_route_and_report_the_queue() {
    let app = spawn_app().await;
    for _ in 0..3 {
        app.client
            .get(app.url("/health/live"))
            .send()
            .await
            .unwrap();
    }
    app.client
        .get(app.url("/no/such/route"))
        .send()
        .await
        .unwrap();
    let res = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = res.text().await.unwrap();
    assert!(
        text.contains(r#"http_requests_total{method="GET",route="/health/live",status="200"} 3"#),
        "{text}"
    );
    assert!(text.contains(r#"route="unmatched",status="404""#), "{text}");
    assert!(text.contains("http_request_duration_seconds_bucket"));
    assert!(text.contains("jobs_dead 0"));
}

#[actix_web::test]
async fn cors_preflight_is_answered_for_configured_origins_only() {
    let app = crate::support::builder()
        .settings(|s| s.http.cors_origins = vec!["https://builder.example.com".into()])
        .spawn()
        .await;
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/auth/login"))
        .header("Origin", "https://builder.example.com")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "content-type, authorization",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["access-control-allow-origin"],
        "https://builder.example.com"
    );
    let res = app
        .client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/auth/login"))
        .header("Origin", "https://evil.example.com")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let (status, body) = status_json(res).await;
    assert_eq!(status, 400);
    assert!(body["code"].is_string(), "refusals are JSON too: {body}");
}
