//! The WeChat simulator as the tests start it, and shortcuts that drive it like the
//! product would (through the product's own WeChat client).

use serde_json::{Value, json};
use std::time::Duration;
use weapp_builder::wechat::client::{TokenParam, WechatClient, WechatError};
use weapp_builder::wechat_sim::{self, SimConfig, SimServer};

/// The test platform's component appid.
pub const COMPONENT_APPID: &str = "wx134c8103faa5a59e";
/// The test platform's component secret.
pub const COMPONENT_SECRET: &str = "sim-component-secret-0123456789";
/// The test platform's push token.
pub const PUSH_TOKEN: &str = "AAAAA";
/// The test platform's EncodingAESKey (a non-canonical one, like most real keys).
pub const ENCODING_AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

/// Starts a simulator; pushes go to `app_base` when given.
pub async fn start_sim(app_base: Option<&str>) -> SimServer {
    wechat_sim::start(
        SimConfig {
            component_appid: COMPONENT_APPID.into(),
            component_secret: COMPONENT_SECRET.into(),
            push_token: PUSH_TOKEN.into(),
            encoding_aes_key: ENCODING_AES_KEY.into(),
            component_callback_url: app_base.map(|b| format!("{b}/wechat/component/events")),
            message_callback_url: app_base.map(|b| format!("{b}/wechat/apps/$APPID$/events")),
            ticket_interval_secs: 0,
        },
        "127.0.0.1:0",
    )
    .await
    .expect("simulator starts")
}

/// A client of the simulator, as the product builds it.
pub fn client(sim: &SimServer) -> WechatClient {
    WechatClient::new(&sim.base_url, Duration::from_secs(5)).unwrap()
}

/// A component token straight from the simulator (a ticket is issued without a push).
pub async fn component_token(sim: &SimServer) -> String {
    let ticket = sim.with_platform(|p| p.new_ticket(sim.now()));
    let res = client(sim)
        .post(
            "/cgi-bin/component/api_component_token",
            TokenParam::None,
            &json!({"component_appid": COMPONENT_APPID, "component_appsecret": COMPONENT_SECRET,
                    "component_verify_ticket": ticket}),
        )
        .await
        .unwrap();
    res["component_access_token"].as_str().unwrap().to_owned()
}

/// Authorizes `appid` with `func_ids` and exchanges the code; returns the
/// `authorization_info` (access and refresh tokens).
pub async fn authorize_app(
    sim: &SimServer,
    component_token: &str,
    appid: &str,
    func_ids: &[i64],
) -> Value {
    let c = client(sim);
    let pre = c
        .post(
            "/cgi-bin/component/api_create_preauthcode",
            TokenParam::Component(component_token),
            &json!({"component_appid": COMPONENT_APPID}),
        )
        .await
        .unwrap();
    let code = sim
        .with_platform(|p| {
            p.authorize(
                pre["pre_auth_code"].as_str().unwrap(),
                appid,
                func_ids,
                sim.now(),
            )
        })
        .unwrap();
    let info = c
        .post(
            "/cgi-bin/component/api_query_auth",
            TokenParam::Component(component_token),
            &json!({"component_appid": COMPONENT_APPID, "authorization_code": code}),
        )
        .await
        .unwrap();
    info["authorization_info"].clone()
}

/// The errcode of a failed call (panics on success).
pub fn errcode(r: Result<Value, WechatError>) -> i64 {
    match r {
        Err(e) => e
            .errcode()
            .unwrap_or_else(|| panic!("not an API error: {e}")),
        Ok(v) => panic!("expected an error, got {v}"),
    }
}
