//! Issue 2 acceptance point 6: passwords and tokens never reach the logs.

use crate::support::{TEST_PASSWORD, logs, spawn_app};
use serde_json::json;

#[actix_web::test]
async fn logs_carry_request_ids_but_no_password_or_token() {
    let app = spawn_app().await;
    app.create_admin("admin").await;
    let login = app.login_response("admin", TEST_PASSWORD).await;
    let login_id = login.headers()["x-request-id"].to_str().unwrap().to_owned();
    let body: serde_json::Value = login.json().await.unwrap();
    let access = body["access_token"].as_str().unwrap().to_owned();
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();

    let res = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({ "refresh_token": refresh }))
        .send()
        .await
        .unwrap();
    let refresh_id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let rotated: serde_json::Value = res.json().await.unwrap();
    let wrong = "Wrong-Password-That-Must-Not-Leak-42";
    let failed = app.login_response("admin", wrong).await;
    let failed_id = failed.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(failed.status(), 401);
    assert_eq!(app.get("/api/v1/auth/me", &access).await.status(), 200);

    let captured = logs::captured();
    for id in [&login_id, &refresh_id, &failed_id] {
        assert!(
            captured.contains(id.as_str()),
            "request id {id} is in the logs"
        );
    }
    let secrets = [
        TEST_PASSWORD.to_owned(),
        wrong.to_owned(),
        access.clone(),
        access.rsplit('.').next().unwrap().to_owned(),
        refresh,
        rotated["access_token"].as_str().unwrap().to_owned(),
        rotated["refresh_token"].as_str().unwrap().to_owned(),
    ];
    for secret in &secrets {
        assert!(
            !captured.contains(secret.as_str()),
            "a secret leaked into the logs"
        );
    }
}

#[actix_web::test]
async fn an_sms_receipt_push_leaves_its_token_out_of_the_access_log() {
    let app = spawn_app().await;
    let token = "receipt-credential-7f3a9c1e";
    let res = app
        .client
        .post(app.url(&format!("/sms/receipts/{token}")))
        .json(&json!([]))
        .send()
        .await
        .unwrap();
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let captured = logs::captured();
    assert!(captured.contains(id.as_str()), "the push was logged");
    assert!(captured.contains("/sms/receipts/[redacted]"));
    assert!(
        !captured.contains(token),
        "the receipt token leaked into the logs"
    );
}

#[actix_web::test]
async fn a_signed_link_leaves_its_token_out_of_the_access_log() {
    let app = spawn_app().await;
    let token = "eyJsignedlinkcredential.e30.c2lnbmF0dXJl";
    let res = app
        .client
        .get(app.url(&format!("/api/v1/links/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "not a link we signed");
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    let captured = logs::captured();
    assert!(captured.contains(id.as_str()), "the request was logged");
    assert!(captured.contains("/api/v1/links/[redacted]"));
    assert!(
        !captured.contains(token),
        "the link's token leaked into the logs"
    );
}
