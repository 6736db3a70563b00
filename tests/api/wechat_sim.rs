//! The WeChat simulator's own rules (issue 7, acceptance 4): token expiry and overlap,
//! `ext_json` as a string, one audit at a time, release after a passed audit, quotas,
//! every fault mode, and pushes encrypted like WeChat's.

use crate::support::wechat::*;
use serde_json::json;
use weapp_builder::wechat::client::{TokenParam, WechatError};
use weapp_builder::wechat::crypto::{PushCrypto, parse_flat_xml};
use weapp_builder::wechat_sim::state::AuditOutcome;
use weapp_builder::wechat_sim::{Fault, FaultMode};

const APPID: &str = "wxsimapp000000001";

fn ext_json() -> String {
    json!({"extEnable": true, "extAppid": APPID, "ext": {"appid": APPID}}).to_string()
}

#[actix_web::test]
async fn tokens_expire_and_a_replaced_token_dies_after_the_overlap() {
    let sim = start_sim(None).await;
    let c = client(&sim);
    let first = component_token(&sim).await;
    let body = json!({"component_appid": COMPONENT_APPID});
    let pre = "/cgi-bin/component/api_create_preauthcode";
    c.post(pre, TokenParam::Component(&first), &body)
        .await
        .unwrap();
    // A second token replaces the first: both work for five minutes, then only the new.
    let second = component_token(&sim).await;
    sim.advance(299);
    c.post(pre, TokenParam::Component(&first), &body)
        .await
        .unwrap();
    sim.advance(1);
    assert_eq!(
        errcode(c.post(pre, TokenParam::Component(&first), &body).await),
        40001
    );
    c.post(pre, TokenParam::Component(&second), &body)
        .await
        .unwrap();
    // 7200 s after it was issued the new one has expired.
    sim.advance(7200 - 300);
    assert_eq!(
        errcode(c.post(pre, TokenParam::Component(&second), &body).await),
        42001
    );
    assert_eq!(
        errcode(c.post(pre, TokenParam::Component("made-up"), &body).await),
        40001
    );
    assert_eq!(errcode(c.post(pre, TokenParam::None, &body).await), 41001);
    // A ticket lives 12 hours.
    let ticket = sim.with_platform(|p| p.new_ticket(sim.now()));
    sim.advance(12 * 3600);
    let req = json!({"component_appid": COMPONENT_APPID, "component_appsecret": COMPONENT_SECRET,
                     "component_verify_ticket": ticket});
    assert_eq!(
        errcode(
            c.post(
                "/cgi-bin/component/api_component_token",
                TokenParam::None,
                &req
            )
            .await
        ),
        61005
    );
    let wrong = json!({"component_appid": COMPONENT_APPID, "component_appsecret": "nope",
                       "component_verify_ticket": ticket});
    assert_eq!(
        errcode(
            c.post(
                "/cgi-bin/component/api_component_token",
                TokenParam::None,
                &wrong
            )
            .await
        ),
        40125
    );
    sim.stop().await;
}

#[actix_web::test]
async fn codes_are_single_use_and_refresh_tokens_are_replaced_on_reauthorization() {
    let sim = start_sim(None).await;
    let c = client(&sim);
    let cat = component_token(&sim).await;
    let info = authorize_app(&sim, &cat, APPID, &[17, 18]).await;
    let refresh = info["authorizer_refresh_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(info["func_info"][1]["funcscope_category"]["id"], 18);
    let refresh_req = |r: &str| json!({"component_appid": COMPONENT_APPID, "authorizer_appid": APPID, "authorizer_refresh_token": r});
    let path = "/cgi-bin/component/api_authorizer_token";
    let renewed = c
        .post(path, TokenParam::Component(&cat), &refresh_req(&refresh))
        .await
        .unwrap();
    assert_eq!(
        renewed["authorizer_refresh_token"],
        refresh.as_str(),
        "refresh tokens do not rotate"
    );
    // Re-authorization replaces the refresh token; the old one is refused.
    let again = authorize_app(&sim, &cat, APPID, &[18]).await;
    assert_ne!(again["authorizer_refresh_token"], refresh.as_str());
    assert_eq!(
        errcode(
            c.post(path, TokenParam::Component(&cat), &refresh_req(&refresh))
                .await
        ),
        61023
    );
    // Unauthorized: tokens die at once, info answers 61003.
    let access = again["authorizer_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    sim.with_platform(|p| p.unauthorize(APPID));
    let info_req = json!({"component_appid": COMPONENT_APPID, "authorizer_appid": APPID});
    assert_eq!(
        errcode(
            c.post(
                "/cgi-bin/component/api_get_authorizer_info",
                TokenParam::Component(&cat),
                &info_req
            )
            .await
        ),
        61003
    );
    assert_eq!(
        errcode(
            c.post(
                "/wxa/getvisitstatus",
                TokenParam::Access(&access),
                &json!({})
            )
            .await
        ),
        40001
    );
    sim.stop().await;
}

#[actix_web::test]
async fn code_management_follows_wechats_rules() {
    let sim = start_sim(None).await;
    sim.configure(Some(2), Some(60));
    let c = client(&sim);
    let cat = component_token(&sim).await;
    // Without permission set 18 code management is refused.
    let no18 = authorize_app(&sim, &cat, "wxsimapp000000002", &[17]).await;
    let no18 = no18["authorizer_access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        errcode(
            c.post("/wxa/getvisitstatus", TokenParam::Access(&no18), &json!({}))
                .await
        ),
        61007
    );
    let info = authorize_app(&sim, &cat, APPID, &[18]).await;
    let t = info["authorizer_access_token"].as_str().unwrap().to_owned();
    let tok = TokenParam::Access(&t);
    // The component token is not an authorizer token.
    assert_eq!(
        errcode(
            c.post("/wxa/getvisitstatus", TokenParam::Access(&cat), &json!({}))
                .await
        ),
        86000
    );
    // Domains: get, set only when different.
    let got = c
        .post("/wxa/modify_domain", tok, &json!({"action": "get"}))
        .await
        .unwrap();
    assert_eq!(got["requestdomain"], json!([]));
    let set = json!({"action": "set", "requestdomain": ["https://api.example.com"], "downloaddomain": ["https://api.example.com"]});
    c.post("/wxa/modify_domain", tok, &set).await.unwrap();
    assert_eq!(
        errcode(c.post("/wxa/modify_domain", tok, &set).await),
        85017
    );
    assert_eq!(
        errcode(
            c.post(
                "/wxa/modify_domain",
                tok,
                &json!({"action": "set", "requestdomain": ["http://plain.example.com"]})
            )
            .await
        ),
        85018
    );
    // ext_json must be a string; the template must exist; the scan must finish.
    let commit = |ext: serde_json::Value, template: i64| json!({"template_id": template, "ext_json": ext, "user_version": "1.0.0", "user_desc": "first"});
    assert_eq!(
        errcode(
            c.post("/wxa/commit", tok, &commit(json!({"extAppid": APPID}), 1))
                .await
        ),
        47001
    );
    assert_eq!(
        errcode(
            c.post("/wxa/commit", tok, &commit(json!(ext_json()), 99))
                .await
        ),
        85014
    );
    assert_eq!(
        errcode(
            c.post("/wxa/commit", tok, &commit(json!("{not json"), 1))
                .await
        ),
        85048
    );
    assert_eq!(
        errcode(c.post("/wxa/submit_audit", tok, &json!({})).await),
        85086
    );
    // Template 1 is the package in miniprogram/: its pages, and no others.
    let pages = weapp_builder::wechat_sim::state::code_template_pages();
    assert!(pages.contains(&"pages/index/index".to_owned()) && pages.len() >= 3);
    let ext_with = |key: &str, value: serde_json::Value| {
        let mut ext: serde_json::Value = serde_json::from_str(&ext_json()).unwrap();
        ext[key] = value;
        json!(ext.to_string())
    };
    assert_eq!(
        errcode(
            c.post(
                "/wxa/commit",
                tok,
                &commit(ext_with("pages", json!(["pages/shop/shop"])), 1)
            )
            .await
        ),
        85045
    );
    assert_eq!(
        errcode(
            c.post(
                "/wxa/commit",
                tok,
                &commit(
                    ext_with("tabBar", json!({"list": [{"pagePath": "pages/shop/shop"}]})),
                    1
                )
            )
            .await
        ),
        85046
    );
    c.post(
        "/wxa/commit",
        tok,
        &commit(ext_with("pages", json!(pages)), 1),
    )
    .await
    .unwrap();
    c.post("/wxa/commit", tok, &commit(json!(ext_json()), 1))
        .await
        .unwrap();
    assert_eq!(
        errcode(
            c.post("/wxa/security/get_code_privacy_info", tok, &json!({}))
                .await
        ),
        43001,
        "WeChat serves the privacy scan only with GET"
    );
    assert_eq!(
        errcode(c.get("/wxa/security/get_code_privacy_info", tok, &[]).await),
        61039
    );
    assert_eq!(
        errcode(c.post("/wxa/submit_audit", tok, &json!({})).await),
        61039
    );
    sim.advance(60);
    c.get("/wxa/security/get_code_privacy_info", tok, &[])
        .await
        .unwrap();
    let pages = c.get("/wxa/get_page", tok, &[]).await.unwrap();
    assert_eq!(pages["page_list"][0], "pages/index/index");
    assert_eq!(
        errcode(c.post("/wxa/get_page", tok, &json!({})).await),
        43001
    );
    let qr = c
        .get_binary("/wxa/get_qrcode", tok, &[("path", "pages/index/index")])
        .await
        .unwrap();
    assert_eq!(qr.content_type, "image/jpeg");
    assert_eq!(&qr.bytes[..2], &[0xFF, 0xD8]);
    let quota = c.get("/wxa/queryquota", tok, &[]).await.unwrap();
    assert_eq!(
        (quota["rest"].as_i64(), quota["limit"].as_i64()),
        (Some(2), Some(2))
    );
    // Release needs a passed audit; one audit at a time.
    assert_eq!(
        errcode(c.post("/wxa/release", tok, &json!({})).await),
        85019
    );
    let submitted = c.post("/wxa/submit_audit", tok, &json!({"item_list": [{"address": "pages/index/index", "first_id": 287, "second_id": 616, "title": "首页"}]})).await.unwrap();
    let auditid = submitted["auditid"].as_i64().unwrap();
    assert_eq!(
        errcode(c.post("/wxa/submit_audit", tok, &json!({})).await),
        85009
    );
    assert_eq!(
        errcode(c.post("/wxa/release", tok, &json!({})).await),
        85020
    );
    let status = c
        .post("/wxa/get_auditstatus", tok, &json!({"auditid": auditid}))
        .await
        .unwrap();
    assert_eq!(status["status"], 2);
    // Undo (counts against the undo quota), submit again (quota now used up), pass.
    c.get("/wxa/undocodeaudit", tok, &[]).await.unwrap();
    c.post("/wxa/submit_audit", tok, &json!({})).await.unwrap();
    sim.with_platform(|p| p.decide_audit(APPID, AuditOutcome::Pass, ""))
        .unwrap();
    let latest = c
        .get("/wxa/get_latest_auditstatus", tok, &[])
        .await
        .unwrap();
    assert_eq!(latest["status"], 0);
    assert_eq!(
        errcode(c.post("/wxa/submit_audit", tok, &json!({})).await),
        85085
    );
    // Release wants a body ({}), then is done once; 85052 on a second call.
    let raw = reqwest::Client::new()
        .post(format!("{}/wxa/release?access_token={t}", sim.base_url))
        .send()
        .await
        .unwrap()
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(raw["errcode"], 44002);
    c.post("/wxa/release", tok, &json!({})).await.unwrap();
    assert_eq!(
        errcode(c.post("/wxa/release", tok, &json!({})).await),
        85052
    );
    let version = c
        .post("/wxa/getversioninfo", tok, &json!({}))
        .await
        .unwrap();
    assert_eq!(version["release_info"]["release_version"], "1.0.0");
    // Visit status: close / open, confirmed.
    assert_eq!(
        errcode(
            c.post("/wxa/change_visitstatus", tok, &json!({"action": "pause"}))
                .await
        ),
        85022
    );
    c.post("/wxa/change_visitstatus", tok, &json!({"action": "close"}))
        .await
        .unwrap();
    assert_eq!(
        c.post("/wxa/getvisitstatus", tok, &json!({}))
            .await
            .unwrap()["status"],
        0
    );
    // Rollback needs a previous release.
    assert_eq!(
        errcode(c.get("/wxa/revertcoderelease", tok, &[]).await),
        87012
    );
    // Gray release needs an approved, unreleased version and an increasing percentage.
    assert_eq!(
        errcode(
            c.post("/wxa/grayrelease", tok, &json!({"gray_percentage": 10}))
                .await
        ),
        85080
    );
    assert_eq!(
        errcode(
            c.post("/wxa/grayrelease", tok, &json!({"gray_percentage": 0}))
                .await
        ),
        85081
    );
    // Undo quota: 5 a day.
    sim.configure(Some(100), Some(0));
    for _ in 0..4 {
        c.post("/wxa/submit_audit", tok, &json!({})).await.unwrap();
        c.get("/wxa/undocodeaudit", tok, &[]).await.unwrap();
    }
    c.post("/wxa/submit_audit", tok, &json!({})).await.unwrap();
    assert_eq!(errcode(c.get("/wxa/undocodeaudit", tok, &[]).await), 87013);
    let templates = c
        .get("/wxa/gettemplatelist", TokenParam::Access(&cat), &[])
        .await
        .unwrap();
    assert_eq!(templates["template_list"][0]["template_id"], 1);
    sim.stop().await;
}

#[actix_web::test]
async fn every_fault_mode_behaves_as_declared() {
    let sim = start_sim(None).await;
    let c = client(&sim);
    let cat = component_token(&sim).await;
    let t = authorize_app(&sim, &cat, APPID, &[18]).await["authorizer_access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let tok = TokenParam::Access(&t);
    let fault = |path: &str, mode: FaultMode, count: u32| Fault {
        path: path.into(),
        mode,
        count,
    };
    let commit = json!({"template_id": 1, "ext_json": ext_json(), "user_version": "1.0.1", "user_desc": "x"});

    sim.inject(fault("/wxa/getvisitstatus", FaultMode::Http500, 1));
    assert_eq!(
        c.post("/wxa/getvisitstatus", tok, &json!({})).await,
        Err(WechatError::Http(500))
    );
    sim.inject(fault("/wxa/getvisitstatus", FaultMode::Busy, 1));
    assert_eq!(
        errcode(c.post("/wxa/getvisitstatus", tok, &json!({})).await),
        -1
    );
    sim.inject(fault(
        "/wxa/getvisitstatus",
        FaultMode::Errcode { errcode: 45011 },
        2,
    ));
    assert_eq!(
        errcode(c.post("/wxa/getvisitstatus", tok, &json!({})).await),
        45011
    );
    assert_eq!(
        errcode(c.post("/wxa/getvisitstatus", tok, &json!({})).await),
        45011
    );
    c.post("/wxa/getvisitstatus", tok, &json!({}))
        .await
        .unwrap();
    // Refused calls change nothing.
    sim.inject(fault("/wxa/commit", FaultMode::Busy, 1));
    assert_eq!(errcode(c.post("/wxa/commit", tok, &commit).await), -1);
    assert!(sim.with_platform(|p| p.apps[APPID].commit.is_none()));
    // Slow: answers after the delay (a short client timeout gives up first).
    sim.inject(fault(
        "/wxa/getvisitstatus",
        FaultMode::Slow { delay_ms: 400 },
        1,
    ));
    let impatient = weapp_builder::wechat::client::WechatClient::new(
        &sim.base_url,
        std::time::Duration::from_millis(100),
    )
    .unwrap();
    let timed_out = impatient.post("/wxa/getvisitstatus", tok, &json!({})).await;
    assert!(
        matches!(timed_out, Err(WechatError::Transport(_))),
        "{timed_out:?}"
    );
    // Drop: the call is applied, the caller gets a transport error (outcome unknown)
    // whose text carries no token.
    sim.inject(fault("/wxa/commit", FaultMode::Drop, 1));
    let dropped = c.post("/wxa/commit", tok, &commit).await;
    let Err(WechatError::Transport(text)) = &dropped else {
        panic!("{dropped:?}")
    };
    assert!(!text.contains(&t), "{text}");
    assert!(
        sim.with_platform(|p| p.apps[APPID]
            .commit
            .as_ref()
            .map(|c| c.user_version.clone()))
            == Some("1.0.1".into())
    );
    // The call log saw every call, with the fault and the errcode.
    let calls = sim.calls();
    let commits: Vec<_> = calls.iter().filter(|c| c.path == "/wxa/commit").collect();
    assert_eq!(commits.len(), 2);
    assert_eq!(commits[0].errcode, -1);
    assert!(commits[1].fault.as_deref().unwrap().contains("Drop"));
    assert_eq!(commits[1].caller, format!("authorizer:{APPID}"));
    // The slow call is logged when it finally answers, after the client gave up.
    assert!(
        crate::support::wait_until(std::time::Duration::from_secs(2), || async {
            sim.count("/wxa/getvisitstatus") == 6
        })
        .await
    );
    sim.stop().await;
}

#[actix_web::test]
async fn pushes_are_sealed_like_wechats() {
    let sim = start_sim(None).await;
    let cat = component_token(&sim).await;
    authorize_app(&sim, &cat, APPID, &[18]).await;
    let crypto = PushCrypto::new(PUSH_TOKEN, ENCODING_AES_KEY, COMPONENT_APPID).unwrap();
    let (query, envelope) = sim.sealed_push(
        false,
        APPID,
        "<xml><Event><![CDATA[weapp_audit_success]]></Event></xml>",
    );
    let q = |k: &str| query.iter().find(|(n, _)| n == k).unwrap().1.clone();
    let outer = parse_flat_xml(&envelope).unwrap();
    assert!(outer["ToUserName"].starts_with("gh_"));
    crypto
        .verify_msg_signature(
            &q("timestamp"),
            &q("nonce"),
            &outer["Encrypt"],
            &q("msg_signature"),
        )
        .unwrap();
    crypto
        .verify_url_signature(&q("timestamp"), &q("nonce"), &q("signature"))
        .unwrap();
    assert_eq!(q("encrypt_type"), "aes");
    let inner = parse_flat_xml(&crypto.decrypt(&outer["Encrypt"]).unwrap()).unwrap();
    assert_eq!(inner["Event"], "weapp_audit_success");
    // The authorizer's appid in the path does not change the trailing appid: ours.
    let not_ours = PushCrypto::new(PUSH_TOKEN, ENCODING_AES_KEY, APPID).unwrap();
    assert!(not_ours.decrypt(&outer["Encrypt"]).is_err());
    sim.stop().await;
}
