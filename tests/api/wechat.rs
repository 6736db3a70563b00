//! Issue 7: WeChat platform access against the simulator, over HTTP — encrypted pushes,
//! the token vault, merchant authorization and revocation.

use crate::agency::plan_terms;
use crate::client::tenant_with_appid;
use crate::pages::{Agency, active_tenant, agency};
use crate::support::wechat::{COMPONENT_APPID, ENCODING_AES_KEY, PUSH_TOKEN, start_sim};
use crate::support::{TestApp, builder, db, logs, status_json, wait_until};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use std::time::Duration;
use weapp_builder::wechat::crypto::{PushCrypto, flat_xml, sha1_signature};
use weapp_builder::wechat_sim::{Fault, FaultMode, SimServer};

pub const BOUND_APPID: &str = "wx5a6b7c8d9e0f1a2b";
const OTHER_APPID: &str = "wx0123456789abcdef";

const TOKEN_PATH: &str = "/cgi-bin/component/api_component_token";
const PREAUTH_PATH: &str = "/cgi-bin/component/api_create_preauthcode";
const QUERY_AUTH_PATH: &str = "/cgi-bin/component/api_query_auth";

/// An app configured against a fresh simulator whose pushes go to it, both clocks at the
/// agency helpers' 2026-03-02.
async fn app_and_sim() -> (TestApp, SimServer, Agency) {
    app_and_sim_with(|_| {}).await
}

/// [`app_and_sim`] with changed settings.
pub async fn app_and_sim_with(
    tweak: impl FnOnce(&mut weapp_builder::config::Settings) + 'static,
) -> (TestApp, SimServer, Agency) {
    let sim = start_sim(None).await;
    let app = builder()
        .job_workers(1)
        .wechat(&sim.base_url)
        .settings(tweak)
        .spawn()
        .await;
    connect(&sim, &app);
    let agency = agency(&app).await;
    align(&sim, &app);
    (app, sim, agency)
}

pub fn connect(sim: &SimServer, app: &TestApp) {
    sim.set_callbacks(
        Some(app.url("/wechat/component/events")),
        Some(app.url("/wechat/apps/$APPID$/events")),
    );
}

/// Sets the simulator's clock to the app's.
pub fn align(sim: &SimServer, app: &TestApp) {
    sim.advance(app.clock.now().timestamp() - sim.now());
}

async fn ticket_stored(app: &TestApp) -> bool {
    entity::wechat_vault::Entity::find_by_id("component_verify_ticket".to_owned())
        .one(&app.state.db)
        .await
        .unwrap()
        .is_some()
}

/// Pushes a ticket and waits until it is stored.
pub async fn push_ticket(app: &TestApp, sim: &SimServer) {
    let outcome = sim.push_ticket().await.unwrap();
    assert_eq!((outcome.status, outcome.body.as_str()), (200, "success"));
    assert!(ticket_stored(app).await);
}

pub async fn link(app: &TestApp, owner: &str, tenant: &str) -> (u16, Value) {
    status_json(
        app.post_empty(
            &format!("/api/v1/tenants/{tenant}/wechat/authorization-link"),
            owner,
        )
        .await,
    )
    .await
}

/// Opens the authorization page as the merchant would, confirming `appid`; returns the
/// app-relative redirect (`/wechat/authorized?...`).
pub async fn authorize_on_page(app: &TestApp, url: &str, appid: &str, event: &str) -> String {
    let res = app
        .client
        .get(format!(
            "{url}&sim_appid={appid}&sim_func_ids=17,18,1&sim_event={event}"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 302, "{}", res.text().await.unwrap());
    let location = res.headers()["location"].to_str().unwrap().to_owned();
    let parsed = url::Url::parse(&location).unwrap();
    assert_eq!(parsed.path(), "/wechat/authorized");
    format!("{}?{}", parsed.path(), parsed.query().unwrap())
}

pub async fn follow(app: &TestApp, redirect: &str) -> (u16, Value) {
    status_json(app.client.get(app.url(redirect)).send().await.unwrap()).await
}

async fn check(app: &TestApp, token: &str, tenant: &str) -> (u16, Value) {
    status_json(
        app.post_empty(&format!("/api/v1/tenants/{tenant}/wechat/check"), token)
            .await,
    )
    .await
}

async fn client_app(app: &TestApp) -> reqwest::Response {
    app.client
        .get(app.url(&format!("/client/v1/{BOUND_APPID}/app")))
        .send()
        .await
        .unwrap()
}

pub async fn binding(app: &TestApp, token: &str, tenant: &str) -> Value {
    let (status, body) = status_json(
        app.get(&format!("/api/v1/tenants/{tenant}/wechat"), token)
            .await,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

pub async fn audit_actions(app: &TestApp, action: &str) -> Vec<entity::audit_events::Model> {
    entity::audit_events::Entity::find()
        .filter(entity::audit_events::Column::Action.eq(action))
        .all(&app.state.db)
        .await
        .unwrap()
}

pub async fn jobs_of_kind(app: &TestApp, kind: &str) -> Vec<entity::jobs::Model> {
    entity::jobs::Entity::find()
        .filter(entity::jobs::Column::Kind.eq(kind))
        .all(&app.state.db)
        .await
        .unwrap()
}

async fn all_jobs_finished(app: &TestApp, kind: &str) -> bool {
    let jobs = jobs_of_kind(app, kind).await;
    !jobs.is_empty()
        && jobs
            .iter()
            .all(|j| j.status == "done" || j.status == "dead")
}

/// Waits for the `wechat.authorized` job and checks that it succeeded.
async fn assert_authorized_job_done(app: &TestApp) {
    assert!(
        wait_until(Duration::from_secs(20), || all_jobs_finished(
            app,
            "wechat.authorized"
        ))
        .await
    );
    assert_eq!(
        jobs_of_kind(app, "wechat.authorized").await[0].status,
        "done"
    );
}

/// No row of any table holds a token, ticket or refresh token the simulator issued.
async fn assert_no_plaintext_secrets(app: &TestApp, sim: &SimServer) {
    let secrets = sim.issued_secrets();
    assert!(!secrets.is_empty());
    let rows = db::all_rows_as_text(&app.state.db).await;
    for secret in &secrets {
        if let Some(row) = rows.iter().find(|r| r.contains(secret.as_str())) {
            panic!("a simulator secret is stored in plain text: {row}");
        }
    }
}

#[actix_web::test]
async fn a_merchant_binds_its_mini_program_and_revocation_keeps_the_appid_mapped() {
    let (app, sim, agency) = app_and_sim().await;
    let (tenant, owner) = active_tenant(&app, &agency, plan_terms(298_000), "wx.owner").await;

    // No ticket yet: 503, and the app asked WeChat to push one, which arrives encrypted.
    let (status, body) = link(&app, &owner, &tenant).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("wechat_ticket_missing"))
    );
    assert!(sim.count("/cgi-bin/component/api_start_push_ticket") >= 1);
    assert!(wait_until(Duration::from_secs(20), || ticket_stored(&app)).await);

    let (status, platform) =
        status_json(app.get("/api/v1/platform/status", &agency.admin).await).await;
    assert_eq!(status, 200, "{platform}");
    assert_eq!(platform["component_appid"], COMPONENT_APPID);
    assert!(platform["ticket"]["updated_at"].is_string());
    assert!(platform["component_token"].is_null());

    // Only the merchant admin asks for the link.
    let (status, _) = link(&app, &agency.admin, &tenant).await;
    assert_eq!(status, 403);
    let (status, link_body) = link(&app, &owner, &tenant).await;
    assert_eq!(status, 201, "{link_body}");
    let url = link_body["url"].as_str().unwrap();
    let parsed = url::Url::parse(url).unwrap();
    assert!(url.starts_with(&format!("{}/cgi-bin/componentloginpage?", sim.base_url)));
    let query: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
    assert_eq!(query["auth_type"], "2");
    assert_eq!(query["component_appid"], COMPONENT_APPID);
    assert!(!query.contains_key("biz_appid"), "no appid recorded yet");
    assert!(query["redirect_uri"].contains("/wechat/authorized?state="));
    assert_eq!(sim.count(TOKEN_PATH), 1);
    let (_, platform) = status_json(app.get("/api/v1/platform/status", &agency.admin).await).await;
    assert!(platform["component_token"]["expires_at"].is_string());

    // The merchant authorizes; the event is held so that the redirect arrives first.
    let redirect = authorize_on_page(&app, url, BOUND_APPID, "later").await;
    let (status, bound) = follow(&app, &redirect).await;
    assert_eq!(status, 200, "{bound}");
    assert_eq!(bound["status"], "bound");
    assert_eq!(bound["appid"], BOUND_APPID);
    assert_eq!(bound["func_ids"], json!([1, 17, 18]));
    assert_eq!(bound["can_publish"], true);
    assert!(bound["token"]["access_expires_at"].is_string());
    let (status, again) = follow(&app, &redirect).await;
    assert_eq!(
        (status, again["code"].as_str()),
        (409, Some("authorization_state_used"))
    );
    let (status, forged) = follow(&app, &redirect.replace("state=", "state=x")).await;
    assert_eq!(
        (status, forged["code"].as_str()),
        (400, Some("authorization_state_invalid"))
    );
    // A browser is sent on to the console's mini-program screen with the outcome, in its
    // language.
    let no_follow = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = no_follow
        .get(app.url(&redirect))
        .header("Accept", "text/html,application/xhtml+xml")
        .header("Accept-Language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("/console/miniprogram?authorized=error&code=authorization_state_used&message=This+authorization+link"),
        "{location}"
    );

    // The `authorized` event arriving second changes nothing.
    let pushed = sim.flush_pushes().await.unwrap();
    assert_eq!(pushed.len(), 1);
    assert_eq!(
        (pushed[0].status, pushed[0].body.as_str()),
        (200, "success")
    );
    assert_authorized_job_done(&app).await;
    assert_eq!(sim.count(QUERY_AUTH_PATH), 1, "the code was exchanged once");
    assert_eq!(audit_actions(&app, "wechat.bound").await.len(), 1);
    assert_eq!(
        binding(&app, &owner, &tenant).await["bound_at"],
        bound["bound_at"]
    );

    // The appid is now recorded on the tenant, and the client API answers for it.
    let (_, tenant_view) = status_json(
        app.get(&format!("/api/v1/tenants/{tenant}"), &agency.admin)
            .await,
    )
    .await;
    assert_eq!(tenant_view["appid"], BOUND_APPID);
    let res = client_app(&app).await;
    assert_eq!(res.status(), 200);

    // The authorizer token works.
    let (status, checked) = check(&app, &owner, &tenant).await;
    assert_eq!(status, 200, "{checked}");
    assert!(checked["version_info"].is_object());
    assert_no_plaintext_secrets(&app, &sim).await;

    // A new link is limited to the recorded appid.
    let (_, second) = link(&app, &owner, &tenant).await;
    assert!(
        second["url"]
            .as_str()
            .unwrap()
            .contains(&format!("biz_appid={BOUND_APPID}"))
    );

    // Revocation: tokens deleted, binding revoked and audited, appid still mapped.
    let outcome = sim.unauthorize(BOUND_APPID).await.unwrap();
    assert_eq!((outcome.status, outcome.body.as_str()), (200, "success"));
    let revoked = binding(&app, &owner, &tenant).await;
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["appid"], BOUND_APPID);
    assert!(revoked["token"].is_null());
    assert!(revoked["revoked_at"].is_string());
    assert!(
        entity::wechat_authorizer_tokens::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(audit_actions(&app, "wechat.unbound").await.len(), 1);
    let res = client_app(&app).await;
    assert_eq!(
        res.status(),
        200,
        "the released mini-program keeps its content"
    );
    let (status, body) = check(&app, &owner, &tenant).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("wechat_not_bound"))
    );
    let (_, platform) = status_json(app.get("/api/v1/platform/status", &agency.admin).await).await;
    let row = platform["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tenant_id"] == tenant.as_str())
        .unwrap();
    assert_eq!(row["status"], "revoked");
    let text = platform.to_string();
    for secret in sim.issued_secrets() {
        assert!(!text.contains(&secret), "platform status shows a secret");
    }
}

#[actix_web::test]
async fn a_foreign_or_taken_appid_is_refused_on_the_redirect_and_recorded_from_the_event() {
    let (app, sim, agency) = app_and_sim().await;
    push_ticket(&app, &sim).await;
    let (_, holder_owner) = tenant_with_appid(&app, &agency, BOUND_APPID, 50, "wx.holder").await;
    let _ = holder_owner;
    let (recorded, recorded_owner) =
        tenant_with_appid(&app, &agency, OTHER_APPID, 50, "wx.recorded").await;

    // The merchant of a tenant recorded with OTHER_APPID authorizes BOUND_APPID through
    // a page that ignored biz_appid; the event arrives first and is only recorded.
    let (status, link_body) = link(&app, &recorded_owner, &recorded).await;
    assert_eq!(status, 201, "{link_body}");
    let url = link_body["url"].as_str().unwrap();
    assert!(url.contains(&format!("biz_appid={OTHER_APPID}")));
    let unlimited = url.replace(&format!("&biz_appid={OTHER_APPID}"), "");
    let redirect = authorize_on_page(&app, &unlimited, BOUND_APPID, "now").await;
    assert_authorized_job_done(&app).await;
    let refused = audit_actions(&app, "wechat.binding_refused").await;
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0].summary["reason"], "appid_mismatch");
    // The redirect shows the refusal to the merchant.
    let (status, body) = follow(&app, &redirect).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("wechat_appid_mismatch")),
        "{body}"
    );
    assert_eq!(
        binding(&app, &recorded_owner, &recorded).await["status"],
        "unbound"
    );

    // A tenant without an appid cannot take one another tenant holds.
    let (fresh, fresh_owner) = active_tenant(&app, &agency, plan_terms(298_000), "wx.fresh").await;
    let (_, link_body) = link(&app, &fresh_owner, &fresh).await;
    let redirect = authorize_on_page(
        &app,
        link_body["url"].as_str().unwrap(),
        BOUND_APPID,
        "none",
    )
    .await;
    let (status, body) = follow(&app, &redirect).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (409, Some("wechat_appid_taken")),
        "{body}"
    );
    let refused = audit_actions(&app, "wechat.binding_refused").await;
    assert_eq!(refused.len(), 2);
    assert_eq!(
        binding(&app, &fresh_owner, &fresh).await["status"],
        "unbound"
    );
    assert!(
        entity::wechat_authorizer_tokens::Entity::find()
            .all(&app.state.db)
            .await
            .unwrap()
            .is_empty(),
        "no tokens kept for a refused appid"
    );
}

/// Posts a push with the given query and body to the component endpoint.
async fn post_push(app: &TestApp, query: &[(String, String)], body: &str) -> (u16, Value) {
    let res = app
        .client
        .post(app.url("/wechat/component/events"))
        .query(query)
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    let text = res.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Rows in `table`.
async fn entity_count(app: &TestApp, table: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let backend = app.state.db.get_database_backend();
    app.state
        .db
        .query_one_raw(sea_orm::Statement::from_string(
            backend,
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .unwrap()
        .unwrap()
        .try_get::<i64>("", "n")
        .unwrap()
}

/// A push of `encrypt` signed with `crypto`'s token, as WeChat would post it.
fn signed_push(
    crypto: &PushCrypto,
    timestamp: &str,
    nonce: &str,
    encrypt: &str,
) -> (Vec<(String, String)>, String) {
    let query = vec![
        ("timestamp".to_owned(), timestamp.to_owned()),
        ("nonce".to_owned(), nonce.to_owned()),
        ("encrypt_type".to_owned(), "aes".to_owned()),
        (
            "msg_signature".to_owned(),
            crypto.msg_signature(timestamp, nonce, encrypt),
        ),
    ];
    (
        query,
        flat_xml([("AppId", COMPONENT_APPID), ("Encrypt", encrypt)]),
    )
}

/// Posts the push and expects 400 `wechat_push_rejected` for `reason`.
async fn assert_refused(app: &TestApp, query: &[(String, String)], body: &str, reason: &str) {
    let (status, answer) = post_push(app, query, body).await;
    assert_eq!(status, 400, "{answer}");
    assert_eq!(answer["code"], "wechat_push_rejected");
    assert_eq!(answer["details"]["reason"], reason, "{answer}");
}

fn ticket_xml(sim: &SimServer, ticket: &str) -> String {
    flat_xml([
        ("AppId", COMPONENT_APPID),
        ("CreateTime", sim.now().to_string().as_str()),
        ("InfoType", "component_verify_ticket"),
        ("ComponentVerifyTicket", ticket),
    ])
}

fn set(query: &mut [(String, String)], key: &str, value: String) {
    query.iter_mut().find(|(k, _)| k == key).unwrap().1 = value;
}

fn get<'a>(query: &'a [(String, String)], key: &str) -> &'a str {
    &query.iter().find(|(k, _)| k == key).unwrap().1
}

#[actix_web::test]
async fn pushes_failing_verification_get_a_4xx_and_nothing_is_processed() {
    let (app, sim, _agency) = app_and_sim().await;

    // Tampered signature.
    let (mut query, body) = sim.sealed_push(true, "", &ticket_xml(&sim, "ticket-tampered"));
    let signature = get(&query, "msg_signature").to_owned();
    let flipped = if signature.starts_with('a') { "b" } else { "a" };
    set(
        &mut query,
        "msg_signature",
        format!("{flipped}{}", &signature[1..]),
    );
    assert_refused(&app, &query, &body, "signature").await;

    // Addressed to another appid (correctly signed and encrypted with our key).
    let foreign = PushCrypto::new(PUSH_TOKEN, ENCODING_AES_KEY, OTHER_APPID).unwrap();
    let encrypt = foreign.encrypt(&ticket_xml(&sim, "ticket-foreign"));
    let timestamp = sim.now().to_string();
    let (foreign_query, envelope) = signed_push(&foreign, &timestamp, "1320562132", &encrypt);
    assert_refused(&app, &foreign_query, &envelope, "appid").await;

    // A DOCTYPE (XXE) body.
    let (query, body) = sim.sealed_push(true, "", &ticket_xml(&sim, "ticket-doctype"));
    let hostile = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>{body}"
    );
    assert_refused(&app, &query, &hostile, "doctype").await;

    // Truncated base64, signed as sent (so only the decoding can fail).
    let crypto = PushCrypto::new(PUSH_TOKEN, ENCODING_AES_KEY, COMPONENT_APPID).unwrap();
    let encrypt = crypto.encrypt(&ticket_xml(&sim, "ticket-truncated"));
    let truncated = &encrypt[..encrypt.len() - 7];
    let (truncated_query, envelope) = signed_push(&crypto, &timestamp, "77", truncated);
    assert_refused(&app, &truncated_query, &envelope, "base64").await;

    // A timestamp 11 minutes off the app's clock.
    sim.advance(-660);
    let (query, body) = sim.sealed_push(true, "", &ticket_xml(&sim, "ticket-stale"));
    sim.advance(660);
    assert_refused(&app, &query, &body, "timestamp").await;

    // Signed and encrypted correctly, but the plaintext is not XML: refused before it
    // takes a replay slot.
    for plaintext in ["hello, not xml", "{\"InfoType\": \"unauthorized\"}"] {
        let encrypt = crypto.encrypt(plaintext);
        let (query, envelope) = signed_push(&crypto, &timestamp, "4242", &encrypt);
        assert_refused(&app, &query, &envelope, "xml").await;
    }
    let slots = entity_count(&app, "wechat_push_replays").await;
    assert_eq!(slots, 0, "no refused push took a replay slot");

    // Missing parameters.
    assert_refused(&app, &[], &body, "missing_parameter").await;
    assert!(!ticket_stored(&app).await, "no refused push was processed");

    // A valid push is processed once; its replay is refused, also by another instance.
    let (query, body) = sim.sealed_push(true, "", &ticket_xml(&sim, "ticket-valid"));
    let (status, answer) = post_push(&app, &query, &body).await;
    assert_eq!((status, answer), (200, json!("success")));
    let stored = entity::wechat_vault::Entity::find_by_id("component_verify_ticket".to_owned())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let (status, answer) = post_push(&app, &query, &body).await;
    assert_eq!(
        (status, answer["code"].as_str()),
        (409, Some("wechat_push_replayed"))
    );
    let second = builder()
        .same_database_as(&app)
        .wechat(&sim.base_url)
        .spawn()
        .await;
    let res = second
        .client
        .post(second.url("/wechat/component/events"))
        .query(&query)
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let after = entity::wechat_vault::Entity::find_by_id("component_verify_ticket".to_owned())
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after.version, stored.version, "the replay changed nothing");

    // URL verification echoes `echostr` only with a valid signature.
    let ts = sim.now().to_string();
    let signature = sha1_signature(&[PUSH_TOKEN, &ts, "42"]);
    let res = app
        .client
        .get(app.url("/wechat/component/events"))
        .query(&[
            ("signature", signature.as_str()),
            ("timestamp", &ts),
            ("nonce", "42"),
            ("echostr", "hello"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.text().await.unwrap(), "hello");
    let res = app
        .client
        .get(app.url("/wechat/component/events"))
        .query(&[
            ("signature", "0000"),
            ("timestamp", ts.as_str()),
            ("nonce", "42"),
            ("echostr", "hello"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);

    // Without the WeChat settings the endpoints answer 503.
    let bare = builder().spawn().await;
    let res = bare
        .client
        .post(bare.url("/wechat/component/events"))
        .query(&query)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 503);
    let (_, answer) = status_json(res).await;
    assert_eq!(answer["code"], "wechat_not_configured");
}

#[actix_web::test]
async fn a_refused_token_is_refreshed_once_and_the_call_retried_once() {
    let (app, sim, agency) = app_and_sim().await;
    push_ticket(&app, &sim).await;
    let (tenant, owner) = active_tenant(&app, &agency, plan_terms(298_000), "wx.retry").await;
    let (status, _) = link(&app, &owner, &tenant).await;
    assert_eq!(status, 201);
    assert_eq!((sim.count(TOKEN_PATH), sim.count(PREAUTH_PATH)), (1, 1));

    // 40001 once: one refresh, one retry, success.
    sim.inject(Fault {
        path: PREAUTH_PATH.into(),
        mode: FaultMode::Errcode { errcode: 40001 },
        count: 1,
    });
    let (status, body) = link(&app, &owner, &tenant).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!((sim.count(TOKEN_PATH), sim.count(PREAUTH_PATH)), (2, 3));

    // 42001 twice: one refresh, one retry, then the error — no loop.
    sim.inject(Fault {
        path: PREAUTH_PATH.into(),
        mode: FaultMode::Errcode { errcode: 42001 },
        count: 2,
    });
    let (status, body) = link(&app, &owner, &tenant).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (502, Some("wechat_call_failed")),
        "{body}"
    );
    assert_eq!(body["details"]["errcode"], 42001);
    assert_eq!((sim.count(TOKEN_PATH), sim.count(PREAUTH_PATH)), (3, 5));

    // The same for the authorizer token.
    let (_, link_body) = link(&app, &owner, &tenant).await;
    let redirect = authorize_on_page(
        &app,
        link_body["url"].as_str().unwrap(),
        BOUND_APPID,
        "none",
    )
    .await;
    assert_eq!(follow(&app, &redirect).await.0, 200);
    sim.inject(Fault {
        path: "/wxa/getversioninfo".into(),
        mode: FaultMode::Errcode { errcode: 40001 },
        count: 1,
    });
    let (status, body) = check(&app, &owner, &tenant).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(sim.count("/cgi-bin/component/api_authorizer_token"), 1);
    assert_eq!(sim.count("/wxa/getversioninfo"), 2);
}

#[actix_web::test]
async fn two_instances_refresh_the_component_token_once() {
    let (app, sim, agency) = app_and_sim().await;
    let other = builder()
        .same_database_as(&app)
        .wechat(&sim.base_url)
        .spawn()
        .await;
    push_ticket(&app, &sim).await;
    let (tenant, owner) = active_tenant(&app, &agency, plan_terms(298_000), "wx.twins").await;
    let requests = (0..6).map(|i| {
        let (target, owner, tenant) = (
            if i % 2 == 0 { &app } else { &other },
            owner.clone(),
            tenant.clone(),
        );
        async move { link(target, &owner, &tenant).await.0 }
    });
    let statuses = futures_util::future::join_all(requests).await;
    assert_eq!(statuses, vec![201; 6]);
    assert_eq!(
        sim.count(TOKEN_PATH),
        1,
        "one instance refreshed, the other reused it"
    );
    assert_eq!(sim.count(PREAUTH_PATH), 6);
}

#[actix_web::test]
async fn the_stored_refresh_token_works_after_a_restart() {
    let (app, sim, agency) = app_and_sim().await;
    push_ticket(&app, &sim).await;
    let (tenant, owner) = active_tenant(&app, &agency, plan_terms(298_000), "wx.restart").await;
    let (_, link_body) = link(&app, &owner, &tenant).await;
    let redirect = authorize_on_page(
        &app,
        link_body["url"].as_str().unwrap(),
        BOUND_APPID,
        "none",
    )
    .await;
    assert_eq!(follow(&app, &redirect).await.0, 200);
    assert_no_plaintext_secrets(&app, &sim).await;

    let next = builder().same_database_as(&app).wechat(&sim.base_url);
    app.stop().await;
    let app = next.spawn().await;
    connect(&sim, &app);
    // Three hours later both access tokens have expired; only the stored ones remain.
    app.clock.set(app.clock.now() + chrono::Duration::hours(3));
    align(&sim, &app);
    let owner = app
        .login("wx.restart", "wx.restart secret words")
        .await
        .access_token;
    let (status, body) = check(&app, &owner, &tenant).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["binding"]["token"]["healthy"], true);
    assert_eq!(sim.count("/cgi-bin/component/api_authorizer_token"), 1);
    assert_eq!(
        sim.count(TOKEN_PATH),
        2,
        "the component token was refreshed from the stored ticket"
    );
    assert_no_plaintext_secrets(&app, &sim).await;
}

#[actix_web::test]
async fn dropped_connections_leave_no_token_in_logs_or_job_errors() {
    let (app, sim, agency) = app_and_sim().await;
    push_ticket(&app, &sim).await;
    let (tenant, owner) = active_tenant(&app, &agency, plan_terms(298_000), "wx.drops").await;
    assert_eq!(link(&app, &owner, &tenant).await.0, 201);

    // A dropped call with the component token in its URL, answered to the merchant.
    sim.inject(Fault {
        path: PREAUTH_PATH.into(),
        mode: FaultMode::Drop,
        count: 1,
    });
    let (status, body) = link(&app, &owner, &tenant).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (502, Some("wechat_call_failed")),
        "{body}"
    );

    // A dropped exchange in the `authorized` job: the code is used up at WeChat and the
    // answer lost. The job's errors are stored in its row while it retries; then it
    // recovers the grant from WeChat (authorizer list and info) and binds.
    let (_, link_body) = link(&app, &owner, &tenant).await;
    sim.inject(Fault {
        path: QUERY_AUTH_PATH.into(),
        mode: FaultMode::Drop,
        count: 1,
    });
    sim.inject(Fault {
        path: "/cgi-bin/component/api_get_authorizer_list".into(),
        mode: FaultMode::Drop,
        count: 2,
    });
    let _redirect =
        authorize_on_page(&app, link_body["url"].as_str().unwrap(), BOUND_APPID, "now").await;
    let mut errors: Vec<String> = Vec::new();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while binding(&app, &owner, &tenant).await["status"] != "bound" {
        assert!(std::time::Instant::now() < deadline, "never recovered");
        for job in jobs_of_kind(&app, "wechat.authorized").await {
            if let Some(e) = job.last_error
                && !errors.contains(&e)
            {
                errors.push(e);
            }
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(
        !errors.is_empty(),
        "the failures were recorded while retrying"
    );
    assert!(sim.count("/cgi-bin/component/api_get_authorizer_list") >= 3);
    assert_eq!(
        binding(&app, &owner, &tenant).await["func_ids"],
        json!([1, 17, 18])
    );

    let captured = logs::captured();
    assert!(!captured.is_empty());
    assert!(
        captured.contains("DEBUG"),
        "logs are captured at debug level"
    );
    assert!(
        captured.contains("calling WeChat failed"),
        "the dropped connections really produced transport errors"
    );
    let body_text = body.to_string();
    for secret in sim.issued_secrets() {
        assert!(
            !captured.contains(&secret),
            "a simulator token reached the logs"
        );
        assert!(
            !errors.iter().any(|e| e.contains(&secret)),
            "a token reached jobs.last_error"
        );
        assert!(!body_text.contains(&secret));
    }
    assert_no_plaintext_secrets(&app, &sim).await;
}

#[actix_web::test]
async fn the_scheduler_refreshes_tokens_ahead_of_expiry() {
    let (app, sim, agency) = app_and_sim().await;
    push_ticket(&app, &sim).await;
    let (tenant, owner) = active_tenant(&app, &agency, plan_terms(298_000), "wx.ahead").await;
    let (_, link_body) = link(&app, &owner, &tenant).await;
    let redirect = authorize_on_page(
        &app,
        link_body["url"].as_str().unwrap(),
        BOUND_APPID,
        "none",
    )
    .await;
    assert_eq!(follow(&app, &redirect).await.0, 200);
    let before = binding(&app, &owner, &tenant).await["token"]["access_expires_at"].clone();

    // A tick an hour later has nothing to do.
    let report = app.scheduler.tick(&app.state, app.clock.now()).await;
    assert!(report.failed.is_empty(), "{report:?}");
    assert_eq!(sim.count(TOKEN_PATH), 1);

    // Five minutes before expiry (inside the 10-minute window) both are refreshed.
    app.clock
        .set(app.clock.now() + chrono::Duration::seconds(7200 - 300));
    align(&sim, &app);
    app.scheduler.tick(&app.state, app.clock.now()).await;
    assert_eq!(sim.count(TOKEN_PATH), 2);
    assert_eq!(sim.count("/cgi-bin/component/api_authorizer_token"), 1);
    let owner = app
        .login("wx.ahead", "wx.ahead secret words")
        .await
        .access_token;
    let after = binding(&app, &owner, &tenant).await["token"]["access_expires_at"].clone();
    assert_ne!(before, after);
    // The next tick finds them fresh.
    app.scheduler.tick(&app.state, app.clock.now()).await;
    assert_eq!(sim.count(TOKEN_PATH), 2);
    assert_eq!(sim.count("/cgi-bin/component/api_authorizer_token"), 1);
}

#[actix_web::test]
async fn a_refused_ticket_is_dropped_and_a_new_one_asked_for() {
    let (app, sim, agency) = app_and_sim().await;
    let (tenant, owner) = active_tenant(&app, &agency, plan_terms(298_000), "wx.ticket").await;
    // A ticket WeChat no longer knows (another platform's, or replaced long ago).
    weapp_builder::services::wechat::tokens::store_ticket(
        &app.state.db,
        &app.state,
        "ticket@@@stale",
        app.clock.now(),
    )
    .await
    .unwrap();
    let (status, body) = link(&app, &owner, &tenant).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (503, Some("wechat_ticket_missing")),
        "{body}"
    );
    assert_eq!(sim.count("/cgi-bin/component/api_start_push_ticket"), 1);
    // The pushed ticket replaces it and the next request works.
    let fresh = wait_until(Duration::from_secs(20), || async {
        link(&app, &owner, &tenant).await.0 == 201
    })
    .await;
    assert!(fresh);
    // WeChat errors carry their meaning in the message.
    sim.inject(Fault {
        path: PREAUTH_PATH.into(),
        mode: FaultMode::Errcode { errcode: 85085 },
        count: 1,
    });
    let res = app
        .client
        .post(app.url(&format!(
            "/api/v1/tenants/{tenant}/wechat/authorization-link"
        )))
        .bearer_auth(&owner)
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    let (status, body) = status_json(res).await;
    assert_eq!(
        (status, body["details"]["errcode"].as_i64()),
        (502, Some(85085))
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("audit submissions are used up"),
        "{body}"
    );
}

/// Every call the simulator saw used the method WeChat requires for its path (the
/// documented table, `docs/wechat-api.md`), and no path was unknown.
pub fn assert_methods_as_documented(sim: &SimServer) {
    let calls = sim.calls();
    assert!(!calls.is_empty());
    for call in calls {
        assert_eq!(
            weapp_builder::wechat_sim::api_method(&call.path),
            Some(call.method.as_str()),
            "{} {} is not how WeChat serves it",
            call.method,
            call.path
        );
    }
}
